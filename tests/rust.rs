//! `compiler('rust')` and `cargo_vendor` sources through the real binary: a tiny Rust program with one real crate
//! dependency (tests/data/rust/hello-rs, `itoa`; cargo makes its lock file) has its crates vendored by `archi
//! source vendor` (the only step that uses the network, through cargo's own client), then builds offline for
//! linux-64 and, cross, for linux-aarch64 (its build script compiled and run for the build machine); the tests
//! run it (under qemu-aarch64 for linux-aarch64) and check the ELF machine of the binary. A build whose crates
//! are not vendored fails fast with cargo's offline error, and one whose vendored tree is not in the cache says
//! to run `archi source vendor`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use common::{files_under, run, Workspace};

const ZEROS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// `recipes/<name>` with the hello-rs project as a `path` source, then `extra` sources, and a script that checks
/// the cargo environment and installs the program with cargo.
fn rust_recipe(ws: &Workspace, name: &str, extra: &str) -> PathBuf {
    let script = r#"
set -x
case "$CARGO_MAKEFLAGS" in *--jobserver-auth=*) ;; *) echo "no jobserver in CARGO_MAKEFLAGS" >&2; exit 1 ;; esac
test "$CARGO_HOME" = "$HOME/.cargo"
test "$CARGO_NET_OFFLINE" = true
test "$CARGO_BUILD_TARGET" = "{{ rust_target }}"
linker_var="CARGO_TARGET_$(echo "$CARGO_BUILD_TARGET" | tr a-z- A-Z_)_LINKER"
test "${!linker_var}" = "$CC"
# cargo joins the run's jobserver: it says so when told `-j` (as `cargo fetch` tells itself).
cargo fetch --locked 2>&1 | tee fetch.log
grep -q "configured with an external jobserver" fetch.log
cargo install --locked --path . --root "$PREFIX" --no-track
"#;
    let toml = format!(
        r#"[context]
rust_target = "{{{{ 'aarch64-unknown-linux-gnu' if target_platform == 'linux-aarch64' else 'x86_64-unknown-linux-gnu' }}}}"
arch = "{{{{ 'aarch64' if target_platform == 'linux-aarch64' else 'x86_64' }}}}"
elf_machine = "{{{{ 'b700' if target_platform == 'linux-aarch64' else '3e00' }}}}"

[package]
name = "{name}"
version = "0.1.0"

[[source]]
path = "hello-rs"
{extra}
[build]
script = """{script}"""

[requirements]
build = ["{{{{ compiler('rust') }}}}"]

[test]
commands = [
  "test \"$(od -An -tx1 -j18 -N2 $PREFIX/bin/hello-rs | tr -d ' ')\" = {{{{ elf_machine }}}}",
  "hello-rs 42 > out && cat out && grep -qx 'hello-rs: 42 on {{{{ arch }}}} (build script: {{{{ rust_target }}}})' out",
]
"#
    );
    let dir = ws.recipe(name, &toml);
    let fixture = common::repo().join("tests/data/rust/hello-rs");
    let dest = dir.join("hello-rs");
    for rel in ["Cargo.toml", "build.rs", "src/main.rs"] {
        let to = dest.join(rel);
        fs_err::create_dir_all(to.parent().unwrap()).unwrap();
        fs_err::copy(fixture.join(rel), &to).unwrap();
    }
    // The lock file, made by cargo's own client (part of the seeding: it may use the network).
    let status = std::process::Command::new("cargo")
        .args(["generate-lockfile", "--manifest-path"])
        .arg(dest.join("Cargo.toml"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo generate-lockfile failed");
    dir
}

fn vendor_source(sha256: &str) -> String {
    format!("\n[[source]]\ncargo_vendor = \"Cargo.toml\"\nsha256 = \"{sha256}\"\n")
}

fn build(ws: &Workspace, name: &str, platform: &str) -> (Output, Duration) {
    let started = Instant::now();
    let out = run(ws.archi().args([
        "build",
        "--offline",
        "-j",
        "2",
        "--target-platform",
        platform,
        &format!("recipes/{name}"),
    ]));
    (out, started.elapsed())
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every build log's text under `dir`.
fn logs(dir: &Path) -> String {
    files_under(dir)
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .map(|p| fs_err::read_to_string(dir.join(p)).unwrap_or_default())
        .collect()
}

#[test]
fn vendored_rust_program_builds_offline_for_linux_64_and_linux_aarch64() {
    let ws = Workspace::new();
    let dir = rust_recipe(&ws, "hello-rs", &vendor_source(ZEROS));

    // The recipe's sha256 is a placeholder: vendoring says what the tree's sha256 is, and files it anyway.
    let started = Instant::now();
    let out = run(ws.archi().args(["source", "vendor", "recipes/hello-rs"]));
    eprintln!("vendor (network): {:.1} s", started.elapsed().as_secs_f64());
    let err = stderr(&out);
    assert!(!out.status.success());
    // miette wraps the message: compare its words.
    let words: Vec<&str> = err
        .split(|c: char| c.is_whitespace() || c == '│')
        .filter(|w| !w.is_empty())
        .collect();
    let said = words.join(" ");
    assert!(
        said.contains(&format!("but the recipe says {ZEROS}")),
        "{err}"
    );
    let at = said.find("have sha256 ").expect("the actual sha256") + "have sha256 ".len();
    let actual = said[at..at + 64].to_string();
    assert!(actual.bytes().all(|b| b.is_ascii_hexdigit()), "{actual}");

    // With the right sha256, vendoring again (a fresh `cargo vendor`) gives the same tree, byte for byte.
    let recipe = dir.join("recipe.toml");
    let text = fs_err::read_to_string(&recipe)
        .unwrap()
        .replace(ZEROS, &actual);
    fs_err::write(&recipe, text).unwrap();
    let out = run(ws.archi().args(["source", "vendor", "recipes/hello-rs"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.starts_with(&format!("{actual}  recipes/hello-rs Cargo.toml")),
        "{printed}"
    );

    for platform in ["linux-64", "linux-aarch64"] {
        let (out, took) = build(&ws, "hello-rs", platform);
        eprintln!("build + test {platform}: {:.1} s", took.as_secs_f64());
        assert!(out.status.success(), "{platform}: {}", stderr(&out));
        let packages: Vec<PathBuf> = files_under(&ws.channel().join(platform))
            .into_iter()
            .filter(|p| p.to_string_lossy().ends_with(".conda"))
            .collect();
        assert_eq!(packages.len(), 1, "{platform}: {packages:?}");
    }
    // The tests ran (the binary printed its architecture), under qemu-aarch64 for linux-aarch64.
    let logs = logs(ws.path());
    // The build script ran on the build machine in both builds and saw the target.
    assert!(
        logs.contains("hello-rs: 42 on x86_64 (build script: x86_64-unknown-linux-gnu)"),
        "{logs}"
    );
    assert!(
        logs.contains("hello-rs: 42 on aarch64 (build script: aarch64-unknown-linux-gnu)"),
        "{logs}"
    );
    // The crate really came from the vendored tree.
    assert!(logs.contains("Compiling itoa v1."), "{logs}");
}

#[test]
fn cargo_without_vendored_crates_fails_fast_offline() {
    let ws = Workspace::new();
    rust_recipe(&ws, "no-vendor", "");
    let (out, took) = build(&ws, "no-vendor", "linux-64");
    assert!(!out.status.success());
    assert!(took < Duration::from_secs(120), "took {took:?}");
    let logs = logs(ws.path());
    assert!(
        logs.contains("no matching package named `itoa` found")
            && logs.contains("you're using offline mode"),
        "cargo's offline error is not in the log:\n{logs}"
    );
}

#[test]
fn vendored_crates_missing_from_the_cache_say_how_to_fetch_them() {
    let ws = Workspace::new();
    rust_recipe(&ws, "not-vendored", &vendor_source(&"ab".repeat(32)));
    let (out, _) = build(&ws, "not-vendored", "linux-64");
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(err.contains("are not in the source cache"), "{err}");
    assert!(err.contains("archi source vendor"), "{err}");
}
