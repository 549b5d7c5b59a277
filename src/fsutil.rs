//! File-system plumbing shared by the store, the channel, the source cache and the packager: atomic writes and
//! copies (temp file in the destination's directory, fsync, rename, fsync of the directory), fsync helpers, an
//! advisory lock file, and a tree copy.
//!
//! Every function returns [`std::io::Error`]s that name the path involved, as `fs_err`'s do (the message says what
//! failed on which path, [`std::error::Error::source`] gives the OS error), so each caller maps them into its own
//! error enum with its own description of what was being done.

use std::fmt;
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::digest::{hash_stream, Digests};

/// File name prefix of the temp files this module creates beside their destination (`.archi-tmp-XXXXXX`). Being
/// dot-files, they are skipped by the listings of the channel and the store.
pub const TEMP_PREFIX: &str = ".archi-tmp-";

/// Permission bits of files written with [`WriteOptions::default`]: `rw-r--r--`.
pub const DEFAULT_MODE: u32 = 0o644;

/// How [`write_atomic_with`] and [`copy_atomic`] write their file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// Permission bits of the new file (`0o644`, `0o755`, …), set exactly (not filtered by the umask).
    pub mode: u32,
    /// Whether to fsync the file before the rename and its directory after it, so the new content survives a
    /// crash. Scratch trees that a crash discards anyway (a build's prefix, a work directory) can skip it.
    pub sync: bool,
}

impl Default for WriteOptions {
    /// [`DEFAULT_MODE`], synced.
    fn default() -> Self {
        WriteOptions {
            mode: DEFAULT_MODE,
            sync: true,
        }
    }
}

impl WriteOptions {
    /// Synced, with permission bits `mode`.
    pub fn with_mode(mode: u32) -> Self {
        WriteOptions {
            mode,
            ..WriteOptions::default()
        }
    }
}

/// An I/O error with what was being done and the path it was done to, displayed as fs-err displays its errors.
#[derive(Debug)]
struct PathError {
    what: &'static str,
    path: PathBuf,
    source: io::Error,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "failed to {} `{}`", self.what, self.path.display())
    }
}

impl std::error::Error for PathError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// A mapper that wraps an [`io::Error`] so its message names `path` (its kind is kept).
fn with_path<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> io::Error + 'a {
    move |source| {
        io::Error::new(
            source.kind(),
            PathError {
                what,
                path: path.to_path_buf(),
                source,
            },
        )
    }
}

/// The directory a file `path` lives in (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Creates an empty temp file `<dir>/.archi-tmp-XXXXXX` with permission bits exactly `mode`; it is deleted when
/// the returned handle is dropped unless [`persist`]ed.
///
/// The file is `flock`ed exclusively through its own descriptor for as long as the handle lives (until after the
/// rename, for [`persist`] and [`write_atomic_with`]), so [`remove_stale_temp_files`] can tell the temp file of a
/// live writer (locked) from one a killed process left behind (unlocked: the kernel drops the lock with the
/// process).
///
/// Errors: the temp file cannot be created in `dir`, or its permissions cannot be set or it cannot be locked.
pub fn temp_file(dir: &Path, mode: u32) -> io::Result<tempfile::NamedTempFile> {
    let tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)
        .map_err(with_path("create a temp file in", dir))?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode & 0o7777))
        .map_err(with_path("set the permissions of", tmp.path()))?;
    fs4::fs_std::FileExt::try_lock_exclusive(tmp.as_file())
        .map_err(with_path("lock", tmp.path()))?;
    Ok(tmp)
}

/// Removes the `.archi-tmp-*` files directly in `dir` that no live process is writing: each is opened and
/// `flock`ed without blocking (see [`temp_file`]); one that is locked belongs to a live writer and is kept, one
/// that can be locked is removed (after checking that the name still points at the locked file). A missing `dir`
/// has none. Returns the removed paths with their sizes in bytes, sorted by path.
///
/// Errors: `dir` cannot be listed, or a stale temp file cannot be removed.
pub fn remove_stale_temp_files(dir: &Path) -> io::Result<Vec<(PathBuf, u64)>> {
    let entries = match fs_err::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            names.push(entry.path());
        }
    }
    names.sort();
    let mut removed = Vec::new();
    for path in names {
        let file = match fs_err::File::open(&path) {
            Ok(file) => file,
            // Renamed into place or removed by its writer since the listing.
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err),
        };
        if !matches!(
            fs4::fs_std::FileExt::try_lock_exclusive(file.file()),
            Ok(true)
        ) {
            continue;
        }
        let opened = file.metadata()?;
        let still_there = fs_err::symlink_metadata(&path).is_ok_and(|now| {
            use std::os::unix::fs::MetadataExt;
            now.dev() == opened.dev() && now.ino() == opened.ino()
        });
        if still_there {
            match fs_err::remove_file(&path) {
                Ok(()) => removed.push((path, opened.len())),
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) => return Err(err),
            }
        }
    }
    Ok(removed)
}

