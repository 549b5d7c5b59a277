//! Removing what dead runs left behind: temp entries under `v1/.tmp/`, work directories under `work/` and
//! `.archi-tmp-*` files, never what a live process is using.
//!
//! How "in use" is told apart from "left behind", per kind:
//!
//! - `v1/.tmp/<key7>-…` (an entry being written, or one [`super::gc`] is deleting) and `work/<name>-<subdir>-<key7>`
//!   (a build's work directory): the writer holds the key's lock (`v1/.locks/<key>.lock`) from before it creates
//!   the directory until it is done with it. The cleaner takes, without blocking, the lock of every key whose first
//!   seven hex characters match and removes the directory only when it got them all; a lock held by a live process
//!   (or a key that is being built right now) means "skip". The kernel drops the locks of a killed process, so its
//!   leftovers are free.
//! - `.archi-tmp-*` files: each is `flock`ed by its writer through its own descriptor
//!   ([`crate::fsutil::temp_file`]); see [`crate::fsutil::remove_stale_temp_files`].
//! - `work/.trash-*`: work directories already renamed aside to be deleted ([`remove_dir_robust`]); nobody uses them.
//! - `work/.sandbox-probe-<pid>`: the sandbox probe's directory, left when archi was killed while probing; removed
//!   when no process `<pid>` exists (a reused pid only delays the removal).
//!
//! A work directory a build kept on purpose (after a failure, or with `--keep-work`) holds [`KEEP_MARKER`] and is
//! left for the user; [`super::gc`] removes those too. The source cache's `unpacked/.unpacking-*` directories are
//! the source stage's to clean.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use super::{Store, StoreError};
use crate::fsutil;

/// File a build writes into its work directory when it keeps it on purpose (a failed build, `--keep-work`):
/// [`clean_leftovers`] leaves such directories alone.
pub const KEEP_MARKER: &str = ".archi-keep";

/// Name prefix of work directories renamed aside before deletion.
pub const TRASH_PREFIX: &str = ".trash-";

/// Name prefix of the sandbox probe's directory in `work/` (`.sandbox-probe-<pid>`, see [`crate::sandbox::probe`]).
const SANDBOX_PROBE_PREFIX: &str = ".sandbox-probe-";

/// What a cleaning removed (or, for a dry run of [`super::gc`], would remove).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanSummary {
    /// Temp entries under `v1/.tmp/`, sorted.
    pub temp_entries: Vec<PathBuf>,
    /// Work directories (including `.trash-*` ones), sorted.
    pub work_dirs: Vec<PathBuf>,
    /// `.archi-tmp-*` files, sorted.
    pub temp_files: Vec<PathBuf>,
    /// Bytes of file data in all of them (apparent sizes, as `du --apparent-size` counts).
    pub bytes: u64,
}

impl CleanSummary {
    /// Number of paths removed.
    pub fn count(&self) -> usize {
        self.temp_entries.len() + self.work_dirs.len() + self.temp_files.len()
    }

    /// Whether nothing was removed.
    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }
}

/// How [`clean`] runs.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CleanMode {
    /// Report only; remove nothing.
    pub dry_run: bool,
    /// Also remove work directories kept on purpose ([`KEEP_MARKER`]).
    pub include_kept: bool,
}

/// Removes the leftovers of dead runs (see the module docs for how live ones are skipped): unlocked `v1/.tmp/`
/// entries, unlocked work directories not kept on purpose, `work/.trash-*` directories, and unlocked
/// `.archi-tmp-*` files in the store root, `v1/`, `sources/` and `sources/sha256/`. A `.trash-*` directory that
/// cannot be removed (a process still writes into it) is left for the next time.
///
/// Errors: a store directory cannot be listed ([`StoreError::ReadDir`]), a lock file cannot be opened
/// ([`StoreError::Lock`]), or a leftover cannot be removed ([`StoreError::Remove`]).
pub fn clean_leftovers(store: &Store) -> Result<CleanSummary, StoreError> {
    clean(store, CleanMode::default())
}

pub(crate) fn clean(store: &Store, mode: CleanMode) -> Result<CleanSummary, StoreError> {
    let mut summary = CleanSummary::default();
    let locks = KeyLocks::list(&store.locks_dir())?;

    for (name, path) in list_dir(&store.tmp_dir())? {
        let key7 = name.split('-').next().unwrap_or_default();
        let Some(_held) = locks.try_hold(key7)? else {
            continue;
        };
        summary.bytes += tree_size(&path);
        if !mode.dry_run {
            remove_tree(&path)?;
        }
        summary.temp_entries.push(path);
    }

    let work_root = store.work_root();
    for (name, path) in list_dir(&work_root)? {
        if name.starts_with(TRASH_PREFIX) {
            summary.bytes += tree_size(&path);
            if !mode.dry_run && fs_err::remove_dir_all(&path).is_err() {
                continue;
            }
            summary.work_dirs.push(path);
            continue;
        }
        if let Some(pid) = name.strip_prefix(SANDBOX_PROBE_PREFIX) {
            // The sandbox probe's directory, named by the probing process: stale once that process is gone.
            let live = pid.parse::<u32>().map_or(true, |pid| {
                Path::new("/proc").join(pid.to_string()).exists()
            });
            if !live {
                summary.bytes += tree_size(&path);
                if !mode.dry_run {
                    remove_tree(&path)?;
                }
                summary.work_dirs.push(path);
            }
            continue;
        }
        if name.starts_with('.') || !path.is_dir() {
            continue;
        }
        if !mode.include_kept && path.join(KEEP_MARKER).exists() {
            continue;
        }
        let key7 = name.rsplit('-').next().unwrap_or_default();
        let Some(_held) = locks.try_hold(key7)? else {
            continue;
        };
        summary.bytes += tree_size(&path);
        if !mode.dry_run {
            remove_dir_robust(&path, &work_root).map_err(|source| StoreError::Remove {
                path: path.clone(),
                source,
            })?;
        }
        summary.work_dirs.push(path);
    }

    let sources = store.sources_dir();
    for dir in [
        store.root.clone(),
        store.layout_dir(),
        sources.clone(),
        sources.join("sha256"),
    ] {
        if mode.dry_run {
            for (name, path) in list_dir(&dir)? {
                if name.starts_with(fsutil::TEMP_PREFIX) {
                    summary.bytes += tree_size(&path);
                    summary.temp_files.push(path);
                }
            }
            continue;
        }
        let removed =
            fsutil::remove_stale_temp_files(&dir).map_err(|source| StoreError::Remove {
                path: dir.clone(),
                source,
            })?;
        for (path, bytes) in removed {
            summary.bytes += bytes;
            summary.temp_files.push(path);
        }
    }
    summary.temp_entries.sort();
    summary.work_dirs.sort();
    summary.temp_files.sort();
    Ok(summary)
}

