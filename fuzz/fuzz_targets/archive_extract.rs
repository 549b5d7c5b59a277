//! Bytes → a temp file → `archi::source::extract_archive` into a temp dir with small caps. Must never panic,
//! never write outside the destination, leave nothing behind on error, respect the caps, and leave only symlinks
//! that resolve inside the destination.
#![no_main]

use std::path::{Component, Path, PathBuf};

use archi::source::{extract_archive, ArchiveLimits};
use libfuzzer_sys::fuzz_target;

const MAX_UNPACKED: u64 = 4 << 20;

fn names(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .map(|e| {
            e.expect("walk")
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_path_buf()
        })
        .collect();
    out.sort();
    out
}

/// Whether the symlink `link` (inside `root`, canonical) leads outside `root`: followed by the OS when it resolves,
/// else (dangling or looping) its own target taken lexically from its canonical parent.
fn escapes(root: &Path, link: &Path) -> bool {
    if let Ok(resolved) = std::fs::canonicalize(link) {
        return !resolved.starts_with(root);
    }
    let target = std::fs::read_link(link).expect("read link");
    if target.has_root() {
        return true;
    }
    let mut at = std::fs::canonicalize(link.parent().expect("parent")).expect("parent resolves");
    for c in target.components() {
        match c {
            Component::ParentDir => {
                at.pop();
            }
            Component::Normal(n) => at.push(n),
            _ => {}
        }
    }
    !at.starts_with(root)
}

fuzz_target!(|data: &[u8]| {
    let tmp = tempfile::tempdir().expect("temp dir");
    let archive = tmp.path().join("input.tar");
    fs_err::write(&archive, data).expect("write input");
    let dest = tmp.path().join("out/dest");
    let limits = ArchiveLimits {
        max_unpacked_size: MAX_UNPACKED,
        max_expansion_ratio: 200,
        max_entries: 10_000,
    };
    let result = extract_archive(&archive, &dest, &limits);
    // Nothing next to the destination.
    let outside: Vec<PathBuf> = names(tmp.path())
        .into_iter()
        .filter(|p| {
            !p.starts_with("out/dest") && p != Path::new("input.tar") && p != Path::new("out")
        })
        .collect();
    assert!(
        outside.is_empty(),
        "written outside the destination: {outside:?}"
    );
    let inside = names(&dest);
    if result.is_err() {
        assert!(inside.is_empty(), "an error left {inside:?}");
        return;
    }
    let root = std::fs::canonicalize(&dest).expect("dest resolves");
    let mut bytes = 0;
    for rel in &inside {
        let path = dest.join(rel);
        let meta = path.symlink_metadata().expect("stat");
        if meta.file_type().is_symlink() {
            assert!(
                !escapes(&root, &path),
                "symlink {rel:?} leaves the destination"
            );
        } else if meta.is_file() {
            bytes += meta.len();
        }
    }
    // A non-archive is copied as is (its own size); an archive unpacks to at most the cap.
    assert!(
        bytes <= MAX_UNPACKED.max(data.len() as u64),
        "{bytes} bytes unpacked, cap {MAX_UNPACKED}"
    );
});
