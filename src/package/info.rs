//! The `info/` directory of a package, as conda-build 3 writes it: `index.json`, `paths.json`, the legacy `files`
//! and `has_prefix`, `about.json`, `run_exports.json`, `hash_input.json`, `provenance.json`, `link.json` (noarch python),
//! `recipe/`, `test/` and `licenses/`.

use std::path::{Path, PathBuf};

use rattler_conda_types::package::{BuildString, IndexJson, PathsJson};
use rattler_conda_types::utils::TimestampMs;
use serde_json::{json, Map, Value};

use super::{io_err, PackageError, PackageMetadata};
use crate::fsutil;

/// `info/index.json` for `meta`, as a JSON value with sorted keys: name, version, build, build_number, depends
/// (sorted), constrains (sorted, omitted when empty), subdir, timestamp (ms), license, license_family, noarch
/// (omitted when none), and `arch`/`platform` from the subdir (`x86_64`/`linux`, `aarch64`/`linux`), both `null`
/// for a noarch package, as conda-build writes them.
///
/// # Errors
/// [`PackageError::NoarchSubdir`] when a noarch package's subdir is not `noarch` (or the reverse),
/// [`PackageError::InvalidBuildString`], [`PackageError::TimestampOutOfRange`].
pub fn index_json(meta: &PackageMetadata) -> Result<Value, PackageError> {
    let is_noarch_subdir = meta.subdir == rattler_conda_types::Subdir::NoArch;
    if meta.noarch.is_none() == is_noarch_subdir {
        return Err(PackageError::NoarchSubdir {
            name: meta.name.as_normalized().to_string(),
            subdir: meta.subdir.as_str().to_string(),
        });
    }
    let build: BuildString =
        meta.build_string
            .parse()
            .map_err(|source| PackageError::InvalidBuildString {
                build: meta.build_string.clone(),
                source,
            })?;
    let timestamp = i64::try_from(meta.timestamp_ms)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .ok_or(PackageError::TimestampOutOfRange {
            value: meta.timestamp_ms,
            unit: "milliseconds",
        })?;
    let mut depends = meta.depends.clone();
    depends.sort();
    let mut constrains = meta.constrains.clone();
    constrains.sort();
    let index = IndexJson {
        arch: meta.subdir.arch().map(|a| a.as_str().to_string()),
        build,
        build_number: meta.build_number,
        constrains,
        depends,
        extra_depends: Default::default(),
        features: None,
        flags: Vec::new(),
        license: meta.license.clone(),
        license_family: meta.license_family.clone(),
        name: meta.name.clone(),
        noarch: meta.noarch,
        platform: meta.subdir.only_platform().map(str::to_string),
        purls: None,
        python_site_packages_path: None,
        repodata_revision: None,
        subdir: Some(meta.subdir.as_str().to_string()),
        timestamp: Some(TimestampMs::from_timestamp_millis(timestamp)),
        track_features: Vec::new(),
        version: meta.version.clone(),
    };
    let mut value = serde_json::to_value(&index).map_err(|source| PackageError::Json {
        path: PathBuf::from("info/index.json"),
        source,
    })?;
    if let Value::Object(map) = &mut value {
        map.entry("arch").or_insert(Value::Null);
        map.entry("platform").or_insert(Value::Null);
    }
    Ok(sort_keys(value))
}

