//! `archi lint`: one fixture recipe per check (tests/data/lint/<case>/recipe.toml), each giving exactly its
//! warning at the expected line, exit 0 without and 1 with `--deny-warnings`; a recipe archi cannot load is exit 1
//! either way; the shipped recipes lint without errors.

mod common;

use std::path::Path;
use std::process::Output;

use common::{repo, run};
use serde_json::Value;

fn lint(store: &Path, downloads: &Path, args: &[&str]) -> Output {
    let mut cmd = common::archi(store);
    cmd.arg("lint").args(args).env("ARCHI_DOWNLOADS", downloads);
    run(&mut cmd)
}

fn findings(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// (fixture, code, line, text of that line the span starts in).
const CASES: &[(&str, &str, usize, &str)] = &[
    ("missing-license", "missing-license", 13, "[about]"),
    (
        "missing-license-file",
        "missing-license-file",
        15,
        "license = \"MIT\"",
    ),
    ("missing-homepage", "missing-homepage", 13, "[about]"),
    ("missing-summary", "missing-summary", 13, "[about]"),
    ("missing-build-number", "missing-build-number", 6, "[build]"),
    ("no-tests", "no-tests", 3, "name = \"lint-no-tests\""),
    (
        "unpinned-run-export",
        "unpinned-run-requirement",
        12,
        "run = [\"zlib\"]",
    ),
    (
        "unpinned-run-host",
        "unpinned-run-requirement",
        12,
        "run = [\"libfoo\"]",
    ),
    (
        "noarch-compiler",
        "noarch-compiles",
        12,
        "build = [\"{{ compiler('c') }}\"]",
    ),
    (
        "noarch-script",
        "noarch-compiles",
        9,
        "script = \"$CC -o $PREFIX/bin/hello hello.c\"",
    ),
];

#[test]
fn each_check_warns_at_its_line_and_deny_warnings_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let (store, downloads) = (tmp.path().join("store"), tmp.path().join("downloads"));
    for &(case, code, line, text) in CASES {
        let dir = format!("tests/data/lint/{case}");
        let out = lint(&store, &downloads, &[&dir, "--json"]);
        assert_eq!(out.status.code(), Some(0), "{case}: warnings alone exit 0");
        let found = findings(&out);
        assert_eq!(found.len(), 1, "{case}: {found:#?}");
        assert_eq!(found[0]["code"], code, "{case}");
        assert_eq!(found[0]["line"], line, "{case}: {found:#?}");
        let recipe = fs_err::read_to_string(repo().join(&dir).join("recipe.toml")).unwrap();
        assert_eq!(recipe.lines().nth(line - 1), Some(text), "{case}");

        // The human report: a warning with the code, the file and line, and the line itself.
        let out = lint(&store, &downloads, &[&dir]);
        assert_eq!(out.status.code(), Some(0));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&format!("archi::lint::{code}")), "{stderr}");
        assert!(stderr.contains(&format!("recipe.toml:{line}:")), "{stderr}");
        assert!(stderr.contains("⚠"), "{stderr}");

        let out = lint(&store, &downloads, &[&dir, "--deny-warnings"]);
        assert_eq!(out.status.code(), Some(1), "{case}: --deny-warnings");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--deny-warnings"));
    }
    // The run_export case names zlib's run_exports from the workspace's zlib recipe.
    let out = lint(
        &store,
        &downloads,
        &["tests/data/lint/unpinned-run-export", "--json"],
    );
    let message = findings(&out)[0]["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("zlib's run_exports (`zlib >=1.2.13,<1.3.0a0`)"),
        "{message}"
    );

    let out = lint(
        &store,
        &downloads,
        &["tests/data/lint/clean", "--deny-warnings", "--json"],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(findings(&out).is_empty());
}

#[test]
fn a_source_whose_named_file_has_another_sha256() {
    let tmp = tempfile::tempdir().unwrap();
    let (store, downloads) = (tmp.path().join("store"), tmp.path().join("downloads"));
    let dir = "tests/data/lint/source-sha256";
    // Nothing of that name: nothing to compare.
    let out = lint(&store, &downloads, &[dir, "--json", "--deny-warnings"]);
    assert_eq!(out.status.code(), Some(0));
    // The downloads directory holds another file under the source's name.
    fs_err::create_dir_all(&downloads).unwrap();
    let file = downloads.join("lintdemo-1.0.tar.gz");
    fs_err::write(&file, "lintdemo 1.0, repacked\n").unwrap();
    let out = lint(&store, &downloads, &[dir, "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let found = findings(&out);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["code"], "source-sha256-mismatch");
    assert_eq!(found[0]["line"], 8);
    let message = found[0]["message"].as_str().unwrap();
    assert!(message.contains("aabdcc56aa42b6be798d3916582d58b4954dd902980ed6f90dfe29ed0b72d89b"));
    assert!(message.contains(&file.display().to_string()), "{message}");
    assert_eq!(
        lint(&store, &downloads, &[dir, "--deny-warnings"])
            .status
            .code(),
        Some(1)
    );
    // Once the source cache has the recipe's file, the stale download does not matter.
    let right = tmp.path().join("right.tar.gz");
    fs_err::write(&right, "lintdemo 1.0\n").unwrap();
    common::ok(common::archi(&store).args(["source", "add"]).arg(&right));
    let out = lint(&store, &downloads, &[dir, "--json", "--deny-warnings"]);
    assert_eq!(out.status.code(), Some(0));
    // The right file under that name: no warning either.
    fs_err::write(&file, "lintdemo 1.0\n").unwrap();
    let other_store = tmp.path().join("store2");
    let out = lint(
        &other_store,
        &downloads,
        &[dir, "--json", "--deny-warnings"],
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_recipe_that_cannot_load_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (store, downloads) = (tmp.path().join("store"), tmp.path().join("downloads"));
    let dir = "tests/data/lint/error-unknown-key";
    for args in [&[dir][..], &[dir, "--deny-warnings"][..]] {
        let out = lint(&store, &downloads, args);
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("unknown key `homepage`"), "{stderr}");
        assert!(stderr.contains("recipe.toml:5:1"), "{stderr}");
    }
}

#[test]
fn shipped_recipes_lint_without_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let (store, downloads) = (tmp.path().join("store"), tmp.path().join("downloads"));
    let out = lint(&store, &downloads, &["--json"]);
    assert_eq!(out.status.code(), Some(0));
    let found = findings(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let recipes = fs_err::read_dir(repo().join("recipes")).unwrap().count();
    assert!(
        stderr.contains(&format!(
            "lint: {} warning(s) in {recipes} recipe(s)\n",
            found.len()
        )),
        "{stderr}"
    );
    // No shipped recipe lacks a license, homepage, summary, build number or tests, or compiles as noarch.
    for f in &found {
        let code = f["code"].as_str().unwrap();
        assert!(
            ["unpinned-run-requirement", "missing-license-file"].contains(&code),
            "{f}"
        );
    }
}