/// Removes the directory `dir` so that its name is free at once even while a straggler (a build script of a killed
/// run) still writes into it: renames it to `<trash_parent>/.trash-<name>-<pid>-<n>` (same file system), then
/// removes that tree, retrying a few times when files keep appearing ("Directory not empty"). If the trash cannot
/// be removed it stays, and [`clean_leftovers`] removes it later; that is not an error. A missing `dir` is fine.
///
/// Errors: the rename fails for another reason than a missing `dir`.
pub fn remove_dir_robust(dir: &Path, trash_parent: &Path) -> io::Result<()> {
    let name = dir
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut trash = None;
    for attempt in 0..100u32 {
        let candidate = trash_parent.join(format!(
            "{TRASH_PREFIX}{name}-{}-{attempt}",
            std::process::id()
        ));
        if candidate.exists() {
            continue;
        }
        match fs_err::rename(dir, &candidate) {
            Ok(()) => {
                trash = Some(candidate);
                break;
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound && !dir.exists() => return Ok(()),
            Err(err) if candidate.exists() => {
                tracing::debug!("trash name taken meanwhile: {err}");
            }
            Err(err) => return Err(err),
        }
    }
    let Some(trash) = trash else {
        return fs_err::remove_dir_all(dir);
    };
    for attempt in 0..5u64 {
        match fs_err::remove_dir_all(&trash) {
            Ok(()) => return Ok(()),
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(err) => {
                tracing::debug!("removing {} (attempt {attempt}): {err}", trash.display());
                std::thread::sleep(std::time::Duration::from_millis(20 * (attempt + 1)));
            }
        }
    }
    Ok(())
}

/// The lock files of `v1/.locks/`, by the first seven hex characters of their key.
pub(crate) struct KeyLocks {
    by_short: BTreeMap<String, Vec<PathBuf>>,
}

impl KeyLocks {
    pub(crate) fn list(dir: &Path) -> Result<KeyLocks, StoreError> {
        let mut by_short: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
        for (name, path) in list_dir(dir)? {
            if let Some(key) = name.strip_suffix(".lock") {
                if key.len() == 64 {
                    by_short.entry(key[..7].to_string()).or_default().push(path);
                }
            }
        }
        Ok(KeyLocks { by_short })
    }

    /// Takes, without blocking, the lock of every key starting with `key7`: `Some(locks)` when all were free (no
    /// lock file at all counts as free: nobody can be writing that key), `None` when a live process holds one.
    pub(crate) fn try_hold(&self, key7: &str) -> Result<Option<Vec<fsutil::FileLock>>, StoreError> {
        let mut held = Vec::new();
        for path in self.by_short.get(key7).into_iter().flatten() {
            match fsutil::try_lock_exclusive(path) {
                Ok(Some(lock)) => held.push(lock),
                Ok(None) => return Ok(None),
                // Removed since the listing: nobody holds it.
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(StoreError::Lock {
                        path: path.clone(),
                        source,
                    })
                }
            }
        }
        Ok(Some(held))
    }
}

/// (file name, path) of every entry of `dir`, sorted by name; a missing `dir` has none.
pub(crate) fn list_dir(dir: &Path) -> Result<Vec<(String, PathBuf)>, StoreError> {
    let read_dir = match fs_err::read_dir(dir) {
        Ok(read_dir) => read_dir,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(StoreError::ReadDir {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    let mut entries = Vec::new();
    for item in read_dir {
        let item = item.map_err(|source| StoreError::ReadDir {
            path: dir.to_path_buf(),
            source,
        })?;
        entries.push((item.file_name().to_string_lossy().into_owned(), item.path()));
    }
    entries.sort();
    Ok(entries)
}

/// Apparent size in bytes of the files under `path` (or of the file `path`), symlinks not followed; unreadable
/// parts count as 0.
pub(crate) fn tree_size(path: &Path) -> u64 {
    walkdir::WalkDir::new(path)
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|entry| entry.metadata().ok())
        .filter(|meta| !meta.is_dir())
        .map(|meta| meta.len())
        .sum()
}

/// Removes a file or a directory tree; already gone is fine.
pub(crate) fn remove_tree(path: &Path) -> Result<(), StoreError> {
    let result = if path.is_dir() && !path.is_symlink() {
        fs_err::remove_dir_all(path)
    } else {
        fs_err::remove_file(path)
    };
    match result {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(StoreError::Remove {
            path: path.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
#[path = "clean_tests.rs"]
mod tests;
