//! Multi-output recipes (`[[outputs]]`, as conda-build's `outputs:`): one build of the fixture
//! `tests/data/outputs/demo-suite` makes three packages with `pin_subpackage` between them, each of which py-rattler
//! installs alone from the channel; a recipe that needs one of them gets an edge to the build and its run_exports;
//! two outputs taking one file is an error naming both. Each package has its own provenance statement.

mod common;

use std::path::Path;

use common::{check_channel, installed, ok, run, store_entries, Workspace};

/// The fixture copied into `ws` as `recipes/demo-suite`.
fn demo_suite(ws: &Workspace) -> std::path::PathBuf {
    let from = common::repo().join("tests/data/outputs/demo-suite");
    let to = ws.path().join("recipes/demo-suite");
    for entry in walkdir::WalkDir::new(&from) {
        let entry = entry.unwrap();
        let dest = to.join(entry.path().strip_prefix(&from).unwrap());
        if entry.file_type().is_dir() {
            fs_err::create_dir_all(&dest).unwrap();
        } else {
            fs_err::copy(entry.path(), &dest).unwrap();
        }
    }
    to
}

fn index(channel: &Path) -> serde_json::Value {
    let repodata: serde_json::Value =
        serde_json::from_slice(&fs_err::read(channel.join("linux-64/repodata.json")).unwrap())
            .unwrap();
    repodata["packages.conda"].clone()
}

