//! The `source` stage: a sha256-keyed source cache, fetching, safe extraction and patching.
//!
//! A rendered recipe's `[[source]]` entries arrive here as [`SourceSpec`]s. [`prepare`] puts each one into the
//! work directory (`SRC_DIR`):
//!
//! 1. `url` and `file_name` sources are looked up in the [`SourceCache`] by sha256 (any file with the right hash
//!    satisfies them, whatever URL it came from, as Nix's fixed-output derivations do). A `url` source missing from
//!    the cache is downloaded (mirrors in order), verified, then cached; a `file_name` source (Nix's `requireFile`)
//!    can only come from the cache, through `archi source add FILE`.
//! 2. The file is extracted with [`extract_archive`] (format by magic bytes; a single top-level directory is
//!    stripped, as conda-build and rattler-build do), or copied as is when it is not an archive. `path` sources are
//!    copied from the recipe directory.
//! 3. The source's patches are applied in order with `patch -p1` semantics in the source's directory.
//!
//! A `cargo_vendor` source (the vendored crates of a Rust project, [`cargo`]) is a canonical tar of the tree
//! `cargo vendor` made, filed in the cache by `archi source vendor` and unpacked like any cached archive; the
//! build then gets a cargo configuration that replaces the registry by it ([`write_cargo_config`]).
//!
//! [`prepare`] and [`source_hashes`] return the sha256 of every source and patch, in order, for the store key.

pub mod cargo;
mod download;
mod extract;
mod patch;
#[cfg(test)]
mod tests;
mod tree;

use std::path::{Path, PathBuf};

use rattler_digest::{HashingWriter, Sha256};
use serde::{Deserialize, Serialize};

use crate::digest::hex;
use crate::fsutil;

pub use cargo::write_cargo_config;
pub use extract::{
    extract_archive, human_size, parse_size, ArchiveLimits, LimitOverrides, MAX_ENTRIES,
    RATIO_FLOOR,
};
pub use patch::apply_patch;

/// Where a source comes from, after rendering (all templates resolved).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SourceOrigin {
    /// Downloadable: mirrors tried in order; `sha256` is lowercase hex (64 digits). The file name (used in
    /// messages and for non-archive files copied into the work directory) is the last URL path segment of the
    /// first URL unless `file_name` is given.
    Url {
        url: Vec<url::Url>,
        sha256: String,
        file_name: Option<String>,
    },
    /// Nix's `requireFile`: only the cache can satisfy it; `note` says where to get the file.
    File {
        file_name: String,
        sha256: String,
        note: Option<String>,
    },
    /// A file or directory relative to the recipe directory, copied as is (never extracted, never cached).
    Path { path: PathBuf },
    /// The vendored crates of the Rust project whose `Cargo.toml` is `manifest` (relative to `SRC_DIR`): a
    /// canonical tar ([`cargo::write_canonical_tar`]) of what `cargo vendor` made, whose sha256 is `sha256` (as
    /// Nix's `cargoHash`). Only the cache can satisfy it; `archi source vendor` puts it there.
    CargoVendor { manifest: PathBuf, sha256: String },
}

impl SourceOrigin {
    /// The expected sha256 (lowercase hex) for `Url` and `File` origins; `None` for `Path`.
    pub fn sha256(&self) -> Option<&str> {
        match self {
            SourceOrigin::Url { sha256, .. }
            | SourceOrigin::File { sha256, .. }
            | SourceOrigin::CargoVendor { sha256, .. } => Some(sha256),
            SourceOrigin::Path { .. } => None,
        }
    }

    /// How errors name the source: the file name, then the URLs (`Url`), `from the source cache` (`File`) or
    /// the recipe path (`Path`), e.g. ``` `zlib-1.3.tar.gz` (https://a/zlib-1.3.tar.gz, https://b/…) ```.
    pub fn describe(&self) -> String {
        let name = self.file_name();
        match self {
            SourceOrigin::Url { url, .. } if !url.is_empty() => {
                let urls: Vec<&str> = url.iter().map(url::Url::as_str).collect();
                format!("`{name}` ({})", urls.join(", "))
            }
            SourceOrigin::Url { .. } => format!("`{name}`"),
            SourceOrigin::File { .. } => format!("`{name}` (from the source cache)"),
            SourceOrigin::Path { path } => {
                format!("`{}` (in the recipe directory)", path.display())
            }
            SourceOrigin::CargoVendor { manifest, .. } => {
                format!("the vendored crates of `{}`", manifest.display())
            }
        }
    }