/// Writes every `info/` file for `meta` under `stage/info`; `paths` is the package's `paths.json` (already built
/// from the staged files). Returns nothing; the caller lists `stage/info` afterwards.
///
/// # Errors
/// [`PackageError::Io`] naming the file, [`PackageError::Json`], [`PackageError::DuplicateLicenseName`], and those
/// of [`index_json`].
pub fn write_info(
    stage: &Path,
    meta: &PackageMetadata,
    paths: &PathsJson,
) -> Result<(), PackageError> {
    let info = stage.join("info");
    mkdir(&info)?;
    write_json(&info.join("index.json"), &index_json(meta)?)?;
    write_json(
        &info.join("paths.json"),
        &to_json(paths, "info/paths.json")?,
    )?;

    let mut files = String::new();
    let mut has_prefix = String::new();
    for entry in &paths.paths {
        let rel = entry.relative_path.to_string_lossy();
        files.push_str(&rel);
        files.push('\n');
        if let Some(p) = &entry.prefix_placeholder {
            let mode = match p.file_mode {
                rattler_conda_types::package::FileMode::Binary => "binary",
                rattler_conda_types::package::FileMode::Text => "text",
            };
            has_prefix.push_str(&format!("{} {mode} {rel}\n", p.placeholder));
        }
    }
    write_bytes(&info.join("files"), files.as_bytes())?;
    if !has_prefix.is_empty() {
        write_bytes(&info.join("has_prefix"), has_prefix.as_bytes())?;
    }

    write_json(&info.join("about.json"), &sort_keys(meta.about.clone()))?;
    let run_exports = to_json(&meta.run_exports, "info/run_exports.json")?;
    if run_exports.as_object().is_some_and(|m| !m.is_empty()) {
        write_json(&info.join("run_exports.json"), &run_exports)?;
    }
    write_json(
        &info.join("hash_input.json"),
        &sort_keys(meta.hash_input.clone()),
    )?;
    if let Some(statement) = &meta.provenance {
        write_bytes(
            &info.join("provenance.json"),
            &crate::provenance::to_bytes(statement),
        )?;
    }
    if meta.noarch.is_python() {
        write_json(
            &info.join("link.json"),
            &json!({
                "noarch": {"entry_points": meta.entry_points, "type": "python"},
                "package_metadata_version": 1
            }),
        )?;
    }

    let recipe = info.join("recipe");
    mkdir(&recipe)?;
    copy_tree(&meta.recipe_dir, &recipe)?;
    let rendered = recipe.join("rendered.json");
    if rendered.exists() {
        tracing::warn!(recipe = %meta.recipe_dir.display(), "recipe's own rendered.json is replaced by the rendered recipe");
    }
    write_bytes(&rendered, meta.rendered_recipe.as_bytes())?;

    if !meta.test_commands.is_empty() || !meta.test_files.is_empty() {
        let test = info.join("test");
        mkdir(&test)?;
        if !meta.test_commands.is_empty() {
            let script = format!("set -ex\n\n{}\n", meta.test_commands.join("\n"));
            write_bytes(&test.join("run_test.sh"), script.as_bytes())?;
        }
        for (name, source) in &meta.test_files {
            copy_tree(source, &test.join(name))?;
        }
    }

    if !meta.license_files.is_empty() {
        let licenses = info.join("licenses");
        mkdir(&licenses)?;
        for source in &meta.license_files {
            let name = source.file_name().ok_or_else(|| PackageError::NotAFile {
                path: source.clone(),
            })?;
            let dest = licenses.join(name);
            if dest.exists() {
                return Err(PackageError::DuplicateLicenseName {
                    path: source.clone(),
                });
            }
            copy_tree(source, &dest)?;
        }
    }
    Ok(())
}

/// Copies a file, or a directory tree (files sorted, symlinks followed), from `source` to `dest`
/// ([`fsutil::copy_tree`]). Errors: [`PackageError::Walk`] when `source` cannot be walked, else
/// [`PackageError::Io`] naming `source` (the cause names the file or directory that failed).
fn copy_tree(source: &Path, dest: &Path) -> Result<(), PackageError> {
    fsutil::copy_tree(source, dest).map_err(|err| match fsutil::into_walk_error(err) {
        Ok(walk) => PackageError::Walk {
            path: source.to_path_buf(),
            source: walk,
        },
        Err(err) => io_err("copy", source, err),
    })
}

/// A JSON value with every object's keys sorted, recursively (conda-build writes `sort_keys=True`).
fn sort_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sort_keys(v)))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

fn to_json<T: serde::Serialize>(value: &T, name: &str) -> Result<Value, PackageError> {
    serde_json::to_value(value).map_err(|source| PackageError::Json {
        path: PathBuf::from(name),
        source,
    })
}

fn write_json(path: &Path, value: &Value) -> Result<(), PackageError> {
    let text = serde_json::to_string_pretty(value).map_err(|source| PackageError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    write_bytes(path, text.as_bytes())
}

fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), PackageError> {
    fs_err::write(path, bytes).map_err(|e| io_err("write", path, e))
}

fn mkdir(path: &Path) -> Result<(), PackageError> {
    fs_err::create_dir_all(path).map_err(|e| io_err("create directory", path, e))
}
