//! `channeldata.json`: one summary per package name across all subdirs, with the key set conda-index writes.
//!
//! ```json
//! {"channeldata_version": 1,
//!  "packages": {"<name>": {"version": "<newest>", "subdirs": [...], "timestamp": <seconds>,
//!                          "run_exports": {"<version>": {...}}, "home": ..., "license": ..., "summary": ...,
//!                          "binary_prefix": false, "text_prefix": false, "activate.d": false,
//!                          "deactivate.d": false, "pre_link": false, "post_link": false, "pre_unlink": false}},
//!  "subdirs": ["linux-aarch64", "noarch"]}
//! ```
//!
//! Following conda-index 0.13 (`ChannelIndex._update_channeldata`): records are grouped by (name, version), the
//! newest build of each group by timestamp (`.conda` preferred over a `.tar.bz2` twin) is read for its
//! `info/about.json`, `info/paths.json` and `info/run_exports.json`; the text fields come from the newest version
//! that has them, the prefix/link flags are true when any group's package has them, `run_exports` keeps one entry
//! per version and `timestamp` is the newest, in seconds. Fields conda-index takes from `info/recipe/meta.yaml`
//! (`source_url`, `source_git_url` from the recipe's `source`) are not read.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use rattler_conda_types::PackageRecord;
use serde_json::Value;

use super::repodata::{self, ArchiveKind};
use super::{subdir_names, write_atomic, ChannelError};

const CHANNELDATA_VERSION: u64 = 1;

/// Text fields taken from the newest version that has them (about.json merged under index.json).
const NEWEST_FIELDS: &[&str] = &[
    "description",
    "dev_url",
    "doc_url",
    "doc_source_url",
    "home",
    "license",
    "source_url",
    "source_git_url",
    "summary",
    "icon_url",
    "icon_hash",
    "tags",
    "identifiers",
    "keywords",
    "recipe_origin",
    "version",
];

/// Flags that are true when any version's package has them, computed from `info/paths.json`.
const FLAG_FIELDS: &[&str] = &[
    "binary_prefix",
    "text_prefix",
    "activate.d",
    "deactivate.d",
    "pre_link",
    "post_link",
    "pre_unlink",
];

/// The newest build of one (name, version) group.
struct Candidate<'a> {
    record: &'a PackageRecord,
    path: PathBuf,
}

/// Rebuilds `<channel>/channeldata.json` from every subdir's `repodata.json` and the archives it lists.
pub(super) fn write(channel: &Path) -> Result<(), ChannelError> {
    let mut indexes = Vec::new();
    for subdir in subdir_names(channel)? {
        let dir = channel.join(&subdir);
        if dir.join("repodata.json").is_file() {
            indexes.push((subdir.clone(), repodata::read_or_empty(&dir, &subdir)?));
        }
    }

    let mut groups: BTreeMap<String, BTreeMap<String, Candidate<'_>>> = BTreeMap::new();
    let mut name_subdirs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (subdir, index) in &indexes {
        let conda = index
            .conda_packages
            .iter()
            .map(|(f, r)| (f, r, ArchiveKind::Conda));
        let legacy = index
            .packages
            .iter()
            .map(|(f, r)| (f, r, ArchiveKind::TarBz2));
        for (file_name, record, kind) in conda.chain(legacy) {
            if kind == ArchiveKind::TarBz2 {
                let stem = file_name.trim_end_matches(".tar.bz2");
                if index.conda_packages.contains_key(&format!("{stem}.conda")) {
                    continue;
                }
            }
            let name = record.name.as_normalized().to_string();
            name_subdirs
                .entry(name.clone())
                .or_default()
                .insert(subdir.clone());
            let group = groups.entry(name).or_default();
            let newer = group
                .get(&record.version.to_string())
                .is_none_or(|c| seconds(c.record) < seconds(record));
            if newer {
                let path = channel.join(subdir).join(file_name);
                group.insert(record.version.to_string(), Candidate { record, path });
            }
        }
    }

    let mut packages = BTreeMap::new();
    for (name, group) in groups {
        let mut candidates: Vec<Candidate<'_>> = group.into_values().collect();
        candidates.sort_by(|a, b| {
            (&a.record.version, seconds(a.record)).cmp(&(&b.record.version, seconds(b.record)))
        });
        let subdirs = name_subdirs.remove(&name).unwrap_or_default();
        packages.insert(name, package_entry(&candidates, subdirs)?);
    }

    let channeldata = serde_json::json!({
        "channeldata_version": CHANNELDATA_VERSION,
        "packages": packages,
        "subdirs": indexes.iter().map(|(subdir, _)| subdir).collect::<Vec<_>>(),
    });
    let mut bytes =
        serde_json::to_vec_pretty(&sorted(channeldata)).expect("channeldata always serialises");
    bytes.push(b'\n');
    write_atomic(&channel.join("channeldata.json"), &bytes)
}

