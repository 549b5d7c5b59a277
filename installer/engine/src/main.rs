//! `archi-installer-engine PAYLOAD PREFIX [--update]`: the program an `archi installer` script runs after it has
//! checked and unpacked its payload. It installs the solved packages of `PAYLOAD` into `PREFIX` as a conda client
//! does, offline, with rattler's `Installer`:
//!
//! - `PAYLOAD/records.json` (written by archi's `installer::payload`) holds
//!   `{"platform": "<subdir>", "specs": ["zlib", ...], "records": [<repodata records>]}`; each record's archive is
//!   `PAYLOAD/pkgs/<fn>` and its sha256 is checked against the record before anything is installed;
//! - packages are extracted into `PAYLOAD/cache` and linked into `PREFIX`: prefix placeholders in text and binary
//!   files replaced (binary ones null-padded), noarch python files placed under `lib/pythonX.Y/site-packages`,
//!   entry points written into `bin/`, `conda-meta/<name>-<version>-<build>.json` written, post-link scripts run;
//! - the `.py` files of noarch python packages are compiled to `.pyc` with the prefix's own python, as conda does
//!   (`python -Wi -m compileall -q -l -i -`), and listed in the package's `conda-meta` record as `pyc_file`s;
//! - `conda-meta/history` gets an entry as conda writes one (module `history`): the packages added and removed
//!   and the requested specs; conda takes a prefix for an environment only when that file exists;
//! - `--update` keeps the prefix's other packages and replaces those the payload has a different build of;
//!   without it a prefix that already holds packages is refused.
//!
//! Errors go to stderr with the file or package they concern; the exit code is 1. Output is a short summary.

mod history;

use std::collections::{BTreeSet, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use rattler::install::Installer;
use rattler::package_cache::PackageCache;
use rattler_conda_types::prefix_record::{PathType, PathsEntry};
use rattler_conda_types::{MatchSpec, ParseStrictness, PrefixRecord, RepoDataRecord, Subdir};

/// The payload's record list, as `archi installer` writes it.
struct Payload {
    platform: Subdir,
    specs: Vec<MatchSpec>,
    records: Vec<RepoDataRecord>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let update = args.iter().any(|a| a == "--update");
    let positional: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let [payload, prefix] = positional[..] else {
        eprintln!("usage: archi-installer-engine PAYLOAD_DIR PREFIX [--update]");
        return ExitCode::from(2);
    };
    match run(Path::new(payload), Path::new(prefix), update) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("ERROR: {message}");
            ExitCode::from(1)
        }
    }
}

