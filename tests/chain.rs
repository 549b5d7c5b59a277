//! The bootstrap chain end to end, from real upstream sources (slow: several minutes on 2 cores).
//!
//! 1. Seed the source cache with `scripts/seed-sources.sh` (the only step that reaches a registry: Debian's
//!    archive, through apt).
//! 2. `archi solve --all` for both platforms: every library after what it needs, all to build.
//! 3. One `archi build --all` for linux-64 and linux-aarch64 (concurrent builds, one jobserver) into a fresh
//!    channel, with a log per build and `timeline.svg` beside the channel.
//! 4. Real clients: conda-package-handling extracts every archive; py-rattler solves and installs all seven into
//!    a fresh prefix whose path length differs from the build prefix, for each platform; xz, bzip2 and openssl
//!    run from there (under qemu for linux-aarch64) and a C program links against its libz.
//! 5. `archi solve` now says cached; a second build is all `cached`; one changed byte in ncurses' build script
//!    rebuilds ncurses and readline on both platforms, nothing else.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{archi, ok, run};

const RECIPES: [&str; 7] = [
    "bzip2", "xz", "zlib", "libffi", "ncurses", "readline", "openssl",
];

/// A copy of the repository's workspace (archi.toml, pins.toml, recipes/) in `dir`, so the test can edit recipes.
fn copy_workspace(dir: &Path) {
    let repo = common::repo();
    for file in ["archi.toml", "pins.toml"] {
        fs_err::copy(repo.join(file), dir.join(file)).unwrap();
    }
    for entry in walkdir::WalkDir::new(repo.join("recipes")) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(&repo).unwrap();
        if entry.file_type().is_dir() {
            fs_err::create_dir_all(dir.join(rel)).unwrap();
        } else {
            fs_err::copy(entry.path(), dir.join(rel)).unwrap();
        }
    }
}

/// Seed the store's source cache from Debian's archive (apt-get source), as a person would.
pub fn seed_sources(store: &Path) {
    let out = run(std::process::Command::new("bash")
        .arg(common::repo().join("scripts/seed-sources.sh"))
        .env("ARCHI", env!("CARGO_BIN_EXE_archi"))
        .env("ARCHI_STORE", store));
    assert!(out.status.success(), "seeding the sources failed");
}

/// Both platforms, as every run here uses them.
const BOTH: [&str; 4] = [
    "--target-platform",
    "linux-64",
    "--target-platform",
    "linux-aarch64",
];

/// `archi build --all` for both platforms with `--json`: (name, platform) → outcome.
fn build_all(ws: &Path, store: &Path) -> BTreeMap<(String, String), String> {
    let out = run(archi(store)
        .current_dir(ws)
        .args(["build", "--all", "--json"])
        .args(BOTH));
    assert!(out.status.success(), "archi build --all failed");
    common::outcomes(&common::events(&out.stdout))
}

/// One entry of `archi solve --format json`: (name, platform, state, key).
type SolveEntry = (String, String, String, Option<String>);

/// `archi solve --all --format json` for both platforms: per wave, (name, platform, state, key).
fn solve_all(ws: &Path, store: &Path) -> Vec<Vec<SolveEntry>> {
    let out = ok(archi(store)
        .current_dir(ws)
        .args(["solve", "--all", "--format", "json"])
        .args(BOTH));
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    json["waves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            w.as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    (
                        e["name"].as_str().unwrap().to_string(),
                        e["platform"].as_str().unwrap().to_string(),
                        e["state"].as_str().unwrap().to_string(),
                        e["key"].as_str().map(str::to_string),
                    )
                })
                .collect()
        })
        .collect()
}

/// The wave each (name, platform) is in.
fn wave_of(waves: &[Vec<SolveEntry>]) -> BTreeMap<(String, String), usize> {
    waves
        .iter()
        .enumerate()
        .flat_map(|(i, w)| {
            w.iter()
                .map(move |(n, p, _, _)| ((n.clone(), p.clone()), i))
        })
        .collect()
}

