//! The package's files: staging them beside `info/` (symlinks made relative) and describing them in
//! `info/paths.json` (CEP 34 / conda-build 3's `paths_version` 1).

use std::path::{Path, PathBuf};

use rattler_conda_types::package::{FileMode, PathType, PathsEntry, PathsJson, PrefixPlaceholder};
use rattler_digest::{compute_bytes_digest, Sha256};

use super::relocate::{normalize, relative_path};
use super::{io_err, PackageError};

/// Whether `bytes` contain `prefix`, and if so how an installer must rewrite it: [`FileMode::Binary`] when the
/// file holds a NUL byte or is not valid UTF-8 (binary replacement keeps the length and pads C strings with NUL),
/// [`FileMode::Text`] otherwise (plain substitution). conda-build's heuristic is a NUL byte in the file; the
/// UTF-8 check also sends Latin-1 and other non-text files to the length-preserving mode, which is the safe side.
pub fn prefix_mode(bytes: &[u8], prefix: &str) -> Option<FileMode> {
    memchr::memmem::find(bytes, prefix.as_bytes())?;
    if memchr::memchr(0, bytes).is_some() || std::str::from_utf8(bytes).is_err() {
        Some(FileMode::Binary)
    } else {
        Some(FileMode::Text)
    }
}

/// Whether `rel` is Python bytecode (`.pyc`/`.pyo`), which never gets a prefix placeholder, as conda-build's
/// `have_prefix_files` skips it: the build prefix in a code object is a length-prefixed marshal string that a
/// binary replacement would corrupt, and importlib rewrites `co_filename` to the source's real path at load.
pub fn is_bytecode(rel: &Path) -> bool {
    matches!(
        rel.extension().and_then(|e| e.to_str()),
        Some("pyc" | "pyo")
    )
}

