//! `toolchain_from = "archi"`: `compiler('c')` (and `make`) in a build becomes the toolchain package pins.toml names, built by a
//! recipe of the same run (an edge in the graph), installed into `$BUILD_PREFIX`, `CC` pointing there, its record
//! in the key and its strong run_exports in the package. The compiler package here wraps the machine's gcc, so the
//! mechanism is tested in seconds; recipes/gcc is the real one (README: stage 2).

mod common;

use common::{ok, run, Workspace};

/// A "compiler" package: `x86_64-demo-linux-gnu-gcc` in bin/ (the machine's gcc behind a wrapper that leaves a
/// mark), with a strong run_export on `demo-runtime`, its second output.
const DEMO_CC: &str = r#"
[package]
name = "demo-cc"
version = "1.0"

[build]
toolchain_from = "machine"
script = '''
mkdir -p $PREFIX/bin $PREFIX/lib/demo-runtime
cat > $PREFIX/bin/x86_64-demo-linux-gnu-gcc <<'SH'
#!/bin/sh
echo "$0 $*" >> "${DEMO_CC_LOG:-/dev/null}"
exec /usr/bin/gcc "$@"
SH
chmod +x $PREFIX/bin/x86_64-demo-linux-gnu-gcc
cat > $PREFIX/bin/make <<'SH'
#!/bin/sh
echo "$0 $*" >> "${DEMO_MAKE_LOG:-/dev/null}"
exec /usr/bin/make "$@"
SH
chmod +x $PREFIX/bin/make
echo runtime > $PREFIX/lib/demo-runtime/README
'''

[[outputs]]
name = "demo-cc_linux-64"
files = ["bin/x86_64-demo-linux-gnu-gcc"]
[outputs.requirements.run_exports]
strong = ["{{ pin_subpackage('demo-runtime', max_pin='x') }}"]

[[outputs]]
name = "demo-runtime"
files = ["lib/demo-runtime"]

[[outputs]]
name = "demo-make"
files = ["bin/make"]
"#;

const HELLO: &str = r#"
[package]
name = "hello-c"
version = "1.0"

[build]
script = '''
case "$CC" in "$BUILD_PREFIX"/bin/x86_64-demo-linux-gnu-gcc) ;; *) echo "CC is $CC"; exit 1 ;; esac
mkdir -p $PREFIX/bin
printf 'int main(void) { return 0; }\n' > hello.c
DEMO_CC_LOG=$SRC_DIR/cc.log $CC hello.c -o $PREFIX/bin/hello-c
grep -q hello.c $SRC_DIR/cc.log
printf 'all:\n\techo made > made.txt\n' > Makefile
DEMO_MAKE_LOG=$SRC_DIR/make.log make -j4 all
grep -Fq "$BUILD_PREFIX/bin/make all" $SRC_DIR/make.log
'''

[requirements]
build = ["{{ compiler('c') }}", "make"]

[test]
commands = ["hello-c", "test -f $PREFIX/lib/demo-runtime/README"]
"#;

fn switched_workspace() -> Workspace {
    let ws = Workspace::new();
    let pins = fs_err::read_to_string(ws.path().join("pins.toml")).unwrap();
    // The repository's stage-1 tables name recipes/gcc's packages: replaced by the demo's.
    let stage1 = pins
        .find("# Stage 1: archi's own toolchain")
        .expect("pins.toml has the stage-1 tables");
    let pins = format!(
        "{}[platform.linux-64]\ntoolchain_from = \"archi\"\n\n\
         [platform.linux-64.archi_toolchain.c]\npackage = \"demo-cc_linux-64\"\nprogram = \"x86_64-demo-linux-gnu-gcc\"\n\n\
         [platform.linux-64.archi_toolchain.make]\npackage = \"demo-make\"\nprogram = \"make\"\n",
        &pins[..stage1]
    );
    fs_err::write(ws.path().join("pins.toml"), pins).unwrap();
    ws.recipe("demo-cc", DEMO_CC);
    ws.recipe("hello-c", HELLO);
    ws
}

#[test]
fn compiler_c_comes_from_the_run_s_own_toolchain_package() {
    let ws = switched_workspace();
    let solve = ok(ws.archi().args(["solve", "--format", "json", "hello-c"]));
    let solve: serde_json::Value = serde_json::from_str(&solve).unwrap();
    let waves = solve["waves"].as_array().unwrap();
    assert_eq!(waves.len(), 2, "{solve}");
    assert_eq!(
        waves[0][0]["name"], "demo-cc",
        "the toolchain first: {solve}"
    );
    assert_eq!(waves[1][0]["name"], "hello-c");

    let render = ok(ws.archi().args(["render", "recipes/hello-c"]));
    let render: serde_json::Value = serde_json::from_str(&render).unwrap();
    assert_eq!(
        render["recipe"]["requirements"]["build"],
        serde_json::json!([{"package": "demo-cc_linux-64"}, {"package": "demo-make"}]),
        "{render}"
    );

    ok(ws.archi().args(["build", "--all"]));
    let repodata: serde_json::Value =
        serde_json::from_slice(&fs_err::read(ws.channel().join("linux-64/repodata.json")).unwrap())
            .unwrap();
    let (_, hello) = repodata["packages.conda"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(file, _)| file.starts_with("hello-c-"))
        .unwrap();
    let depends: Vec<String> = serde_json::from_value(hello["depends"].clone()).unwrap();
    assert!(
        depends.contains(&"demo-runtime >=1.0,<2.0a0".to_string()),
        "the compiler's strong run_export: {depends:?}"
    );

    // The key holds the compiler package's record, not a machine program.
    let inputs = common::store_entries(&ws.store())
        .iter()
        .map(|key| ws.store().join("v1").join(key).join("manifest.json"))
        .map(|path| {
            serde_json::from_slice::<serde_json::Value>(&fs_err::read(path).unwrap()).unwrap()
        })
        .find(|m| m["name"] == "hello-c")
        .unwrap()["inputs"]
        .clone();
    let build_env: Vec<&str> = inputs["build_env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(build_env, ["demo-cc_linux-64", "demo-make"], "{inputs}");
    assert!(inputs["toolchain"]["tools"].get("c").is_none(), "{inputs}");
    assert_eq!(
        inputs["toolchain"]["packaged"]["c"]["package"],
        "demo-cc_linux-64"
    );
    assert_eq!(
        inputs["script_env"]["CC"],
        "${BUILD_PREFIX}/bin/x86_64-demo-linux-gnu-gcc"
    );
}

#[test]
fn without_the_switch_the_machine_compiler_builds_and_no_toolchain_node_is_made() {
    let ws = switched_workspace();
    let pins = fs_err::read_to_string(ws.path().join("pins.toml"))
        .unwrap()
        .replace("toolchain_from = \"archi\"", "toolchain_from = \"machine\"");
    fs_err::write(ws.path().join("pins.toml"), pins).unwrap();
    let solve = ok(ws.archi().args(["solve", "--format", "json", "hello-c"]));
    let solve: serde_json::Value = serde_json::from_str(&solve).unwrap();
    assert_eq!(solve["waves"].as_array().unwrap().len(), 1, "{solve}");
    let out = run(ws.archi().args(["build", "hello-c"]));
    // hello-c's script insists on the packaged compiler: with the machine's it fails, naming CC.
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CC is /usr/bin/x86_64-linux-gnu-gcc"));
}
