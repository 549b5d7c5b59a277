//! Applying unified diffs to a source tree with `patch -p1` semantics, through diffy.
//!
//! diffy parses and applies the diff of one file; a patch file usually holds several (`diff -ru`, `git
//! format-patch`), so it is first split into per-file diffs, counting each hunk's lines so that a `--- ` deleted
//! line is never mistaken for a file header and trailing text (a `format-patch` signature) is ignored.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::extract::resolve_inside;
use super::{io_err, SourceError};
use crate::fsutil;

/// One file's diff, re-assembled as a standalone patch that diffy can parse.
#[derive(Debug, PartialEq, Eq)]
struct FileDiff {
    /// The `+++` line, for messages.
    label: String,
    text: Vec<u8>,
}

/// Applies the unified diff `patch_file` inside `dir`, stripping one leading path component from the file names
/// (`patch -p1`). `/dev/null` as the old name creates a file, as the new name deletes one. Hunks may have moved
/// (diffy searches near the stated line) but context must match exactly (no fuzz). Every file's new content is
/// computed before anything is written, so a patch that fails leaves the tree as it was. Binary (git) patches
/// and pure renames are not supported.
///
/// Errors: [`SourceError::Patch`] naming the patch and the file (unparseable diff, hunk that does not apply,
/// missing file, path with `..` or leaving `dir`); [`SourceError::Io`].
pub fn apply_patch(patch_file: &Path, dir: &Path) -> Result<(), SourceError> {
    let bytes = fs_err::read(patch_file).map_err(io_err("read the patch", patch_file))?;
    let fail = |file: &str, reason: String| SourceError::Patch {
        patch: patch_file.to_path_buf(),
        file: file.to_owned(),
        reason,
    };
    let diffs = split(&bytes).map_err(|reason| fail("", reason))?;
    if diffs.is_empty() {
        return Err(fail(
            "",
            "no file diffs found (expected a unified diff)".to_owned(),
        ));
    }
    // New contents by path under `dir`: `None` deletes the file. Later diffs of the same file see earlier results.
    let mut pending: BTreeMap<PathBuf, Option<Vec<u8>>> = BTreeMap::new();
    for diff in &diffs {
        let parsed =
            diffy::Patch::from_bytes(&diff.text).map_err(|e| fail(&diff.label, e.to_string()))?;
        let old = parsed
            .original()
            .map(strip_one)
            .transpose()
            .map_err(|r| fail(&diff.label, r))?;
        let new = parsed
            .modified()
            .map(strip_one)
            .transpose()
            .map_err(|r| fail(&diff.label, r))?;
        let (old, new) = (old.flatten(), new.flatten());
        let resolve = |rel: &Path| -> Result<PathBuf, SourceError> {
            resolve_inside(dir, &[], rel)
                .map(|c| dir.join(c.iter().collect::<PathBuf>()))
                .ok_or_else(|| {
                    fail(
                        &rel.display().to_string(),
                        "the path leaves the source directory".into(),
                    )
                })
        };
        let exists_now =
            |path: &Path, pending: &BTreeMap<PathBuf, Option<Vec<u8>>>| match pending.get(path) {
                Some(content) => content.is_some(),
                None => path.is_file(),
            };
        let (target, creating) = match (&old, &new) {
            (None, Some(new)) => (resolve(new)?, true),
            (Some(old), None) => (resolve(old)?, false),
            (Some(old), Some(new)) => {
                let old_path = resolve(old)?;
                if exists_now(&old_path, &pending) {
                    (old_path, false)
                } else {
                    (resolve(new)?, false)
                }
            }
            (None, None) => return Err(fail(&diff.label, "both file names are /dev/null".into())),
        };
        let label = target
            .strip_prefix(dir)
            .unwrap_or(&target)
            .display()
            .to_string();
        let exists = exists_now(&target, &pending);
        let base = if creating {
            if exists {
                return Err(fail(
                    &label,
                    "the patch creates this file, but it already exists".into(),
                ));
            }
            Vec::new()
        } else if !exists {
            return Err(fail(&label, "the file to patch does not exist".into()));
        } else if let Some(Some(content)) = pending.get(&target) {
            content.clone()
        } else {
            fs_err::read(&target).map_err(io_err("read", &target))?
        };
        let patched =
            diffy::apply_bytes(&base, &parsed).map_err(|e| fail(&label, e.to_string()))?;
        let deleting = new.is_none();
        if deleting && !patched.is_empty() {
            return Err(fail(
                &label,
                "the patch deletes this file, but it does not become empty".into(),
            ));
        }
        if !deleting {
            if let Some(why) = layout_conflict(dir, &target, &pending) {
                return Err(fail(&label, why.to_owned()));
            }
        }
        pending.insert(target, (!deleting).then_some(patched));
    }
    for (path, content) in pending {
        match content {
            Some(bytes) => write_replacing(&path, &bytes)?,
            None => fs_err::remove_file(&path).map_err(io_err("delete", &path))?,
        }
    }
    Ok(())
}