/// The channeldata entry of one package name from its (name, version) groups, oldest version first.
fn package_entry(
    candidates: &[Candidate<'_>],
    subdirs: BTreeSet<String>,
) -> Result<Value, ChannelError> {
    let mut entry = serde_json::Map::new();
    let mut flags: BTreeMap<&str, bool> = FLAG_FIELDS.iter().map(|flag| (*flag, false)).collect();
    let mut run_exports = serde_json::Map::new();
    let mut timestamp = 0i64;
    for candidate in candidates {
        let info = read_info(&candidate.path)?;
        let mut data = match info.about {
            Some(Value::Object(about)) => about,
            _ => serde_json::Map::new(),
        };
        if let Ok(Value::Object(record)) = serde_json::to_value(candidate.record) {
            data.extend(record);
        }
        for field in ["description", "summary"] {
            if let Some(Value::String(text)) = data.get_mut(field) {
                *text = text.trim().replace('\n', " ");
            }
        }
        for field in NEWEST_FIELDS {
            if let Some(value) = data.get(*field).filter(|value| truthy(value)) {
                entry.insert((*field).to_string(), value.clone());
            }
        }
        for (flag, value) in paths_flags(info.paths.as_ref()) {
            *flags.get_mut(flag).expect("known flag") |= value;
        }
        if let Some(exports) = info.run_exports.filter(truthy) {
            run_exports.insert(candidate.record.version.to_string(), exports);
        }
        timestamp = timestamp.max(seconds(candidate.record));
    }
    for (flag, value) in flags {
        entry.insert(flag.to_string(), Value::Bool(value));
    }
    entry.insert("run_exports".to_string(), Value::Object(run_exports));
    entry.insert("subdirs".to_string(), serde_json::json!(subdirs));
    entry.insert("timestamp".to_string(), serde_json::json!(timestamp));
    Ok(Value::Object(entry))
}

/// Record timestamp in seconds since the epoch, 0 when absent.
fn seconds(record: &PackageRecord) -> i64 {
    record
        .timestamp
        .as_ref()
        .map_or(0, |ts| ts.timestamp_millis() / 1000)
}

/// Python truthiness, as conda-index tests fields: null, false, 0, "", [] and {} are false.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// The prefix and link-script flags of one package from its `info/paths.json` (conda-index's
/// `_cache_post_install_details`): embedded prefixes by file mode, `etc/conda/{de,}activate.d/` files, and
/// `*/.*-{pre-link,post-link,pre-unlink}.*` scripts.
fn paths_flags(paths_json: Option<&Value>) -> Vec<(&'static str, bool)> {
    let mut flags = vec![];
    let paths = paths_json
        .and_then(|p| p.get("paths"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for entry in &paths {
        let path = entry
            .get("_path")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if entry.get("prefix_placeholder").is_some_and(truthy) {
            match entry.get("file_mode").and_then(Value::as_str) {
                Some("binary") => flags.push(("binary_prefix", true)),
                Some("text") => flags.push(("text_prefix", true)),
                _ => {}
            }
        }
        for dir in ["activate.d", "deactivate.d"] {
            if path.starts_with(&format!("etc/conda/{dir}")) {
                flags.push((dir, true));
            }
        }
        // fnmatch `*/.*-<script>.*`: a hidden path component, then `-<script>.` somewhere after it.
        if let Some(hidden) = path.find("/.") {
            for (script, flag) in [
                ("pre-link", "pre_link"),
                ("post-link", "post_link"),
                ("pre-unlink", "pre_unlink"),
            ] {
                if path[hidden..].contains(&format!("-{script}.")) {
                    flags.push((flag, true));
                }
            }
        }
    }
    flags
}

/// The JSON `info/` files channeldata needs from one archive.
struct InfoFiles {
    about: Option<Value>,
    paths: Option<Value>,
    run_exports: Option<Value>,
}

/// Reads `info/about.json`, `info/paths.json` and `info/run_exports.json` (each optional) in one pass over the
/// archive's info section.
fn read_info(path: &Path) -> Result<InfoFiles, ChannelError> {
    let info_err = |source| ChannelError::ReadInfo {
        path: path.to_path_buf(),
        source,
    };
    let file = fs_err::File::open(path).map_err(info_err)?;
    let mut info = InfoFiles {
        about: None,
        paths: None,
        run_exports: None,
    };
    match ArchiveKind::of(path)? {
        ArchiveKind::Conda => {
            let archive = rattler_package_streaming::seek::stream_conda_info(file)
                .map_err(|err| info_err(std::io::Error::other(err)))?;
            collect_info(archive, path, &mut info)?;
        }
        ArchiveKind::TarBz2 => {
            collect_info(
                rattler_package_streaming::read::stream_tar_bz2(file),
                path,
                &mut info,
            )?;
        }
    }
    Ok(info)
}

fn collect_info(
    mut archive: tar::Archive<impl Read>,
    path: &Path,
    info: &mut InfoFiles,
) -> Result<(), ChannelError> {
    let info_err = |source| ChannelError::ReadInfo {
        path: path.to_path_buf(),
        source,
    };
    for entry in archive.entries().map_err(info_err)? {
        let mut entry = entry.map_err(info_err)?;
        let member = entry
            .path()
            .map_err(info_err)?
            .to_string_lossy()
            .into_owned();
        let slot = match member.as_str() {
            "info/about.json" => &mut info.about,
            "info/paths.json" => &mut info.paths,
            "info/run_exports.json" => &mut info.run_exports,
            _ => continue,
        };
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(info_err)?;
        let value = serde_json::from_slice(&bytes).map_err(|source| ChannelError::Json {
            path: path.join(&member),
            source,
        })?;
        *slot = Some(value);
    }
    Ok(())
}

/// `value` with every object's keys sorted (serde_json here preserves insertion order).
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<String, Value> =
                map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(sorted.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}