    /// The file name of a `Url` (explicit, else the first URL's last path segment, else `source`) or `File`
    /// origin; for `Path`, the last component of the path.
    pub fn file_name(&self) -> String {
        match self {
            SourceOrigin::Url { url, file_name, .. } => file_name.clone().unwrap_or_else(|| {
                url.first()
                    .and_then(|u| u.path_segments()?.next_back().map(str::to_owned))
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "source".to_owned())
            }),
            SourceOrigin::File { file_name, .. } => file_name.clone(),
            SourceOrigin::Path { path } => path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "source".to_owned()),
            SourceOrigin::CargoVendor { .. } => "cargo-vendor.tar".to_owned(),
        }
    }
}

/// One `[[source]]` entry of a rendered recipe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// Where the source comes from.
    pub origin: SourceOrigin,
    /// Unified diffs relative to the recipe directory, applied in order with `-p1` in the source's directory.
    #[serde(default)]
    pub patches: Vec<PathBuf>,
    /// Where in the work directory the source lands (relative, no `..`); `None` means the work directory itself.
    #[serde(default)]
    pub target_directory: Option<PathBuf>,
    /// The recipe's overrides of the extraction caps ([`ArchiveLimits`]); left out of the JSON when empty.
    #[serde(default, skip_serializing_if = "LimitOverrides::is_empty")]
    pub limits: LimitOverrides,
}

/// How sources may be fetched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchPolicy {
    /// Never use the network: only the cache can satisfy `url` sources.
    pub offline: bool,
}

