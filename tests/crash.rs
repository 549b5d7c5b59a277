//! Crash safety through the real binary: what a killed run leaves (a publish cut short, temp entries, work
//! directories, temp files) is repaired or removed by the next command, and `archi store gc` keeps exactly what a
//! channel publishes. Kills are simulated by doing a run's partial steps by hand; `scripts/kill-trials.sh` sends
//! real SIGKILLs.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{ok, run, store_entries, Workspace};

fn recipe(name: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"1.0\"\n[build]\nscript = \"mkdir -p $PREFIX/share && echo {name} > \
         $PREFIX/share/{name}.txt\"\n"
    )
}

/// `.conda` files present in `<channel>/<subdir>` and those its repodata.json lists.
fn present_and_listed(channel: &Path, subdir: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let dir = channel.join(subdir);
    let present = fs_err::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".conda"))
        .collect();
    let repodata: serde_json::Value =
        serde_json::from_slice(&fs_err::read(dir.join("repodata.json")).unwrap()).unwrap();
    let listed = repodata["packages.conda"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    (present, listed)
}

fn assert_consistent(channel: &Path) {
    for subdir in ["linux-64", "noarch"] {
        let (present, listed) = present_and_listed(channel, subdir);
        assert_eq!(present, listed, "{subdir}");
    }
    assert!(!channel.join(".archi-publish").exists(), "journal left");
}

/// Removes `file` from `<channel>/linux-64/repodata.json` (not from .zst or channeldata): the state of a publish
/// killed after copying the archive, before the index update.
fn unlist(channel: &Path, file: &str) {
    let path = channel.join("linux-64/repodata.json");
    let mut repodata: serde_json::Value =
        serde_json::from_slice(&fs_err::read(&path).unwrap()).unwrap();
    repodata["packages.conda"]
        .as_object_mut()
        .unwrap()
        .remove(file)
        .expect("was listed");
    fs_err::write(&path, serde_json::to_vec_pretty(&repodata).unwrap()).unwrap();
}

fn only_conda(channel: &Path) -> String {
    let (present, _) = present_and_listed(channel, "linux-64");
    assert_eq!(present.len(), 1);
    present.into_iter().next().unwrap()
}

#[test]
fn publish_killed_after_the_copy_is_finished_by_the_next_cached_build() {
    let ws = Workspace::new();
    let dir = ws.recipe("alpha", &recipe("alpha"));
    ok(ws.archi().arg("build").arg(&dir));
    let file = only_conda(&ws.channel());
    unlist(&ws.channel(), &file);
    fs_err::write(
        ws.channel().join(".archi-publish"),
        format!("{{\"subdir\":\"linux-64\",\"file\":\"{file}\"}}\n"),
    )
    .unwrap();
    let (present, listed) = present_and_listed(&ws.channel(), "linux-64");
    assert_ne!(present, listed);

    let out = ok(ws.archi().arg("build").arg(&dir));
    assert!(out.starts_with("cached "), "{out}");
    assert_consistent(&ws.channel());
}

#[test]
fn publish_killed_without_a_journal_is_finished_by_the_next_build_of_another_package() {
    let ws = Workspace::new();
    let alpha = ws.recipe("alpha", &recipe("alpha"));
    let beta = ws.recipe("beta", &recipe("beta"));
    ok(ws.archi().arg("build").arg(&alpha));
    let file = only_conda(&ws.channel());
    unlist(&ws.channel(), &file);
    ok(ws.archi().arg("build").arg(&beta));
    assert_consistent(&ws.channel());
    assert_eq!(present_and_listed(&ws.channel(), "linux-64").1.len(), 2);
}

#[test]
fn journal_of_a_publish_killed_before_the_copy_is_dropped() {
    let ws = Workspace::new();
    let dir = ws.recipe("alpha", &recipe("alpha"));
    ok(ws.archi().arg("build").arg(&dir));
    let before = fs_err::read(ws.channel().join("linux-64/repodata.json")).unwrap();
    fs_err::write(
        ws.channel().join(".archi-publish"),
        "{\"subdir\":\"linux-64\",\"file\":\"alpha-1.0-h0000000_0.conda\"}\n",
    )
    .unwrap();
    ok(ws.archi().args(["index"]).arg(ws.channel()));
    assert_consistent(&ws.channel());
    assert_eq!(
        fs_err::read(ws.channel().join("linux-64/repodata.json")).unwrap(),
        before
    );
}

