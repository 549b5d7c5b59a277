//! `archi build --check`: a stored key built again must give the same bytes (Nix's `--check`). Each package of
//! the new build is compared with the stored one; when the sha256 differ, both are unpacked under the work
//! directory (`check/stored/<file>`, `check/rebuilt/<file>`, kept for diffoscope since the build then fails) and
//! every file whose type, mode, link target or content differs is named.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::store::StoreEntry;

use super::{io_err, BuildError};

/// One file of an unpacked package: what is compared.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    /// A regular file: executable bit and blake3 of the content.
    File { executable: bool, blake3: String },
    /// A symlink and its target.
    Link(PathBuf),
}

/// The paths (relative to the package root, `info/…` included) whose entries differ between the trees `a` and
/// `b`, or exist in one only; sorted.
///
/// Errors: a tree cannot be read.
pub fn differing_files(a: &Path, b: &Path) -> std::io::Result<Vec<PathBuf>> {
    Ok(crate::plan::differing_keys(&tree(a)?, &tree(b)?))
}

fn tree(root: &Path) -> std::io::Result<BTreeMap<PathBuf, Node>> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(root).follow_links(false) {
        let entry = entry.map_err(std::io::Error::other)?;
        let rel = entry
            .path()
            .strip_prefix(root)
            .unwrap_or(entry.path())
            .to_path_buf();
        let kind = entry.file_type();
        let node = if kind.is_symlink() {
            Node::Link(fs_err::read_link(entry.path())?)
        } else if kind.is_file() {
            let meta = fs_err::metadata(entry.path())?;
            let bytes = fs_err::read(entry.path())?;
            Node::File {
                executable: meta.permissions().mode() & 0o111 != 0,
                blake3: blake3::hash(&bytes).to_hex().to_string(),
            }
        } else {
            continue;
        };
        out.insert(rel, node);
    }
    Ok(out)
}

/// Compare the rebuilt `artifacts` with the `stored` entries of the same outputs (same order). Returns the
/// differing files as `<package file>: <path>`, empty when every package is byte-identical.
///
/// Errors: an archive cannot be unpacked or read.
pub(super) fn compare(
    stored: &[StoreEntry],
    artifacts: &[PathBuf],
    check_dir: &Path,
) -> Result<Vec<String>, BuildError> {
    let mut differing = Vec::new();
    for (entry, rebuilt) in stored.iter().zip(artifacts) {
        let stored_path = entry.artifact_path();
        let same = crate::source::sha256_file(rebuilt)? == entry.manifest.sha256;
        if same {
            continue;
        }
        let file = entry.manifest.artifact.clone();
        let unpack = |archive: &Path, side: &str| -> Result<PathBuf, BuildError> {
            let dest = check_dir.join(side).join(&file);
            rattler_package_streaming::fs::extract(archive, &dest).map_err(|e| BuildError::Io {
                what: "unpacking a package to compare it",
                path: archive.to_path_buf(),
                source: std::io::Error::other(e),
            })?;
            Ok(dest)
        };
        let a = unpack(&stored_path, "stored")?;
        let b = unpack(rebuilt, "rebuilt")?;
        let files =
            differing_files(&a, &b).map_err(io_err("comparing unpacked packages", check_dir))?;
        if files.is_empty() {
            // Same files, different archive bytes (member order, compression): say so rather than nothing.
            differing.push(format!("{file}: the archive itself"));
        }
        differing.extend(files.iter().map(|f| format!("{file}: {}", f.display())));
    }
    Ok(differing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_changed_added_removed_and_retargeted_files() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        for dir in [a.path(), b.path()] {
            fs_err::create_dir_all(dir.join("info")).unwrap();
            fs_err::write(dir.join("same.txt"), "x").unwrap();
        }
        fs_err::write(a.path().join("info/index.json"), "{\"t\": 1}").unwrap();
        fs_err::write(b.path().join("info/index.json"), "{\"t\": 2}").unwrap();
        fs_err::write(a.path().join("only-a"), "").unwrap();
        fs_err::write(b.path().join("only-b"), "").unwrap();
        std::os::unix::fs::symlink("same.txt", a.path().join("link")).unwrap();
        std::os::unix::fs::symlink("other.txt", b.path().join("link")).unwrap();
        let found = differing_files(a.path(), b.path()).unwrap();
        let names: Vec<&str> = found.iter().map(|p| p.to_str().unwrap()).collect();
        assert_eq!(names, ["info/index.json", "link", "only-a", "only-b"]);
        assert!(differing_files(a.path(), a.path()).unwrap().is_empty());
    }
}