/// Errors of the source stage. Every variant names the file, URL or archive entry involved.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SourceError {
    /// A source is neither in the cache nor fetchable.
    #[error(
        "source `{file_name}` (sha256 {sha256}) is not in the source cache and could not be fetched{}; \
         fix: `archi source add {file_name}`{}",
        if *.offline { " (offline)" } else { "" },
        tried_list(.tried)
    )]
    Missing {
        file_name: String,
        sha256: String,
        /// Every URL tried, with why it failed.
        tried: Vec<(url::Url, String)>,
        offline: bool,
        #[help]
        help: String,
    },
    /// A downloaded or cached file does not have the sha256 the recipe gives.
    #[error("sha256 mismatch for `{file_name}` from {origin}: expected {expected}, got {actual}")]
    #[diagnostic(help(
        "the file changed upstream or the recipe's sha256 is wrong; nothing was cached. Check the file, then fix \
         the recipe's sha256"
    ))]
    HashMismatch {
        file_name: String,
        /// The URL (or the cache path) the file came from.
        origin: String,
        expected: String,
        actual: String,
    },
    /// A sha256 that is not 64 hex digits.
    #[error("`{value}` is not a sha256 (64 hex digits) for source `{file_name}`")]
    InvalidSha256 { file_name: String, value: String },
    /// A source origin this operation does not accept (e.g. `Path` origins are not cacheable).
    #[error("source `{}` is a path in the recipe directory, which the source cache does not hold", .path.display())]
    NotCacheable { path: PathBuf },
    /// The vendored crates of a `cargo_vendor` source are not in the source cache.
    #[error("the vendored crates of `{}` (sha256 {sha256}) are not in the source cache", .manifest.display())]
    #[diagnostic(help(
        "run `archi source vendor {recipe}`: it fetches them once through cargo (with the network) and files \
         them in the cache; builds never fetch"
    ))]
    VendorMissing {
        manifest: PathBuf,
        sha256: String,
        /// The recipe directory, for the command in the help.
        recipe: String,
    },
    /// `archi source vendor` made a vendored tree whose sha256 is not the recipe's.
    #[error(
        "the vendored crates of `{}` have sha256 {actual}, but the recipe says {expected}",
        .manifest.display()
    )]
    #[diagnostic(help(
        "the tree is filed in the source cache under {actual}: if Cargo.lock changed on purpose, put that sha256 \
         in the recipe's [[source]]"
    ))]
    VendorHashMismatch {
        manifest: PathBuf,
        expected: String,
        actual: String,
    },
    /// `cargo vendor` failed or made something archi cannot use.
    #[error("cargo vendor for `{}` failed: {reason}", .manifest.display())]
    CargoVendor { manifest: PathBuf, reason: String },
    /// A `Url` origin with an empty mirror list.
    #[error("source `{file_name}` has no URL")]
    NoUrl { file_name: String },
    /// A file name or directory from the recipe that would leave its directory.
    #[error("{what} `{}` must be a relative path without `..`", .path.display())]
    UnsafeRecipePath { what: &'static str, path: PathBuf },
    /// A `target_directory` that leads outside `SRC_DIR` through a symlink an earlier source put there.
    #[error("target_directory `{}` leads outside SRC_DIR through a symlink an earlier source put there", .path.display())]
    TargetDirectoryEscapes { path: PathBuf },
    /// An archive entry refused before anything was written for it. `archive` names the source (file name and
    /// URLs, see [`SourceOrigin::describe`]) or, for [`extract_archive`], the archive's path.
    #[error("refusing to extract entry `{entry}` of {archive}: {reason}")]
    UnsafeEntry {
        archive: String,
        entry: String,
        reason: String,
    },
    /// An archive that unpacks to more than its `max_unpacked_size`; extraction stopped there.
    #[error(
        "refusing to extract {archive}: it unpacks to more than {} (max_unpacked_size)",
        human_size(*.limit)
    )]
    #[diagnostic(help(
        "extraction stopped at the cap and nothing was kept. If the source really is that big, raise the cap in \
         its [[source]], e.g. max_unpacked_size = \"20 GiB\""
    ))]
    UnpackedTooLarge { archive: String, limit: u64 },
    /// An archive with more entries than its limit ([`MAX_ENTRIES`]); extraction stopped there.
    #[error("refusing to extract {archive}: it holds more than {limit} entries")]
    #[diagnostic(help("extraction stopped at the cap and nothing was kept"))]
    TooManyEntries { archive: String, limit: usize },
    /// An archive that unpacks to more than `max_expansion_ratio` times its size (a decompression bomb, most
    /// likely); extraction stopped there.
    #[error(
        "refusing to extract {archive}: it expands to more than {ratio} times its {} (max_expansion_ratio)",
        human_size(*.archive_bytes)
    )]
    #[diagnostic(help(
        "extraction stopped at the cap and nothing was kept; real sources expand 5 to 30 times, decompression \
         bombs thousands of times. If this source really does, raise the cap in its [[source]], e.g. \
         max_expansion_ratio = 500"
    ))]
    ExpansionRatio {
        archive: String,
        ratio: u64,
        archive_bytes: u64,
    },
    /// An archive that cannot be read or decoded.
    #[error("cannot read archive {archive}")]
    Archive {
        archive: String,
        #[source]
        source: std::io::Error,
    },
    /// A zip archive that cannot be read.
    #[error("cannot read zip archive {archive}")]
    Zip {
        archive: String,
        #[source]
        source: zip::result::ZipError,
    },
    /// A patch that cannot be parsed or does not apply.
    #[error("patch `{}` failed on `{file}`: {reason}", .patch.display())]
    Patch {
        patch: PathBuf,
        file: String,
        reason: String,
    },
    /// The HTTP client could not be created.
    #[error("cannot create the HTTP client for downloading sources")]
    HttpClient {
        #[source]
        source: reqwest::Error,
    },
    /// A file system operation failed (the cause carries the path).
    #[error("cannot {action} `{}`", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn tried_list(tried: &[(url::Url, String)]) -> String {
    let mut out = String::new();
    if !tried.is_empty() {
        out.push_str("\ntried:");
    }
    for (url, err) in tried {
        out.push_str(&format!("\n  - {url}: {err}"));
    }
    out
}

/// Shorthand for an [`SourceError::Io`] mapper.
pub(crate) fn io_err(
    action: &'static str,
    path: &Path,
) -> impl FnOnce(std::io::Error) -> SourceError {
    let path = path.to_path_buf();
    move |source| SourceError::Io {
        action,
        path,
        source,
    }
}

/// The sha256 of a file as lowercase hex, read in a streaming way.
///
/// Errors: [`SourceError::Io`] when the file cannot be read.
pub fn sha256_file(path: &Path) -> Result<String, SourceError> {
    let mut file = fs_err::File::open(path).map_err(io_err("open", path))?;
    let mut writer = HashingWriter::<_, Sha256>::new(std::io::sink());
    std::io::copy(&mut file, &mut writer).map_err(io_err("read", path))?;
    Ok(hex(&writer.finalize().1))
}

