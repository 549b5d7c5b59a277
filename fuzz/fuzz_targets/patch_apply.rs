//! Bytes split into a file and a patch → `archi::source::apply_patch` in a temp tree. The input is
//! `<file content> \0 <patch>` (no NUL: the whole input is the patch and the file is empty); the file is
//! `tree/src/main.c` and a few fixed neighbours exist, so `a/src/main.c` patches reach real content. Must never
//! panic, never write outside the tree, and leave the tree exactly as it was when it fails.
#![no_main]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;

/// Every entry under `dir`: relative path → file content (`None` for directories and links).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .map(|e| {
            let e = e.expect("walk");
            let content = e
                .file_type()
                .is_file()
                .then(|| fs_err::read(e.path()).expect("read"));
            (e.path().strip_prefix(dir).unwrap().to_path_buf(), content)
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let (file, patch) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    let tree = tmp.path().join("tree");
    fs_err::create_dir_all(tree.join("src")).expect("mkdir");
    fs_err::write(tree.join("src/main.c"), file).expect("write");
    fs_err::write(tree.join("README"), "hello\n").expect("write");
    fs_err::write(tree.join("configure"), "#!/bin/sh\necho ok\n").expect("write");
    let patch_file = tmp.path().join("fix.patch");
    fs_err::write(&patch_file, patch).expect("write");
    let before = snapshot(&tree);
    let result = archi::source::apply_patch(&patch_file, &tree);
    let mut top: Vec<_> = fs_err::read_dir(tmp.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    top.sort();
    assert_eq!(top, ["fix.patch", "tree"], "written outside the tree");
    if result.is_err() {
        assert_eq!(snapshot(&tree), before, "a failed patch changed the tree");
    }
});
