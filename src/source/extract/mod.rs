//! Safe extraction of source archives (tar, tar.gz, tar.bz2, tar.xz, tar.zst, zip), detected by magic bytes.
//!
//! Every entry is checked before anything is written for it: no absolute paths, no `..` components, no writing
//! through a symlink that leaves the destination, no absolute symlink targets, no symlink or hard link target
//! outside the destination, no second entry with the path of an earlier one (after normalisation: `./a`, `a` and
//! `l/a` with `l -> .` are one path), no sparse files. Symlinks already extracted are followed when resolving (so a
//! chain of links cannot escape), and the finished tree is checked once more before it is moved into place.
//! Unpacked bytes are counted while the archive streams and extraction stops at the caps of [`ArchiveLimits`].

mod limits;
#[cfg(test)]
mod tests;
mod zip_names;

use std::collections::{HashMap, VecDeque};
use std::ffi::OsString;
use std::io::{BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::{io_err, SourceError};
pub use limits::{human_size, parse_size, ArchiveLimits, LimitOverrides, MAX_ENTRIES, RATIO_FLOOR};
use limits::{Budget, Counted, Exceeded};

/// The most symlinks followed while resolving one path (Linux's `MAXSYMLINKS`).
const MAX_SYMLINK_HOPS: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    None,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Tar(Compression),
    Zip,
    /// Not an archive: copied as is.
    Plain,
}

/// Extracts `archive` into `dest` (created if missing): tar (plain, gzip, bzip2, xz, zstd) or zip, detected by
/// magic bytes, not by name. When the archive holds a single top-level directory, its contents land directly in
/// `dest` (as conda-build and rattler-build strip it). A file that is not an archive (or a compressed file that is
/// not a tar) is copied into `dest` under its own file name. Regular files keep their executable bits (modes are
/// normalised to 0644/0755) and tar mtimes; symlinks are recreated; devices and fifos are skipped.
///
/// At most `limits.max_unpacked_size` bytes, and (past [`RATIO_FLOOR`]) at most `limits.max_expansion_ratio` times
/// the archive's size, are unpacked (counted as [`ArchiveLimits`] says); extraction stops as soon as a cap is
/// passed. On any error nothing is moved into `dest` (the staging directory inside it is removed).
///
/// Errors: [`SourceError::UnsafeEntry`] naming the archive and the entry, raised before anything is written for
/// that entry (absolute path, `..`, symlink or hard link leaving `dest`, absolute symlink target, a path already
/// extracted, a GNU or PAX sparse file); [`SourceError::UnpackedTooLarge`] / [`SourceError::ExpansionRatio`] at a
/// cap; [`SourceError::Archive`] / [`SourceError::Zip`] for unreadable archives; [`SourceError::Io`].
pub fn extract_archive(
    archive: &Path,
    dest: &Path,
    limits: &ArchiveLimits,
) -> Result<(), SourceError> {
    let name =
        archive
            .file_name()
            .map(PathBuf::from)
            .ok_or_else(|| SourceError::UnsafeRecipePath {
                what: "archive",
                path: archive.to_path_buf(),
            })?;
    let label = format!("`{}`", archive.display());
    extract_as(archive, &name, dest, &label, limits)
}