/// Moves a fully written temp file to `dest` (replacing any file there): fsyncs it, then renames it. The rename is
/// atomic when `dest` is in the temp file's file system (create the temp file with [`temp_file`] in `dest`'s
/// directory). Does not fsync the directory: call [`sync_dir`] when the rename itself must be durable.
///
/// Errors: the fsync or the rename failed; the temp file is then deleted and `dest` left as it was.
pub fn persist(tmp: tempfile::NamedTempFile, dest: &Path) -> io::Result<()> {
    let (file, temp_path) = tmp.into_parts();
    let file = fs_err::File::from_parts(file, &*temp_path);
    file.sync_all()?;
    // Closed only after the rename: the descriptor holds the lock that marks the temp file as live.
    rename_temp(temp_path, dest)?;
    drop(file);
    Ok(())
}

/// Renames a temp path to `dest` and disarms its deletion; on error the temp file is deleted.
fn rename_temp(temp_path: tempfile::TempPath, dest: &Path) -> io::Result<()> {
    fs_err::rename(&temp_path, dest)?;
    // The file now lives at `dest`: only stop the guard from deleting the (no longer existing) temp name.
    let _ = temp_path.keep();
    Ok(())
}

/// Writes `bytes` to `path` atomically with [`WriteOptions::default`] (mode 0o644, synced): readers see the old
/// file or the new one, never a partial one. See [`write_atomic_with`].
///
/// Errors: as [`write_atomic_with`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(path, WriteOptions::default(), |file| file.write_all(bytes))
}

/// Writes `path` atomically: creates `<dir of path>/.archi-tmp-XXXXXX` with `options.mode`, lets `fill` write it
/// (the file is `Write + Seek`, for writers such as a ZIP archive that seek back), fsyncs it, renames it over
/// `path`, and fsyncs the directory (the two fsyncs only when `options.sync`). Returns what `fill` returned.
/// The directory must exist.
///
/// Errors: the temp file cannot be created, `fill` fails (its error is returned as is), or the fsync, rename or
/// directory fsync fails. Whatever fails, the temp file is deleted and `path` is left as it was (except for a
/// failed directory fsync, which happens after the rename).
pub fn write_atomic_with<T>(
    path: &Path,
    options: WriteOptions,
    fill: impl FnOnce(&mut fs_err::File) -> io::Result<T>,
) -> io::Result<T> {
    let dir = parent_dir(path);
    let (file, temp_path) = temp_file(dir, options.mode)?.into_parts();
    let mut file = fs_err::File::from_parts(file, &*temp_path);
    let value = fill(&mut file)?;
    if options.sync {
        file.sync_all()?;
    }
    // Closed only after the rename: the descriptor holds the lock that marks the temp file as live.
    rename_temp(temp_path, path)?;
    drop(file);
    if options.sync {
        sync_dir(dir)?;
    }
    Ok(value)
}

/// Copies everything `from` yields to `to` atomically (as [`write_atomic_with`]), computing its [`Digests`] on the
/// way. The caller opens the source, so it can tell a missing source from a failed write.
///
/// Errors: a read of `from` (as `from` reports it: open it with `fs_err` to have the path named) or anything
/// [`write_atomic_with`] reports; `to` is then left as it was.
pub fn copy_atomic(from: &mut impl Read, to: &Path, options: WriteOptions) -> io::Result<Digests> {
    write_atomic_with(to, options, |file| hash_stream(from, Some(file)))
}

/// Copies file `from` to a new file `to` (created or truncated, not atomically), computing its [`Digests`] on the
/// way, and fsyncs `to`. For files inside a directory that is itself renamed into place once complete.
///
/// Errors: `from` cannot be opened or read, or `to` cannot be created, written or synced.
pub fn copy_synced(from: &Path, to: &Path) -> io::Result<Digests> {
    let mut src = fs_err::File::open(from)?;
    let mut dst = fs_err::File::create(to)?;
    let digests = hash_stream(&mut src, Some(&mut dst))?;
    dst.sync_all()?;
    Ok(digests)
}