/// Refuses unchecked-hash bytecode (PEP 552 flags = 1) of a `.py` file that has a prefix placeholder: the
/// installer rewrites the source, and the interpreter, which does not compare an unchecked `.pyc` with its source,
/// would keep the build prefix. Checked-hash and timestamp bytecode is fine (it is seen to be stale and
/// recompiled). `stage` holds the files of `paths`.
///
/// # Errors
/// [`PackageError::StaleBytecode`] naming the first such pair; [`PackageError::Io`] when a `.pyc` cannot be read.
pub fn check_bytecode(stage: &Path, paths: &PathsJson) -> Result<(), PackageError> {
    for entry in &paths.paths {
        let rel = &entry.relative_path;
        if entry.prefix_placeholder.is_none() || rel.extension().is_none_or(|e| e != "py") {
            continue;
        }
        let (Some(dir), Some(stem)) = (rel.parent(), rel.file_stem().and_then(|s| s.to_str()))
        else {
            continue;
        };
        let cache = dir.join("__pycache__");
        for pyc in &paths.paths {
            let candidate = &pyc.relative_path;
            let name = candidate.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let ours = candidate.parent() == Some(cache.as_path())
                && name.starts_with(&format!("{stem}."))
                && name.ends_with(".pyc");
            if !ours || pyc.path_type != PathType::HardLink {
                continue;
            }
            let path = stage.join(candidate);
            let mut header = [0u8; 8];
            use std::io::Read;
            let read = fs_err::File::open(&path).and_then(|mut f| f.read_exact(&mut header));
            if let Err(e) = read {
                return Err(io_err("read", &path, e));
            }
            if header[4..8] == [1, 0, 0, 0] {
                return Err(PackageError::StaleBytecode {
                    source_file: rel.clone(),
                    bytecode: candidate.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Copies (hardlinks when possible) `files` (relative to `prefix`) into `stage`. A symlink whose target is an
/// absolute path inside `prefix` is recreated relative to its own directory, as conda-build does; one pointing
/// at an absolute path outside the prefix is kept as is and reported with a warning (it will dangle or leak on
/// another machine).
///
/// # Errors
/// [`PackageError::Io`] naming the file; [`PackageError::NotAFile`] for a directory or special file in `files`.
pub fn stage_files(
    prefix: &Path,
    prefix_str: &str,
    files: &[PathBuf],
    stage: &Path,
) -> Result<(), PackageError> {
    for rel in files {
        let src = prefix.join(rel);
        let dst = stage.join(rel);
        if let Some(parent) = dst.parent() {
            fs_err::create_dir_all(parent).map_err(|e| io_err("create directory", parent, e))?;
        }
        let meta = fs_err::symlink_metadata(&src).map_err(|e| io_err("stat", &src, e))?;
        if meta.file_type().is_symlink() {
            let target = fs_err::read_link(&src).map_err(|e| io_err("read symlink", &src, e))?;
            let target = relative_link_target(rel, &target, prefix_str);
            std::os::unix::fs::symlink(&target, &dst)
                .map_err(|e| io_err("create symlink", &dst, e))?;
        } else if meta.file_type().is_file() {
            if fs_err::hard_link(&src, &dst).is_err() {
                fs_err::copy(&src, &dst).map_err(|e| io_err("copy", &src, e))?;
            }
        } else {
            return Err(PackageError::NotAFile { path: src });
        }
    }
    Ok(())
}

/// The target a symlink at `rel` (relative to the prefix) gets in the package: an absolute `target` inside
/// `prefix` becomes relative to the link's directory; anything else is returned unchanged (absolute targets
/// outside the prefix with a warning).
pub fn relative_link_target(rel: &Path, target: &Path, prefix: &str) -> PathBuf {
    if !target.is_absolute() {
        return target.to_path_buf();
    }
    let prefix = prefix.trim_end_matches('/');
    let inside = target
        .to_str()
        .and_then(|t| t.strip_prefix(prefix))
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
        .and_then(|rest| normalize(Path::new(rest.trim_start_matches('/'))));
    match inside {
        Some(dest) => {
            let rel_target = relative_path(rel.parent().unwrap_or(Path::new("")), &dest);
            if rel_target.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                rel_target
            }
        }
        None => {
            tracing::warn!(link = %rel.display(), target = %target.display(), "symlink points outside the prefix");
            target.to_path_buf()
        }
    }
}

/// Builds `info/paths.json` for the staged `files` (sorted by path). Regular files get `path_type` hardlink, their
/// sha256 and size, and `prefix_placeholder` (= `prefix_str`, the full padded prefix) + `file_mode` when they
/// contain it. Symlinks get `path_type` softlink and the sha256/size of the file they resolve to, followed in
/// `prefix` (where links into host dependencies resolve too); a dangling link gets the sha256 of empty content
/// and size 0, as conda-build writes it.
///
/// # Errors
/// [`PackageError::Io`] naming the file that could not be read.
pub fn paths_json(
    prefix: &Path,
    prefix_str: &str,
    stage: &Path,
    files: &[PathBuf],
) -> Result<PathsJson, PackageError> {
    let mut sorted: Vec<&PathBuf> = files.iter().collect();
    sorted.sort();
    let mut paths = Vec::with_capacity(sorted.len());
    for rel in sorted {
        let staged = stage.join(rel);
        let meta = fs_err::symlink_metadata(&staged).map_err(|e| io_err("stat", &staged, e))?;
        let entry = if meta.file_type().is_symlink() {
            let in_prefix = prefix.join(rel);
            let content = match fs_err::metadata(&in_prefix) {
                Ok(m) if m.is_file() => {
                    fs_err::read(&in_prefix).map_err(|e| io_err("read", &in_prefix, e))?
                }
                _ => Vec::new(),
            };
            PathsEntry {
                relative_path: rel.clone(),
                no_link: false,
                path_type: PathType::SoftLink,
                prefix_placeholder: None,
                sha256: Some(compute_bytes_digest::<Sha256>(&content)),
                size_in_bytes: Some(content.len() as u64),
            }
        } else {
            let bytes = fs_err::read(&staged).map_err(|e| io_err("read", &staged, e))?;
            let mode = match is_bytecode(rel) {
                true => None,
                false => prefix_mode(&bytes, prefix_str),
            };
            PathsEntry {
                relative_path: rel.clone(),
                no_link: false,
                path_type: PathType::HardLink,
                prefix_placeholder: mode.map(|file_mode| PrefixPlaceholder {
                    file_mode,
                    placeholder: prefix_str.to_string(),
                    experimental_offsets: None,
                }),
                sha256: Some(compute_bytes_digest::<Sha256>(&bytes)),
                size_in_bytes: Some(bytes.len() as u64),
            }
        };
        paths.push(entry);
    }
    Ok(PathsJson {
        paths,
        paths_version: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_modes() {
        let p = "/opt/prefix_placehold";
        assert_eq!(
            prefix_mode(b"#!/opt/prefix_placehold/bin/sh\n", p),
            Some(FileMode::Text)
        );
        assert_eq!(
            prefix_mode(b"\x7fELF\0/opt/prefix_placehold/lib\0", p),
            Some(FileMode::Binary)
        );
        assert_eq!(
            prefix_mode(b"caf\xe9 /opt/prefix_placehold", p),
            Some(FileMode::Binary)
        );
        assert_eq!(prefix_mode(b"/opt/prefix_placehol", p), None);
        assert_eq!(prefix_mode(b"\0\0", p), None);
    }

    #[test]
    fn bytecode_gets_no_placeholder() {
        let tmp = tempfile::tempdir().unwrap();
        let prefix = tmp.path().join("prefix_placehold");
        let p = prefix.to_str().unwrap();
        let cache = prefix.join("lib/python3.11/__pycache__");
        fs_err::create_dir_all(&cache).unwrap();
        // PEP 552 header (3.11's magic, flags 0 = timestamp), then a code object's file name.
        let mut pyc = b"\xa7\x0d\x0d\x0a\0\0\0\0\xfa\x40\0\0\0".to_vec();
        pyc.extend_from_slice(format!("{p}/lib/python3.11/os.py").as_bytes());
        fs_err::write(cache.join("os.cpython-311.pyc"), &pyc).unwrap();
        fs_err::write(prefix.join("lib/python3.11/os.py"), format!("# {p}\n")).unwrap();
        let files = [
            PathBuf::from("lib/python3.11/__pycache__/os.cpython-311.pyc"),
            PathBuf::from("lib/python3.11/os.py"),
        ];
        let json = paths_json(&prefix, p, &prefix, &files).unwrap();
        let modes: Vec<_> = json
            .paths
            .iter()
            .map(|e| e.prefix_placeholder.as_ref().map(|x| x.file_mode))
            .collect();
        assert_eq!(modes, [None, Some(FileMode::Text)]);

        // The .pyc above has flags 0 (timestamp): fine. As unchecked-hash (flags 1) it is refused.
        check_bytecode(&prefix, &json).unwrap();
        let mut unchecked = pyc;
        unchecked[4..8].copy_from_slice(&[1, 0, 0, 0]);
        fs_err::write(cache.join("os.cpython-311.pyc"), &unchecked).unwrap();
        let err = check_bytecode(&prefix, &json).unwrap_err().to_string();
        assert!(
            err.contains("lib/python3.11/os.py holds the build prefix")
                && err.contains("__pycache__/os.cpython-311.pyc is unchecked-hash"),
            "{err}"
        );
        unchecked[4..8].copy_from_slice(&[3, 0, 0, 0]);
        fs_err::write(cache.join("os.cpython-311.pyc"), &unchecked).unwrap();
        check_bytecode(&prefix, &json).unwrap();
    }

    #[test]
    fn link_targets() {
        let p = "/opt/pfx";
        let t =
            |rel: &str, target: &str| relative_link_target(Path::new(rel), Path::new(target), p);
        assert_eq!(
            t("lib/libz.so", "/opt/pfx/lib/libz.so.1"),
            Path::new("libz.so.1")
        );
        assert_eq!(
            t("bin/python", "/opt/pfx/lib/py/python3"),
            Path::new("../lib/py/python3")
        );
        assert_eq!(t("share/x", "/opt/pfx/share"), Path::new("."));
        assert_eq!(t("bin/sh", "/usr/bin/sh"), Path::new("/usr/bin/sh"));
        assert_eq!(t("bin/a", "/opt/pfxy/a"), Path::new("/opt/pfxy/a"));
        assert_eq!(t("lib/a", "libb.so"), Path::new("libb.so"));
    }
}
