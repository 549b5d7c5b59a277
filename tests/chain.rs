//! The bootstrap chain end to end, from real upstream sources (slow: several minutes on 2 cores).
//!
//! 1. Seed the source cache with `scripts/seed-sources.sh` (the only step that reaches a registry: Debian's
//!    archive, through apt).
//! 2. `archi build` the seven libraries into a fresh channel.
//! 3. Real clients: conda-package-handling extracts every archive; py-rattler solves and installs all seven into
//!    a fresh prefix whose path length differs from the build prefix; xz, bzip2 and openssl run from there and a
//!    C program links against its libz.
//! 4. A second build is all `cached`; one changed byte in ncurses' build script rebuilds ncurses and readline,
//!    nothing else.

mod common;

use std::path::{Path, PathBuf};

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

fn build(ws: &Path, store: &Path, extra: &[&str]) -> Vec<(String, String)> {
    let dirs: Vec<PathBuf> = RECIPES.iter().map(|r| ws.join("recipes").join(r)).collect();
    let stdout = ok(archi(store)
        .current_dir(ws)
        .arg("build")
        .args(extra)
        .args(&dirs));
    stdout
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            Some((words.next()?.to_string(), words.next()?.to_string()))
        })
        .collect()
}

fn states(results: &[(String, String)], state: &str) -> Vec<String> {
    let mut names: Vec<String> = results
        .iter()
        .filter(|(s, _)| s == state)
        .map(|(_, label)| label.rsplitn(3, '-').nth(2).unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn seven_libraries_build_install_and_rebuild_from_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    fs_err::create_dir_all(&ws).unwrap();
    copy_workspace(&ws);
    let store = tmp.path().join("store");
    seed_sources(&store);

    let first = build(&ws, &store, &[]);
    let mut all: Vec<String> = RECIPES.iter().map(|s| s.to_string()).collect();
    all.sort();
    assert_eq!(states(&first, "built"), all, "{first:?}");

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

    // Everything is cached the second time.
    let second = build(&ws, &store, &[]);
    assert_eq!(states(&second, "cached"), all, "{second:?}");

    // One byte in ncurses' script: ncurses and readline (which has ncurses in host) rebuild, nothing else.
    let script = ws.join("recipes/ncurses/build.sh");
    let mut text = fs_err::read_to_string(&script).unwrap();
    text.push('\n');
    fs_err::write(&script, text).unwrap();
    let third = build(&ws, &store, &[]);
    assert_eq!(
        states(&third, "built"),
        ["ncurses", "readline"],
        "{third:?}"
    );
    assert_eq!(states(&third, "cached").len(), 5, "{third:?}");

    ok(archi(&store).args(["store", "verify"]));

    cross_build_for_aarch64(&ws, &store, tmp.path());
}

/// The same seven for linux-aarch64 with Debian's cross toolchain, in the same store and channel: every ELF file
/// is AArch64, py-rattler installs them for linux-aarch64, xz/bzip2 and a cross-linked C program run under qemu,
/// each subdir's repodata lists only its own, and the two platforms' builds never share a key.
fn cross_build_for_aarch64(ws: &Path, store: &Path, tmp: &Path) {
    let aarch64 = ["--target-platform", "linux-aarch64"];
    let first = build(ws, store, &aarch64);
    let mut all: Vec<String> = RECIPES.iter().map(|s| s.to_string()).collect();
    all.sort();
    assert_eq!(states(&first, "built"), all, "{first:?}");

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

    // Cached per platform: aarch64 again is cached, linux-64 is still its own (cached) builds, keys differ.
    let again = build(ws, store, &aarch64);
    assert_eq!(states(&again, "cached"), all, "{again:?}");
    let native = build(ws, store, &[]);
    assert_eq!(states(&native, "cached"), all, "{native:?}");
    let native_labels: Vec<&String> = native.iter().map(|(_, l)| l).collect();
    for (_, label) in &again {
        assert!(
            !native_labels.contains(&label),
            "{label} is shared by linux-64 and linux-aarch64"
        );
    }
}