/// Installs the payload into `prefix`; returns the summary line.
fn run(payload_dir: &Path, prefix: &Path, update: bool) -> Result<String, String> {
    let payload = read_payload(payload_dir)?;
    let installed = installed_records(prefix)?;
    if !installed.is_empty() && !update {
        return Err(format!(
            "{} already holds {} package(s); use -u to update it",
            prefix.display(),
            installed.len()
        ));
    }
    // --update: the payload's packages replace installed ones of the same name, the rest are kept as they are.
    let ours: HashSet<String> = payload
        .records
        .iter()
        .map(|r| r.package_record.name.as_normalized().to_string())
        .collect();
    let before = history::dists(&installed);
    let mut desired = payload.records.clone();
    desired.extend(
        installed
            .iter()
            .filter(|r| !ours.contains(r.repodata_record.package_record.name.as_normalized()))
            .map(|r| r.repodata_record.clone()),
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let result = runtime
        .block_on(
            Installer::new()
                .with_package_cache(PackageCache::new(payload_dir.join("cache")))
                .with_target_platform(payload.platform)
                .with_execute_link_scripts(true)
                .with_installed_packages(installed)
                .with_requested_specs(payload.specs.clone())
                .install(prefix, desired),
        )
        .map_err(|e| format!("cannot install into {}: {}", prefix.display(), chain(&e)))?;
    let compiled = compile_noarch_python(prefix, &payload.records)?;
    history::append(
        prefix,
        &std::env::args().collect::<Vec<_>>(),
        &before,
        &history::dists(&installed_records(prefix)?),
        &payload.specs,
    )?;
    Ok(format!(
        "installed {} package(s) into {} ({} operation(s), {} .pyc file(s) compiled)",
        payload.records.len(),
        prefix.display(),
        result.transaction.operations.len(),
        compiled
    ))
}

/// Reads `records.json`, points every record at its archive in `pkgs/` and checks the archive's sha256.
fn read_payload(dir: &Path) -> Result<Payload, String> {
    let path = dir.join("records.json");
    let text = fs_err::read_to_string(&path).map_err(|e| e.to_string())?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let field = |name: &str| {
        value
            .get(name)
            .cloned()
            .ok_or_else(|| format!("{}: no `{name}` field", path.display()))
    };
    let platform: Subdir = serde_json::from_value(field("platform")?)
        .map_err(|e| format!("{}: platform: {e}", path.display()))?;
    let specs: Vec<String> = serde_json::from_value(field("specs")?)
        .map_err(|e| format!("{}: specs: {e}", path.display()))?;
    let specs = specs
        .iter()
        .map(|s| MatchSpec::from_str(s, ParseStrictness::Lenient))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: specs: {e}", path.display()))?;
    let mut records: Vec<RepoDataRecord> = serde_json::from_value(field("records")?)
        .map_err(|e| format!("{}: records: {e}", path.display()))?;
    for record in &mut records {
        let archive = std::path::absolute(dir.join("pkgs").join(record.identifier.to_string()))
            .map_err(|e| format!("{}: {e}", record.identifier))?;
        if let Some(expected) = record.package_record.sha256 {
            let actual = rattler_digest::compute_file_digest::<rattler_digest::Sha256>(&archive)
                .map_err(|e| format!("cannot read {}: {e}", archive.display()))?;
            if actual != expected {
                return Err(format!(
                    "{} has sha256 {}, its record says {}",
                    archive.display(),
                    hex(&actual),
                    hex(&expected)
                ));
            }
        }
        record.url = url::Url::from_file_path(&archive)
            .map_err(|()| format!("{} is not an absolute path", archive.display()))?;
    }
    Ok(Payload {
        platform,
        specs,
        records,
    })
}

/// The records of `prefix/conda-meta` (none when the prefix does not exist yet).
fn installed_records(prefix: &Path) -> Result<Vec<PrefixRecord>, String> {
    if !prefix.join("conda-meta").is_dir() {
        return Ok(Vec::new());
    }
    PrefixRecord::collect_from_prefix::<PrefixRecord>(prefix)
        .map_err(|e| format!("cannot read {}/conda-meta: {e}", prefix.display()))
}

/// Compiles the `.py` files of the payload's noarch python packages with `prefix/bin/python` (conda's
/// `compile_multiple_pyc`: `python -Wi -m compileall -q -l -i -`, the file list on stdin) and adds every `.pyc`
/// written to its package's `conda-meta` record as a `pyc_file`. Returns how many were written; no python in the
/// prefix (or no noarch python package) compiles nothing.
fn compile_noarch_python(prefix: &Path, records: &[RepoDataRecord]) -> Result<usize, String> {
    let noarch: BTreeSet<&str> = records
        .iter()
        .filter(|r| r.package_record.noarch.is_python())
        .map(|r| r.package_record.name.as_normalized())
        .collect();
    let python = prefix.join("bin/python");
    let Some(version) = records
        .iter()
        .find(|r| r.package_record.name.as_normalized() == "python")
        .map(|r| r.package_record.version.version().as_major_minor())
    else {
        return Ok(0);
    };
    let Some((major, minor)) = version else {
        return Ok(0);
    };
    if noarch.is_empty() || !python.is_file() {
        return Ok(0);
    }
    let mut compiled = 0;
    for mut record in installed_records(prefix)? {
        if !noarch.contains(record.repodata_record.package_record.name.as_normalized()) {
            continue;
        }
        let sources: Vec<PathBuf> = record
            .files
            .iter()
            .filter(|f| f.extension().is_some_and(|x| x == "py"))
            .cloned()
            .collect();
        if sources.is_empty() {
            continue;
        }
        let list: String = sources
            .iter()
            .map(|f| format!("{}\n", prefix.join(f).display()))
            .collect();
        let mut child = Command::new(&python)
            .args(["-Wi", "-m", "compileall", "-q", "-l", "-i", "-"])
            .current_dir(prefix)
            .stdin(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(list.as_bytes())
                .map_err(|e| format!("cannot write to {}: {e}", python.display()))?;
        }
        let status = child
            .wait()
            .map_err(|e| format!("{}: {e}", python.display()))?;
        if !status.success() {
            return Err(format!(
                "{} -m compileall failed ({status}) for {}",
                python.display(),
                record.repodata_record.package_record.name.as_normalized()
            ));
        }
        for source in &sources {
            let pyc = pyc_path(source, major, minor);
            if prefix.join(&pyc).is_file() && !record.files.contains(&pyc) {
                record.files.push(pyc.clone());
                record.paths_data.paths.push(PathsEntry {
                    relative_path: pyc,
                    original_path: None,
                    path_type: PathType::PycFile,
                    no_link: false,
                    sha256: None,
                    sha256_in_prefix: None,
                    size_in_bytes: None,
                    file_mode: None,
                    prefix_placeholder: None,
                });
                compiled += 1;
            }
        }
        let meta = prefix.join("conda-meta").join(record.file_name());
        record
            .write_to_path(&meta, true)
            .map_err(|e| format!("cannot write {}: {e}", meta.display()))?;
    }
    Ok(compiled)
}

/// Where CPython ≥ 3.2 writes the bytecode of `source`: `<dir>/__pycache__/<stem>.cpython-<XY>.pyc` (PEP 3147).
fn pyc_path(source: &Path, major: u64, minor: u64) -> PathBuf {
    let stem = source.file_stem().unwrap_or_default().to_string_lossy();
    source
        .parent()
        .unwrap_or(Path::new(""))
        .join("__pycache__")
        .join(format!("{stem}.cpython-{major}{minor}.pyc"))
}

/// Lowercase hex of a digest.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An error and its causes, `: `-separated.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}
