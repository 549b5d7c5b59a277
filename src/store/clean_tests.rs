//! Leftovers of dead runs go; what a live process holds stays.

use serde_json::json;

use super::*;
use crate::store::{compute_key, NewEntry, StoreKey};

fn key(n: u32) -> StoreKey {
    compute_key(&json!({ "n": n }))
}

/// A store with key `k`'s lock file (as any build of it leaves behind).
fn store_with_locks(root: &Path, keys: &[&StoreKey]) -> Store {
    let store = Store::open(root).unwrap();
    for k in keys {
        drop(store.lock(k).unwrap());
    }
    store
}

fn work_dir(store: &Store, k: &StoreKey) -> PathBuf {
    let dir = store
        .work_root()
        .join(format!("demo-linux-64-{}", k.short()));
    fs_err::create_dir_all(dir.join("src")).unwrap();
    fs_err::write(dir.join("src/file.c"), b"int main(void) { return 0; }\n").unwrap();
    dir
}

#[test]
fn dead_work_dirs_and_temp_entries_go_live_and_kept_ones_stay() {
    let tmp = tempfile::tempdir().unwrap();
    let (dead, live, kept) = (key(1), key(2), key(3));
    let store = store_with_locks(tmp.path(), &[&dead, &live, &kept]);
    let dead_work = work_dir(&store, &dead);
    let live_work = work_dir(&store, &live);
    let kept_work = work_dir(&store, &kept);
    fs_err::write(kept_work.join(KEEP_MARKER), b"").unwrap();
    let dead_tmp = store.tmp_dir().join(format!("{}-abc123", dead.short()));
    let live_tmp = store.tmp_dir().join(format!("{}-def456", live.short()));
    for dir in [&dead_tmp, &live_tmp] {
        fs_err::create_dir_all(dir).unwrap();
        fs_err::write(dir.join("pkg.conda"), b"12345").unwrap();
    }
    // A work dir whose key never had a lock file: nobody can be building it.
    let unlocked = work_dir(&store, &key(4));
    let trash = store.work_root().join(".trash-demo-linux-64-1234567-99-0");
    fs_err::create_dir_all(&trash).unwrap();

    let pid_max: u64 = fs_err::read_to_string("/proc/sys/kernel/pid_max")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let dead_probe = store
        .work_root()
        .join(format!(".sandbox-probe-{}", pid_max + 1));
    let live_probe = store
        .work_root()
        .join(format!(".sandbox-probe-{}", std::process::id()));
    fs_err::create_dir_all(&dead_probe).unwrap();
    fs_err::create_dir_all(&live_probe).unwrap();

    let _held = store.lock(&live).unwrap();
    let summary = clean_leftovers(&store).unwrap();
    assert_eq!(summary.temp_entries, vec![dead_tmp.clone()]);
    let mut expected_work = vec![
        dead_work.clone(),
        unlocked.clone(),
        trash.clone(),
        dead_probe.clone(),
    ];
    expected_work.sort();
    assert_eq!(summary.work_dirs, expected_work);
    assert_eq!(summary.bytes, 5 + 2 * 29);
    for gone in [&dead_tmp, &dead_work, &unlocked, &trash, &dead_probe] {
        assert!(!gone.exists(), "{}", gone.display());
    }
    for stays in [&live_tmp, &live_work, &kept_work, &live_probe] {
        assert!(stays.exists(), "{}", stays.display());
    }
    // Removing twice finds nothing more.
    assert!(clean_leftovers(&store).unwrap().is_empty());
}

#[test]
fn stale_temp_files_go_and_live_ones_stay() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let sha_dir = store.sources_dir().join("sha256");
    fs_err::create_dir_all(&sha_dir).unwrap();
    let stale = [
        store.root().join(".archi-tmp-aaaaaa"),
        sha_dir.join(".archi-tmp-bbbbbb"),
        store.layout_dir().join(".archi-tmp-cccccc"),
    ];
    for path in &stale {
        fs_err::write(path, b"x").unwrap();
    }
    let live = crate::fsutil::temp_file(&sha_dir, 0o644).unwrap();
    let other = sha_dir.join("not-a-temp-file");
    fs_err::write(&other, b"y").unwrap();
    let summary = clean_leftovers(&store).unwrap();
    let mut expected = stale.to_vec();
    expected.sort();
    assert_eq!(summary.temp_files, expected);
    assert!(stale.iter().all(|p| !p.exists()));
    assert!(live.path().exists() && other.exists());
    // Once its writer is gone (the handle dropped without persisting deletes it; a killed one leaves it
    // unlocked), nothing holds it.
    let path = live.path().to_path_buf();
    let (file, temp_path) = live.into_parts();
    drop(file);
    let _ = temp_path.keep();
    assert_eq!(clean_leftovers(&store).unwrap().temp_files, vec![path]);
}

#[test]
fn open_for_build_cleans_and_holds_the_use_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let left = work_dir(&store, &key(7));
    let (built, summary) = Store::open_for_build(tmp.path()).unwrap();
    assert_eq!(summary.work_dirs, vec![left]);
    let use_lock = store.layout_dir().join(".use.lock");
    assert!(crate::fsutil::try_lock_exclusive(&use_lock)
        .unwrap()
        .is_none());
    let clone = built.clone();
    drop(built);
    assert!(crate::fsutil::try_lock_exclusive(&use_lock)
        .unwrap()
        .is_none());
    drop(clone);
    assert!(crate::fsutil::try_lock_exclusive(&use_lock)
        .unwrap()
        .is_some());
}

#[test]
fn remove_dir_robust_frees_the_name_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("work-dir");
    fs_err::create_dir_all(dir.join("a/b")).unwrap();
    fs_err::write(dir.join("a/b/c"), b"c").unwrap();
    remove_dir_robust(&dir, tmp.path()).unwrap();
    assert!(!dir.exists());
    assert_eq!(fs_err::read_dir(tmp.path()).unwrap().count(), 0);
    // A missing directory is fine.
    remove_dir_robust(&dir, tmp.path()).unwrap();
}

#[test]
fn entries_are_never_leftovers() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let art = tmp.path().join("demo-1.0-h0000000_0.conda");
    fs_err::write(&art, b"pkg").unwrap();
    let k = key(9);
    let entry = store
        .insert(
            &k,
            &art,
            NewEntry {
                name: "demo".into(),
                version: "1.0".into(),
                build: "h0000000_0".into(),
                subdir: "linux-64".into(),
                inputs: json!({ "n": 9 }),
            },
        )
        .unwrap();
    assert!(clean_leftovers(&store).unwrap().is_empty());
    assert!(entry.dir.exists());
    assert!(store.verify().unwrap().is_empty());
}
