//! `path` sources: copying a file or directory from the recipe directory as is, and hashing it for the store key.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use rattler_digest::{HashingWriter, Sha256};

use super::{io_err, sha256_file, SourceError};

/// The sha256 (lowercase hex) of a `path` source: [`sha256_file`] for a file; for a directory, the sha256 of a
/// listing with one line per entry in sorted path order: `d <path>`, `f <x|-> <sha256> <path>` (`x` when any
/// executable bit is set) or `l <target> <path>`. Paths are `/`-separated and relative to `path`.
///
/// Errors: [`SourceError::Io`] when the path or an entry cannot be read.
pub(crate) fn hash_path(path: &Path) -> Result<String, SourceError> {
    let meta = fs_err::metadata(path).map_err(io_err("read the path source", path))?;
    if !meta.is_dir() {
        return sha256_file(path);
    }
    let mut listing = String::new();
    for entry in walkdir::WalkDir::new(path)
        .min_depth(1)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| walk_err(path, e))?;
        let rel = entry
            .path()
            .strip_prefix(path)
            .unwrap_or(entry.path())
            .to_string_lossy()
            .into_owned();
        let ft = entry.file_type();
        if ft.is_dir() {
            listing.push_str(&format!("d {rel}\n"));
        } else if ft.is_symlink() {
            let target =
                fs_err::read_link(entry.path()).map_err(io_err("read the link", entry.path()))?;
            listing.push_str(&format!("l {} {rel}\n", target.to_string_lossy()));
        } else {
            let mode = fs_err::metadata(entry.path())
                .map_err(io_err("read", entry.path()))?
                .permissions()
                .mode();
            let x = if mode & 0o111 != 0 { "x" } else { "-" };
            listing.push_str(&format!("f {x} {} {rel}\n", sha256_file(entry.path())?));
        }
    }
    let mut writer = HashingWriter::<_, Sha256>::new(std::io::sink());
    std::io::Write::write_all(&mut writer, listing.as_bytes()).map_err(io_err("hash", path))?;
    Ok(crate::digest::hex(&writer.finalize().1))
}

fn walk_err(root: &Path, e: walkdir::Error) -> SourceError {
    let path = e.path().unwrap_or(root).to_path_buf();
    SourceError::Io {
        action: "walk",
        path,
        source: e.into(),
    }
}

/// Copies a `path` source into `dest`: a file lands as `dest/<file name>`; a directory's contents are copied into
/// `dest` (symlinks recreated as they are, permission bits kept). Existing files in `dest` are replaced.
///
/// Errors: [`SourceError::Io`] naming the file that could not be read or written.
pub(crate) fn copy_path(src: &Path, dest: &Path) -> Result<(), SourceError> {
    let meta = fs_err::metadata(src).map_err(io_err("read the path source", src))?;
    if !meta.is_dir() {
        let name = src
            .file_name()
            .ok_or_else(|| SourceError::UnsafeRecipePath {
                what: "path source",
                path: src.to_path_buf(),
            })?;
        let target = dest.join(name);
        remove_non_dir(&target)?;
        fs_err::copy(src, &target).map_err(io_err("copy to", &target))?;
        return Ok(());
    }
    for entry in walkdir::WalkDir::new(src)
        .min_depth(1)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| walk_err(src, e))?;
        let rel = entry.path().strip_prefix(src).unwrap_or(entry.path());
        let target = dest.join(rel);
        let ft = entry.file_type();
        if ft.is_dir() {
            if !fs_err::symlink_metadata(&target).is_ok_and(|m| m.is_dir()) {
                remove_non_dir(&target)?;
                fs_err::create_dir(&target).map_err(io_err("create", &target))?;
            }
        } else if ft.is_symlink() {
            let link =
                fs_err::read_link(entry.path()).map_err(io_err("read the link", entry.path()))?;
            remove_non_dir(&target)?;
            fs_err::os::unix::fs::symlink(&link, &target)
                .map_err(io_err("create the symlink", &target))?;
        } else {
            remove_non_dir(&target)?;
            fs_err::copy(entry.path(), &target).map_err(io_err("copy to", &target))?;
            copy_mtime(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Give `to` the modification time of `from`, so that a copied source tree looks to make and autotools as the
/// extracted one did (otherwise `configure` may want to regenerate itself).
fn copy_mtime(from: &Path, to: &Path) -> Result<(), SourceError> {
    let mtime = fs_err::metadata(from)
        .and_then(|m| m.modified())
        .map_err(io_err("read the mtime of", from))?;
    let file = fs_err::File::open(to).map_err(io_err("open", to))?;
    file.file()
        .set_modified(mtime)
        .map_err(io_err("set the mtime of", to))
}

/// Removes a file or symlink at `path` (so a copy never writes through a symlink); a directory is left alone.
fn remove_non_dir(path: &Path) -> Result<(), SourceError> {
    match fs_err::symlink_metadata(path) {
        Ok(m) if !m.is_dir() => fs_err::remove_file(path).map_err(io_err("replace", path)),
        _ => Ok(()),
    }
}