#[test]
fn one_build_makes_three_packages_each_installable_alone() {
    let ws = Workspace::new();
    let recipe = demo_suite(&ws);
    let out = run(ws.archi().args(["build", "--json"]).arg(&recipe));
    assert!(out.status.success());
    let events = common::events(&out.stdout);
    let finished: Vec<_> = events.iter().filter(|e| e["event"] == "finish").collect();
    assert_eq!(finished.len(), 1, "one node, one build: {finished:?}");

    // Three packages with the build's build string, three store entries.
    let packages = index(&ws.channel());
    let mut names: Vec<&str> = packages
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    let build = packages[names[0]]["build"].as_str().unwrap().to_string();
    for (file, name) in names.iter().zip(["demo-tools", "libdemo", "libdemo-dev"]) {
        assert_eq!(packages[file]["name"], name);
        assert_eq!(packages[file]["version"], "2.1.0");
        assert_eq!(packages[file]["build"], build.as_str());
    }
    assert_eq!(store_entries(&ws.store()).len(), 3);
    // Each package has its own statement, which `archi verify` accepts (later outputs carry their output's key).
    let verified = ok(ws.archi().arg("verify").arg(ws.channel()));
    assert!(
        verified.contains("verify: 3 of 3 packages ok"),
        "{verified}"
    );
    let depends = |name: &str| -> Vec<String> {
        let file = names
            .iter()
            .find(|f| f.starts_with(&format!("{name}-2")))
            .unwrap();
        serde_json::from_value(packages[file]["depends"].clone()).unwrap()
    };
    assert!(depends("demo-tools").contains(&"libdemo >=2.1.0,<2.2.0a0".to_string()));
    assert_eq!(depends("libdemo-dev"), ["libdemo >=2.1.0,<2.1.1.0a0"]);
    assert!(!depends("libdemo").iter().any(|d| d.starts_with("demo")));
    let log = fs_err::read_dir(ws.path().join("logs/linux-64"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let log = fs_err::read_to_string(log).unwrap();
    assert_eq!(
        log.matches("] script ran").count(),
        1,
        "one build script run"
    );
    assert!(
        log.contains("belong to no output and are left out: share/doc/demo-suite/README"),
        "{log}"
    );

    // Each package alone, from the channel, by py-rattler into a fresh prefix.
    let tmp = tempfile::tempdir().unwrap();
    let alone = |spec: &str, commands: &[&str]| {
        let prefix = tmp.path().join(spec);
        let commands: Vec<String> = commands.iter().map(|c| c.to_string()).collect();
        installed(&check_channel(
            &ws.channel(),
            "linux-64",
            &prefix,
            &[spec],
            &commands,
            tmp.path(),
        ))
    };
    let lib = alone(
        "libdemo",
        &[
            "test -e $PREFIX/lib/libdemo.so.2",
            "test ! -e $PREFIX/bin/demo",
            "test ! -e $PREFIX/share/doc/demo-suite",
        ],
    );
    assert_eq!(lib.into_iter().collect::<Vec<_>>(), ["libdemo"]);
    let tools = alone(
        "demo-tools",
        &["$PREFIX/bin/demo | grep -Fx 'demo 2.1.0 says 42'"],
    );
    assert_eq!(
        tools.into_iter().collect::<Vec<_>>(),
        ["demo-tools", "libdemo"]
    );
    let dev = alone(
        "libdemo-dev",
        &[
            "test -f $PREFIX/include/demo.h",
            "test ! -e $PREFIX/bin/demo",
        ],
    );
    assert_eq!(
        dev.into_iter().collect::<Vec<_>>(),
        ["libdemo", "libdemo-dev"]
    );

    // Cached as a whole.
    let second = ok(ws.archi().arg("build").arg(&recipe));
    assert!(second.starts_with("cached "), "{second}");
}

#[test]
fn a_dependent_needs_the_build_and_takes_the_outputs_run_exports() {
    let ws = Workspace::new();
    demo_suite(&ws);
    ws.recipe(
        "uses-demo",
        r#"
[package]
name = "uses-demo"
version = "1.0"

[build]
script = '''
mkdir -p $PREFIX/bin
cat > u.c <<'C'
#include <stdio.h>
#include <demo.h>
int main(void) { printf("%d\n", demo_answer()); return 0; }
C
$CC u.c -o $PREFIX/bin/uses-demo -I$PREFIX/include -L$PREFIX/lib -ldemo -Wl,-rpath,'$ORIGIN/../lib'
'''

[requirements]
build = ["{{ compiler('c') }}"]
host = ["libdemo-dev"]
run = ["libdemo"]

[test]
commands = ["uses-demo | grep -Fx 42"]
"#,
    );
    let solve = ok(ws.archi().args(["solve", "--format", "json", "uses-demo"]));
    let solve: serde_json::Value = serde_json::from_str(&solve).unwrap();
    let waves = solve["waves"].as_array().unwrap();
    assert_eq!(waves.len(), 2, "{solve}");
    assert_eq!(waves[0][0]["name"], "demo-suite");
    assert_eq!(
        waves[0][0]["packages"],
        serde_json::json!(["libdemo", "demo-tools", "libdemo-dev"])
    );
    assert_eq!(waves[1][0]["name"], "uses-demo");

    ok(ws.archi().args(["build", "--all"]));
    let packages = index(&ws.channel());
    let (_, uses) = packages
        .as_object()
        .unwrap()
        .iter()
        .find(|(file, _)| file.starts_with("uses-demo-"))
        .unwrap();
    let depends: Vec<String> = serde_json::from_value(uses["depends"].clone()).unwrap();
    // libdemo-dev brings libdemo into host, whose weak run_export replaces the recipe's bare `libdemo`.
    assert!(
        depends.contains(&"libdemo >=2.1.0,<3.0a0".to_string()),
        "{depends:?}"
    );
    assert!(!depends.contains(&"libdemo".to_string()), "{depends:?}");
}

#[test]
fn two_outputs_taking_one_file_is_an_error_naming_both() {
    let ws = Workspace::new();
    let recipe = demo_suite(&ws);
    let toml = fs_err::read_to_string(recipe.join("recipe.toml"))
        .unwrap()
        .replace(
            r#"files = ["bin/*"]"#,
            r#"files = ["bin/*", "lib/libdemo.so"]"#,
        );
    fs_err::write(recipe.join("recipe.toml"), toml).unwrap();
    let out = run(ws.archi().arg("build").arg(&recipe));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("outputs `libdemo` and `demo-tools` both take the file lib/libdemo.so"),
        "{stderr}"
    );
    assert!(store_entries(&ws.store()).is_empty());
    assert!(
        !ws.channel().join("linux-64/repodata.json").exists()
            || index(&ws.channel()).as_object().unwrap().is_empty()
    );
}