/// Writes `bytes` to `path` (created or truncated, not atomically) and fsyncs it.
///
/// Errors: `path` cannot be created, written or synced.
pub fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = fs_err::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// fsyncs the directory `dir`, so that files created, renamed or removed in it stay so after a crash.
///
/// Errors: `dir` cannot be opened or synced.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    fs_err::File::open(dir)?.sync_all()
}

/// A held exclusive advisory lock on a lock file (see [`lock_exclusive`]); released when dropped.
#[derive(Debug)]
pub struct FileLock {
    file: fs_err::File,
}

impl FileLock {
    /// The lock file's path.
    pub fn path(&self) -> &Path {
        self.file.path()
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // Closing the descriptor releases the lock too; unlocking first also covers descriptors inherited by
        // child processes.
        let _ = fs4::fs_std::FileExt::unlock(self.file.file());
    }
}

/// Takes an exclusive advisory lock (fs4's `lock_exclusive`, `flock` on Unix) on the lock file `path`, creating it
/// if missing (never truncating it), and blocks until the lock is free. Only other holders of a lock on the same
/// file are excluded; the file's content is not used.
///
/// Errors: the lock file cannot be opened or created (its directory must exist), or locking fails.
pub fn lock_exclusive(path: &Path) -> io::Result<FileLock> {
    let file = fs_err::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    fs4::fs_std::FileExt::lock_exclusive(file.file()).map_err(with_path("lock", path))?;
    Ok(FileLock { file })
}

/// Tries once to take an exclusive advisory lock on the existing lock file `path` (never created here): `Some`
/// when taken, `None` when another holder has it.
///
/// Errors: the file cannot be opened (`NotFound` when it does not exist), or locking fails otherwise.
pub fn try_lock_exclusive(path: &Path) -> io::Result<Option<FileLock>> {
    let file = fs_err::OpenOptions::new().write(true).open(path)?;
    let taken =
        fs4::fs_std::FileExt::try_lock_exclusive(file.file()).map_err(with_path("lock", path))?;
    Ok(taken.then_some(FileLock { file }))
}

/// Takes a shared advisory lock (`flock(LOCK_SH)`) on the lock file `path`, creating it if missing, and blocks
/// while an exclusive holder has it. Any number of shared holders coexist; [`lock_exclusive`] waits for all of
/// them to go.
///
/// Errors: the lock file cannot be opened or created (its directory must exist), or locking fails.
pub fn lock_shared(path: &Path) -> io::Result<FileLock> {
    let file = fs_err::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    fs4::fs_std::FileExt::lock_shared(file.file()).map_err(with_path("lock", path))?;
    Ok(FileLock { file })
}

/// Copies a file, or a directory tree, from `source` to `dest`, materialising it: symlinks are followed (the copy
/// holds the files they point to), entries are visited in file-name order, missing parent directories of `dest`
/// are created, existing files are overwritten. A file `source` is copied to `dest` itself (not into it); a
/// directory `source` gives a directory `dest` with the same relative paths. File permissions are copied, times
/// are not.
///
/// Errors: walking `source` fails (the error wraps the `walkdir::Error`; [`into_walk_error`] recovers it), or a
/// directory cannot be created or a file copied (fs-err errors naming the path).
pub fn copy_tree(source: &Path, dest: &Path) -> io::Result<()> {
    for entry in walkdir::WalkDir::new(source)
        .follow_links(true)
        .sort_by_file_name()
    {
        let entry = entry?;
        let rel = entry.path().strip_prefix(source).unwrap_or(Path::new(""));
        let target = if rel.as_os_str().is_empty() {
            dest.to_path_buf()
        } else {
            dest.join(rel)
        };
        if entry.file_type().is_dir() {
            fs_err::create_dir_all(&target)?;
        } else {
            if let Some(parent) = target.parent() {
                fs_err::create_dir_all(parent)?;
            }
            fs_err::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// The `walkdir::Error` inside an [`io::Error`] made from one (as [`copy_tree`] returns walk failures), or the
/// error itself when it is another kind of failure.
pub fn into_walk_error(err: io::Error) -> Result<walkdir::Error, io::Error> {
    if !err
        .get_ref()
        .is_some_and(|inner| inner.is::<walkdir::Error>())
    {
        return Err(err);
    }
    let kind = err.kind();
    let inner = err.into_inner().expect("checked above");
    inner
        .downcast::<walkdir::Error>()
        .map(|walk| *walk)
        .map_err(|inner| io::Error::new(kind, inner))
}

#[cfg(test)]
mod tests;
