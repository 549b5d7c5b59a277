use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::*;

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs_err::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn mode(path: &Path) -> u32 {
    fs_err::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn write_atomic_replaces_the_file_with_mode_644_and_leaves_no_temp_file() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("a.json");
    fs_err::write(&path, b"old").unwrap();
    fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    write_atomic(&path, b"new").unwrap();
    assert_eq!(fs_err::read(&path).unwrap(), b"new");
    assert_eq!(mode(&path), 0o644);
    assert_eq!(names(tmp.path()), ["a.json"]);
}

#[test]
fn write_atomic_with_sets_the_exact_mode_and_returns_the_fill_value() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("run.sh");
    let options = WriteOptions {
        mode: 0o755,
        sync: false,
    };
    let n = write_atomic_with(&path, options, |file| {
        file.write_all(b"#!/bin/sh\n")?;
        Ok(10)
    })
    .unwrap();
    assert_eq!(n, 10);
    assert_eq!(mode(&path), 0o755);
}

#[test]
fn a_failing_fill_keeps_the_old_file_and_removes_the_temp_file() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("a");
    fs_err::write(&path, b"old").unwrap();
    let err = write_atomic_with(&path, WriteOptions::default(), |file| {
        file.write_all(b"partial")?;
        Err::<(), _>(io::Error::other("boom"))
    })
    .unwrap_err();
    assert_eq!(err.to_string(), "boom");
    assert_eq!(fs_err::read(&path).unwrap(), b"old");
    assert_eq!(names(tmp.path()), ["a"]);
}

#[test]
fn errors_name_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no/such/dir/file");
    let err = write_atomic(&missing, b"x").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    let dir = tmp.path().join("no/such/dir");
    assert!(err.to_string().contains(&*dir.to_string_lossy()), "{err}");

    let err = lock_exclusive(&missing).unwrap_err();
    assert!(
        err.to_string().contains(&*missing.to_string_lossy()),
        "{err}"
    );
}

#[test]
fn copy_atomic_hashes_what_it_copies() {
    let tmp = tempfile::tempdir().unwrap();
    let to = tmp.path().join("copy");
    let digests = copy_atomic(&mut &b"abc"[..], &to, WriteOptions::default()).unwrap();
    assert_eq!(
        digests.sha256_hex(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(digests.size, 3);
    assert_eq!(fs_err::read(&to).unwrap(), b"abc");
    assert_eq!(names(tmp.path()), ["copy"]);
}

#[test]
fn copy_synced_and_write_synced_write_plain_files() {
    let tmp = tempfile::tempdir().unwrap();
    let from = tmp.path().join("from");
    write_synced(&from, b"abc").unwrap();
    let digests = copy_synced(&from, &tmp.path().join("to")).unwrap();
    assert_eq!(digests.size, 3);
    assert_eq!(fs_err::read(tmp.path().join("to")).unwrap(), b"abc");
    sync_dir(tmp.path()).unwrap();
    let err = copy_synced(&tmp.path().join("nothing"), &tmp.path().join("x")).unwrap_err();
    assert!(err.to_string().contains("nothing"), "{err}");
}

#[test]
fn persist_moves_a_temp_file_into_place() {
    let tmp = tempfile::tempdir().unwrap();
    let mut file = temp_file(tmp.path(), 0o640).unwrap();
    assert!(file
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with(TEMP_PREFIX));
    file.write_all(b"content").unwrap();
    let dest = tmp.path().join("dest");
    persist(file, &dest).unwrap();
    assert_eq!(fs_err::read(&dest).unwrap(), b"content");
    assert_eq!(mode(&dest), 0o640);
    assert_eq!(names(tmp.path()), ["dest"]);
}

#[test]
fn lock_blocks_a_second_holder_until_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("x.lock");
    let lock = lock_exclusive(&path).unwrap();
    assert_eq!(lock.path(), path);
    let other = fs_err::File::open(&path).unwrap();
    assert!(!fs4::fs_std::FileExt::try_lock_exclusive(other.file()).unwrap());
    drop(lock);
    assert!(fs4::fs_std::FileExt::try_lock_exclusive(other.file()).unwrap());
}

#[test]
fn copy_tree_copies_a_file_or_a_tree_following_symlinks() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    fs_err::create_dir_all(src.join("sub")).unwrap();
    fs_err::write(src.join("sub/b"), b"b").unwrap();
    fs_err::write(src.join("a"), b"a").unwrap();
    std::os::unix::fs::symlink("a", src.join("link")).unwrap();

    let dest = tmp.path().join("out/tree");
    copy_tree(&src, &dest).unwrap();
    assert_eq!(names(&dest), ["a", "link", "sub"]);
    assert_eq!(fs_err::read(dest.join("sub/b")).unwrap(), b"b");
    let link = fs_err::symlink_metadata(dest.join("link")).unwrap();
    assert!(link.is_file(), "symlinks are followed");

    let single = tmp.path().join("out/deep/file");
    copy_tree(&src.join("a"), &single).unwrap();
    assert_eq!(fs_err::read(&single).unwrap(), b"a");
}

#[test]
fn copy_tree_walk_errors_can_be_recovered() {
    let tmp = tempfile::tempdir().unwrap();
    let err = copy_tree(&tmp.path().join("missing"), &tmp.path().join("dest")).unwrap_err();
    let walk = into_walk_error(err).expect("a walk error");
    assert_eq!(walk.io_error().unwrap().kind(), io::ErrorKind::NotFound);

    let other = io::Error::other("not a walk error");
    assert!(into_walk_error(other).is_err());
}