/// Names (sorted, with repeats for both platforms) whose outcome is `state`.
fn states(results: &BTreeMap<(String, String), String>, state: &str) -> Vec<String> {
    results
        .iter()
        .filter(|(_, s)| *s == state)
        .map(|((name, platform), _)| format!("{name} {platform}"))
        .collect()
}

fn all_nodes() -> Vec<String> {
    let mut all: Vec<String> = RECIPES
        .iter()
        .flat_map(|r| [format!("{r} linux-64"), format!("{r} linux-aarch64")])
        .collect();
    all.sort();
    all
}

#[test]
fn seven_libraries_for_both_platforms_build_install_and_rebuild_from_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    fs_err::create_dir_all(&ws).unwrap();
    copy_workspace(&ws);
    let store = tmp.path().join("store");
    seed_sources(&store);

    // The plan: 14 nodes, each after what it needs, all to build.
    let before = solve_all(&ws, &store);
    let waves = wave_of(&before);
    assert_eq!(waves.len(), 14, "{before:?}");
    assert!(before
        .iter()
        .flatten()
        .all(|(_, _, state, _)| state == "build"));
    for platform in ["linux-64", "linux-aarch64"] {
        let at = |name: &str| waves[&(name.to_string(), platform.to_string())];
        assert!(at("readline") > at("ncurses"), "{before:?}");
    }

    let first = build_all(&ws, &store);
    assert_eq!(states(&first, "built"), all_nodes(), "{first:?}");
    assert!(ws.join("channels/timeline.svg").is_file());
    assert_eq!(
        common::files_under(&ws.join("channels/logs"))
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "log"))
            .count(),
        14
    );

    // Real clients install all seven into a fresh prefix and use them.
    let channel = ws.join("channels/local");
    let prefix = tmp.path().join("client-prefix");
    let mut check = std::process::Command::new(common::python());
    check
        .arg(common::repo().join("tests/clients/check_channel.py"))
        .arg("--channel")
        .arg(&channel)
        .args(["--platform", "linux-64", "--prefix"])
        .arg(&prefix);
    for name in RECIPES {
        check.args(["--spec", name]);
    }
    let c_program = common::repo().join("recipes/zlib/test_zlib.c");
    for command in [
        "seq 1 20000 > data && cp data orig && $PREFIX/bin/xz -9 data && test -f data.xz && $PREFIX/bin/xz -d data.xz && cmp data orig",
        "seq 1 20000 > d2 && cp d2 o2 && $PREFIX/bin/bzip2 d2 && $PREFIX/bin/bunzip2 d2.bz2 && cmp d2 o2",
        "test \"$(printf abc | $PREFIX/bin/openssl sha256 | awk '{print $NF}')\" = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        &format!("cc {} -o tz -I$PREFIX/include -L$PREFIX/lib -Wl,-rpath,$PREFIX/lib -lz && ./tz && ldd ./tz | grep -F \"$PREFIX/lib/libz.so\"", c_program.display()),
    ] {
        check.arg("--run").arg(command);
    }
    check.current_dir(tmp.path());
    let out = run(&mut check);
    assert!(out.status.success(), "real clients rejected the channel");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["extracted"].as_array().unwrap().len(), 7, "{report}");
    let installed: Vec<&str> = report["installed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    for name in RECIPES {
        assert!(
            installed.contains(&name),
            "{name} not installed: {installed:?}"
        );
    }
    assert_ne!(prefix.as_os_str().len(), archi::build::PREFIX_LENGTH);

    check_aarch64_packages(&ws, tmp.path());

    // Now the plan says cached, with the keys of the builds, and a second build runs nothing.
    let after = solve_all(&ws, &store);
    assert!(
        after
            .iter()
            .flatten()
            .all(|(_, _, state, key)| state == "cached" && key.is_some()),
        "{after:?}"
    );
    let second = build_all(&ws, &store);
    assert_eq!(states(&second, "cached"), all_nodes(), "{second:?}");

    // One byte in ncurses' script: ncurses and readline (which has ncurses in host) rebuild on both platforms,
    // nothing else.
    let script = ws.join("recipes/ncurses/build.sh");
    let mut text = fs_err::read_to_string(&script).unwrap();
    text.push('\n');
    fs_err::write(&script, text).unwrap();
    let third = build_all(&ws, &store);
    assert_eq!(
        states(&third, "built"),
        [
            "ncurses linux-64",
            "ncurses linux-aarch64",
            "readline linux-64",
            "readline linux-aarch64"
        ],
        "{third:?}"
    );
    assert_eq!(states(&third, "cached").len(), 10, "{third:?}");

    ok(archi(&store).args(["store", "verify"]));
}

