//! CLI tests: the real `archi` binary on fixture recipes and small temporary workspaces. No network: every
//! source here is local (file:// URLs, the source cache, or recipe paths).

mod common;

use std::path::Path;

use common::{archi, files_under, ok, run, store_entries, Workspace};

/// Every bad recipe gives a report with file:line:col, exit code 1, and writes nothing to store or channel.
#[test]
fn bad_recipes_report_the_span_and_write_nothing() {
    insta::glob!("data/recipes/errors/*.toml", |path| {
        let tmp = tempfile::tempdir().unwrap();
        let store = tmp.path().join("store");
        let channel = tmp.path().join("channel");
        let rel = path.strip_prefix(common::repo()).unwrap();
        let out = run(archi(&store)
            .args(["build", "--offline", "--output"])
            .arg(&channel)
            .arg(rel));
        assert_eq!(out.status.code(), Some(1), "{}", rel.display());
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let line_col = format!("{}:", rel.display());
        assert!(
            stderr.contains(&line_col),
            "report does not name {}:line:col:\n{stderr}",
            rel.display()
        );
        assert!(store_entries(&store).is_empty());
        assert!(files_under(&channel).is_empty());
        insta::assert_snapshot!(stderr);
    });
}

fn sha256(path: &Path) -> String {
    archi::source::sha256_file(path).unwrap()
}

/// A tar.gz with the given (path, contents) entries, written with raw headers so that unsafe names survive.
fn tarball(path: &Path, entries: &[(&str, &[u8])], symlinks: &[(&str, &str)]) {
    let file = fs_err::File::create(path).unwrap();
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    for (name, data) in entries {
        let mut header = tar::Header::new_gnu();
        header.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append(&header, *data).unwrap();
    }
    for (name, target) in symlinks {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Symlink);
        header.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_link_name(target).unwrap();
        header.set_size(0);
        header.set_cksum();
        tar.append(&header, std::io::empty()).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

fn url_recipe(name: &str, tarball: &Path, sha256: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"1.0\"\n\n[[source]]\nurl = \"file://{}\"\nsha256 = \"{sha256}\"\n\n\
         [build]\nscript = \"mkdir -p $PREFIX/share && cp -r . $PREFIX/share/{name}\"\n",
        tarball.display()
    )
}

#[test]
fn wrong_sha256_fails_and_caches_nothing() {
    let ws = Workspace::new();
    let tgz = ws.path().join("demo-1.0.tar.gz");
    tarball(&tgz, &[("demo-1.0/README", b"hello\n")], &[]);
    let wrong = "0".repeat(64);
    let recipe = ws.recipe("demo", &url_recipe("demo", &tgz, &wrong));
    let out = run(ws.archi().arg("build").arg(&recipe));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&wrong) && stderr.contains(&sha256(&tgz)),
        "{stderr}"
    );
    assert!(
        files_under(&ws.store().join("sources")).is_empty(),
        "a file with a wrong hash was cached"
    );
    assert!(store_entries(&ws.store()).is_empty());
    assert!(files_under(&ws.channel()).is_empty());
}

