//! A local conda channel directory: publishing archives into it and writing its index.
//!
//! Layout (as conda and conda-index expect, CEP 34–36):
//!
//! ```text
//! <channel>/.archi.lock                  serialises writers (fs4 exclusive lock)
//! <channel>/.archi-publish               the journal of a publish in progress (see [`repair`])
//! <channel>/channeldata.json             per package name: newest version, subdirs, about fields
//! <channel>/<subdir>/<archive>           .conda and .tar.bz2 packages
//! <channel>/<subdir>/<archive>.provenance.json   the package's provenance statement (crate::provenance)
//! <channel>/<subdir>/repodata.json       info.subdir, packages, packages.conda, removed, repodata_version
//! <channel>/<subdir>/repodata.json.zst   the same bytes, zstd-compressed
//! <channel>/noarch/repodata.json         always present (clients treat a missing noarch as an error)
//! ```
//!
//! A record is the package's `info/index.json` plus `md5`, `sha256` and `size` of the archive, as conda-index
//! writes it. Every file is written to a temp file in its own directory, fsynced and renamed, so a reader sees
//! the old or the new file, never a partial one. Output is deterministic: sorted keys, no write times. What a
//! crash between those writes leaves is repaired by the next writer; [`repair`] says what holds when.

mod channeldata;
mod repair;
mod repodata;

pub use repair::{journal_path, published_artifacts, repair, RepairSummary, JOURNAL_FILE};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rattler_conda_types::package::IndexJson;
use rattler_conda_types::{PackageRecord, RepoData, Subdir};

use repodata::RepodataJson;

use crate::digest::{hash_stream, Digests};
use crate::fsutil::{self, WriteOptions};

/// Name of the writer lock file at the channel root.
pub const LOCK_FILE: &str = ".archi.lock";

/// Per-subdir package counts from [`index`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexSummary {
    /// Subdir name → number of records written (`packages` plus `packages.conda`); always contains `noarch`.
    pub subdirs: BTreeMap<String, usize>,
}

