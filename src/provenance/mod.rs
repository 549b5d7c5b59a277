//! Provenance: for every package an in-toto Statement v1 whose predicate is SLSA Provenance v1, derived from the
//! package's store key input alone, so the same key gives the same statement bytes.
//!
//! Two copies of one statement:
//!
//! - **inner**, `info/provenance.json` inside the package: the subject is `[{"name": <file name>, "digest": {}}]`,
//!   an *empty* digest set (the archive's own sha256 cannot be inside it);
//! - **outer**, `<channel>/<subdir>/<file>.provenance.json` beside the package, written by the channel when it
//!   publishes the archive: the inner statement with `"digest": {"sha256": <sha256 of the .conda>}`. Nothing else
//!   differs.
//!
//! Both are written as canonical JSON (sorted keys, no whitespace, [`crate::store::canonical_json`]) and a
//! newline. The statement, abbreviated:
//!
//! ```json
//! {"_type": "https://in-toto.io/Statement/v1",
//!  "subject": [{"name": "zlib-1.3-h1234567_0.conda", "digest": {"sha256": "…"}}],
//!  "predicateType": "https://slsa.dev/provenance/v1",
//!  "predicate": {
//!   "buildDefinition": {
//!    "buildType": "urn:archi:build-type:conda-recipe:v1",
//!    "externalParameters": {"recipe": "zlib", "package": {"name", "version", "build", "subdir"},
//!                           "targetPlatform": "linux-64", "buildPlatform": "linux-64", "output": <multi-output only>},
//!    "internalParameters": {"buildKey": <blake3 of info/hash_input.json>, "storeFormat": 2, "scriptEnv": {…}},
//!    "resolvedDependencies": [
//!     {"name": "zlib-1.3.tar.gz", "uri": "https://…", "digest": {"sha256": "…"}, "annotations": {"kind": "source"}},
//!     {"name": "recipe/fix.patch", "digest": {"sha256": "…"}, "annotations": {"kind": "patch"}},
//!     {"name": "recipe/recipe.toml", "digest": {"blake3": "…"}, "annotations": {"kind": "recipe-file"}},
//!     {"name": "make-4.3-h…", "uri": "pkg:conda/make@4.3?build=h…", "digest": {"sha256": "…"},
//!      "annotations": {"kind": "build-env", "name", "version", "build"}},
//!     {"name": "toolchain/c", "uri": "file:///usr/bin/gcc", "digest": {"blake3": "…"},
//!      "annotations": {"kind": "toolchain", "program": "gcc", "version": "gcc (Debian 12.2.0-14) 12.2.0"}}]},
//!   "runDetails": {"builder": {"id": "urn:archi:builder", "version": {"archi": "0.1.0"}},
//!                  "metadata": {"invocationId": <the package's store key>}}}}
//! ```
//!
//! Dependency kinds, in this order: `source` and `patch` (each `[[source]]` then its patches: exactly the
//! `sources` list of the key input), `recipe-file`, `build-env`, `host-env`, `toolchain`, `test-toolchain`,
//! `build-machine-toolchain`. There is no time, host name, store path or random id: `startedOn`/`finishedOn` are
//! left out and the invocation id is the store key. `blake3` is not among in-toto's registered digest names; it is
//! the hash archi keys recipe files and toolchain programs with.
//!
//! [`verify`] checks packages against their statements.

pub mod verify;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::store;

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// `predicateType` of SLSA Provenance v1.
pub const PREDICATE_TYPE: &str = "https://slsa.dev/provenance/v1";
/// `buildDefinition.buildType`: an archi recipe built into a conda package, the statement laid out as this module
/// says. A name, not a location (it does not resolve).
pub const BUILD_TYPE: &str = "urn:archi:build-type:conda-recipe:v1";
/// `runDetails.builder.id`.
pub const BUILDER_ID: &str = "urn:archi:builder";
/// The version of archi that writes statements (`runDetails.builder.version.archi`).
pub const ARCHI_VERSION: &str = env!("CARGO_PKG_VERSION");
/// The inner statement's path inside a package.
pub const INFO_FILE: &str = "info/provenance.json";
/// What the outer statement's file name adds to the package's.
pub const OUTER_SUFFIX: &str = ".provenance.json";