#[test]
fn tarball_escaping_the_work_dir_is_refused() {
    for (case, entries, links) in [
        ("dotdot", vec![("demo-1.0/../../evil", &b"x"[..])], vec![]),
        (
            "symlink",
            vec![("demo-1.0/README", &b"x"[..])],
            vec![("demo-1.0/link", "../../../etc")],
        ),
    ] {
        let ws = Workspace::new();
        let tgz = ws.path().join(format!("{case}.tar.gz"));
        tarball(&tgz, &entries, &links);
        let recipe = ws.recipe("demo", &url_recipe("demo", &tgz, &sha256(&tgz)));
        let out = run(ws.archi().arg("build").arg(&recipe));
        assert_eq!(out.status.code(), Some(1), "{case}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let entry = if case == "dotdot" { "evil" } else { "link" };
        assert!(
            stderr.contains(entry),
            "{case}: the refused entry is not named:\n{stderr}"
        );
        assert!(!ws.path().join("evil").exists());
        assert!(store_entries(&ws.store()).is_empty(), "{case}");
        assert!(files_under(&ws.channel()).is_empty(), "{case}");
    }
}

const TRIVIAL: &str = r#"
[package]
name = "hello-archi"
version = "0.1.0"

[build]
script = """
mkdir -p $PREFIX/bin $PREFIX/share/hello-archi
printf '#!/bin/sh\necho "hello from %s"\n' "$PREFIX" > $PREFIX/bin/hello-archi
chmod +x $PREFIX/bin/hello-archi
echo "$PKG_NAME $PKG_VERSION $target_platform" > $PREFIX/share/hello-archi/about.txt
test -z "${CARGO:-}" && test -z "${ARCHI_STORE:-}"
"""

[test]
commands = [
  "hello-archi | grep -F \"hello from $PREFIX\"",
  "grep -Fx 'hello-archi 0.1.0 linux-64' $PREFIX/share/hello-archi/about.txt",
]

[about]
license = "MIT"
summary = "A trivial recipe"
"#;

#[test]
fn trivial_recipe_builds_is_cached_and_verifies() {
    let ws = Workspace::new();
    let recipe = ws.recipe("hello", TRIVIAL);
    let first = ok(ws.archi().arg("build").arg(&recipe));
    assert!(first.starts_with("built "), "{first}");
    let second = ok(ws.archi().arg("build").arg(&recipe));
    assert!(second.starts_with("cached "), "{second}");
    assert_eq!(store_entries(&ws.store()).len(), 1);
    let repodata: serde_json::Value =
        serde_json::from_slice(&fs_err::read(ws.channel().join("linux-64/repodata.json")).unwrap())
            .unwrap();
    assert_eq!(repodata["packages.conda"].as_object().unwrap().len(), 1);
    assert!(ws.channel().join("noarch/repodata.json").is_file());

    let render = ok(ws.archi().arg("render").arg(&recipe));
    let rendered: serde_json::Value = serde_json::from_str(&render).unwrap();
    let key = rendered["store_key"].as_str().unwrap();
    assert!(first.contains(key), "render and build disagree on the key");
    assert_eq!(
        rendered["build_string"].as_str().unwrap(),
        format!("h{}_0", &key[..7])
    );

    let ls = ok(ws.archi().args(["store", "ls"]));
    assert!(ls.contains("hello-archi-0.1.0") && ls.contains(key), "{ls}");
    ok(ws.archi().args(["store", "verify"]));

    // Flip one byte of the stored artifact: verify must name the entry and fail.
    let entry = ws.store().join("v1").join(key);
    let artifact = fs_err::read_dir(&entry)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "conda"))
        .unwrap();
    let mut bytes = fs_err::read(&artifact).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    fs_err::write(&artifact, bytes).unwrap();
    let out = run(ws.archi().args(["store", "verify"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains(key));
}

/// A recipe without sources that installs nothing is a metapackage (as python_abi): it builds, with the build
/// string it sets, and holds only metadata. A recipe with a source whose script installs nothing is an error.
#[test]
fn a_metapackage_has_no_files_and_its_own_build_string() {
    let ws = Workspace::new();
    let recipe = ws.recipe(
        "abi",
        r#"
[package]
name = "demo_abi"
version = "1.2"

[build]
number = 3
string = "{{ build_number }}_demo12"
script = "true"

[test]
commands = ["test -f $PREFIX/conda-meta/demo_abi-1.2-3_demo12.json"]
"#,
    );
    let out = ok(ws.archi().arg("build").arg(&recipe));
    assert!(out.starts_with("built   demo_abi-1.2-3_demo12"), "{out}");
    let artifact = ws.channel().join("linux-64/demo_abi-1.2-3_demo12.conda");
    let paths: rattler_conda_types::package::PathsJson =
        rattler_package_streaming::seek::read_package_file(&artifact).unwrap();
    assert!(paths.paths.is_empty(), "{:?}", paths.paths);
    let index: rattler_conda_types::package::IndexJson =
        rattler_package_streaming::seek::read_package_file(&artifact).unwrap();
    assert_eq!(index.build, "3_demo12");
    assert!(
        index.depends.is_empty(),
        "no ELF files, no __glibc: {:?}",
        index.depends
    );

    fs_err::create_dir_all(recipe.join("src")).unwrap();
    fs_err::write(recipe.join("src/a.txt"), "a").unwrap();
    let with_source = fs_err::read_to_string(recipe.join("recipe.toml"))
        .unwrap()
        .replace("[build]", "[[source]]\npath = \"src\"\n\n[build]");
    fs_err::write(recipe.join("recipe.toml"), with_source).unwrap();
    let out = run(ws.archi().arg("build").arg(&recipe));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("installed no files"), "{stderr}");
}