/// [`extract_archive`], with `file_name` (a safe relative path) used when the file is not an archive and is copied
/// (cache entries are named by their hash, not their file name), and `label` naming the archive in errors (the
/// source's file name and URLs rather than the cache path).
pub(crate) fn extract_as(
    archive: &Path,
    file_name: &Path,
    dest: &Path,
    label: &str,
    limits: &ArchiveLimits,
) -> Result<(), SourceError> {
    fs_err::create_dir_all(dest).map_err(io_err("create", dest))?;
    let format = detect(archive, label)?;
    if format == Format::Plain {
        let target = dest.join(file_name);
        if let Some(parent) = target.parent() {
            fs_err::create_dir_all(parent).map_err(io_err("create", parent))?;
        }
        if fs_err::symlink_metadata(&target).is_ok_and(|m| !m.is_dir()) {
            fs_err::remove_file(&target).map_err(io_err("replace", &target))?;
        }
        fs_err::copy(archive, &target).map_err(io_err("copy to", &target))?;
        return Ok(());
    }
    let staging = tempfile::Builder::new()
        .prefix(".archi-extract-")
        .tempdir_in(dest)
        .map_err(io_err("create a staging directory in", dest))?;
    let archive_bytes = fs_err::metadata(archive)
        .map_err(io_err("read", archive))?
        .len();
    let mut writer = Writer {
        label: label.to_owned(),
        root: staging.path().to_path_buf(),
        budget: Budget::new(*limits, archive_bytes),
        seen: HashMap::new(),
    };
    let result = match format {
        Format::Tar(compression) => extract_tar(archive, compression, &mut writer),
        Format::Zip => extract_zip(archive, &mut writer),
        Format::Plain => unreachable!("handled above"),
    };
    // A cap passed anywhere (the counting reader surfaces it as a read error) is reported as itself.
    if let Some(exceeded) = writer.budget.exceeded() {
        return Err(writer.cap_error(exceeded));
    }
    result?;
    let (content_root, prefix) = strip_root(staging.path())?;
    check_tree(label, &content_root, &prefix)?;
    merge_move(&content_root, dest)?;
    Ok(())
}

fn read_err(label: &str) -> impl FnOnce(std::io::Error) -> SourceError {
    let archive = label.to_owned();
    move |source| SourceError::Archive { archive, source }
}

/// Reads the format from the magic bytes; a compressed stream counts as a tar only if its first block is one.
fn detect(path: &Path, label: &str) -> Result<Format, SourceError> {
    let mut head = Vec::with_capacity(512);
    let file = fs_err::File::open(path).map_err(io_err("open", path))?;
    file.take(512)
        .read_to_end(&mut head)
        .map_err(read_err(label))?;
    let compression = if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(b"BZh") {
        Compression::Bzip2
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        Compression::Xz
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Ok(Format::Zip);
    } else {
        Compression::None
    };
    if compression != Compression::None {
        let mut first = Vec::with_capacity(512);
        // A stream that fails to decode is not treated as a tar here; it is copied as is.
        let _ = decoder(path, compression, label)?
            .take(512)
            .read_to_end(&mut first);
        head = first;
    }
    Ok(if is_tar_header(&head) {
        Format::Tar(compression)
    } else {
        Format::Plain
    })
}

/// A 512-byte block with the `ustar` magic or a valid header checksum (old v7 tars have no magic).
fn is_tar_header(block: &[u8]) -> bool {
    if block.len() < 512 {
        return false;
    }
    if &block[257..262] == b"ustar" {
        return true;
    }
    let field = String::from_utf8_lossy(&block[148..156]);
    let Ok(stored) = u32::from_str_radix(field.trim_matches(|c: char| c == '\0' || c == ' '), 8)
    else {
        return false;
    };
    let sum: u32 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                u32::from(b' ')
            } else {
                u32::from(b)
            }
        })
        .sum();
    block[0] != 0 && sum == stored
}

fn decoder(
    path: &Path,
    compression: Compression,
    label: &str,
) -> Result<Box<dyn Read>, SourceError> {
    let file = BufReader::new(fs_err::File::open(path).map_err(io_err("open", path))?);
    Ok(match compression {
        Compression::None => Box::new(file),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(file)),
        Compression::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(file)),
        Compression::Xz => Box::new(xz2::read::XzDecoder::new_multi_decoder(file)),
        Compression::Zstd => {
            Box::new(zstd::stream::read::Decoder::with_buffer(file).map_err(read_err(label))?)
        }
    })
}

/// What an archive entry is, independent of the archive format.
enum Kind<'r> {
    Dir,
    File {
        mode: u32,
        mtime: Option<SystemTime>,
        data: &'r mut dyn Read,
        /// Whether the data still has to be charged to the budget (tar streams are counted as a whole).
        charge: bool,
    },
    Symlink(PathBuf),
    /// Target relative to the archive root.
    HardLink(PathBuf),
}

