//! ELF RUNPATH/RPATH relocation without patchelf: entries that point inside the (padded) host prefix are rewritten
//! to `$ORIGIN`-relative paths in place, inside `.dynstr`, and the freed bytes are padded with NUL.
//!
//! This is what conda-build does with patchelf (`post.mk_relative_linux`), done by hand: the host prefix is padded
//! to 255 characters, so `$ORIGIN/../lib` is always shorter than `<prefix>/lib` and the string table never has to
//! grow. The byte layout of the file is otherwise unchanged, for 32/64-bit and little/big endian ELF alike (the
//! string table is plain bytes; goblin reads the endian-dependent headers).

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use goblin::elf::dynamic::{
    DT_AUDIT, DT_CONFIG, DT_DEPAUDIT, DT_NEEDED, DT_RPATH, DT_RUNPATH, DT_SONAME, DT_STRSZ,
    DT_STRTAB,
};
use goblin::elf::program_header::PT_LOAD;
use goblin::elf::Elf;

use super::paths::prefix_mode;
use super::{io_err, PackageError, RelocationReport};
use crate::fsutil;

/// `DT_AUXILIARY` and `DT_FILTER` (ELF gABI; goblin does not name them).
const DT_AUXILIARY: u64 = 0x7fff_fffd;
const DT_FILTER: u64 = 0x7fff_ffff;

/// Dynamic tags whose value is an offset into the dynamic string table (besides RPATH/RUNPATH).
const STRING_TAGS: [u64; 7] = [
    DT_NEEDED,
    DT_SONAME,
    DT_AUXILIARY,
    DT_FILTER,
    DT_CONFIG,
    DT_DEPAUDIT,
    DT_AUDIT,
];

/// Rewrites the ELF `DT_RUNPATH`/`DT_RPATH` entries of `files` (paths relative to `prefix`) in place.
///
/// Each `:`-separated entry is mapped by [`relocate_runpath`]: inside `prefix` → `$ORIGIN/<relative>`,
/// `$ORIGIN`-relative → kept, anything else → dropped with a warning. Symlinks, non-regular files and files that
/// are not ELF are left alone; a file with the ELF magic that goblin cannot parse is skipped with a warning (test
/// data of ELF tools is often deliberately broken). Files are rewritten through a temporary file and a rename, so
/// a hardlink into a package cache is never modified; permissions are kept.
///
/// Returns the rewrites done (file, old string, new string) and, for every regular file that still contains the
/// prefix bytes afterwards, its [`FileMode`] as [`super::paths::prefix_mode`] classifies it (sorted by path, as
/// `files` is given).
///
/// # Errors
/// [`PackageError::Io`] for unreadable/unwritable files, [`PackageError::RunpathTooLong`] when the new string
/// would not fit (the prefix was not padded), [`PackageError::TailMergedString`] when another string reference
/// points into the bytes that would change, [`PackageError::MalformedElf`] for a string table outside the file.
pub fn relocate(prefix: &Path, files: &[PathBuf]) -> Result<RelocationReport, PackageError> {
    relocate_as(prefix, super::prefix_str(prefix)?, files)
}

/// [`relocate`] for a prefix whose files are at `prefix` but which the build saw as `seen_as` (a sandboxed build
/// sees its work directory at a fixed path): `seen_as` is the string looked for and recorded.
///
/// # Errors
/// As [`relocate`].
pub fn relocate_as(
    prefix: &Path,
    seen_as: &str,
    files: &[PathBuf],
) -> Result<RelocationReport, PackageError> {
    let prefix_str = seen_as;
    let mut report = RelocationReport::default();
    for rel in files {
        let path = prefix.join(rel);
        let meta = fs_err::symlink_metadata(&path).map_err(|e| io_err("stat", &path, e))?;
        if !meta.file_type().is_file() {
            continue;
        }
        let bytes = fs_err::read(&path).map_err(|e| io_err("read", &path, e))?;
        let file_dir = rel.parent().unwrap_or(Path::new(""));
        let patch = if bytes.starts_with(b"\x7fELF") {
            patch_elf(&path, &bytes, prefix_str, file_dir)?
        } else {
            None
        };
        let final_bytes = match patch {
            Some((patched, changes)) => {
                write_replacing(&path, &patched, meta.permissions())?;
                for (old, new) in changes {
                    tracing::debug!(file = %rel.display(), %old, %new, "rewrote RUNPATH");
                    report.rpaths_rewritten.push((rel.clone(), old, new));
                }
                patched
            }
            None => bytes,
        };
        if let Some(mode) = prefix_mode(&final_bytes, prefix_str) {
            report.prefix_files.push((rel.clone(), mode));
        }
    }
    Ok(report)
}

/// A patched ELF image and its (old, new) RUNPATH strings.
type PatchedElf = (Vec<u8>, Vec<(String, String)>);

