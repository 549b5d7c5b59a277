//! The `package` stage: from the files a build script added to the host prefix to a `.conda` archive.
//!
//! 1. [`snapshot`] the prefix before and after the script; [`new_files`] is the package's file list.
//! 2. [`relocate`] rewrites ELF RUNPATHs inside the prefix to `$ORIGIN`-relative ones, in place (no patchelf), and
//!    reports which files still hold the prefix.
//! 3. [`write_conda`] stages the files beside a generated `info/` (conda-build 3's layout, CEP 34) and writes
//!    `<name>-<version>-<build>.conda` (CEP 36: a stored ZIP of `metadata.json`, `pkg-*.tar.zst`,
//!    `info-*.tar.zst`) with `rattler_package_streaming`, byte-for-byte reproducibly.

mod depends;
mod info;
pub mod paths;
pub mod python;
mod relocate;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rattler_conda_types::compression_level::CompressionLevel;
use rattler_conda_types::package::{FileMode, RunExportsJson};
use rattler_conda_types::{NoArchType, PackageName, Subdir, VersionWithSource};

use crate::fsutil;

pub use depends::{depends, elf_machine_of, is_elf, run_exports_of, DependsInput};
pub use info::index_json;
pub use paths::{paths_json, prefix_mode, relative_link_target};
pub use relocate::{relocate, relocate_as, relocate_runpath};

/// zstd worker threads for the inner archives. Fixed (not the machine's core count) so that the bytes of a
/// package never depend on the machine that wrote it; zstd's multi-threaded output depends only on its
/// parameters once at least one worker is used.
const ZSTD_THREADS: u32 = 2;

/// Payloads smaller than this are compressed at [`SMALL_PAYLOAD_LEVEL`] instead of rattler's default (15).
/// rattler streams the inner archives without telling zstd their size, so zstd sets up tables for level 15 on an
/// unknown input (tens of MB, zeroed: most of the time of packaging a small package) where, given the size, it
/// would have shrunk them itself. The level depends only on the payload, so packages stay reproducible.
const SMALL_PAYLOAD_BYTES: u64 = 1 << 20;
/// zstd level for payloads under [`SMALL_PAYLOAD_BYTES`].
const SMALL_PAYLOAD_LEVEL: i32 = 3;

