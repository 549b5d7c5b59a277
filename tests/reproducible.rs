//! Byte-identical rebuilds: zlib and xz, for both platforms, built with the same keys in two fresh stores at
//! different paths, seconds apart, with different `TMPDIR`s and no `SOURCE_DATE_EPOCH` from the caller, give the
//! same `.conda` bytes; `archi build --check` rebuilds them and finds them identical; a recipe that writes the
//! time into a file is reported with that file's path. Sources come from Debian's archive (the seeding step).

mod common;

use std::path::Path;

use common::{ok, run};

const BOTH: [&str; 4] = [
    "--target-platform",
    "linux-64",
    "--target-platform",
    "linux-aarch64",
];

/// The sha256 of every package in `channel`, by file name.
fn packages(channel: &Path) -> std::collections::BTreeMap<String, String> {
    common::files_under(channel)
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "conda"))
        .map(|f| {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            (name, archi::source::sha256_file(&channel.join(&f)).unwrap())
        })
        .collect()
}

/// `archi build ARGS` on the repository's workspace with `store`, its own channel and TMPDIR, no
/// SOURCE_DATE_EPOCH.
fn build_in(store: &Path, channel: &Path, tmpdir: &Path, args: &[&str]) -> std::process::Command {
    let mut cmd = common::archi(store);
    cmd.env("TMPDIR", tmpdir)
        .env_remove("SOURCE_DATE_EPOCH")
        .arg("build")
        .arg("--output")
        .arg(channel)
        .args(args)
        .args(BOTH);
    cmd
}

fn seed(store: &Path) {
    let out = run(std::process::Command::new("bash")
        .arg(common::repo().join("scripts/seed-sources.sh"))
        .env("ARCHI", env!("CARGO_BIN_EXE_archi"))
        .env("ARCHI_STORE", store));
    assert!(out.status.success(), "seeding failed");
}

#[test]
fn two_fresh_stores_build_the_same_bytes_and_check_finds_a_clock() {
    let short = tempfile::tempdir().unwrap();
    let long = tempfile::Builder::new()
        .prefix("a-much-longer-directory-name-for-the-second-store-")
        .tempdir()
        .unwrap();
    let mut results = Vec::new();
    for (i, root) in [short.path(), long.path()].into_iter().enumerate() {
        if i == 1 {
            // Seconds apart: a clock in the build would show.
            std::thread::sleep(std::time::Duration::from_secs(2));
        }
        let store = root.join("store");
        let tmpdir = root.join(format!("tmp-{i}"));
        fs_err::create_dir_all(&tmpdir).unwrap();
        seed(&store);
        let channel = root.join("channel");
        ok(&mut build_in(&store, &channel, &tmpdir, &["zlib", "xz"]));
        results.push(packages(&channel));
    }
    assert_eq!(results[0].len(), 4, "{:?}", results[0]);
    assert_eq!(results[0], results[1], "the same keys gave other bytes");

    // --check rebuilds what the first store has and finds it identical.
    let store = short.path().join("store");
    let channel = short.path().join("channel");
    let out = run(&mut build_in(
        &store,
        &channel,
        short.path(),
        &["--check", "zlib", "xz"],
    ));
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("check: 4 of 4 builds reproduced byte for byte (100%)"),
        "{stderr}"
    );
    assert_eq!(
        packages(&channel),
        results[0],
        "--check stores and publishes nothing new"
    );

    // A recipe with a clock in it: `archi check` (= build --check) names the file (and the index of paths that
    // lists its hash).
    let ws = common::Workspace::new();
    let recipe = ws.recipe(
        "clock",
        r#"
[package]
name = "clock"
version = "1.0"

[build]
script = "mkdir -p $PREFIX/share && date +%s%N > $PREFIX/share/built-at && echo fixed > $PREFIX/share/fixed"
"#,
    );
    ok(ws.archi().arg("build").arg(&recipe));
    let out = run(ws.archi().arg("check").arg(&recipe));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("clock: not reproducible"), "{stderr}");
    assert!(stderr.contains(": share/built-at"), "{stderr}");
    assert!(!stderr.contains(": share/fixed"), "{stderr}");
    assert!(
        stderr.contains("check: 0 of 1 builds reproduced"),
        "{stderr}"
    );
}