/// Patches one ELF image in memory. `Ok(None)` when nothing changes (or the file is not parseable ELF).
/// `file_dir` is the file's directory relative to the prefix.
fn patch_elf(
    path: &Path,
    bytes: &[u8],
    prefix: &str,
    file_dir: &Path,
) -> Result<Option<PatchedElf>, PackageError> {
    let elf = match Elf::parse(bytes) {
        Ok(elf) => elf,
        Err(err) => {
            tracing::warn!(file = %path.display(), %err, "has the ELF magic but does not parse; not relocated");
            return Ok(None);
        }
    };
    let Some(dynamic) = &elf.dynamic else {
        return Ok(None);
    };
    let tag_value = |tag: u64| {
        dynamic
            .dyns
            .iter()
            .find(|d| d.d_tag == tag)
            .map(|d| d.d_val)
    };
    let rpath_offsets: BTreeSet<u64> = dynamic
        .dyns
        .iter()
        .filter(|d| d.d_tag == DT_RUNPATH || d.d_tag == DT_RPATH)
        .map(|d| d.d_val)
        .collect();
    if rpath_offsets.is_empty() {
        return Ok(None);
    }
    let malformed = |what: &str| PackageError::MalformedElf {
        path: path.to_path_buf(),
        what: what.to_string(),
    };
    let strtab_vaddr =
        tag_value(DT_STRTAB).ok_or_else(|| malformed("DT_RUNPATH without DT_STRTAB"))?;
    let strsz = tag_value(DT_STRSZ).ok_or_else(|| malformed("DT_STRTAB without DT_STRSZ"))?;
    let strtab_off = vaddr_to_offset(&elf, strtab_vaddr)
        .ok_or_else(|| malformed("DT_STRTAB outside every PT_LOAD"))?;
    let strtab_end = strtab_off
        .checked_add(strsz)
        .filter(|end| *end <= bytes.len() as u64)
        .ok_or_else(|| malformed("dynamic string table extends past the end of the file"))?;
    let strtab = &bytes[strtab_off as usize..strtab_end as usize];

    // Every other reference into .dynstr: dynamic string tags, symbol names, version names.
    let mut others: Vec<u64> = dynamic
        .dyns
        .iter()
        .filter(|d| STRING_TAGS.contains(&d.d_tag))
        .map(|d| d.d_val)
        .collect();
    others.extend(elf.dynsyms.iter().map(|s| s.st_name as u64));
    if let Some(verneed) = &elf.verneed {
        for need in verneed.iter() {
            others.push(need.vn_file as u64);
            others.extend(need.iter().map(|aux| aux.vna_name as u64));
        }
    }
    if let Some(verdef) = &elf.verdef {
        for def in verdef.iter() {
            others.extend(def.iter().map(|aux| aux.vda_name as u64));
        }
    }

    let mut patched = bytes.to_vec();
    let mut changes = Vec::new();
    for &off in &rpath_offsets {
        let start = off as usize;
        let len = strtab
            .get(start..)
            .and_then(|rest| memchr::memchr(0, rest))
            .ok_or_else(|| malformed("RUNPATH offset outside the string table or unterminated"))?;
        let old = &strtab[start..start + len];
        let new = relocate_runpath(old, prefix, file_dir, path);
        if new.as_slice() == old {
            continue;
        }
        if new.len() > old.len() {
            return Err(PackageError::RunpathTooLong {
                path: path.to_path_buf(),
                old: String::from_utf8_lossy(old).into_owned(),
                new: String::from_utf8_lossy(&new).into_owned(),
            });
        }
        let region = off..off + len as u64;
        let clash = others
            .iter()
            .chain(rpath_offsets.iter().filter(|o| **o != off))
            .find(|o| region.contains(o));
        if let Some(&other) = clash {
            return Err(PackageError::TailMergedString {
                path: path.to_path_buf(),
                runpath: String::from_utf8_lossy(old).into_owned(),
                other_offset: other,
            });
        }
        let file_start = strtab_off as usize + start;
        let dest = &mut patched[file_start..file_start + len];
        dest.fill(0);
        dest[..new.len()].copy_from_slice(&new);
        changes.push((
            String::from_utf8_lossy(old).into_owned(),
            String::from_utf8_lossy(&new).into_owned(),
        ));
    }
    Ok((!changes.is_empty()).then_some((patched, changes)))
}

/// Maps a virtual address to a file offset through the `PT_LOAD` segments (only bytes backed by the file).
fn vaddr_to_offset(elf: &Elf<'_>, vaddr: u64) -> Option<u64> {
    elf.program_headers
        .iter()
        .filter(|ph| ph.p_type == PT_LOAD)
        .find(|ph| vaddr >= ph.p_vaddr && vaddr - ph.p_vaddr < ph.p_filesz)
        .map(|ph| ph.p_offset + (vaddr - ph.p_vaddr))
}