#[test]
fn changed_script_gives_a_new_key() {
    let ws = Workspace::new();
    let recipe = ws.recipe("hello", TRIVIAL);
    let key = |ws: &Workspace| {
        let out = ok(ws.archi().arg("render").arg(&recipe));
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["store_key"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let before = key(&ws);
    fs_err::write(
        recipe.join("recipe.toml"),
        TRIVIAL.replace("hello from", "hello frm"),
    )
    .unwrap();
    assert_ne!(before, key(&ws));
}

#[test]
fn failing_test_leaves_nothing_in_store_or_channel() {
    let ws = Workspace::new();
    let recipe = ws.recipe(
        "hello",
        &TRIVIAL.replace("linux-64' $PREFIX", "linux-32' $PREFIX"),
    );
    let out = run(ws.archi().arg("build").arg(&recipe));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("test command failed") && stderr.contains("linux-32"),
        "{stderr}"
    );
    assert!(store_entries(&ws.store()).is_empty());
    assert!(files_under(&ws.channel()).is_empty());
}

/// A recipe file that changes while its build runs (here the unsandboxed script edits a test file) would be read
/// later than the key was computed: nothing is stored, and the error names the file.
#[test]
fn a_recipe_file_changed_during_the_build_stores_nothing() {
    let ws = Workspace::new();
    let recipe = ws.recipe(
        "edited",
        r#"
[package]
name = "edited"
version = "1.0"

[build]
script = "mkdir -p $PREFIX/share && echo ok > $PREFIX/share/ok && echo changed >> $RECIPE_DIR/expected.txt"

[test]
files = ["expected.txt"]
commands = ["test -f expected.txt"]
"#,
    );
    fs_err::write(recipe.join("expected.txt"), "as keyed\n").unwrap();
    let out = run(ws.archi().args(["build", "--no-sandbox"]).arg(&recipe));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("edited: recipe files changed during the build: expected.txt"),
        "{stderr}"
    );
    assert!(store_entries(&ws.store()).is_empty());
    assert!(files_under(&ws.channel()).is_empty());
}

#[test]
fn a_cached_source_is_used_offline_and_a_missing_one_names_the_fix() {
    let ws = Workspace::new();
    let tgz = ws.path().join("payload-2.0.tar.gz");
    tarball(&tgz, &[("payload-2.0/data.txt", b"payload\n")], &[]);
    let hash = sha256(&tgz);
    let toml = format!(
        "[package]\nname = \"payload\"\nversion = \"2.0\"\n\n[[source]]\nfile_name = \"payload-2.0.tar.gz\"\n\
         sha256 = \"{hash}\"\nnote = \"made by the test\"\n\n[build]\nscript = \"install -D data.txt $PREFIX/share/payload/data.txt\"\n"
    );
    let recipe = ws.recipe("payload", &toml);
    let out = run(ws.archi().arg("build").arg(&recipe));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("archi source add") && stderr.contains(&hash),
        "{stderr}"
    );
    let added = ok(ws.archi().args(["source", "add"]).arg(&tgz));
    assert!(added.starts_with(&hash));
    let built = ok(ws.archi().args(["build", "--offline"]).arg(&recipe));
    assert!(built.starts_with("built "), "{built}");
}

#[test]
fn solve_orders_the_shipped_recipes_in_waves() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ok(archi(&tmp.path().join("store")).arg("solve"));
    let waves: Vec<&str> = out.split("wave ").skip(1).collect();
    assert!(waves.len() > 8, "{out}");
    let leaves = [
        "bzip2",
        "expat",
        "libffi",
        "libuuid",
        "libxcrypt",
        "ncurses",
        "openssl",
        "xz",
        "yaml",
        "zlib",
    ];
    for name in leaves.into_iter().chain(["python_abi"]) {
        assert!(waves[0].contains(name), "{name} not in wave 1:\n{out}");
    }
    // readline needs ncurses; sqlite needs readline; python needs sqlite and the rest.
    for (wave, name) in [
        (1, "readline"),
        (1, "zstd"),
        (2, "sqlite"),
        (3, "python 3.11.2"),
    ] {
        assert!(
            waves[wave].contains(name),
            "{name} not in wave {}:\n{out}",
            wave + 1
        );
    }
    // The python bootstrap: flit-core right after python, then wheel, setuptools, pip; conda alone at the end.
    for (wave, name) in [
        (4, "flit-core"),
        (5, "wheel"),
        (6, "setuptools 68"),
        (7, "pip 23"),
    ] {
        assert!(
            waves[wave].contains(name),
            "{name} not in wave {}:\n{out}",
            wave + 1
        );
    }
    let last: Vec<&str> = waves.last().unwrap().lines().skip(1).collect();
    assert!(
        last.len() == 1 && last[0].trim_start().starts_with("conda 23.9.0 linux-64"),
        "{out}"
    );
    assert!(waves.iter().all(|w| w.contains("build")), "{out}");
    let only = ok(archi(&tmp.path().join("store")).args(["solve", "readline"]));
    assert!(
        only.contains("ncurses") && !only.contains("openssl"),
        "{only}"
    );
}
