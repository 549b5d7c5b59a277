//! `PREFIX/conda-meta/history`, as conda's `History` writes it (conda/history.py, `write_changes` and
//! `write_specs`). conda takes a prefix for an environment only when this file exists (`is_conda_environment`:
//! `conda list`, `conda create` over it, whether the root prefix is writable, so where its package cache goes),
//! and reads the `# update specs:` lines as what the user asked for (kept when it later solves that prefix).
//!
//! One entry is appended per install:
//!
//! ```text
//! ==> 2026-12-05 10:31:07 <==
//! # cmd: archi-installer-engine /tmp/x.1234 /opt/conda
//! -<channel>::<name>-<version>-<build>     (one a package removed or replaced, sorted)
//! +<channel>::<name>-<version>-<build>     (one a package added, sorted)
//! # update specs: ['conda']
//! ```
//!
//! The time is UTC (conda writes local time; it only shows the string). There is no `# conda version:` line:
//! conda writes its own version there to refuse later downgrades, and the engine is not conda.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use rattler_conda_types::{MatchSpec, PrefixRecord, RepoDataRecord};

/// conda's `dist_str` of a record: `<channel>::<name>-<version>-<build>` (the channel without a trailing `/`, as
/// conda names a `file://` channel), or without `<channel>::` when the record names no channel.
pub fn dist_str(record: &RepoDataRecord) -> String {
    let p = &record.package_record;
    let nvb = format!("{}-{}-{}", p.name.as_normalized(), p.version, p.build);
    match &record.channel {
        Some(channel) if !channel.trim_end_matches('/').is_empty() => {
            format!("{}::{nvb}", channel.trim_end_matches('/'))
        }
        _ => nvb,
    }
}

/// The [`dist_str`] of every record of a prefix.
pub fn dists(records: &[PrefixRecord]) -> BTreeSet<String> {
    records
        .iter()
        .map(|r| dist_str(&r.repodata_record))
        .collect()
}

/// The text of one history entry: the header (`==> time <==`, `# cmd:`), `-` for each dist of `before` not in
/// `after`, `+` for each of `after` not in `before` (both sorted), and the requested specs as a Python list
/// literal (`['conda', 'xz >=5']`, which conda reads back with `ast.literal_eval`).
pub fn entry(
    time: &str,
    cmd: &[String],
    before: &BTreeSet<String>,
    after: &BTreeSet<String>,
    specs: &[MatchSpec],
) -> String {
    let mut text = format!("==> {time} <==\n# cmd: {}\n", cmd.join(" "));
    for dist in before.difference(after) {
        text.push_str(&format!("-{dist}\n"));
    }
    for dist in after.difference(before) {
        text.push_str(&format!("+{dist}\n"));
    }
    if !specs.is_empty() {
        let quoted: Vec<String> = specs.iter().map(|s| py_str(&s.to_string())).collect();
        text.push_str(&format!("# update specs: [{}]\n", quoted.join(", ")));
    }
    text
}

/// `s` as a single-quoted Python string literal (`it's` → `'it\'s'`).
fn py_str(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Appends [`entry`] for this install, at the current time, to `prefix/conda-meta/history` (created when
/// missing). Errors name the file.
pub fn append(
    prefix: &Path,
    cmd: &[String],
    before: &BTreeSet<String>,
    after: &BTreeSet<String>,
    specs: &[MatchSpec],
) -> Result<(), String> {
    let time = jiff::Timestamp::now()
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string();
    let path = prefix.join("conda-meta").join("history");
    let mut file = fs_err::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    file.write_all(entry(&time, cmd, before, after, specs).as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rattler_conda_types::ParseStrictness;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_fresh_install_lists_every_package_added_and_the_specs() {
        let specs = [
            MatchSpec::from_str("conda", ParseStrictness::Strict).unwrap(),
            MatchSpec::from_str("xz >=5", ParseStrictness::Strict).unwrap(),
        ];
        let text = entry(
            "2026-12-05 10:31:07",
            &["engine".into(), "/tmp/p".into(), "/opt/c".into()],
            &BTreeSet::new(),
            &set(&["local::zlib-1.3-h0", "local::conda-23.9.0-py311_0"]),
            &specs,
        );
        assert_eq!(
            text,
            "==> 2026-12-05 10:31:07 <==\n# cmd: engine /tmp/p /opt/c\n\
             +local::conda-23.9.0-py311_0\n+local::zlib-1.3-h0\n\
             # update specs: ['conda', 'xz >=5']\n"
        );
    }

    #[test]
    fn an_update_lists_what_went_and_what_came() {
        let text = entry(
            "t",
            &["engine".into()],
            &set(&["c::a-1-0", "c::b-1-0"]),
            &set(&["c::a-1-0", "c::b-2-0"]),
            &[],
        );
        assert_eq!(text, "==> t <==\n# cmd: engine\n-c::b-1-0\n+c::b-2-0\n");
    }

    #[test]
    fn quotes_and_backslashes_are_escaped_in_the_python_literal() {
        assert_eq!(py_str("xz >=5"), "'xz >=5'");
        assert_eq!(py_str(r"a[build='x\y']"), r"'a[build=\'x\\y\']'");
    }

    #[test]
    fn append_adds_an_entry_after_the_last() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(dir.path().join("conda-meta")).unwrap();
        append(
            dir.path(),
            &["e".into()],
            &BTreeSet::new(),
            &set(&["c::a-1-0"]),
            &[],
        )
        .unwrap();
        append(
            dir.path(),
            &["e".into()],
            &set(&["c::a-1-0"]),
            &set(&["c::a-2-0"]),
            &[],
        )
        .unwrap();
        let text = fs_err::read_to_string(dir.path().join("conda-meta/history")).unwrap();
        let heads: Vec<&str> = text.lines().filter(|l| l.starts_with("==> ")).collect();
        assert_eq!(heads.len(), 2, "{text}");
        assert!(text.ends_with("-c::a-1-0\n+c::a-2-0\n"), "{text}");
    }
}