/// What a statement is made from: the package's identity and its store key input.
#[derive(Debug, Clone, Copy)]
pub struct StatementInput<'a> {
    /// The package's file name (`<name>-<version>-<build>.conda`): the subject's name.
    pub file_name: &'a str,
    /// Package name.
    pub name: &'a str,
    /// Package version.
    pub version: &'a str,
    /// Build string.
    pub build: &'a str,
    /// The package's subdir.
    pub subdir: &'a str,
    /// The package's name when it is one output of a multi-output recipe.
    pub output: Option<&'a str>,
    /// The build's key input (`KeyInput` as JSON, what `info/hash_input.json` holds).
    pub hash_input: &'a Value,
    /// The package's store key (the build key, or [`store::output_key`] for a later output).
    pub store_key: &'a str,
    /// The archi version to name as builder.
    pub builder_version: &'a str,
}

/// Errors reading statements from packages; each names the archive.
#[derive(Debug, thiserror::Error)]
pub enum ProvenanceError {
    /// The archive or its info section cannot be read.
    #[error("cannot read the info/ files of {}", path.display())]
    Read {
        /// The archive.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// An info file is not valid JSON.
    #[error("{} of {} is not valid JSON", member, path.display())]
    Json {
        /// The archive.
        path: PathBuf,
        /// The member (`info/provenance.json`).
        member: String,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
}

/// The inner statement (empty subject digest) of the package `input` describes. Pure: the same input gives the
/// same value.
pub fn statement(input: &StatementInput) -> Value {
    let h = input.hash_input;
    let build_key = store::compute_key(h);
    let mut external = json!({
        "recipe": h["recipe"]["name"],
        "package": {
            "name": input.name,
            "version": input.version,
            "build": input.build,
            "subdir": input.subdir,
        },
        "targetPlatform": h["target_platform"],
        "buildPlatform": h["build_platform"],
    });
    if let Some(output) = input.output {
        external["output"] = Value::from(output);
    }
    json!({
        "_type": STATEMENT_TYPE,
        "subject": [{"name": input.file_name, "digest": {}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": external,
                "internalParameters": {
                    "buildKey": build_key.as_str(),
                    "storeFormat": h["format"],
                    "scriptEnv": h["script_env"],
                },
                "resolvedDependencies": resolved_dependencies(h),
            },
            "runDetails": {
                "builder": {"id": BUILDER_ID, "version": {"archi": input.builder_version}},
                "metadata": {"invocationId": input.store_key},
            },
        },
    })
}

/// The outer statement: `inner` with the subject's digest set to `{"sha256": sha256}`.
pub fn with_subject_digest(inner: &Value, sha256: &str) -> Value {
    let mut outer = inner.clone();
    if let Some(subject) = outer["subject"].get_mut(0) {
        subject["digest"] = json!({ "sha256": sha256 });
    }
    outer
}

/// The inner statement an outer one implies: its subject's digest set emptied.
pub fn without_subject_digest(outer: &Value) -> Value {
    let mut inner = outer.clone();
    if let Some(subject) = inner["subject"].get_mut(0) {
        subject["digest"] = json!({});
    }
    inner
}

/// The bytes a statement is written as: canonical JSON (sorted keys, no whitespace) and a newline.
pub fn to_bytes(statement: &Value) -> Vec<u8> {
    let mut text = store::canonical_json(statement);
    text.push('\n');
    text.into_bytes()
}

/// Where the outer statement of `archive` lies: `<archive>.provenance.json` beside it.
pub fn outer_path(archive: &Path) -> PathBuf {
    let mut name = archive.file_name().unwrap_or_default().to_os_string();
    name.push(OUTER_SUFFIX);
    archive.with_file_name(name)
}

/// The outer statement of `archive` whose sha256 is `sha256`, from the inner one it carries; `None` for a package
/// without `info/provenance.json` (not built by archi, or by an archi before statements).
///
/// Errors: [`ProvenanceError`] naming the archive.
pub fn outer_statement(archive: &Path, sha256: &str) -> Result<Option<Value>, ProvenanceError> {
    let members = read_info(archive, &[INFO_FILE])?;
    let Some(bytes) = members.get(INFO_FILE) else {
        return Ok(None);
    };
    let inner = parse_member(archive, INFO_FILE, bytes)?;
    Ok(Some(with_subject_digest(&inner, sha256)))
}

/// The bytes of the `wanted` members (`info/…`) of a `.conda` or `.tar.bz2` archive, in one pass over its info
/// section; members it lacks are absent from the map.
///
/// Errors: [`ProvenanceError::Read`] naming the archive.
pub fn read_info(
    archive: &Path,
    wanted: &[&str],
) -> Result<BTreeMap<String, Vec<u8>>, ProvenanceError> {
    let read_err = |source| ProvenanceError::Read {
        path: archive.to_path_buf(),
        source,
    };
    let file = fs_err::File::open(archive).map_err(read_err)?;
    let name = archive.to_string_lossy();
    let mut out = BTreeMap::new();
    if name.ends_with(".conda") {
        let tar = rattler_package_streaming::seek::stream_conda_info(file)
            .map_err(|err| read_err(std::io::Error::other(err)))?;
        collect(tar, wanted, &mut out).map_err(read_err)?;
    } else {
        let tar = rattler_package_streaming::read::stream_tar_bz2(file);
        collect(tar, wanted, &mut out).map_err(read_err)?;
    }
    Ok(out)
}

fn collect(
    mut tar: tar::Archive<impl Read>,
    wanted: &[&str],
    out: &mut BTreeMap<String, Vec<u8>>,
) -> std::io::Result<()> {
    for entry in tar.entries()? {
        let mut entry = entry?;
        let member = entry.path()?.to_string_lossy().into_owned();
        if wanted.contains(&member.as_str()) {
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes)?;
            out.insert(member, bytes);
        }
    }
    Ok(())
}

pub(crate) fn parse_member(
    archive: &Path,
    member: &str,
    bytes: &[u8],
) -> Result<Value, ProvenanceError> {
    serde_json::from_slice(bytes).map_err(|source| ProvenanceError::Json {
        path: archive.to_path_buf(),
        member: member.to_string(),
        source,
    })
}

/// Every input the key input names, as SLSA ResourceDescriptors, in the order the module docs give.
fn resolved_dependencies(h: &Value) -> Vec<Value> {
    let mut deps = source_dependencies(h);
    if let Some(files) = h["recipe_files"].as_object() {
        for (path, blake3) in files {
            deps.push(json!({
                "name": format!("recipe/{path}"),
                "digest": {"blake3": blake3},
                "annotations": {"kind": "recipe-file"},
            }));
        }
    }
    for (field, kind) in [("build_env", "build-env"), ("host_env", "host-env")] {
        for record in h[field].as_array().into_iter().flatten() {
            deps.push(record_dependency(record, kind));
        }
    }
    for (field, kind) in [
        ("toolchain", "toolchain"),
        ("test_toolchain", "test-toolchain"),
        ("build_machine_toolchain", "build-machine-toolchain"),
    ] {
        toolchain_dependencies(&h[field], kind, &mut deps);
    }
    deps
}

/// One descriptor per `[[source]]` and patch, in the order of the key input's `sources` (each source's hash,
/// then its patches'), named after the rendered recipe's source entries. Should the two disagree in length, the
/// hashes left over are named `source[i]`.
fn source_dependencies(h: &Value) -> Vec<Value> {
    let hashes: Vec<&str> = h["sources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| v.as_str().unwrap_or_default())
        .collect();
    let mut named: Vec<(String, Option<String>, &'static str)> = Vec::new();
    for spec in h["recipe"]["sources"].as_array().into_iter().flatten() {
        named.push(describe_origin(&spec["origin"]));
        for patch in spec["patches"].as_array().into_iter().flatten() {
            let patch = patch.as_str().unwrap_or_default();
            named.push((format!("recipe/{patch}"), None, "patch"));
        }
    }
    hashes
        .iter()
        .enumerate()
        .map(|(i, sha256)| {
            let (name, uri, kind) = named
                .get(i)
                .cloned()
                .unwrap_or_else(|| (format!("source[{i}]"), None, "source"));
            let mut dep = json!({
                "name": name,
                "digest": {"sha256": sha256},
                "annotations": {"kind": kind},
            });
            if let Some(uri) = uri {
                dep["uri"] = Value::from(uri);
            }
            dep
        })
        .collect()
}

/// (name, uri, kind) of a rendered source origin (`{"url": {…}}`, `{"file": {…}}`, `{"path": {…}}`,
/// `{"cargo_vendor": {…}}`).
fn describe_origin(origin: &Value) -> (String, Option<String>, &'static str) {
    let Some((variant, fields)) = origin.as_object().and_then(|m| m.iter().next()) else {
        return ("source".into(), None, "source");
    };
    let text = |key: &str| fields[key].as_str().map(str::to_string);
    let (name, uri) = match variant.as_str() {
        "url" => {
            let first = fields["url"][0].as_str().map(str::to_string);
            let last_segment = first
                .as_deref()
                .and_then(|u| u.rsplit('/').next())
                .map(str::to_string);
            (text("file_name").or(last_segment), first)
        }
        "file" => (text("file_name"), None),
        "path" => (text("path").map(|p| format!("recipe/{p}")), None),
        "cargo_vendor" => (text("manifest").map(|m| format!("cargo-vendor/{m}")), None),
        _ => (None, None),
    };
    (name.unwrap_or_else(|| variant.clone()), uri, "source")
}

/// A solved package record (`{name, version, build, sha256}`) as a descriptor with a conda package URL.
fn record_dependency(record: &Value, kind: &str) -> Value {
    let text = |key: &str| record[key].as_str().unwrap_or_default();
    let (name, version, build) = (text("name"), text("version"), text("build"));
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let mut dep = json!({
        "name": format!("{name}-{version}-{build}"),
        "uri": format!("pkg:conda/{}@{}?build={}", enc(name), enc(version), enc(build)),
        "digest": {},
        "annotations": {"kind": kind, "name": name, "version": version, "build": build},
    });
    if let Some(sha256) = record["sha256"].as_str() {
        dep["digest"] = json!({ "sha256": sha256 });
    }
    dep
}

/// The programs of a toolchain (`tools`, `binutils`, rust's `cargo`), each identity (`{program, path, version,
/// blake3}`) as a descriptor named `<kind>/<requirement>`, `<kind>/binutils/<VAR>`, `<kind>/rust/cargo` (kind:
/// `toolchain`, `test-toolchain`, `build-machine-toolchain`).
fn toolchain_dependencies(toolchain: &Value, kind: &str, deps: &mut Vec<Value>) {
    let empty = Map::new();
    let map = |v: &Value| v.as_object().cloned().unwrap_or_else(|| empty.clone());
    let mut push = |name: String, id: &Value| {
        let text = |key: &str| id[key].as_str().unwrap_or_default();
        deps.push(json!({
            "name": name,
            "uri": format!("file://{}", text("path")),
            "digest": {"blake3": text("blake3")},
            "annotations": {"kind": kind, "program": text("program"), "version": text("version")},
        }));
    };
    for (name, id) in &map(&toolchain["tools"]) {
        push(format!("{kind}/{name}"), id);
    }
    for (var, id) in &map(&toolchain["binutils"]) {
        push(format!("{kind}/binutils/{var}"), id);
    }
    if toolchain["rust"]["cargo"].is_object() {
        push(format!("{kind}/rust/cargo"), &toolchain["rust"]["cargo"]);
    }
}

/// The source and patch digests (`sha256`) a statement names, in order.
pub fn source_digests(statement: &Value) -> Vec<String> {
    statement["predicate"]["buildDefinition"]["resolvedDependencies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| matches!(d["annotations"]["kind"].as_str(), Some("source" | "patch")))
        .map(|d| {
            d["digest"]["sha256"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}