/// Why the file `target` (under `dir`) cannot be written next to the changes already `pending`, if it cannot: a
/// directory above it is, or will be, a file; or it is, or would have to be, a directory. Checked before anything
/// is written, so a patch that creates both `NEWS` and `NEWS/x` fails without writing either (found by the
/// `patch_apply` fuzz target). Pending paths are written in sorted order, so a file deleted by the patch may be
/// replaced by a directory of files.
fn layout_conflict(
    dir: &Path,
    target: &Path,
    pending: &BTreeMap<PathBuf, Option<Vec<u8>>>,
) -> Option<&'static str> {
    for ancestor in target.ancestors().skip(1) {
        if ancestor == dir || !ancestor.starts_with(dir) {
            break;
        }
        let is_file = match pending.get(ancestor) {
            Some(content) => content.is_some(),
            None => fs_err::metadata(ancestor).is_ok_and(|m| !m.is_dir()),
        };
        if is_file {
            return Some("a directory above this file is a file");
        }
    }
    let is_dir = target.is_dir()
        || pending
            .range::<Path, _>((
                std::ops::Bound::Excluded(target),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(p, _)| p.starts_with(target))
            .any(|(_, content)| content.is_some());
    is_dir.then_some("the patch makes this a file, but it is a directory")
}

/// Writes `bytes` to `path` through a temp file and a rename (never in place: the file may be a hard link),
/// keeping the old file's permissions (0o644 for a new file).
fn write_replacing(path: &Path, bytes: &[u8]) -> Result<(), SourceError> {
    let parent = path.parent().unwrap_or(Path::new("."));
    fs_err::create_dir_all(parent).map_err(io_err("create", parent))?;
    let mode = fs_err::metadata(path)
        .map(|m| m.permissions().mode())
        .unwrap_or(0o644);
    // No fsync: the work directory is scratch, a crash loses the build anyway.
    let options = fsutil::WriteOptions { mode, sync: false };
    fsutil::write_atomic_with(path, options, |file| file.write_all(bytes))
        .map_err(io_err("replace", path))
}

/// A diff file name with its first component stripped (`a/src/x.c` → `src/x.c`); `Ok(None)` for `/dev/null`.
fn strip_one(name: &[u8]) -> Result<Option<PathBuf>, String> {
    if name == b"/dev/null" {
        return Ok(None);
    }
    let shown = String::from_utf8_lossy(name);
    let Some(pos) = name.iter().position(|&b| b == b'/') else {
        return Err(format!(
            "file name `{shown}` has no leading directory to strip (-p1)"
        ));
    };
    let rest = Path::new(OsStr::from_bytes(&name[pos + 1..]));
    let mut out = PathBuf::new();
    for c in rest.components() {
        match c {
            std::path::Component::Normal(n) => out.push(n),
            std::path::Component::CurDir => {}
            _ => {
                return Err(format!(
                    "file name `{shown}` is absolute or has a `..` component"
                ))
            }
        }
    }
    if out.as_os_str().is_empty() {
        return Err(format!(
            "file name `{shown}` names no file after stripping one component"
        ));
    }
    Ok(Some(out))
}

/// Splits a patch into per-file diffs: a `--- ` line directly followed by a `+++ ` line starts one; each `@@`
/// hunk takes exactly the lines its header counts (plus `\ No newline at end of file` markers). Other text
/// (`diff`/`index` lines, commit messages, signatures) is skipped.
fn split(bytes: &[u8]) -> Result<Vec<FileDiff>, String> {
    let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
    let mut diffs: Vec<FileDiff> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.starts_with(b"--- ") && lines.get(i + 1).is_some_and(|l| l.starts_with(b"+++ ")) {
            let plus = lines[i + 1];
            let label = String::from_utf8_lossy(&plus[4..]).trim_end().to_owned();
            let mut text = line.to_vec();
            text.extend_from_slice(plus);
            diffs.push(FileDiff { label, text });
            i += 2;
        } else if line.starts_with(b"@@ ") && !diffs.is_empty() {
            let diff = diffs.last_mut().expect("checked non-empty");
            let (mut old, mut new) = hunk_counts(line).ok_or_else(|| {
                format!(
                    "bad hunk header `{}`",
                    String::from_utf8_lossy(line).trim_end()
                )
            })?;
            diff.text.extend_from_slice(line);
            i += 1;
            while (old > 0 || new > 0) && i < lines.len() {
                let body = lines[i];
                match body.first() {
                    Some(b' ') | Some(b'\n') => {
                        old = old.saturating_sub(1);
                        new = new.saturating_sub(1);
                    }
                    Some(b'-') => old = old.saturating_sub(1),
                    Some(b'+') => new = new.saturating_sub(1),
                    Some(b'\\') => {}
                    _ => break,
                }
                diff.text.extend_from_slice(body);
                i += 1;
            }
            if lines.get(i).is_some_and(|l| l.starts_with(b"\\")) {
                diff.text.extend_from_slice(lines[i]);
                i += 1;
            }
            // diffy needs every line newline-terminated, including the last line of the file.
            if !diff.text.ends_with(b"\n") {
                diff.text.push(b'\n');
            }
        } else if line.starts_with(b"GIT binary patch") || line.starts_with(b"Binary files ") {
            return Err("binary patches are not supported".to_owned());
        } else {
            i += 1;
        }
    }
    Ok(diffs)
}