fn extract_tar(
    archive: &Path,
    compression: Compression,
    writer: &mut Writer,
) -> Result<(), SourceError> {
    let label = writer.label.clone();
    let stream = Counted {
        inner: decoder(archive, compression, &label)?,
        budget: writer.budget.clone(),
    };
    let mut tar = tar::Archive::new(stream);
    for entry in tar.entries().map_err(read_err(&label))? {
        let mut entry = entry.map_err(read_err(&label))?;
        let path = entry.path().map_err(read_err(&label))?.into_owned();
        let sparse_pax = entry
            .pax_extensions()
            .map_err(read_err(&label))?
            .is_some_and(|mut exts| {
                exts.any(|e| e.is_ok_and(|e| e.key_bytes().starts_with(b"GNU.sparse.")))
            });
        let header = entry.header();
        let ty = header.entry_type();
        if ty == tar::EntryType::GNUSparse || sparse_pax {
            let claimed = header
                .as_gnu()
                .and_then(|h| h.real_size().ok())
                .map(|n| format!(" claiming {}", human_size(n)))
                .unwrap_or_default();
            return Err(writer.unsafe_entry(
                &path,
                format!("it is a sparse file{claimed}; archi does not extract sparse entries"),
            ));
        }
        let mode = header.mode().unwrap_or(0o644);
        let mtime = header
            .mtime()
            .ok()
            .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s));
        let link = entry
            .link_name()
            .map_err(read_err(&label))?
            .map(|l| l.into_owned());
        use tar::EntryType as T;
        let kind = match ty {
            // The stream is already counted: file data is not charged twice.
            T::Regular | T::Continuous => Kind::File {
                mode,
                mtime,
                data: &mut entry,
                charge: false,
            },
            T::Directory => Kind::Dir,
            T::Symlink | T::Link => {
                let Some(target) = link else {
                    return Err(writer.unsafe_entry(&path, "link without a target"));
                };
                if ty == T::Symlink {
                    Kind::Symlink(target)
                } else {
                    Kind::HardLink(target)
                }
            }
            T::XGlobalHeader | T::XHeader | T::GNULongName | T::GNULongLink => continue,
            other => {
                tracing::warn!(archive = %label, entry = %path.display(), kind = ?other,
                    "skipping archive entry that is not a file, directory or link");
                continue;
            }
        };
        writer.write(&path, kind)?;
    }
    Ok(())
}

fn extract_zip(archive: &Path, writer: &mut Writer) -> Result<(), SourceError> {
    let label = writer.label.clone();
    let zip_err = |source| SourceError::Zip {
        archive: label.clone(),
        source,
    };
    let mut file = BufReader::new(fs_err::File::open(archive).map_err(io_err("open", archive))?);
    // The zip crate keeps one entry per name; a name given twice is visible only in the raw central directory.
    if let Some(name) = zip_names::first_duplicate(&mut file) {
        return Err(writer.unsafe_entry(
            Path::new(&name),
            "the archive holds two entries with this path (duplicate entries are refused)",
        ));
    }
    let mut zip = zip::ZipArchive::new(file).map_err(zip_err)?;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(zip_err)?;
        let path = PathBuf::from(entry.name());
        let mode = entry.unix_mode();
        if mode.is_some_and(|m| m & 0o170000 == 0o120000) {
            let mut target = String::new();
            Counted {
                inner: (&mut entry).take(4096),
                budget: writer.budget.clone(),
            }
            .read_to_string(&mut target)
            .map_err(read_err(&label))?;
            writer.write(&path, Kind::Symlink(PathBuf::from(target)))?;
        } else if entry.is_dir() {
            writer.write(&path, Kind::Dir)?;
        } else {
            let mtime = entry.last_modified().and_then(zip_time);
            let mode = mode.unwrap_or(0o644);
            writer.write(
                &path,
                Kind::File {
                    mode,
                    mtime,
                    data: &mut entry,
                    charge: true,
                },
            )?;
        }
    }
    Ok(())
}

