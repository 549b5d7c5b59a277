//! The content-addressed store of built packages.
//!
//! Layout under the store root (by default `dirs::cache_dir()/archi`):
//!
//! ```text
//! <root>/v1/<key>/<artifact>        the package archive (.conda or .tar.bz2)
//! <root>/v1/<key>/manifest.json     a [`Manifest`]: content hashes and the readable hash input
//! <root>/v1/.tmp/                   entries being written; renamed into place when complete
//! <root>/v1/.locks/<key>.lock       one lock file per key, serialising writers of that key
//! <root>/v1/.use.lock               held shared by every building run, exclusively by `gc` (see [`Store::open_for_build`])
//! <root>/roots/<key>                gc roots: an entry whose key names a file here is never collected (see [`gc`])
//! <root>/work/<name>-<subdir>-<key7>  work directories of builds (kept after a failure or with --keep-work)
//! <root>/pkgs/                      rattler's package cache for build, host and test prefixes
//! <root>/sources/                   the source cache (content-addressed by sha256, written by `source`)
//! ```
//!
//! Crash safety: an entry appears by one rename and disappears by one rename (into `.tmp`, by [`gc`]), so
//! `archi store verify` passes whatever moment a writer dies. What a dead writer leaves (temp entries, work
//! directories, `.archi-tmp-*` files) is removed by [`clean::clean_leftovers`] when the next run opens the store
//! for building, skipping anything a live process holds.
//!
//! The key is the blake3 of the canonical JSON encoding of the build's inputs (see [`canonical_json`]); the
//! caller puts everything that decides the output into those inputs, including [`STORE_FORMAT_VERSION`]. An entry
//! is written into a temp dir in the same filesystem, fsynced and renamed, so readers never see half an entry
//! (the habit of uv's cache `persist`). [`Store::list`] and [`Store::verify`] look only at `v1/` entries; they
//! ignore `.tmp`, `.locks` and the `sources/` cache beside `v1/`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::fsutil;

pub mod clean;
pub mod gc;

pub use clean::{clean_leftovers, CleanSummary};
pub use gc::{gc, GcLock, GcOptions, GcSummary, RemovedEntry};

/// Version of what a store entry holds (its manifest and the package format); every manifest records it and callers
/// include it in the key inputs, so a change gives new keys. 2: packages carry `info/provenance.json`. Entries still
/// live under `<root>/v1/` (the directory layout has not changed).
pub const STORE_FORMAT_VERSION: u32 = 2;

const LAYOUT_DIR: &str = "v1";
const TMP_DIR: &str = ".tmp";
const LOCKS_DIR: &str = ".locks";
const MANIFEST_FILE: &str = "manifest.json";
const USE_LOCK_FILE: &str = ".use.lock";
const ROOTS_DIR: &str = "roots";
const WORK_DIR: &str = "work";
const PKGS_DIR: &str = "pkgs";
const SOURCES_DIR: &str = "sources";

/// A store key: 64 lowercase hex characters of a blake3 hash. Serialises as that string; parsing validates it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StoreKey(String);

/// A string that is not 64 lowercase hex characters was given as a store key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid store key `{value}`: expected 64 lowercase hex characters (a blake3 hash)")]
pub struct ParseStoreKeyError {
    /// The rejected text.
    pub value: String,
}

impl StoreKey {
    /// The first 7 hex characters, as used in build strings (`h<7 hex>_<number>`) and short displays.
    pub fn short(&self) -> &str {
        &self.0[..7]
    }

    /// The full 64-character hex string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for StoreKey {
    type Err = ParseStoreKeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let valid = s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if valid {
            Ok(StoreKey(s.to_string()))
        } else {
            Err(ParseStoreKeyError {
                value: s.to_string(),
            })
        }
    }
}