/// The old and new line counts of a hunk header `@@ -a[,b] +c[,d] @@`.
fn hunk_counts(line: &[u8]) -> Option<(usize, usize)> {
    let text = std::str::from_utf8(line).ok()?;
    let mut parts = text.strip_prefix("@@ ")?.split(' ');
    let count = |part: &str, sign: char| -> Option<usize> {
        let range = part.strip_prefix(sign)?;
        match range.split_once(',') {
            Some((_, len)) => len.parse().ok(),
            None => range.parse::<usize>().ok().map(|_| 1),
        }
    };
    Some((count(parts.next()?, '-')?, count(parts.next()?, '+')?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(tmp.path().join("tree/src")).unwrap();
        fs_err::write(tmp.path().join("tree/src/main.c"), "int main;\n").unwrap();
        tmp
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut out: Vec<String> = walkdir::WalkDir::new(dir)
            .min_depth(1)
            .into_iter()
            .map(|e| {
                let e = e.unwrap();
                let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
                match e.file_type().is_file() {
                    true => format!("{rel}={}", fs_err::read_to_string(e.path()).unwrap()),
                    false => rel,
                }
            })
            .collect();
        out.sort();
        out
    }

    /// Applies `patch` to a fresh tree, expects an error that names `file`, and checks the tree is unchanged.
    fn refused_without_a_trace(patch: &[u8], file: &str) {
        let tmp = tree();
        let dir = tmp.path().join("tree");
        let before = listing(&dir);
        let patch_file = tmp.path().join("p.patch");
        fs_err::write(&patch_file, patch).unwrap();
        let err = apply_patch(&patch_file, &dir).unwrap_err();
        match &err {
            SourceError::Patch { file: f, .. } => assert_eq!(f, file, "{err}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(listing(&dir), before, "the failed patch changed the tree");
    }

    #[test]
    fn a_patch_creating_a_file_and_a_file_under_it_fails_without_writing_either() {
        // Either order: the file first, or the file under it first.
        refused_without_a_trace(
            b"--- /dev/null\n+++ b/NEWS\n@@ -0,0 +1 @@\n+news\n--- /dev/null\n+++ b/NEWS/x.c\n@@ -0,0 +1 @@\n+x\n",
            "NEWS/x.c",
        );
        refused_without_a_trace(
            b"--- /dev/null\n+++ b/NEWS/x.c\n@@ -0,0 +1 @@\n+x\n--- /dev/null\n+++ b/NEWS\n@@ -0,0 +1 @@\n+news\n",
            "NEWS",
        );
        // Creating a file where a directory is.
        refused_without_a_trace(b"--- /dev/null\n+++ b/src\n@@ -0,0 +1 @@\n+x\n", "src");
        // Creating a file under an existing file.
        refused_without_a_trace(
            b"--- /dev/null\n+++ b/src/main.c/x\n@@ -0,0 +1 @@\n+x\n",
            "src/main.c/x",
        );
    }

    /// The input the `patch_apply` fuzz target found (fuzz/artifacts/patch_apply/crash-8b6a3bd8…): `NEWS/mcin.c`
    /// and `NEWS` created by one patch whose last hunk header is broken; `NEWS` was left behind, empty.
    #[test]
    fn fuzz_crash_8b6a3bd8_leaves_the_tree_unchanged() {
        let input: &[u8] = b"in/main.cwith daomin(void) {\n-- commen\xfe\xff\xff\xb9ent that sta\x15\0\0\0w }\n\
--- /dev/null\n+++ b/NEWS/mcin.c\n--- a/srint ma\n+++ b/src/main.c\t2024ment th}\n--- /dev/null\n+++ b/NEWS\n\
@@\x1c#0,0 +1 @@\n+new file\n-- \n2.43.0\n";
        // The fuzz target's split: file content, NUL, patch.
        let nul = input.iter().position(|&b| b == 0).unwrap();
        let tmp = tree();
        let dir = tmp.path().join("tree");
        fs_err::write(dir.join("src/main.c"), &input[..nul]).unwrap();
        let before = listing_bytes(&dir);
        let patch_file = tmp.path().join("p.patch");
        fs_err::write(&patch_file, &input[nul + 1..]).unwrap();
        apply_patch(&patch_file, &dir).unwrap_err();
        assert_eq!(listing_bytes(&dir), before);
    }

    fn listing_bytes(dir: &Path) -> Vec<(PathBuf, Option<Vec<u8>>)> {
        let mut out: Vec<_> = walkdir::WalkDir::new(dir)
            .min_depth(1)
            .into_iter()
            .map(|e| {
                let e = e.unwrap();
                let content = e
                    .file_type()
                    .is_file()
                    .then(|| fs_err::read(e.path()).unwrap());
                (e.path().strip_prefix(dir).unwrap().to_path_buf(), content)
            })
            .collect();
        out.sort();
        out
    }
}