/// A zip (MS-DOS, local time without zone) timestamp, read as UTC.
fn zip_time(t: zip::DateTime) -> Option<SystemTime> {
    let dt = jiff::civil::DateTime::new(
        i16::try_from(t.year()).ok()?,
        i8::try_from(t.month()).ok()?,
        i8::try_from(t.day()).ok()?,
        i8::try_from(t.hour()).ok()?,
        i8::try_from(t.minute()).ok()?,
        i8::try_from(t.second()).ok()?,
        0,
    )
    .ok()?;
    let secs = dt
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()?
        .timestamp()
        .as_second();
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}

/// Writes checked entries under `root` (the staging directory).
struct Writer {
    /// Names the archive in errors.
    label: String,
    root: PathBuf,
    budget: Budget,
    /// Every path written (resolved components under `root`), and whether it was a directory entry.
    seen: HashMap<Vec<OsString>, bool>,
}

impl Writer {
    fn unsafe_entry(&self, entry: &Path, reason: impl Into<String>) -> SourceError {
        SourceError::UnsafeEntry {
            archive: self.label.clone(),
            entry: entry.to_string_lossy().into_owned(),
            reason: reason.into(),
        }
    }

    fn cap_error(&self, exceeded: Exceeded) -> SourceError {
        let limits = self.budget.limits();
        match exceeded {
            Exceeded::Size => SourceError::UnpackedTooLarge {
                archive: self.label.clone(),
                limit: limits.max_unpacked_size,
            },
            Exceeded::Ratio => SourceError::ExpansionRatio {
                archive: self.label.clone(),
                ratio: limits.max_expansion_ratio,
                archive_bytes: self.budget.archive_bytes(),
            },
        }
    }

