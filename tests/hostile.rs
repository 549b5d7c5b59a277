//! Hostile recipes: one fixture per defect class of the hardening campaign (tests/data/hostile/<case>/). Each is
//! copied into a fresh workspace beside a canary directory (`@CANARY@` in a fixture names it; the fixture's own
//! `canary/` files are put there; a `links` file lists symlinks to create, `name -> target`), built with `archi build --offline`, and must give exit 1, a report
//! (snapshot; with file:line:col where the input has a span), nothing in store or channel, and an untouched canary.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{files_under, run, store_entries, Workspace};

const CANARY_FILES: [(&str, &str); 3] = [
    ("secret.txt", "canary secret\n"),
    ("victim.txt", "canary victim\n"),
    ("dir/keep.txt", "canary keep\n"),
];

/// Every file and directory under `dir` with its contents and mtime (symlinks not followed).
fn tree_state(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, std::time::SystemTime)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .map(|e| {
            let meta = e.path().symlink_metadata().unwrap();
            let bytes = if meta.is_file() {
                fs_err::read(e.path()).unwrap()
            } else {
                Vec::new()
            };
            (
                e.path().strip_prefix(dir).unwrap().to_path_buf(),
                (bytes, meta.modified().unwrap()),
            )
        })
        .collect()
}

/// Copy the fixture `case` into `<ws>/recipes/<name>`, with `@CANARY@` replaced and its links created.
fn install_fixture(case: &Path, ws: &Workspace, canary: &Path) -> PathBuf {
    let name = case.file_name().unwrap();
    let dest = ws.path().join("recipes").join(name);
    for entry in walkdir::WalkDir::new(case) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(case).unwrap();
        // A fixture's own `canary/` files join the canary, outside the recipe.
        let to = match rel.strip_prefix("canary") {
            Ok(inside) => canary.join(inside),
            Err(_) => dest.join(rel),
        };
        if entry.file_type().is_dir() {
            fs_err::create_dir_all(&to).unwrap();
        } else if rel != Path::new("links") {
            let bytes = fs_err::read(entry.path()).unwrap();
            let text = replace_bytes(&bytes, b"@CANARY@", canary.to_str().unwrap().as_bytes());
            fs_err::write(&to, text).unwrap();
        }
    }
    if let Ok(links) = fs_err::read_to_string(case.join("links")) {
        for line in links.lines().filter(|l| !l.trim().is_empty()) {
            let (link, target) = line.split_once(" -> ").expect("`name -> target`");
            let target = target.replace("@CANARY@", canary.to_str().unwrap());
            std::os::unix::fs::symlink(target, dest.join(link)).unwrap();
        }
    }
    dest
}

fn replace_bytes(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

/// Build `recipes/<name>` in `ws` and check the hostile-input contract; returns the report with the workspace
/// path replaced by `[WS]`.
fn build_refused(ws: &Workspace, name: &str, canary: &Path) -> String {
    let before = tree_state(canary);
    let out = run(ws
        .archi()
        .args(["build", "--offline", "--test", "skip"])
        .arg(format!("recipes/{name}")));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
    assert!(store_entries(&ws.store()).is_empty(), "{name}: store");
    assert!(files_under(&ws.channel()).is_empty(), "{name}: channel");
    assert_eq!(tree_state(canary), before, "{name}: the canary changed");
    let real = fs_err::canonicalize(ws.path()).unwrap();
    let stderr = stderr
        .replace(&real.display().to_string(), "[WS]")
        .replace(&ws.path().display().to_string(), "[WS]");
    // Only the report itself: progress lines, the log tail and the summary table depend on the machine (its
    // cores, its speed, its sandbox) and on the store key.
    let noise = [
        "[",
        "  | ",
        "log: ",
        "outcome ",
        "failed   ",
        "built ",
        "critical path",
    ];
    stderr
        .lines()
        .filter(|line| !noise.iter().any(|p| line.starts_with(p)))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn hostile_recipes_are_refused_and_touch_nothing() {
    insta::glob!("data/hostile/*/recipe.toml", |path| {
        let case = path.parent().unwrap();
        let name = case.file_name().unwrap().to_str().unwrap().to_string();
        let ws = Workspace::new();
        let canary = ws.path().join("canary");
        for (file, text) in CANARY_FILES {
            let path = canary.join(file);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, text).unwrap();
        }
        install_fixture(case, &ws, &canary);
        let report = build_refused(&ws, &name, &canary);
        // A render-time refusal points at the recipe line; the others name the recipe or the field.
        assert!(
            report.contains(&format!("recipes/{name}")),
            "{name}: the report names no recipe:\n{report}"
        );
        insta::assert_snapshot!(report);
    });
}

/// A 1 MB bad value is quoted as a short excerpt, not echoed whole.
#[test]
fn a_huge_bad_value_is_quoted_short() {
    let ws = Workspace::new();
    let canary = ws.path().join("canary");
    fs_err::create_dir_all(&canary).unwrap();
    let version = "!".repeat(1_000_000);
    ws.recipe(
        "huge",
        &format!("[package]\nname = \"huge\"\nversion = \"{version}\"\n"),
    );
    let report = build_refused(&ws, "huge", &canary);
    assert!(report.len() < 4_000, "{} bytes of report", report.len());
    assert!(report.contains("(1000000"), "{report}");
    assert!(report.contains("recipes/huge/recipe.toml:3:"), "{report}");
}

/// A symlinked build.sh is hashed by its target's content: editing the target rebuilds.
#[test]
fn a_symlinked_build_script_is_hashed_by_content() {
    let ws = Workspace::new();
    let dir = ws.recipe(
        "linked",
        "[package]\nname = \"linked\"\nversion = \"1.0\"\n",
    );
    fs_err::create_dir_all(dir.join("scripts")).unwrap();
    let real = dir.join("scripts/real.sh");
    fs_err::write(
        &real,
        "mkdir -p $PREFIX/share && echo one > $PREFIX/share/linked.txt\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("scripts/real.sh", dir.join("build.sh")).unwrap();
    let build = |ws: &Workspace| {
        let out = run(ws
            .archi()
            .args(["build", "--offline", "--test", "skip", "--json"])
            .arg("recipes/linked"));
        assert!(out.status.success());
        common::outcomes(&common::events(&out.stdout))
            .into_values()
            .next()
            .unwrap()
    };
    assert_eq!(build(&ws), "built");
    assert_eq!(build(&ws), "cached");
    fs_err::write(
        &real,
        "mkdir -p $PREFIX/share && echo two > $PREFIX/share/linked.txt\n",
    )
    .unwrap();
    assert_eq!(build(&ws), "built");
    assert_eq!(store_entries(&ws.store()).len(), 2);
}