/// Errors of channel operations; each names the file or directory involved.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// The file is neither a `.conda` nor a `.tar.bz2` archive.
    #[error("{path} is not a conda package archive (expected a .conda or .tar.bz2 file name)")]
    UnsupportedArchive { path: PathBuf },
    /// `info/index.json` could not be read from the archive.
    #[error("cannot read info/index.json from {path}")]
    ReadIndexJson {
        path: PathBuf,
        #[source]
        source: Box<rattler_package_streaming::ExtractError>,
    },
    /// An `info/` member (about.json, paths.json, run_exports.json) could not be read from the archive.
    #[error("cannot read the info/ files of {path}")]
    ReadInfo {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The package's subdir could not be determined from its index.json.
    #[error("cannot determine the subdir of {path}")]
    Subdir {
        path: PathBuf,
        #[source]
        source: rattler_conda_types::ConvertSubdirError,
    },
    /// index.json names a subdir conda does not know.
    #[error("{path} declares unknown subdir `{subdir}`")]
    UnknownSubdir { path: PathBuf, subdir: String },
    /// An archive lies in another subdir directory than its index.json says.
    #[error("{path} is for subdir `{declared}` but lies in `{found}`")]
    WrongSubdir {
        path: PathBuf,
        declared: String,
        found: String,
    },
    /// The channel lock could not be taken.
    #[error("cannot lock channel {path}")]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Reading a file or listing a directory failed.
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Writing a file (temp file, fsync, rename) or creating a directory failed.
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The provenance statement inside an archive cannot be read.
    #[error(transparent)]
    Provenance(#[from] crate::provenance::ProvenanceError),
    /// A further publish destination (`archi build --upload`, [`crate::upload`]) failed.
    #[error("cannot publish to {destination}")]
    Remote {
        destination: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A JSON file of the channel is malformed.
    #[error("malformed JSON in {path}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// Publishes `artifact` (a `.conda` or `.tar.bz2`) into `channel`, creating the channel if needed.
///
/// Under the channel lock (`<channel>/.archi.lock`): first repairs what an earlier crash left ([`repair`]), then
/// writes the journal `<channel>/.archi-publish`, copies the archive into `<channel>/<subdir>/` (subdir from its
/// `info/index.json`), writes its provenance statement beside it (`<file>.provenance.json`: the archive's
/// `info/provenance.json` with the subject's sha256 filled in; none for an archive without one), inserts or
/// replaces its record in `<subdir>/repodata.json` (and `.zst`), makes sure `noarch/repodata.json` exists, rewrites `channeldata.json` and removes the journal. Killed at any point, the
/// channel never lists a missing archive, and the next locked writer finishes the publish (module [`repair`]).
/// Publishing the same file again leaves every index file byte-identical. Returns the record as written to
/// repodata.
pub fn publish(channel: &Path, artifact: &Path) -> Result<PackageRecord, ChannelError> {
    let kind = repodata::ArchiveKind::of(artifact)?;
    let file_name = artifact
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| ChannelError::UnsupportedArchive {
            path: artifact.to_path_buf(),
        })?
        .to_string();
    let index_json: IndexJson = rattler_package_streaming::seek::read_package_file(artifact)
        .map_err(|source| ChannelError::ReadIndexJson {
            path: artifact.to_path_buf(),
            source: Box::new(source),
        })?;
    let mut record =
        PackageRecord::from_index_json(index_json, None, None, None).map_err(|source| {
            ChannelError::Subdir {
                path: artifact.to_path_buf(),
                source,
            }
        })?;
    check_subdir(artifact, &record.subdir)?;

    create_dir(channel)?;
    let _lock = lock_channel(channel)?;
    repair::repair_locked(channel)?;
    let subdir_dir = channel.join(&record.subdir);
    create_dir(&subdir_dir)?;

    let journal = repair::Journal {
        subdir: record.subdir.clone(),
        file: file_name.clone(),
    };
    journal.write(channel)?;
    let published = subdir_dir.join(&file_name);
    let digests = copy_atomic(artifact, &published)?;
    // The outer statement: the inner one with the sha256 of the bytes just copied. Written before the archive is
    // listed; a crash before it leaves the archive without one, and the next publish of it writes it.
    write_statement(&published, &crate::digest::hex(&digests.sha256))?;
    record.md5 = Some(digests.md5);
    record.sha256 = Some(digests.sha256);
    record.size = Some(digests.size);

    let mut repodata = repodata::read_or_empty(&subdir_dir, &record.subdir)?;
    repodata.insert(kind, file_name, record.clone());
    repodata::write(&subdir_dir, &repodata)?;
    ensure_noarch(channel)?;
    channeldata::write(channel)?;
    repair::Journal::clear(channel)?;
    Ok(record)
}

/// Rebuilds the index of every subdir of `channel` from the archives present: each directory named as a conda
/// subdir (plus `noarch`, created if missing) gets a fresh `repodata.json` (and `.zst`) listing exactly its
/// archives (an archive with `info/provenance.json` but no statement beside it gets one), then `channeldata.json`
/// is rewritten and a publish journal left by a crash removed (the fresh index finishes that publish). Holds the
/// channel lock throughout. Errors name the archive or file that failed; an
/// archive whose index.json names another subdir is an error.
pub fn index(channel: &Path) -> Result<IndexSummary, ChannelError> {
    create_dir(channel)?;
    let _lock = lock_channel(channel)?;
    create_dir(&channel.join("noarch"))?;
    fsutil::remove_stale_temp_files(channel).map_err(|source| ChannelError::Write {
        path: channel.to_path_buf(),
        source,
    })?;
    let mut summary = IndexSummary::default();
    for subdir in subdir_names(channel)? {
        let dir = channel.join(&subdir);
        fsutil::remove_stale_temp_files(&dir).map_err(|source| ChannelError::Write {
            path: dir.clone(),
            source,
        })?;
        let mut repodata = RepodataJson::empty(&subdir);
        for (file_name, kind) in archives_in(&dir)? {
            let path = dir.join(&file_name);
            let record = record_from_archive(&path)?;
            if record.subdir != subdir {
                return Err(ChannelError::WrongSubdir {
                    path,
                    declared: record.subdir,
                    found: subdir,
                });
            }
            if let Some(sha256) = record.sha256 {
                if !crate::provenance::outer_path(&path).is_file() {
                    write_statement(&path, &crate::digest::hex(&sha256))?;
                }
            }
            repodata.insert(kind, file_name, record);
        }
        repodata::write(&dir, &repodata)?;
        summary.subdirs.insert(subdir, repodata.len());
    }
    channeldata::write(channel)?;
    repair::Journal::clear(channel)?;
    Ok(summary)
}

/// Writes the outer provenance statement of the archive at `path` (whose sha256 is `sha256`) beside it, atomically:
/// its `info/provenance.json` with the subject's digest filled in. Nothing for an archive without one.
fn write_statement(path: &Path, sha256: &str) -> Result<(), ChannelError> {
    if let Some(statement) = crate::provenance::outer_statement(path, sha256)? {
        write_atomic(
            &crate::provenance::outer_path(path),
            &crate::provenance::to_bytes(&statement),
        )?;
    }
    Ok(())
}

/// Every package archive of `channel`: the `.conda` and `.tar.bz2` files (dot-files skipped) of each directory
/// named as a conda subdir, sorted by subdir then file name.
///
/// Errors: [`ChannelError::Read`] naming the directory that cannot be listed.
pub fn archives(channel: &Path) -> Result<Vec<PathBuf>, ChannelError> {
    let mut out = Vec::new();
    for subdir in subdir_names(channel)? {
        let dir = channel.join(&subdir);
        for (name, _) in archives_in(&dir)? {
            out.push(dir.join(name));
        }
    }
    Ok(out)
}

/// Reads `<channel>/<subdir>/repodata.json` as rattler's [`RepoData`].
pub fn read_repodata(channel: &Path, subdir: &str) -> Result<RepoData, ChannelError> {
    let path = channel.join(subdir).join("repodata.json");
    let bytes = fs_err::read(&path).map_err(|source| ChannelError::Read {
        path: path.clone(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| ChannelError::Json { path, source })
}

/// The repodata record of an archive on disk: its index.json plus md5, sha256 and size of the file.
pub fn record_from_archive(path: &Path) -> Result<PackageRecord, ChannelError> {
    repodata::ArchiveKind::of(path)?;
    let index_json: IndexJson =
        rattler_package_streaming::seek::read_package_file(path).map_err(|source| {
            ChannelError::ReadIndexJson {
                path: path.to_path_buf(),
                source: Box::new(source),
            }
        })?;
    let mut file = fs_err::File::open(path).map_err(|source| ChannelError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let digests = hash_stream(&mut file, None).map_err(|source| ChannelError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let record = PackageRecord::from_index_json(
        index_json,
        Some(digests.size),
        Some(digests.sha256),
        Some(digests.md5),
    )
    .map_err(|source| ChannelError::Subdir {
        path: path.to_path_buf(),
        source,
    })?;
    check_subdir(path, &record.subdir)?;
    Ok(record)
}

fn check_subdir(path: &Path, subdir: &str) -> Result<(), ChannelError> {
    match subdir.parse::<Subdir>() {
        Ok(_) => Ok(()),
        Err(_) => Err(ChannelError::UnknownSubdir {
            path: path.to_path_buf(),
            subdir: subdir.to_string(),
        }),
    }
}

/// Writes an empty `noarch/repodata.json` (and `.zst`) unless one exists.
fn ensure_noarch(channel: &Path) -> Result<(), ChannelError> {
    let dir = channel.join("noarch");
    if dir.join("repodata.json").is_file() {
        return Ok(());
    }
    create_dir(&dir)?;
    repodata::write(&dir, &RepodataJson::empty("noarch"))
}

/// Directory names under `channel` that are conda subdirs, sorted.
fn subdir_names(channel: &Path) -> Result<Vec<String>, ChannelError> {
    let mut names = Vec::new();
    for (name, path) in read_dir_sorted(channel)? {
        if path.is_dir() && name.parse::<Subdir>().is_ok() {
            names.push(name);
        }
    }
    Ok(names)
}

/// Package archives in `dir` (skipping dot-files such as temp files), sorted by file name.
fn archives_in(dir: &Path) -> Result<Vec<(String, repodata::ArchiveKind)>, ChannelError> {
    let mut archives = Vec::new();
    for (name, path) in read_dir_sorted(dir)? {
        if name.starts_with('.') || !path.is_file() {
            continue;
        }
        if let Ok(kind) = repodata::ArchiveKind::of(&path) {
            archives.push((name, kind));
        }
    }
    Ok(archives)
}

/// (file name, path) of every entry of `dir` whose name is UTF-8, sorted by name.
fn read_dir_sorted(dir: &Path) -> Result<Vec<(String, PathBuf)>, ChannelError> {
    let read_err = |source| ChannelError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries = Vec::new();
    for entry in fs_err::read_dir(dir).map_err(read_err)? {
        let entry = entry.map_err(read_err)?;
        if let Ok(name) = entry.file_name().into_string() {
            entries.push((name, entry.path()));
        }
    }
    entries.sort();
    Ok(entries)
}

fn create_dir(dir: &Path) -> Result<(), ChannelError> {
    fs_err::create_dir_all(dir).map_err(|source| ChannelError::Write {
        path: dir.to_path_buf(),
        source,
    })
}

/// Takes the exclusive channel writer lock (`<channel>/.archi.lock`); released when the returned guard is dropped.
fn lock_channel(channel: &Path) -> Result<fsutil::FileLock, ChannelError> {
    let path = channel.join(LOCK_FILE);
    fsutil::lock_exclusive(&path).map_err(|source| ChannelError::Lock { path, source })
}

/// Copies `from` to `to` through a temp file in `to`'s directory (fsync, rename, fsync dir), hashing the bytes.
/// Channel files are served to other users and servers: rw-r--r--.
fn copy_atomic(from: &Path, to: &Path) -> Result<Digests, ChannelError> {
    let mut src = fs_err::File::open(from).map_err(|source| ChannelError::Read {
        path: from.to_path_buf(),
        source,
    })?;
    fsutil::copy_atomic(&mut src, to, WriteOptions::default()).map_err(|source| {
        ChannelError::Write {
            path: to.to_path_buf(),
            source,
        }
    })
}

/// Writes `bytes` to `path` atomically (temp file in the same directory, mode 0o644, fsync, rename, fsync dir).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ChannelError> {
    fsutil::write_atomic(path, bytes).map_err(|source| ChannelError::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests;