/// `value` as a lowercase sha256, or `None` when it is not 64 hex digits.
fn normalize_sha256(value: &str) -> Option<String> {
    (value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| value.to_ascii_lowercase())
}

/// Name prefix of the staging directories in `<root>/unpacked/`.
const STAGING_PREFIX: &str = ".unpacking-";
/// The lock file in `<root>/unpacked/` held while a staging directory is created and locked, and while stale ones
/// are removed.
const STAGING_GUARD: &str = ".lock";

/// Permission bits of the files of the source cache (what its temp files were always created with).
const CACHE_FILE_MODE: u32 = 0o600;

/// A content-addressed store of source files: `<root>/sha256/<lowercase hex>`, created lazily.
///
/// Files enter only through a temp file in `<root>/sha256/` that is fsynced, verified and renamed into place, so a
/// reader never sees a partial or unverified file.
#[derive(Debug, Clone)]
pub struct SourceCache {
    root: PathBuf,
}

impl SourceCache {
    /// The unpacked tree of a cached archive: `<root>/unpacked/<sha256>/`, extracted once (single top-level
    /// directory stripped, entries checked and bytes capped by `limits` as [`extract_archive`] does) into a
    /// staging directory and renamed into place, then shared by every build of that source (native and cross
    /// alike), which copy it into their work directory. The archive is fetched if needed and re-hashed before
    /// extracting, so a corrupted cache entry is an error rather than a wrong tree. Errors name the source by
    /// [`SourceOrigin::describe`] (file name and URLs), never by its cache path.
    ///
    /// The staging directory is `<root>/unpacked/.unpacking-<random>/` holding `lock` (flocked for as long as this
    /// call runs) and `tree/`; it is removed on return, and by [`SourceCache::remove_stale_staging`] if this
    /// process dies first.
    ///
    /// Errors: as [`SourceCache::fetch`], [`SourceError::HashMismatch`], and extraction errors.
    pub fn unpacked(
        &self,
        origin: &SourceOrigin,
        sha256: &str,
        file_name: &Path,
        policy: &FetchPolicy,
        limits: &ArchiveLimits,
    ) -> Result<PathBuf, SourceError> {
        let parent = self.root.join("unpacked");
        let dir = parent.join(sha256);
        if dir.is_dir() {
            return Ok(dir);
        }
        let cached = self.fetch(origin, policy)?;
        let actual = sha256_file(&cached)?;
        if actual != sha256 {
            return Err(SourceError::HashMismatch {
                file_name: file_name.display().to_string(),
                origin: cached.display().to_string(),
                expected: sha256.to_string(),
                actual,
            });
        }
        let (staging, _lock) = self.new_staging(&parent)?;
        let tree = staging.path().join("tree");
        tracing::info!(file = %file_name.display(), "extracting source");
        extract::extract_as(&cached, file_name, &tree, &origin.describe(), limits)?;
        if let Err(err) = fs_err::rename(&tree, &dir) {
            // Another build unpacked the same archive first: theirs is as good as ours (the staging directory,
            // with our tree in it, goes when `staging` drops).
            if !dir.is_dir() {
                return Err(io_err("move the unpacked source to", &dir)(err));
            }
        }
        Ok(dir)
    }

    /// A new staging directory in `parent` (created if missing) with its `lock` file held. Made under
    /// `<parent>/.lock`, so [`SourceCache::remove_stale_staging`] never sees it between creation and locking.
    fn new_staging(
        &self,
        parent: &Path,
    ) -> Result<(tempfile::TempDir, fsutil::FileLock), SourceError> {
        fs_err::create_dir_all(parent).map_err(io_err("create", parent))?;
        let guard_path = parent.join(STAGING_GUARD);
        let _guard = fsutil::lock_exclusive(&guard_path).map_err(io_err("lock", &guard_path))?;
        let staging = tempfile::Builder::new()
            .prefix(STAGING_PREFIX)
            .tempdir_in(parent)
            .map_err(io_err("create a temporary directory in", parent))?;
        let lock_path = staging.path().join("lock");
        let lock = fsutil::lock_exclusive(&lock_path).map_err(io_err("lock", &lock_path))?;
        Ok((staging, lock))
    }