    /// Copies file data, charging it to the budget first when `charge` (so a cap stops the copy before the bytes
    /// that pass it are written).
    fn copy_data(
        &self,
        data: &mut dyn Read,
        file: &mut fs_err::File,
        target: &Path,
        charge: bool,
    ) -> Result<(), SourceError> {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match data.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(match self.budget.exceeded() {
                        Some(exceeded) => self.cap_error(exceeded),
                        None => read_err(&self.label)(e),
                    })
                }
            };
            if charge {
                self.budget
                    .charge(n as u64)
                    .map_err(|e| self.cap_error(e))?;
            }
            std::io::Write::write_all(file, &buf[..n]).map_err(io_err("write", target))?;
        }
    }

    fn write(&mut self, raw: &Path, kind: Kind<'_>) -> Result<(), SourceError> {
        let max_entries = self.budget.limits().max_entries;
        if self.seen.len() >= max_entries {
            return Err(SourceError::TooManyEntries {
                archive: self.label.clone(),
                limit: max_entries,
            });
        }
        let rel = relative_components(raw).map_err(|why| self.unsafe_entry(raw, why))?;
        let Some((name, parent)) = rel.split_last() else {
            return Ok(()); // the archive root itself (`./`)
        };
        let parent = resolve_inside(&self.root, &[], &components_path(parent)).ok_or_else(|| {
            self.unsafe_entry(raw, "its directory is reached through a symlink that points outside the destination")
        })?;
        let target = self.root.join(components_path(&parent)).join(name);
        // Every check for this entry happens before the first write.
        let mut key = parent.clone();
        key.push(name.clone());
        let is_dir = matches!(kind, Kind::Dir);
        match self.seen.get(&key) {
            // A directory listed twice replaces nothing.
            Some(true) if is_dir => return Ok(()),
            Some(_) => {
                return Err(self.unsafe_entry(
                    raw,
                    "an earlier entry has the same path (duplicate entries are refused: one would silently \
                     replace the other)",
                ))
            }
            None => {}
        }
        match &kind {
            Kind::Symlink(link) => {
                if link.has_root() {
                    return Err(self.unsafe_entry(
                        raw,
                        format!("absolute symlink target `{}`", link.display()),
                    ));
                }
                if resolve_inside(&self.root, &parent, link).is_none() {
                    return Err(self.unsafe_entry(
                        raw,
                        format!(
                            "symlink target `{}` points outside the destination",
                            link.display()
                        ),
                    ));
                }
            }
            Kind::HardLink(link) => {
                let link_rel = relative_components(link).map_err(|why| {
                    self.unsafe_entry(raw, format!("hard link target `{}`: {why}", link.display()))
                })?;
                let resolved = resolve_inside(&self.root, &[], &components_path(&link_rel));
                if resolved.is_none() {
                    return Err(self.unsafe_entry(
                        raw,
                        format!(
                            "hard link target `{}` points outside the destination",
                            link.display()
                        ),
                    ));
                }
            }
            Kind::Dir | Kind::File { .. } => {}
        }
        let existing = fs_err::symlink_metadata(&target).ok();
        if existing.as_ref().is_some_and(|m| m.is_dir()) {
            if matches!(kind, Kind::Dir) {
                return Ok(());
            }
            return Err(
                self.unsafe_entry(raw, "a directory of the same name was extracted earlier")
            );
        }
        self.seen.insert(key, is_dir);
        let parent_dir = self.root.join(components_path(&parent));
        fs_err::create_dir_all(&parent_dir).map_err(io_err("create", &parent_dir))?;
        if existing.is_some() {
            // Never write through an earlier symlink or into an earlier hard link: replace the entry.
            fs_err::remove_file(&target).map_err(io_err("replace", &target))?;
        }
        match kind {
            Kind::Dir => fs_err::create_dir(&target).map_err(io_err("create", &target))?,
            Kind::File {
                mode,
                mtime,
                data,
                charge,
            } => {
                let mut file = fs_err::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&target)
                    .map_err(io_err("create", &target))?;
                self.copy_data(data, &mut file, &target, charge)?;
                let perm = if mode & 0o111 != 0 { 0o755 } else { 0o644 };
                file.set_permissions(std::fs::Permissions::from_mode(perm))
                    .map_err(io_err("set permissions of", &target))?;
                if let Some(t) = mtime {
                    file.set_modified(t)
                        .map_err(io_err("set the mtime of", &target))?;
                }
            }
            Kind::Symlink(link) => fs_err::os::unix::fs::symlink(&link, &target)
                .map_err(io_err("create the symlink", &target))?,
            Kind::HardLink(link) => {
                let link_rel = relative_components(&link).unwrap_or_default();
                let resolved = resolve_inside(&self.root, &[], &components_path(&link_rel))
                    .unwrap_or_default();
                let source = self.root.join(components_path(&resolved));
                let source_meta = fs_err::symlink_metadata(&source)
                    .ok()
                    .filter(|m| m.is_file());
                let Some(source_meta) = source_meta else {
                    return Err(self.unsafe_entry(
                        raw,
                        format!(
                            "hard link target `{}` is not a file extracted earlier",
                            link.display()
                        ),
                    ));
                };
                // A work-dir copy materialises every link: count its bytes as written.
                self.budget
                    .charge(source_meta.len())
                    .map_err(|e| self.cap_error(e))?;
                if fs_err::hard_link(&source, &target).is_err() {
                    fs_err::copy(&source, &target).map_err(io_err("copy to", &target))?;
                }
            }
        }
        Ok(())
    }
}

/// The normal components of an archive path, or why it is unsafe (absolute, or holding `..`).
fn relative_components(path: &Path) -> Result<Vec<OsString>, &'static str> {
    let mut out = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n.to_os_string()),
            Component::CurDir => {}
            Component::ParentDir => return Err("the path has a `..` component"),
            Component::RootDir | Component::Prefix(_) => return Err("the path is absolute"),
        }
    }
    Ok(out)
}

fn components_path(components: &[OsString]) -> PathBuf {
    components.iter().collect()
}