impl TryFrom<String> for StoreKey {
    type Error = ParseStoreKeyError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<StoreKey> for String {
    fn from(key: StoreKey) -> String {
        key.0
    }
}

/// The canonical JSON encoding of `inputs`: object keys sorted (by their UTF-8 bytes) at every depth, array order
/// kept, no whitespace, strings and numbers formatted as `serde_json` formats them. Same value, same text,
/// whatever order the objects were built in (the habit of rattler-build's `hash.rs`).
pub fn canonical_json(inputs: &serde_json::Value) -> String {
    let mut out = String::new();
    write_canonical(inputs, &mut out);
    out
}

fn write_canonical(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The store key of `inputs`: blake3 of [`canonical_json`]`(inputs)`, as lowercase hex.
pub fn compute_key(inputs: &serde_json::Value) -> StoreKey {
    StoreKey(
        blake3::hash(canonical_json(inputs).as_bytes())
            .to_hex()
            .to_string(),
    )
}

/// The key `inputs` (a manifest's) stand for, compared with the manifest's `key`: their hash, or for a package of a
/// multi-output build (inputs naming its `output` beside the build's) the build's key (inputs without `output`)
/// when `key` is it (the first package), else [`output_key`] of it.
fn inputs_key(inputs: &serde_json::Value, key: &StoreKey) -> StoreKey {
    let Some(output) = inputs.get("output").and_then(|o| o.as_str()) else {
        return compute_key(inputs);
    };
    let mut build_inputs = inputs.clone();
    if let Some(map) = build_inputs.as_object_mut() {
        map.remove("output");
    }
    let build = compute_key(&build_inputs);
    if &build == key {
        build
    } else {
        output_key(&build, output)
    }
}

/// The store key of the package `output` of a multi-output build whose key is `build` (every package but the
/// first): blake3 of the canonical `{"build": <build key>, "output": <name>}`.
pub fn output_key(build: &StoreKey, output: &str) -> StoreKey {
    compute_key(&serde_json::json!({"build": build.as_str(), "output": output}))
}

/// What is kept beside each artifact, as `<root>/v1/<key>/manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`STORE_FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// The entry's key; equals blake3 of `canonical_json(inputs)` and the entry's directory name.
    pub key: StoreKey,
    /// Conda package name.
    pub name: String,
    /// Conda package version.
    pub version: String,
    /// Conda build string.
    pub build: String,
    /// Conda subdir the package is for (`linux-aarch64`, `noarch`, …).
    pub subdir: String,
    /// File name of the artifact inside the entry directory.
    pub artifact: String,
    /// blake3 of the artifact's bytes, lowercase hex.
    pub blake3: String,
    /// sha256 of the artifact's bytes, lowercase hex (what repodata records carry).
    pub sha256: String,
    /// Artifact size in bytes.
    pub size: u64,
    /// The hash input, kept readable so a key can be explained.
    pub inputs: serde_json::Value,
    /// When the entry was written, milliseconds since the Unix epoch (not part of the key).
    pub created_ms: u64,
}

/// The caller-supplied fields of a new entry's [`Manifest`]; hashes, size and times are computed by
/// [`Store::insert`].
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// Conda package name.
    pub name: String,
    /// Conda package version.
    pub version: String,
    /// Conda build string.
    pub build: String,
    /// Conda subdir.
    pub subdir: String,
    /// The hash input the key was computed from.
    pub inputs: serde_json::Value,
}

/// One complete store entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreEntry {
    /// The entry's key.
    pub key: StoreKey,
    /// `<root>/v1/<key>`.
    pub dir: PathBuf,
    /// The parsed `manifest.json`.
    pub manifest: Manifest,
}

impl StoreEntry {
    /// Path of the stored artifact: `<dir>/<manifest.artifact>`.
    pub fn artifact_path(&self) -> PathBuf {
        self.dir.join(&self.manifest.artifact)
    }
}

/// A held writer lock on one key; released when dropped (the lock file's descriptor is closed).
#[derive(Debug)]
pub struct KeyLock {
    _lock: fsutil::FileLock,
}