    /// Removes the staging directories (`<root>/unpacked/.unpacking-*`) that no running archi holds: those whose
    /// `lock` file can be locked, or that have none (left by a process killed before it locked, or by an older
    /// archi). Call it when the cache is opened for a build; a live extraction of another process is never
    /// touched. Returns how many were removed.
    ///
    /// Errors: [`SourceError::Io`] when the directory cannot be listed, locked or a stale entry removed.
    pub fn remove_stale_staging(&self) -> Result<usize, SourceError> {
        let parent = self.root.join("unpacked");
        if !parent.is_dir() {
            return Ok(0);
        }
        let guard_path = parent.join(STAGING_GUARD);
        let _guard = fsutil::lock_exclusive(&guard_path).map_err(io_err("lock", &guard_path))?;
        let mut removed = 0;
        for entry in fs_err::read_dir(&parent).map_err(io_err("list", &parent))? {
            let entry = entry.map_err(io_err("list", &parent))?;
            let name = entry.file_name();
            if !name.to_string_lossy().starts_with(STAGING_PREFIX) {
                continue;
            }
            let path = entry.path();
            let lock_path = path.join("lock");
            let held = match fsutil::try_lock_exclusive(&lock_path) {
                Ok(lock) => lock.is_none(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
                Err(e) => return Err(io_err("lock", &lock_path)(e)),
            };
            if held {
                continue;
            }
            match fs_err::symlink_metadata(&path) {
                Ok(m) if m.is_dir() => {
                    fs_err::remove_dir_all(&path).map_err(io_err("remove", &path))?
                }
                Ok(_) => fs_err::remove_file(&path).map_err(io_err("remove", &path))?,
                Err(_) => continue,
            }
            removed += 1;
        }
        Ok(removed)
    }

    /// Opens (without creating) the cache rooted at `root`.
    pub fn open(root: &Path) -> SourceCache {
        SourceCache {
            root: root.to_path_buf(),
        }
    }

    fn dir(&self) -> PathBuf {
        self.root.join("sha256")
    }

    fn ensure_dir(&self) -> Result<PathBuf, SourceError> {
        let dir = self.dir();
        fs_err::create_dir_all(&dir).map_err(io_err("create the source cache directory", &dir))?;
        Ok(dir)
    }

    /// Adds `file` to the cache and returns its sha256 (lowercase hex). Adding a file already cached is a no-op.
    ///
    /// Errors: [`SourceError::Io`] when `file` cannot be read or the cache cannot be written.
    pub fn add(&self, file: &Path) -> Result<String, SourceError> {
        let dir = self.ensure_dir()?;
        let mut src = fs_err::File::open(file).map_err(io_err("open", file))?;
        let tmp = fsutil::temp_file(&dir, CACHE_FILE_MODE)
            .map_err(io_err("create a temp file in", &dir))?;
        let mut writer = HashingWriter::<_, Sha256>::new(tmp);
        std::io::copy(&mut src, &mut writer).map_err(io_err("copy into the source cache", file))?;
        let (tmp, hash) = writer.finalize();
        let hex = hex(&hash);
        self.persist(tmp, &hex)?;
        Ok(hex)
    }

    /// Whether the cache holds the file with this sha256 or its unpacked tree.
    pub fn has(&self, sha256: &str) -> bool {
        self.get(sha256).is_some() || self.root.join("unpacked").join(sha256).is_dir()
    }

    /// The cached file with this sha256, if present. A string that is not a sha256 gives `None`.
    pub fn get(&self, sha256: &str) -> Option<PathBuf> {
        let hex = normalize_sha256(sha256)?;
        let path = self.dir().join(hex);
        path.is_file().then_some(path)
    }

    /// Moves a fully written temp file to `sha256/<hex>` (fsync, rename, fsync of the directory). Keeps an existing
    /// entry (the temp file is then deleted).
    fn persist(&self, tmp: tempfile::NamedTempFile, hex: &str) -> Result<PathBuf, SourceError> {
        let dest = self.dir().join(hex);
        if dest.is_file() {
            return Ok(dest);
        }
        fsutil::persist(tmp, &dest).map_err(io_err("move into the source cache", &dest))?;
        // Make the rename durable; failure to sync a directory is not worth failing the build for.
        let _ = fsutil::sync_dir(&self.dir());
        Ok(dest)
    }

    /// Checks a downloaded temp file's hash against `expected` and caches it only when it matches.
    ///
    /// Errors: [`SourceError::HashMismatch`] naming `origin` (the temp file is deleted, nothing is cached).
    fn verify_and_persist(
        &self,
        tmp: tempfile::NamedTempFile,
        actual: &str,
        expected: &str,
        file_name: &str,
        origin: &str,
    ) -> Result<PathBuf, SourceError> {
        if actual != expected {
            return Err(SourceError::HashMismatch {
                file_name: file_name.to_owned(),
                origin: origin.to_owned(),
                expected: expected.to_owned(),
                actual: actual.to_owned(),
            });
        }
        self.persist(tmp, expected)
    }

    /// Returns the cached file for a `Url` or `File` origin, downloading a `Url` origin first when it is missing
    /// (mirrors in order, with reqwest's blocking client; `file://` URLs are read from disk) unless
    /// `policy.offline`. Downloads go to a temp file in the cache, are verified, then renamed into place.
    ///
    /// Call it from a thread that is not running an async runtime (reqwest's blocking client panics there).
    ///
    /// Errors: [`SourceError::NotCacheable`] for a `Path` origin; [`SourceError::InvalidSha256`];
    /// [`SourceError::Missing`] (names the file, the sha256 and every URL tried, with the `archi source add` fix)
    /// when no mirror delivered it; [`SourceError::HashMismatch`] when every mirror failed and at least one
    /// served a file with another hash.
    pub fn fetch(
        &self,
        origin: &SourceOrigin,
        policy: &FetchPolicy,
    ) -> Result<PathBuf, SourceError> {
        let file_name = origin.file_name();
        let (urls, sha256, note) = match origin {
            SourceOrigin::Path { path } => {
                return Err(SourceError::NotCacheable { path: path.clone() })
            }
            SourceOrigin::CargoVendor { manifest, sha256 } => {
                return self.get(sha256).ok_or_else(|| SourceError::VendorMissing {
                    manifest: manifest.clone(),
                    sha256: sha256.clone(),
                    recipe: "RECIPE_DIR".into(),
                })
            }
            SourceOrigin::Url { url, sha256, .. } => (url.as_slice(), sha256, None),
            SourceOrigin::File { sha256, note, .. } => (&[][..], sha256, note.as_deref()),
        };
        let sha256 = normalize_sha256(sha256).ok_or_else(|| SourceError::InvalidSha256 {
            file_name: file_name.clone(),
            value: sha256.clone(),
        })?;
        if let Some(path) = self.get(&sha256) {
            return Ok(path);
        }
        if matches!(origin, SourceOrigin::Url { .. }) && urls.is_empty() {
            return Err(SourceError::NoUrl { file_name });
        }
        let mut tried = Vec::new();
        let mut mismatch = None;
        if !policy.offline && !urls.is_empty() {
            let client = reqwest::blocking::Client::builder()
                .user_agent(concat!("archi/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(std::time::Duration::from_secs(30))
                .timeout(None)
                .build()
                .map_err(|source| SourceError::HttpClient { source })?;
            let dir = self.ensure_dir()?;
            for url in urls {
                tracing::info!(%url, file = %file_name, "downloading source");
                let (tmp, actual) = match download::download(&client, url, &dir) {
                    Ok(done) => done,
                    Err(e) => {
                        tracing::warn!(%url, error = %e, "download failed");
                        tried.push((url.clone(), e));
                        continue;
                    }
                };
                match self.verify_and_persist(tmp, &actual, &sha256, &file_name, url.as_str()) {
                    Ok(path) => return Ok(path),
                    Err(e @ SourceError::HashMismatch { .. }) => {
                        tracing::warn!(%url, error = %e, "wrong file");
                        tried.push((url.clone(), e.to_string()));
                        mismatch.get_or_insert(e);
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        if let Some(e) = mismatch {
            return Err(e);
        }
        Err(missing_error(
            file_name,
            sha256,
            tried,
            policy.offline,
            note,
        ))
    }
}

fn missing_error(
    file_name: String,
    sha256: String,
    tried: Vec<(url::Url, String)>,
    offline: bool,
    note: Option<&str>,
) -> SourceError {
    let mut help = format!(
        "get a file named `{file_name}` with sha256 {sha256} by other means, then run `archi source add {file_name}`"
    );
    if let Some(note) = note {
        help.push_str(&format!(" (the recipe says: {note})"));
    } else if offline {
        help.push_str(", or fetch again without --offline");
    }
    SourceError::Missing {
        file_name,
        sha256,
        tried,
        offline,
        help,
    }
}

/// A recipe-given relative path checked to stay inside its base (no root, no `..`).
fn safe_relative(what: &'static str, path: &Path) -> Result<PathBuf, SourceError> {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::CurDir => {}
            _ => {
                return Err(SourceError::UnsafeRecipePath {
                    what,
                    path: path.to_path_buf(),
                })
            }
        }
    }
    Ok(out)
}

/// The sha256 of every source and patch, in the order [`prepare`] uses, without fetching anything: for each spec,
/// the source's hash (the recipe's sha256 for `url`/`file_name`; for a `path` source, [`sha256_file`] of a file or
/// a tree hash of a directory: sorted entries, their kind, executable bit, content hash or link target), then the
/// sha256 of each of its patches. Use it to compute the store key before deciding whether to build.
///
/// Errors: [`SourceError::InvalidSha256`], [`SourceError::Io`] for unreadable patches or path sources.
pub fn source_hashes(specs: &[SourceSpec], recipe_dir: &Path) -> Result<Vec<String>, SourceError> {
    let mut out = Vec::new();
    for spec in specs {
        out.push(origin_hash(&spec.origin, recipe_dir)?);
        for patch in &spec.patches {
            out.push(sha256_file(&recipe_dir.join(patch))?);
        }
    }
    Ok(out)
}

fn origin_hash(origin: &SourceOrigin, recipe_dir: &Path) -> Result<String, SourceError> {
    match origin {
        SourceOrigin::Path { path } => tree::hash_path(&recipe_dir.join(path)),
        _ => {
            let sha = origin.sha256().unwrap_or_default();
            normalize_sha256(sha).ok_or_else(|| SourceError::InvalidSha256 {
                file_name: origin.file_name(),
                value: sha.to_owned(),
            })
        }
    }
}

/// Fetches every source, extracts or copies it into `work_dir` (or `work_dir/<target_directory>`), and applies its
/// patches (`patch -p1` semantics, in the source's directory). Several sources may share a directory; later files
/// replace earlier ones.
///
/// Returns the same list as [`source_hashes`]: for each spec its source's sha256 then its patches' sha256s. A cached
/// file is re-hashed before extraction, so a corrupted cache entry is an error rather than a wrong build.
///
/// Errors: any [`SourceError`]; see [`SourceCache::fetch`], [`extract_archive`] and [`apply_patch`].
pub fn prepare(
    specs: &[SourceSpec],
    cache: &SourceCache,
    recipe_dir: &Path,
    work_dir: &Path,
    policy: &FetchPolicy,
) -> Result<Vec<String>, SourceError> {
    let mut hashes = Vec::new();
    for spec in specs {
        let dest = match &spec.target_directory {
            // Resolved through the symlinks earlier sources put in SRC_DIR: it must stay inside.
            Some(dir) => {
                let rel = safe_relative("target_directory", dir)?;
                let inside = extract::resolve_inside(work_dir, &[], &rel)
                    .ok_or_else(|| SourceError::TargetDirectoryEscapes { path: dir.clone() })?;
                inside.iter().fold(work_dir.to_path_buf(), |p, c| p.join(c))
            }
            None => work_dir.to_path_buf(),
        };
        fs_err::create_dir_all(&dest).map_err(io_err("create", &dest))?;
        match &spec.origin {
            SourceOrigin::Path { path } => {
                let src = recipe_dir.join(path);
                hashes.push(tree::hash_path(&src)?);
                tree::copy_path(&src, &dest)?;
            }
            origin => {
                let expected = origin_hash(origin, recipe_dir)?;
                if let SourceOrigin::CargoVendor { manifest, .. } = origin {
                    if !cache.has(&expected) {
                        return Err(SourceError::VendorMissing {
                            manifest: manifest.clone(),
                            sha256: expected,
                            recipe: recipe_dir.display().to_string(),
                        });
                    }
                }
                let file_name = origin.file_name();
                let file_name = safe_relative("source file name", Path::new(&file_name))?;
                let limits = spec.limits.apply();
                let unpacked = cache.unpacked(origin, &expected, &file_name, policy, &limits)?;
                tree::copy_path(&unpacked, &dest)?;
                hashes.push(expected);
            }
        }
        for patch in &spec.patches {
            let patch_path = recipe_dir.join(patch);
            hashes.push(sha256_file(&patch_path)?);
            tracing::info!(patch = %patch_path.display(), "applying patch");
            apply_patch(&patch_path, &dest)?;
        }
    }
    Ok(hashes)
}