/// Resolves `rest`, relative to the directory `start` (components under `root`), following the symlinks that
/// already exist under `root`, lexically where nothing exists yet. Returns the resolved components under `root`,
/// or `None` when the path leaves `root`, is absolute, or loops.
pub(crate) fn resolve_inside(
    root: &Path,
    start: &[OsString],
    rest: &Path,
) -> Option<Vec<OsString>> {
    let mut stack = start.to_vec();
    let mut queue = owned_components(rest)?;
    let mut hops = 0;
    while let Some(name) = queue.pop_front() {
        if name == ".." {
            stack.pop()?;
            continue;
        }
        stack.push(name);
        let here = root.join(components_path(&stack));
        if fs_err::symlink_metadata(&here).is_ok_and(|m| m.file_type().is_symlink()) {
            hops += 1;
            if hops > MAX_SYMLINK_HOPS {
                return None;
            }
            stack.pop();
            let mut expanded = owned_components(&fs_err::read_link(&here).ok()?)?;
            expanded.extend(queue.drain(..));
            queue = expanded;
        }
    }
    Some(stack)
}

/// The components of a relative path as owned names, `..` kept as `".."` (never a normal name); `None` for an
/// absolute path.
fn owned_components(path: &Path) -> Option<VecDeque<OsString>> {
    let mut out = VecDeque::new();
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push_back(n.to_os_string()),
            Component::CurDir => {}
            Component::ParentDir => out.push_back(OsString::from("..")),
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// The directory whose contents go into `dest`: the single top-level directory if there is exactly one entry and
/// it is a directory, else the staging root. Also returns that directory's name, to name entries in errors.
fn strip_root(staging: &Path) -> Result<(PathBuf, PathBuf), SourceError> {
    let mut entries = Vec::new();
    for entry in fs_err::read_dir(staging).map_err(io_err("list", staging))? {
        entries.push(entry.map_err(io_err("list", staging))?);
    }
    if let [only] = entries.as_slice() {
        let ft = only.file_type().map_err(io_err("read", &only.path()))?;
        if ft.is_dir() {
            return Ok((only.path(), PathBuf::from(only.file_name())));
        }
    }
    Ok((staging.to_path_buf(), PathBuf::new()))
}

/// Checks that every symlink under `root` resolves inside it (after stripping, `..` targets must still stay in).
fn check_tree(label: &str, root: &Path, prefix: &Path) -> Result<(), SourceError> {
    for entry in walkdir::WalkDir::new(root)
        .min_depth(1)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| SourceError::Io {
            action: "walk",
            path: e.path().unwrap_or(root).to_path_buf(),
            source: e.into(),
        })?;
        if !entry.file_type().is_symlink() {
            continue;
        }
        let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
        let parent = relative_components(rel.parent().unwrap_or(Path::new(""))).unwrap_or_default();
        let target =
            fs_err::read_link(entry.path()).map_err(io_err("read the link", entry.path()))?;
        if target.has_root() || resolve_inside(root, &parent, &target).is_none() {
            return Err(SourceError::UnsafeEntry {
                archive: label.to_owned(),
                entry: prefix.join(rel).to_string_lossy().into_owned(),
                reason: format!(
                    "symlink target `{}` points outside the destination once the top directory is stripped",
                    target.display()
                ),
            });
        }
    }
    Ok(())
}

/// Moves the contents of `from` into `to`, merging directories; other entries replace what is there.
fn merge_move(from: &Path, to: &Path) -> Result<(), SourceError> {
    let mut entries = Vec::new();
    for entry in fs_err::read_dir(from).map_err(io_err("list", from))? {
        entries.push(entry.map_err(io_err("list", from))?.path());
    }
    entries.sort();
    for src in entries {
        let Some(name) = src.file_name() else {
            continue;
        };
        let dst = to.join(name);
        let src_is_dir = fs_err::symlink_metadata(&src)
            .map_err(io_err("read", &src))?
            .is_dir();
        match fs_err::symlink_metadata(&dst) {
            Err(_) => {}
            Ok(m) if m.is_dir() && src_is_dir => {
                merge_move(&src, &dst)?;
                continue;
            }
            Ok(m) if m.is_dir() => fs_err::remove_dir_all(&dst).map_err(io_err("replace", &dst))?,
            Ok(_) => fs_err::remove_file(&dst).map_err(io_err("replace", &dst))?,
        }
        fs_err::rename(&src, &dst).map_err(io_err("move into place", &dst))?;
    }
    Ok(())
}