/// One inconsistency found by [`Store::verify`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyProblem {
    /// The artifact's blake3 differs from the manifest's.
    #[error("{path}: blake3 is {actual}, manifest says {expected}")]
    Blake3Mismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    /// The artifact's sha256 differs from the manifest's.
    #[error("{path}: sha256 is {actual}, manifest says {expected}")]
    Sha256Mismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    /// The artifact's size differs from the manifest's.
    #[error("{path}: size is {actual} bytes, manifest says {expected}")]
    SizeMismatch {
        path: PathBuf,
        expected: u64,
        actual: u64,
    },
    /// The manifest's key is not blake3 of the canonical encoding of its inputs.
    #[error("{path}: manifest key {key} does not match its inputs, which hash to {computed}")]
    InputsMismatch {
        path: PathBuf,
        key: StoreKey,
        computed: StoreKey,
    },
    /// The entry directory's name is not the manifest's key.
    #[error("{dir}: directory name differs from manifest key {key}")]
    DirNameMismatch { dir: PathBuf, key: StoreKey },
    /// The entry could not be read (missing or malformed manifest, missing artifact, bad directory name).
    #[error("{path}: unreadable store entry: {reason}")]
    Unreadable { path: PathBuf, reason: String },
}

/// Errors of the store; each names the path involved.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A store directory could not be created.
    #[error("cannot create store directory {path}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A directory of the store could not be listed.
    #[error("cannot list store directory {path}")]
    ReadDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A manifest could not be read.
    #[error("cannot read store manifest {path}")]
    ReadManifest {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A manifest is not valid JSON of the expected shape.
    #[error("malformed store manifest {path}")]
    ParseManifest {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// A manifest names another key than the directory it is in.
    #[error("store manifest {path} is for key {found}, expected {expected}")]
    ManifestKey {
        path: PathBuf,
        expected: StoreKey,
        found: StoreKey,
    },
    /// The lock file of a key could not be created or locked.
    #[error("cannot lock store key file {path}")]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The artifact path has no file name.
    #[error("artifact path {path} has no file name")]
    ArtifactName { path: PathBuf },
    /// Copying the artifact into the temp entry failed.
    #[error("cannot copy artifact {from} into the store at {to}")]
    Copy {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Writing or syncing a file or directory of a new entry failed.
    #[error("cannot write store file {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Removing a leftover, an entry or a cache item failed.
    #[error("cannot remove {path}")]
    Remove {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Renaming the complete temp entry into place failed.
    #[error("cannot move store entry {from} to {to}")]
    Rename {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A held lock on the whole store's use: shared for a building run, exclusive for [`gc`]. Released when dropped.
#[derive(Debug)]
pub struct UseLock {
    _lock: fsutil::FileLock,
}

/// The store: a root directory holding `v1/` (entries) and `sources/` (the source cache).
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    /// The shared use lock of a store opened for building, held as long as any clone lives.
    _use: Option<std::sync::Arc<UseLock>>,
}

impl Store {
    /// Opens (creating as needed) the store at `root`: makes `<root>/v1/`, `<root>/v1/.tmp/` and
    /// `<root>/v1/.locks/`. Errors: [`StoreError::CreateDir`].
    pub fn open(root: &Path) -> Result<Store, StoreError> {
        let store = Store {
            root: root.to_path_buf(),
            _use: None,
        };
        for dir in [store.layout_dir(), store.tmp_dir(), store.locks_dir()] {
            fs_err::create_dir_all(&dir).map_err(|source| StoreError::CreateDir {
                path: dir.clone(),
                source,
            })?;
        }
        Ok(store)
    }

    /// Opens the store at `root` for a run that builds: takes the store's use lock shared (`<root>/v1/.use.lock`,
    /// blocking while a [`gc`] runs; held until the last clone of the returned store is dropped), then removes
    /// what dead runs left behind ([`clean_leftovers`]), and returns the store with what was removed.
    ///
    /// Errors: as [`Store::open`], [`StoreError::Lock`] for the use lock, and those of [`clean_leftovers`].
    pub fn open_for_build(root: &Path) -> Result<(Store, CleanSummary), StoreError> {
        let mut store = Store::open(root)?;
        let lock = store.lock_use(false)?;
        store._use = Some(std::sync::Arc::new(lock));
        let cleaned = clean_leftovers(&store)?;
        Ok((store, cleaned))
    }

    /// Takes the store's use lock: shared (`exclusive = false`, what building runs hold) or exclusive (what
    /// [`gc`] needs: no build runs meanwhile). Blocks until it is granted.
    ///
    /// Errors: [`StoreError::Lock`].
    pub(crate) fn lock_use(&self, exclusive: bool) -> Result<UseLock, StoreError> {
        let path = self.layout_dir().join(USE_LOCK_FILE);
        let lock = if exclusive {
            fsutil::lock_exclusive(&path)
        } else {
            fsutil::lock_shared(&path)
        }
        .map_err(|source| StoreError::Lock { path, source })?;
        Ok(UseLock { _lock: lock })
    }

    /// `<root>/work`: where builds make their work directories.
    pub fn work_root(&self) -> PathBuf {
        self.root.join(WORK_DIR)
    }

    /// `<root>/pkgs`: the package cache of build, host and test prefixes.
    pub fn package_cache(&self) -> PathBuf {
        self.root.join(PKGS_DIR)
    }

    /// `<root>/sources`: the source cache.
    pub fn sources_dir(&self) -> PathBuf {
        self.root.join(SOURCES_DIR)
    }

    /// `<root>/roots`: gc roots, one file per kept key (see [`gc`]).
    pub fn roots_dir(&self) -> PathBuf {
        self.root.join(ROOTS_DIR)
    }

    /// The store root given to [`Store::open`].
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The default store root, `<user cache dir>/archi` (e.g. `~/.cache/archi` on Linux); `None` when the platform
    /// has no cache directory.
    pub fn default_root() -> Option<PathBuf> {
        dirs::cache_dir().map(|dir| dir.join("archi"))
    }

    fn layout_dir(&self) -> PathBuf {
        self.root.join(LAYOUT_DIR)
    }

    fn tmp_dir(&self) -> PathBuf {
        self.layout_dir().join(TMP_DIR)
    }

    fn locks_dir(&self) -> PathBuf {
        self.layout_dir().join(LOCKS_DIR)
    }

    fn entry_dir(&self, key: &StoreKey) -> PathBuf {
        self.layout_dir().join(key.as_str())
    }

    /// The entry for `key`, or `None` when there is none. Reads only `<root>/v1/<key>/manifest.json` (one open
    /// and one small read); since entries appear by rename, a manifest present means a complete entry.
    /// Errors: unreadable or malformed manifest, or one naming another key.
    pub fn lookup(&self, key: &StoreKey) -> Result<Option<StoreEntry>, StoreError> {
        let dir = self.entry_dir(key);
        let path = dir.join(MANIFEST_FILE);
        let bytes = match fs_err::read(&path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(StoreError::ReadManifest { path, source }),
        };
        let manifest: Manifest =
            serde_json::from_slice(&bytes).map_err(|source| StoreError::ParseManifest {
                path: path.clone(),
                source,
            })?;
        if &manifest.key != key {
            return Err(StoreError::ManifestKey {
                path,
                expected: key.clone(),
                found: manifest.key,
            });
        }
        Ok(Some(StoreEntry {
            key: key.clone(),
            dir,
            manifest,
        }))
    }

    /// Takes the exclusive writer lock of `key` (`<root>/v1/.locks/<key>.lock`, an fs4 advisory lock), blocking
    /// until it is free. The lock is released when the returned [`KeyLock`] is dropped. Different keys never
    /// contend. Errors: [`StoreError::Lock`].
    pub fn lock(&self, key: &StoreKey) -> Result<KeyLock, StoreError> {
        let path = self.locks_dir().join(format!("{key}.lock"));
        let lock =
            fsutil::lock_exclusive(&path).map_err(|source| StoreError::Lock { path, source })?;
        Ok(KeyLock { _lock: lock })
    }

    /// Atomically adds `artifact` under `key`: copies it into a fresh temp dir under `<root>/v1/.tmp/` while
    /// computing blake3, sha256 and size, writes `manifest.json`, fsyncs both files and the dir, and renames the
    /// dir to `<root>/v1/<key>`. If the key already exists (another writer won), the temp dir is removed and the
    /// existing entry returned. The caller should hold [`Store::lock`] for `key`; without it the result is still
    /// one complete entry, only work may be wasted.
    pub fn insert(
        &self,
        key: &StoreKey,
        artifact: &Path,
        fields: NewEntry,
    ) -> Result<StoreEntry, StoreError> {
        let file_name = artifact
            .file_name()
            .and_then(|name| name.to_str())
            .ok_or_else(|| StoreError::ArtifactName {
                path: artifact.to_path_buf(),
            })?
            .to_string();
        self.insert_named(key, artifact, &file_name, fields)
    }

    /// [`Store::insert`] of a file whose name is not the artifact's (a download in a temp file): the entry keeps
    /// it as `file_name`, which must be a plain file name. Errors: as [`Store::insert`];
    /// [`StoreError::ArtifactName`] when `file_name` is empty, has a `/` or starts with a dot.
    pub fn insert_named(
        &self,
        key: &StoreKey,
        artifact: &Path,
        file_name: &str,
        fields: NewEntry,
    ) -> Result<StoreEntry, StoreError> {
        if let Some(existing) = self.lookup(key)? {
            return Ok(existing);
        }
        if file_name.is_empty() || file_name.contains('/') || file_name.starts_with('.') {
            return Err(StoreError::ArtifactName {
                path: PathBuf::from(file_name),
            });
        }
        let file_name = file_name.to_string();
        let tmp_root = self.tmp_dir();
        let mut builder = tempfile::Builder::new();
        let prefix = format!("{}-", key.short());
        builder.prefix(&prefix);
        // Entries are read by every process of the user and may be served: rwxr-xr-x, not tempfile's 0700.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o755));
        let tmp = builder
            .tempdir_in(&tmp_root)
            .map_err(|source| StoreError::CreateDir {
                path: tmp_root.clone(),
                source,
            })?;

        let stored = tmp.path().join(&file_name);
        let digests = copy_hashing(artifact, &stored)?;
        let manifest = Manifest {
            format_version: STORE_FORMAT_VERSION,
            key: key.clone(),
            name: fields.name,
            version: fields.version,
            build: fields.build,
            subdir: fields.subdir,
            artifact: file_name,
            sha256: digests.sha256_hex(),
            blake3: digests.blake3,
            size: digests.size,
            inputs: fields.inputs,
            created_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0),
        };
        let manifest_path = tmp.path().join(MANIFEST_FILE);
        let mut text =
            serde_json::to_string_pretty(&manifest).expect("a manifest always serialises");
        text.push('\n');
        fsutil::write_synced(&manifest_path, text.as_bytes()).map_err(|source| {
            StoreError::Write {
                path: manifest_path.clone(),
                source,
            }
        })?;
        sync_dir(tmp.path())?;

        let dest = self.entry_dir(key);
        let tmp_path = tmp.keep();
        match fs_err::rename(&tmp_path, &dest) {
            Ok(()) => {
                sync_dir(&self.layout_dir())?;
                Ok(StoreEntry {
                    key: key.clone(),
                    dir: dest,
                    manifest,
                })
            }
            Err(source) => {
                // Another writer renamed its complete entry first: keep theirs, drop ours.
                let _ = fs_err::remove_dir_all(&tmp_path);
                match self.lookup(key)? {
                    Some(existing) => Ok(existing),
                    None => Err(StoreError::Rename {
                        from: tmp_path,
                        to: dest,
                        source,
                    }),
                }
            }
        }
    }

    /// Every entry of `<root>/v1/`, sorted by name, version (as text), subdir, key. Skips `.tmp`, `.locks` and any
    /// other dot-entry. Errors: an unlistable directory or an unreadable manifest (use [`Store::verify`] to find
    /// all broken entries without stopping at the first).
    pub fn list(&self) -> Result<Vec<StoreEntry>, StoreError> {
        let mut entries = Vec::new();
        for dir in self.entry_dirs()? {
            let path = dir.join(MANIFEST_FILE);
            let bytes = fs_err::read(&path).map_err(|source| StoreError::ReadManifest {
                path: path.clone(),
                source,
            })?;
            let manifest: Manifest = serde_json::from_slice(&bytes)
                .map_err(|source| StoreError::ParseManifest { path, source })?;
            entries.push(StoreEntry {
                key: manifest.key.clone(),
                dir,
                manifest,
            });
        }
        entries.sort_by(|a, b| {
            let (ma, mb) = (&a.manifest, &b.manifest);
            (&ma.name, &ma.version, &ma.subdir, &a.key).cmp(&(
                &mb.name,
                &mb.version,
                &mb.subdir,
                &b.key,
            ))
        });
        Ok(entries)
    }

    /// Rehashes every entry's artifact and checks it against its manifest (blake3, sha256, size), checks that
    /// the manifest key is blake3 of `canonical_json(inputs)` and equals the directory name, and reports entries
    /// that cannot be read. Returns one [`VerifyProblem`] per mismatch, sorted by entry directory; an empty list
    /// means the store is sound. Errors only when `<root>/v1/` itself cannot be listed.
    pub fn verify(&self) -> Result<Vec<VerifyProblem>, StoreError> {
        let mut problems = Vec::new();
        for dir in self.entry_dirs()? {
            verify_entry(&dir, &mut problems);
        }
        Ok(problems)
    }

    /// Entry directories under `v1/` (everything not starting with a dot), sorted by name.
    fn entry_dirs(&self) -> Result<Vec<PathBuf>, StoreError> {
        let layout = self.layout_dir();
        let read_dir = fs_err::read_dir(&layout).map_err(|source| StoreError::ReadDir {
            path: layout.clone(),
            source,
        })?;
        let mut dirs = Vec::new();
        for item in read_dir {
            let item = item.map_err(|source| StoreError::ReadDir {
                path: layout.clone(),
                source,
            })?;
            if !item.file_name().to_string_lossy().starts_with('.') {
                dirs.push(item.path());
            }
        }
        dirs.sort();
        Ok(dirs)
    }
}

fn verify_entry(dir: &Path, problems: &mut Vec<VerifyProblem>) {
    let unreadable = |path: &Path, reason: String| VerifyProblem::Unreadable {
        path: path.to_path_buf(),
        reason,
    };
    let manifest_path = dir.join(MANIFEST_FILE);
    let manifest: Manifest = match fs_err::read(&manifest_path) {
        Err(err) => return problems.push(unreadable(&manifest_path, err.to_string())),
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(manifest) => manifest,
            Err(err) => return problems.push(unreadable(&manifest_path, err.to_string())),
        },
    };
    let dir_name = dir
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    if dir_name != manifest.key.as_str() {
        problems.push(VerifyProblem::DirNameMismatch {
            dir: dir.to_path_buf(),
            key: manifest.key.clone(),
        });
    }
    let computed = inputs_key(&manifest.inputs, &manifest.key);
    if computed != manifest.key {
        problems.push(VerifyProblem::InputsMismatch {
            path: manifest_path,
            key: manifest.key.clone(),
            computed,
        });
    }
    let artifact = dir.join(&manifest.artifact);
    let digests = match hash_file(&artifact) {
        Ok(digests) => digests,
        Err(err) => return problems.push(unreadable(&artifact, err.to_string())),
    };
    if digests.blake3 != manifest.blake3 {
        problems.push(VerifyProblem::Blake3Mismatch {
            path: artifact.clone(),
            expected: manifest.blake3.clone(),
            actual: digests.blake3.clone(),
        });
    }
    if digests.sha256_hex() != manifest.sha256 {
        problems.push(VerifyProblem::Sha256Mismatch {
            path: artifact.clone(),
            expected: manifest.sha256.clone(),
            actual: digests.sha256_hex(),
        });
    }
    if digests.size != manifest.size {
        problems.push(VerifyProblem::SizeMismatch {
            path: artifact,
            expected: manifest.size,
            actual: digests.size,
        });
    }
}

pub use crate::digest::hex;
use crate::digest::{hash_stream, Digests};

fn hash_file(path: &Path) -> std::io::Result<Digests> {
    let mut file = fs_err::File::open(path)?;
    hash_stream(&mut file, None)
}

/// Copies `from` to a new file `to`, hashing on the way, and fsyncs `to`.
fn copy_hashing(from: &Path, to: &Path) -> Result<Digests, StoreError> {
    fsutil::copy_synced(from, to).map_err(|source| StoreError::Copy {
        from: from.to_path_buf(),
        to: to.to_path_buf(),
        source,
    })
}

/// fsyncs a directory so a rename or new file in it survives a crash.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    fsutil::sync_dir(dir).map_err(|source| StoreError::Write {
        path: dir.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests;