/// Total size of the regular files among `paths` (symlinks not followed).
fn payload_bytes(paths: &[PathBuf]) -> u64 {
    paths
        .iter()
        .filter_map(|p| fs_err::symlink_metadata(p).ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

/// The zstd level for a package whose files add up to `payload_bytes`.
fn compression_level(payload_bytes: u64) -> CompressionLevel {
    if payload_bytes < SMALL_PAYLOAD_BYTES {
        CompressionLevel::Numeric(SMALL_PAYLOAD_LEVEL)
    } else {
        CompressionLevel::Default
    }
}

/// Zip (and so `.conda`) timestamps can express 1980-01-01 to 2107-12-31 only.
const ZIP_EPOCH_RANGE: std::ops::RangeInclusive<u64> = 315_532_800..=4_354_819_199;

/// Errors of the package stage. Every variant names the file or value concerned.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// A filesystem operation failed.
    #[error("failed to {action} {}", path.display())]
    Io {
        /// What was being done (`read`, `write`, `stat`, …).
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Walking a directory failed.
    #[error("failed to list the files under {}", path.display())]
    Walk {
        /// The directory being walked.
        path: PathBuf,
        /// The cause.
        #[source]
        source: walkdir::Error,
    },
    /// A path is not valid UTF-8 (conda's metadata holds paths as strings).
    #[error("path is not valid UTF-8: {}", path.display())]
    NonUtf8Path {
        /// The path.
        path: PathBuf,
    },
    /// A path that must be a regular file or symlink is a directory or special file.
    #[error("not a regular file or symlink: {}", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// The ELF structures needed for relocation are inconsistent.
    #[error("malformed ELF file {}: {what}", path.display())]
    MalformedElf {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// The relocated RUNPATH is longer than the original, so it cannot be written in place.
    #[error("relocated RUNPATH of {} is longer than the original ({old:?} -> {new:?}); is the host prefix padded?", path.display())]
    RunpathTooLong {
        /// The file.
        path: PathBuf,
        /// The original RUNPATH/RPATH string.
        old: String,
        /// The relocated one.
        new: String,
    },
    /// Another string reference of the dynamic string table points inside the RUNPATH string (the linker merged
    /// string tails), so rewriting it in place would corrupt that string.
    #[error("cannot rewrite RUNPATH {runpath:?} of {} in place: string table offset {other_offset} points inside it (tail-merged string)", path.display())]
    TailMergedString {
        /// The file.
        path: PathBuf,
        /// The RUNPATH/RPATH string.
        runpath: String,
        /// The other reference's offset into `.dynstr`.
        other_offset: u64,
    },
    /// A noarch package must have subdir `noarch`, and a package with subdir `noarch` must be noarch.
    #[error("package {name}: subdir {subdir} does not match its noarch setting")]
    NoarchSubdir {
        /// The package name.
        name: String,
        /// The subdir given.
        subdir: String,
    },
    /// The build string breaks CEP 26.
    #[error("invalid build string {build:?}")]
    InvalidBuildString {
        /// The build string.
        build: String,
        /// The cause.
        #[source]
        source: rattler_conda_types::package::BuildStringError,
    },
    /// A timestamp cannot be represented (archive mtimes must lie in 1980–2107).
    #[error("timestamp {value} ({unit}) is out of range for a package")]
    TimestampOutOfRange {
        /// The value given.
        value: u64,
        /// Its unit.
        unit: &'static str,
    },
    /// Two license files have the same file name, so both cannot go to `info/licenses/`.
    #[error("license file {} has the same name as another license file", path.display())]
    DuplicateLicenseName {
        /// The second file with that name.
        path: PathBuf,
    },
    /// A `.py` file holds the prefix (the installer rewrites it) but ships unchecked-hash bytecode, which the
    /// interpreter would go on using with the build prefix in it.
    #[error("{} holds the build prefix, but its bytecode {} is unchecked-hash: the installed module would keep the build prefix (compile that file with --invalidation-mode checked-hash, or ship no .pyc for it)", source_file.display(), bytecode.display())]
    StaleBytecode {
        /// The `.py` file, relative to the prefix.
        source_file: PathBuf,
        /// Its `.pyc`, relative to the prefix.
        bytecode: PathBuf,
    },
    /// A python package's files cannot be laid out as its recipe asks (noarch python, entry points).
    #[error("{}{reason}", file.as_ref().map(|f| format!("{}: ", f.display())).unwrap_or_default())]
    NoarchPython {
        /// The file concerned, relative to the prefix, if one.
        file: Option<PathBuf>,
        /// What is wrong.
        reason: String,
    },
    /// An ELF file is for another machine than the package's platform (a build-machine object in a cross build),
    /// or a noarch package holds an ELF file.
    #[error("{}: ELF machine {found} does not belong in a package for {subdir} (expected {})", file.display(), expected.map(|m| m.to_string()).unwrap_or_else(|| "no ELF files at all".into()))]
    ForeignElf {
        /// The file, relative to the prefix.
        file: PathBuf,
        /// Its `e_machine`.
        found: u16,
        /// The platform's `e_machine`; `None` for noarch.
        expected: Option<u16>,
        /// The package's subdir.
        subdir: String,
    },
    /// Serialising a metadata file failed.
    #[error("failed to serialise {}", path.display())]
    Json {
        /// The metadata file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// Writing the archive failed.
    #[error("failed to write package {}", path.display())]
    Archive {
        /// The archive being written.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

pub(crate) fn io_err(action: &'static str, path: &Path, source: std::io::Error) -> PackageError {
    PackageError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// The prefix as a string (the placeholder conda installers replace), or [`PackageError::NonUtf8Path`].
pub(crate) fn prefix_str(prefix: &Path) -> Result<&str, PackageError> {
    prefix.to_str().ok_or_else(|| PackageError::NonUtf8Path {
        path: prefix.to_path_buf(),
    })
}

/// Everything a package's `info/` holds besides the file list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PackageMetadata {
    /// Package name.
    pub name: PackageName,
    /// Package version.
    pub version: VersionWithSource,
    /// Build string (CEP 26), e.g. `h1234567_0`.
    pub build_string: String,
    /// Build number.
    pub build_number: u64,
    /// The package's subdir; must be [`Subdir::NoArch`] exactly when `noarch` is not none.
    pub subdir: Subdir,
    /// `noarch` kind (none, generic, python).
    pub noarch: NoArchType,
    /// Console scripts (`name = module:function`), listed in `info/link.json` of a noarch python package.
    pub entry_points: Vec<String>,
    /// Run requirements (match specs); written sorted to `index.json` `depends`.
    pub depends: Vec<String>,
    /// Run constraints (match specs); written sorted to `index.json` `constrains`, omitted when empty.
    pub constrains: Vec<String>,
    /// SPDX license expression.
    pub license: Option<String>,
    /// conda's license family (`BSD`, `GPL`, …).
    pub license_family: Option<String>,
    /// `index.json` timestamp, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// `info/about.json` content, already assembled by the caller (written with sorted keys).
    pub about: serde_json::Value,
    /// `info/run_exports.json`; the file is omitted when every list is empty.
    pub run_exports: RunExportsJson,
    /// `info/hash_input.json` (the store key's readable input; written with sorted keys).
    pub hash_input: serde_json::Value,
    /// `info/provenance.json`: the package's in-toto statement with an empty subject digest
    /// ([`crate::provenance::statement`]), written as canonical JSON; omitted when `None`.
    pub provenance: Option<serde_json::Value>,
    /// The recipe directory; all its files are copied to `info/recipe/`.
    pub recipe_dir: PathBuf,
    /// The rendered recipe, written as `info/recipe/rendered.json`.
    pub rendered_recipe: String,
    /// Test files: (name under `info/test/`, source file or directory).
    pub test_files: Vec<(PathBuf, PathBuf)>,
    /// Test commands, written to `info/test/run_test.sh` after a `set -ex` header; no script when empty.
    pub test_commands: Vec<String>,
    /// License files (absolute paths), copied to `info/licenses/<file name>`.
    pub license_files: Vec<PathBuf>,
    /// SOURCE_DATE_EPOCH, seconds: the mtime of every archive member (must lie in 1980–2107).
    pub source_date_epoch: u64,
}

/// What [`relocate`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelocationReport {
    /// ELF RUNPATH/RPATH rewrites: (file relative to the prefix, old string, new string).
    pub rpaths_rewritten: Vec<(PathBuf, String, String)>,
    /// Regular files that still contain the prefix after relocation, and how an installer must replace it.
    pub prefix_files: Vec<(PathBuf, FileMode)>,
}

/// Checks that every ELF file among `files` (relative to `prefix`, symlinks not followed) is for `subdir`'s machine,
/// and that a noarch package has none: a cross build that leaves a build-machine object in the package fails here,
/// not on the user's machine. `cross_targets` (a recipe's `[build] cross_target`) names further platforms whose
/// ELF files are allowed too: a cross compiler's target libraries, sysroots.
///
/// # Errors
/// [`PackageError::ForeignElf`] naming the first such file.
pub fn check_elf_machines(
    prefix: &Path,
    files: &[PathBuf],
    subdir: Subdir,
    cross_targets: &[Subdir],
) -> Result<(), PackageError> {
    let expected = crate::platform::elf_machine(subdir);
    let also: Vec<_> = cross_targets
        .iter()
        .filter_map(|t| crate::platform::elf_machine(*t))
        .collect();
    for file in files {
        let path = prefix.join(file);
        if !fs_err::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            continue;
        }
        let Some(found) = elf_machine_of(&path) else {
            continue;
        };
        if Some(found) != expected && !also.contains(&found) {
            return Err(PackageError::ForeignElf {
                file: file.clone(),
                found,
                expected,
                subdir: subdir.to_string(),
            });
        }
    }
    Ok(())
}

/// Relative paths (to `prefix`) of every file and symlink under `prefix` (directories excluded, symlinks not
/// followed), sorted. Taken before and after the build script to find what it added.
///
/// # Errors
/// [`PackageError::Walk`] naming the directory that could not be read.
pub fn snapshot(prefix: &Path) -> Result<BTreeSet<PathBuf>, PackageError> {
    let mut out = BTreeSet::new();
    for entry in walkdir::WalkDir::new(prefix).follow_links(false) {
        let entry = entry.map_err(|source| PackageError::Walk {
            path: prefix.to_path_buf(),
            source,
        })?;
        if entry.file_type().is_dir() {
            continue;
        }
        if let Ok(rel) = entry.path().strip_prefix(prefix) {
            out.insert(rel.to_path_buf());
        }
    }
    Ok(out)
}

/// The package's files: paths in `after` that are not in `before`, sorted. Files present in both are not
/// included even if the script modified them (conda-build does the same). Paths under `conda-meta/` are
/// excluded: they belong to the environment, never to a package.
pub fn new_files(before: &BTreeSet<PathBuf>, after: &BTreeSet<PathBuf>) -> Vec<PathBuf> {
    after
        .difference(before)
        .filter(|p| !p.starts_with("conda-meta"))
        .cloned()
        .collect()
}

/// Writes `<out_dir>/<name>-<version>-<build>.conda` holding `files` (relative to `prefix`) and the `info/` that
/// `meta` describes; returns its path.
///
/// Files are staged in a temporary directory in `out_dir` (hardlinked when possible, symlinks into the prefix
/// made relative), `info/` is generated there (see [`index_json`], [`paths_json`]), and
/// `rattler_package_streaming::write::write_conda_package` writes the archive with every mtime set to
/// `meta.source_date_epoch`, entries sorted, fixed zstd parameters: the same inputs give a byte-identical file.
/// The archive is written to a temporary file and renamed into place, so a reader never sees half of it.
///
/// # Errors
/// [`PackageError::Io`] naming the file, [`PackageError::TimestampOutOfRange`] for a `source_date_epoch` a ZIP
/// cannot hold, [`PackageError::NonUtf8Path`], [`PackageError::Archive`], and those of [`index_json`].
pub fn write_conda(
    prefix: &Path,
    files: &[PathBuf],
    meta: &PackageMetadata,
    out_dir: &Path,
) -> Result<PathBuf, PackageError> {
    write_conda_as(prefix, prefix_str(prefix)?, files, meta, out_dir)
}

/// [`write_conda`] for a prefix whose files are at `prefix` but which the build saw as `seen_as`: the prefix
/// placeholder of `paths.json` and `has_prefix`, and what absolute symlinks are made relative against.
///
/// # Errors
/// As [`write_conda`].
pub fn write_conda_as(
    prefix: &Path,
    seen_as: &str,
    files: &[PathBuf],
    meta: &PackageMetadata,
    out_dir: &Path,
) -> Result<PathBuf, PackageError> {
    let prefix_s = seen_as;
    if !ZIP_EPOCH_RANGE.contains(&meta.source_date_epoch) {
        return Err(PackageError::TimestampOutOfRange {
            value: meta.source_date_epoch,
            unit: "seconds",
        });
    }
    if let Some(bad) = files.iter().find(|f| f.to_str().is_none()) {
        return Err(PackageError::NonUtf8Path { path: bad.clone() });
    }
    fs_err::create_dir_all(out_dir).map_err(|e| io_err("create directory", out_dir, e))?;
    let out_dir = fs_err::canonicalize(out_dir).map_err(|e| io_err("resolve", out_dir, e))?;
    let stage = tempfile::Builder::new()
        .prefix(".archi-package-")
        .tempdir_in(&out_dir)
        .map_err(|e| io_err("create a staging directory in", &out_dir, e))?;
    let stage_path = stage.path().to_path_buf();
    let stage_path = stage_path.as_path();

    paths::stage_files(prefix, prefix_s, files, stage_path)?;
    let paths = paths_json(prefix, prefix_s, stage_path, files)?;
    paths::check_bytecode(stage_path, &paths)?;
    info::write_info(stage_path, meta, &paths)?;

    // Absolute paths under the staging directory: write_conda_package panics on relative ones.
    let mut members: Vec<PathBuf> = files.iter().map(|f| stage_path.join(f)).collect();
    for entry in walkdir::WalkDir::new(stage_path.join("info")).sort_by_file_name() {
        let entry = entry.map_err(|source| PackageError::Walk {
            path: stage_path.join("info"),
            source,
        })?;
        if !entry.file_type().is_dir() {
            members.push(entry.into_path());
        }
    }
    members.sort();

    let out_name = format!(
        "{}-{}-{}",
        meta.name.as_normalized(),
        meta.version,
        meta.build_string
    );
    let out_path = out_dir.join(format!("{out_name}.conda"));
    let archive_err = |source| PackageError::Archive {
        path: out_path.clone(),
        source,
    };
    let timestamp = jiff::Timestamp::from_second(meta.source_date_epoch as i64).map_err(|_| {
        PackageError::TimestampOutOfRange {
            value: meta.source_date_epoch,
            unit: "seconds",
        }
    })?;
    // 0o600 as the archive always had (it was tempfile's default); fsynced before and after the rename.
    let options = fsutil::WriteOptions::with_mode(0o600);
    fsutil::write_atomic_with(&out_path, options, |file| {
        rattler_package_streaming::write::write_conda_package(
            file,
            stage_path,
            &members,
            compression_level(payload_bytes(&members)),
            Some(ZSTD_THREADS),
            &out_name,
            Some(&timestamp),
            None,
        )
    })
    .map_err(archive_err)?;
    stage
        .close()
        .map_err(|e| io_err("remove the staging directory", stage_path, e))?;
    tracing::info!(package = %out_path.display(), files = files.len(), "wrote package");
    Ok(out_path)
}