/// The relocated form of one RUNPATH/RPATH string (`:`-separated entries), for a file whose directory is
/// `file_dir` (relative to the prefix). Entries inside `prefix` become `$ORIGIN/<relative path>` (`$ORIGIN` for
/// the file's own directory); `$ORIGIN`/`${ORIGIN}` entries are kept; all others (absolute paths outside the
/// prefix, which would leak the build machine, and cwd-relative entries, which are unsafe) are dropped with a
/// warning naming `path`. Duplicates are removed, first occurrence wins.
pub fn relocate_runpath(old: &[u8], prefix: &str, file_dir: &Path, path: &Path) -> Vec<u8> {
    let prefix = prefix.trim_end_matches('/');
    let mut out: Vec<String> = Vec::new();
    for entry in old.split(|b| *b == b':').filter(|e| !e.is_empty()) {
        let Ok(entry) = std::str::from_utf8(entry) else {
            tracing::warn!(file = %path.display(), "dropping a RUNPATH entry that is not UTF-8");
            continue;
        };
        let new = if entry.starts_with("$ORIGIN") || entry.starts_with("${ORIGIN}") {
            Some(entry.to_string())
        } else if let Some(rest) = entry
            .strip_prefix(prefix)
            .filter(|r| r.is_empty() || r.starts_with('/'))
        {
            normalize(Path::new(rest.trim_start_matches('/'))).map(|target| {
                let rel = relative_path(file_dir, &target);
                if rel.as_os_str().is_empty() {
                    "$ORIGIN".to_string()
                } else {
                    format!("$ORIGIN/{}", rel.display())
                }
            })
        } else {
            None
        };
        match new {
            Some(new) if !out.contains(&new) => out.push(new),
            Some(_) => {}
            None => {
                tracing::warn!(file = %path.display(), entry, "dropping RUNPATH entry outside the prefix")
            }
        }
    }
    out.join(":").into_bytes()
}

/// Lexically normalises a relative path (`.` removed, `..` applied); `None` if it climbs above its root or is
/// absolute.
pub(crate) fn normalize(path: &Path) -> Option<PathBuf> {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(p),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.iter().collect())
}

/// The relative path from directory `from` to `to` (both normalised, relative to the same root), e.g. `bin` →
/// `lib` gives `../lib`; the same directory gives an empty path.
pub(crate) fn relative_path(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for c in &to[common..] {
        out.push(c);
    }
    out
}

/// Replaces `path` with `bytes` through a temporary file in the same directory and a rename, keeping
/// `permissions`. Not fsynced: the prefix is scratch until it is packaged.
fn write_replacing(
    path: &Path,
    bytes: &[u8],
    permissions: std::fs::Permissions,
) -> Result<(), PackageError> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    let options = fsutil::WriteOptions {
        mode: permissions.mode(),
        sync: false,
    };
    fsutil::write_atomic_with(path, options, |file| file.write_all(bytes))
        .map_err(|e| io_err("replace", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runpath_entries_map_to_origin() {
        let p = "/pfx/_placehold";
        let f = Path::new("x");
        let got = relocate_runpath(
            b"/pfx/_placehold/lib:/usr/lib:$ORIGIN/foo:/pfx/_placehold/lib/",
            p,
            Path::new("bin"),
            f,
        );
        assert_eq!(got, b"$ORIGIN/../lib:$ORIGIN/foo");
        let got = relocate_runpath(b"/pfx/_placehold/lib/./a/../", p, Path::new("lib"), f);
        assert_eq!(got, b"$ORIGIN");
        let got = relocate_runpath(
            b"/pfx/_placehold/lib/python3.12/x",
            p,
            Path::new("lib/python3.12/site-packages/m"),
            f,
        );
        assert_eq!(got, b"$ORIGIN/../../x");
        // a sibling directory that merely shares the prefix's name is outside it
        assert_eq!(
            relocate_runpath(b"/pfx/_placeholdX/lib:lib", p, Path::new("bin"), f),
            b""
        );
        // climbing out of the prefix is outside it
        assert_eq!(
            relocate_runpath(b"/pfx/_placehold/../lib", p, Path::new("bin"), f),
            b""
        );
    }

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative_path(Path::new("bin"), Path::new("lib")),
            Path::new("../lib")
        );
        assert_eq!(
            relative_path(Path::new(""), Path::new("lib")),
            Path::new("lib")
        );
        assert_eq!(
            relative_path(Path::new("a/b"), Path::new("a/b")),
            Path::new("")
        );
        assert_eq!(
            relative_path(Path::new("a/b/c"), Path::new("a/d")),
            Path::new("../../d")
        );
        assert_eq!(normalize(Path::new("a/../..")), None);
    }
}