#[test]
fn leftovers_of_killed_runs_are_removed_when_a_build_starts() {
    let ws = Workspace::new();
    let dir = ws.recipe("alpha", &recipe("alpha"));
    ok(ws.archi().arg("build").arg(&dir));
    let store = ws.store();
    let leftovers: Vec<PathBuf> = vec![
        store.join("v1/.tmp/abcdef0-Xy12Zq"),
        store.join("work/gamma-linux-64-abcdef0"),
        store.join("work/.trash-gamma-linux-64-abcdef0-123-0"),
    ];
    for dir in &leftovers {
        fs_err::create_dir_all(dir.join("sub")).unwrap();
        fs_err::write(dir.join("sub/file"), b"left behind").unwrap();
    }
    let temp_files = [
        store.join(".archi-tmp-AbC123"),
        store.join("sources/sha256/.archi-tmp-DeF456"),
        ws.channel().join("linux-64/.archi-tmp-GhI789"),
    ];
    fs_err::create_dir_all(store.join("sources/sha256")).unwrap();
    for file in &temp_files {
        fs_err::write(file, b"half written").unwrap();
    }
    // Kept on purpose by a failed build: stays.
    let kept = store.join("work/failed-linux-64-1234567");
    fs_err::create_dir_all(&kept).unwrap();
    fs_err::write(kept.join(".archi-keep"), b"").unwrap();

    let out = ok(ws.archi().arg("build").arg(&dir));
    assert!(out.starts_with("cached "), "{out}");
    for path in leftovers.iter().chain(&temp_files) {
        assert!(!path.exists(), "{} survived", path.display());
    }
    assert!(kept.exists());
    ok(ws.archi().args(["store", "verify"]));
}

#[test]
fn gc_removes_an_unpublished_entry_and_keeps_published_and_rooted_ones() {
    let ws = Workspace::new();
    for name in ["alpha", "beta", "gamma"] {
        let dir = ws.recipe(name, &recipe(name));
        ok(ws.archi().arg("build").arg(&dir));
    }
    assert_eq!(store_entries(&ws.store()).len(), 3);
    let key_of = |name: &str| {
        let ls = ok(ws.archi().args(["store", "ls"]));
        ls.lines()
            .find(|l| l.starts_with(&format!("{name}-")))
            .and_then(|l| l.split_whitespace().last())
            .unwrap()
            .to_string()
    };
    let (beta, gamma) = (key_of("beta"), key_of("gamma"));
    // beta and gamma leave the channel; gamma is rooted.
    for entry in fs_err::read_dir(ws.channel().join("linux-64")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("beta-") || name.starts_with("gamma-") {
            fs_err::remove_file(&path).unwrap();
        }
    }
    ok(ws.archi().arg("index").arg(ws.channel()));
    fs_err::create_dir_all(ws.store().join("roots")).unwrap();
    fs_err::write(ws.store().join("roots").join(&gamma), b"").unwrap();

    let dry = ok(ws.archi().args(["store", "gc", "--dry-run"]));
    assert!(
        dry.contains(&format!("would remove linux-64/beta-1.0-h{}", &beta[..7])),
        "{dry}"
    );
    assert_eq!(store_entries(&ws.store()).len(), 3);

    let out = ok(ws.archi().args(["store", "gc"]));
    assert!(
        out.contains(&beta) && out.contains("removed 1 entries (2 kept"),
        "{out}"
    );
    let mut left = store_entries(&ws.store());
    left.sort();
    let mut expected = vec![key_of("alpha"), gamma.clone()];
    expected.sort();
    assert_eq!(left, expected);
    ok(ws.archi().args(["store", "verify"]));
    // The published package is still cached.
    let again = ok(ws.archi().arg("build").arg(ws.path().join("recipes/alpha")));
    assert!(again.starts_with("cached "), "{again}");
}

#[test]
fn gc_trims_the_caches_to_the_budget() {
    let ws = Workspace::new();
    let dir = ws.recipe("alpha", &recipe("alpha"));
    ok(ws.archi().arg("build").arg(&dir));
    let pkgs = ws.store().join("pkgs");
    let unpacked = ws.store().join("sources/unpacked");
    let items = [
        pkgs.join("old-1.0-h1_0"),
        unpacked.join("b".repeat(64)),
        pkgs.join("new-1.0-h2_0"),
    ];
    for (i, item) in items.iter().enumerate() {
        fs_err::create_dir_all(item).unwrap();
        fs_err::write(item.join("data"), vec![0u8; 2048]).unwrap();
        let when =
            std::time::SystemTime::now() - std::time::Duration::from_secs(3600 * (3 - i as u64));
        fs_err::File::open(item)
            .unwrap()
            .file()
            .set_times(std::fs::FileTimes::new().set_modified(when))
            .unwrap();
    }
    let out = ok(ws.archi().args(["store", "gc", "--max-size", "3KiB"]));
    assert!(out.contains("2 cache items"), "{out}");
    assert!(!items[0].exists() && !items[1].exists() && items[2].exists());
    assert_eq!(store_entries(&ws.store()).len(), 1);
    ok(ws.archi().args(["store", "verify"]));

    let bad = run(ws.archi().args(["store", "gc", "--max-size", "3 parsecs"]));
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn gc_outside_a_workspace_needs_a_channel() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(common::archi(&tmp.path().join("store"))
        .current_dir(tmp.path())
        .args(["store", "gc"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no channel to keep packages of"));
}