/// The seven built for linux-aarch64 with Debian's cross toolchain, in the same channel: every ELF file is
/// AArch64, py-rattler installs them for linux-aarch64, xz/bzip2 and a cross-linked C program run under qemu, and
/// each subdir's repodata lists only its own.
fn check_aarch64_packages(ws: &Path, tmp: &Path) {
    let channel = ws.join("channels/local");
    let mut elf_files = 0;
    for archive in fs_err::read_dir(channel.join("linux-aarch64")).unwrap() {
        let archive = archive.unwrap().path();
        if archive.extension().is_none_or(|e| e != "conda") {
            continue;
        }
        let dest = tempfile::tempdir().unwrap();
        rattler_package_streaming::fs::extract(&archive, dest.path()).unwrap();
        for entry in walkdir::WalkDir::new(dest.path())
            .into_iter()
            .filter_map(Result::ok)
        {
            if !entry.file_type().is_file() {
                continue;
            }
            let bytes = fs_err::read(entry.path()).unwrap();
            if bytes.starts_with(b"\x7fELF") {
                let elf = goblin::elf::Elf::parse(&bytes).unwrap();
                assert_eq!(
                    elf.header.e_machine,
                    goblin::elf::header::EM_AARCH64,
                    "{} in {} is not AArch64",
                    entry.path().display(),
                    archive.display()
                );
                elf_files += 1;
            }
        }
    }
    assert!(
        elf_files >= 14,
        "only {elf_files} ELF files in the linux-aarch64 packages"
    );

    // Each subdir lists only its own packages.
    for subdir in ["linux-64", "linux-aarch64"] {
        let repodata: serde_json::Value = serde_json::from_slice(
            &fs_err::read(channel.join(subdir).join("repodata.json")).unwrap(),
        )
        .unwrap();
        let records = repodata["packages.conda"].as_object().unwrap();
        assert!(records.len() >= 7, "{subdir}: {}", records.len());
        for (file, record) in records {
            assert_eq!(record["subdir"], subdir, "{file} listed in {subdir}");
            assert!(channel.join(subdir).join(file).is_file());
        }
    }

    let prefix = tmp.join("aarch64-prefix");
    let c_program = common::repo().join("recipes/zlib/test_zlib.c");
    let emulated = |cmd: &str| format!("QEMU_LD_PREFIX=/usr/aarch64-linux-gnu qemu-aarch64 {cmd}");
    let mut check = std::process::Command::new(common::python());
    check
        .arg(common::repo().join("tests/clients/check_channel.py"))
        .arg("--channel")
        .arg(&channel)
        .args(["--platform", "linux-aarch64", "--prefix"])
        .arg(&prefix)
        .current_dir(tmp);
    for name in RECIPES {
        check.args(["--spec", name]);
    }
    for command in [
        format!("seq 1 20000 > a && cp a a0 && {} -9 a && {} -d a.xz && cmp a a0", emulated("$PREFIX/bin/xz"), emulated("$PREFIX/bin/xz")),
        format!("seq 1 20000 > b && cp b b0 && {} b && {} b.bz2 && cmp b b0", emulated("$PREFIX/bin/bzip2"), emulated("$PREFIX/bin/bunzip2")),
        format!(
            "aarch64-linux-gnu-gcc {} -o tz -I$PREFIX/include -L$PREFIX/lib -Wl,-rpath,$PREFIX/lib -lz && file tz | grep -F aarch64 && {}",
            c_program.display(),
            emulated("./tz")
        ),
    ] {
        check.arg("--run").arg(command);
    }
    let out = run(&mut check);
    assert!(
        out.status.success(),
        "real clients rejected the linux-aarch64 packages"
    );
}
