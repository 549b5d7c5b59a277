//! gc keeps what a channel publishes or a root names, removes the rest, trims caches to a budget, and leaves a
//! store that verifies.

use std::time::{Duration, SystemTime};

use serde_json::json;

use super::*;
use crate::store::{compute_key, NewEntry, StoreEntry};

fn entry(store: &Store, tmp: &std::path::Path, n: u32, subdir: &str) -> StoreEntry {
    let inputs = json!({ "n": n });
    let key = compute_key(&inputs);
    let art = tmp.join(format!("demo-{n}.0-h{}_0.conda", key.short()));
    fs_err::write(&art, vec![b'x'; 100 * n as usize]).unwrap();
    let _lock = store.lock(&key).unwrap();
    store
        .insert(
            &key,
            &art,
            NewEntry {
                name: "demo".into(),
                version: format!("{n}.0"),
                build: format!("h{}_0", key.short()),
                subdir: subdir.into(),
                inputs,
            },
        )
        .unwrap()
}

fn published(entries: &[&StoreEntry]) -> BTreeSet<(String, String)> {
    entries
        .iter()
        .map(|e| (e.manifest.subdir.clone(), e.manifest.artifact.clone()))
        .collect()
}

/// A cache item of `bytes` bytes last touched `age` ago.
fn cache_item(path: &std::path::Path, bytes: usize, age: Duration) {
    fs_err::create_dir_all(path).unwrap();
    fs_err::write(path.join("data"), vec![0u8; bytes]).unwrap();
    let when = SystemTime::now() - age;
    let times = std::fs::FileTimes::new()
        .set_accessed(when)
        .set_modified(when);
    fs_err::File::open(path)
        .unwrap()
        .file()
        .set_times(times)
        .unwrap();
}

#[test]
fn gc_removes_unreferenced_entries_and_keeps_published_and_rooted_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("store")).unwrap();
    let kept = entry(&store, tmp.path(), 1, "linux-64");
    let rooted = entry(&store, tmp.path(), 2, "linux-64");
    let garbage = entry(&store, tmp.path(), 3, "linux-64");
    // Same file name in another subdir does not keep it.
    let other_subdir = entry(&store, tmp.path(), 4, "linux-aarch64");
    fs_err::create_dir_all(store.roots_dir()).unwrap();
    fs_err::write(store.roots_dir().join(rooted.key.as_str()), b"").unwrap();
    let mut refs = published(&[&kept]);
    refs.insert(("linux-64".into(), other_subdir.manifest.artifact.clone()));
    let opts = GcOptions {
        published: refs,
        cache_budget: None,
        dry_run: true,
    };

    let lock = store.lock_for_gc().unwrap();
    let dry = gc(&store, &lock, &opts).unwrap();
    let removed: Vec<_> = dry.entries.iter().map(|e| e.key.clone()).collect();
    let mut expected = vec![garbage.key.clone(), other_subdir.key.clone()];
    expected.sort();
    assert_eq!(removed, expected);
    assert_eq!(dry.kept_entries, 2);
    assert_eq!(store.list().unwrap().len(), 4, "a dry run removes nothing");

    let done = gc(
        &store,
        &lock,
        &GcOptions {
            dry_run: false,
            ..opts
        },
    )
    .unwrap();
    assert_eq!(done.entries, dry.entries, "the dry run said what gc does");
    assert!(done.freed_bytes() >= 300 + 400);
    let left: Vec<_> = store.list().unwrap().into_iter().map(|e| e.key).collect();
    let mut expected = vec![kept.key.clone(), rooted.key.clone()];
    expected.sort();
    let mut left_sorted = left.clone();
    left_sorted.sort();
    assert_eq!(left_sorted, expected);
    assert!(store.verify().unwrap().is_empty());
    assert_eq!(fs_err::read_dir(store.tmp_dir()).unwrap().count(), 0);
}

#[test]
fn gc_trims_caches_to_the_budget_oldest_first() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let pkgs = store.package_cache();
    let unpacked = store.sources_dir().join("unpacked");
    let day = Duration::from_secs(86_400);
    cache_item(&pkgs.join("old-1.0-h1_0"), 1000, 3 * day);
    fs_err::write(pkgs.join("old-1.0-h1_0.lock"), b"").unwrap();
    cache_item(&unpacked.join("a".repeat(64)), 2000, 2 * day);
    cache_item(&pkgs.join("new-1.0-h2_0"), 4000, Duration::ZERO);
    // Not gc's: an unpack in progress, and the downloaded sources.
    cache_item(&unpacked.join(".unpacking-xyz"), 500, 9 * day);
    cache_item(&store.sources_dir().join("sha256"), 700, 9 * day);
    // The .lock file was just written; make the item old again.
    let old = SystemTime::now() - 3 * day;
    fs_err::File::open(pkgs.join("old-1.0-h1_0.lock"))
        .unwrap()
        .file()
        .set_times(
            std::fs::FileTimes::new()
                .set_accessed(old)
                .set_modified(old),
        )
        .unwrap();

    let lock = store.lock_for_gc().unwrap();
    let summary = gc(
        &store,
        &lock,
        &GcOptions {
            cache_budget: Some(5000),
            ..GcOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        summary.cache_items,
        vec![
            (pkgs.join("old-1.0-h1_0"), 1000),
            (unpacked.join("a".repeat(64)), 2000)
        ]
    );
    assert_eq!(summary.cache_bytes, (7000, 4000));
    assert!(!pkgs.join("old-1.0-h1_0").exists() && !pkgs.join("old-1.0-h1_0.lock").exists());
    assert!(pkgs.join("new-1.0-h2_0").exists());
    assert!(unpacked.join(".unpacking-xyz").exists());
    assert!(store.sources_dir().join("sha256/data").exists());

    // Without a budget the caches are left alone.
    let again = gc(&store, &lock, &GcOptions::default()).unwrap();
    assert!(again.cache_items.is_empty());
    assert_eq!(again.cache_bytes, (4000, 4000));
}

#[test]
fn gc_removes_kept_work_dirs_too() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let kept = store.work_root().join("demo-linux-64-abcdef0");
    fs_err::create_dir_all(&kept).unwrap();
    fs_err::write(kept.join(crate::store::clean::KEEP_MARKER), b"").unwrap();
    assert!(crate::store::clean_leftovers(&store).unwrap().is_empty());
    let lock = store.lock_for_gc().unwrap();
    let summary = gc(&store, &lock, &GcOptions::default()).unwrap();
    assert_eq!(summary.leftovers.work_dirs, vec![kept.clone()]);
    assert!(!kept.exists());
}

#[test]
fn gc_removes_the_lock_files_of_keys_without_an_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("store")).unwrap();
    let kept = entry(&store, tmp.path(), 1, "linux-64");
    let garbage = entry(&store, tmp.path(), 2, "linux-64");
    // A build that failed leaves its key's lock file and no entry.
    let failed = compute_key(&json!({ "failed": true }));
    drop(store.lock(&failed).unwrap());
    let lock_file = |key: &StoreKey| store.locks_dir().join(format!("{key}.lock"));
    assert!(lock_file(&failed).is_file());
    let opts = GcOptions {
        published: published(&[&kept]),
        cache_budget: None,
        dry_run: false,
    };
    let lock = store.lock_for_gc().unwrap();
    let summary = gc(&store, &lock, &opts).unwrap();
    assert_eq!(summary.lock_files, 2);
    assert!(lock_file(&kept.key).is_file());
    assert!(!lock_file(&garbage.key).exists());
    assert!(!lock_file(&failed).exists());
    assert!(store.verify().unwrap().is_empty());
}
