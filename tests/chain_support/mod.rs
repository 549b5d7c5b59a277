//! Helpers of `tests/chain.rs`: seeding, `archi solve` and `archi build` as JSON, and the real clients
//! (`tests/clients/check_channel.py`: conda-package-handling and py-rattler) with the commands run in what they
//! installed; the shipping step ([`ship`]: quetz, conda's installers).
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::{self, archi, ok, run};

pub mod ship;

/// Both platforms, as every run here uses them.
pub const BOTH: [&str; 4] = [
    "--target-platform",
    "linux-64",
    "--target-platform",
    "linux-aarch64",
];

/// `QEMU_LD_PREFIX=… qemu-aarch64 CMD`: runs an AArch64 program here.
pub fn emulated(cmd: &str) -> String {
    format!("QEMU_LD_PREFIX=/usr/aarch64-linux-gnu qemu-aarch64 {cmd}")
}

/// A copy of the repository's workspace (archi.toml, pins.toml, recipes/) in `dir`, so the test can edit recipes.
pub fn copy_workspace(dir: &Path) {
    copy_from_repo(dir, &["archi.toml", "pins.toml"], &["recipes"]);
}

/// Copies the repository's `files` and the directory `trees` (recursively) to the same relative paths in `dir`.
pub fn copy_from_repo(dir: &Path, files: &[&str], trees: &[&str]) {
    let repo = common::repo();
    for file in files {
        fs_err::copy(repo.join(file), dir.join(file)).unwrap();
    }
    for tree in trees {
        for entry in walkdir::WalkDir::new(repo.join(tree)) {
            let entry = entry.unwrap();
            let rel = entry.path().strip_prefix(&repo).unwrap();
            if entry.file_type().is_dir() {
                fs_err::create_dir_all(dir.join(rel)).unwrap();
            } else {
                fs_err::copy(entry.path(), dir.join(rel)).unwrap();
            }
        }
    }
}

/// Seed the store's source cache as a person would: Debian's orig tarballs (apt-get source), the PyPI sdists
/// (pip download), the sources kept in the repository, and the vendored crates of every recipe with a
/// `cargo_vendor` source (`archi source vendor`, through cargo).
pub fn seed_sources(ws: &Path, store: &Path) {
    for script in ["scripts/seed-sources.sh", "scripts/seed-pypi.sh"] {
        let out = run(std::process::Command::new("bash")
            .arg(common::repo().join(script))
            .env("ARCHI", env!("CARGO_BIN_EXE_archi"))
            .env("ARCHI_STORE", store));
        assert!(out.status.success(), "{script} failed");
    }
    for entry in fs_err::read_dir(ws.join("recipes")).unwrap() {
        let dir = entry.unwrap().path();
        let text = fs_err::read_to_string(dir.join("recipe.toml")).unwrap_or_default();
        if text.contains("cargo_vendor") {
            ok(archi(store)
                .current_dir(ws)
                .args(["source", "vendor"])
                .arg(&dir));
        }
    }
}

/// One entry of `archi solve --format json`: (name, platform, state, key).
pub type SolveEntry = (String, String, String, Option<String>);

/// `archi solve ARGS --format json` in `ws`: per wave, (name, platform, state, key).
pub fn solve(ws: &Path, store: &Path, args: &[&str]) -> Vec<Vec<SolveEntry>> {
    let out = ok(archi(store)
        .current_dir(ws)
        .arg("solve")
        .args(args)
        .args(["--format", "json"]));
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

/// `archi solve --all` for both platforms.
pub fn solve_all(ws: &Path, store: &Path) -> Vec<Vec<SolveEntry>> {
    let mut args = vec!["--all"];
    args.extend(BOTH);
    solve(ws, store, &args)
}

/// The wave each (name, platform) is in.
pub fn wave_of(waves: &[Vec<SolveEntry>]) -> BTreeMap<(String, String), usize> {
    waves
        .iter()
        .enumerate()
        .flat_map(|(i, w)| {
            w.iter()
                .map(move |(n, p, _, _)| ((n.clone(), p.clone()), i))
        })
        .collect()
}

/// Every node of a solve as `name platform`, sorted.
pub fn nodes(waves: &[Vec<SolveEntry>]) -> Vec<String> {
    let mut all: Vec<String> = waves
        .iter()
        .flatten()
        .map(|(n, p, _, _)| format!("{n} {p}"))
        .collect();
    all.sort();
    all
}

/// `archi build ARGS --json` in `ws`: (name, platform) → outcome; asserts success.
pub fn build(ws: &Path, store: &Path, args: &[&str]) -> BTreeMap<(String, String), String> {
    let out = run(archi(store)
        .current_dir(ws)
        .args(["build", "--json"])
        .args(args));
    assert!(out.status.success(), "archi build {args:?} failed");
    common::outcomes(&common::events(&out.stdout))
}

/// Names (`name platform`, sorted) whose outcome is `state`.
pub fn states(results: &BTreeMap<(String, String), String>, state: &str) -> Vec<String> {
    results
        .iter()
        .filter(|(_, s)| *s == state)
        .map(|((name, platform), _)| format!("{name} {platform}"))
        .collect()
}

/// The package names of `recipe`'s host requirements, as `archi render` gives them.
pub fn host_names(ws: &Path, store: &Path, recipe: &str) -> BTreeSet<String> {
    let out = ok(archi(store)
        .current_dir(ws)
        .args(["render", &format!("recipes/{recipe}")]));
    let rendered: serde_json::Value = serde_json::from_str(&out).unwrap();
    rendered["recipe"]["requirements"]["host"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["package"].as_str())
        .map(|spec| spec.split_whitespace().next().unwrap().to_string())
        .collect()
}

pub use crate::common::{check_channel, installed};

/// Shell commands checking the python a real client installed in `$PREFIX`; `run` turns a program path into the
/// command that runs it (under qemu for linux-aarch64). Every lib-dynload module imports and the modules
/// with them, printing archi's OpenSSL and SQLite; `sys.prefix` and purelib name the install prefix; a venv works;
/// ctypes loads libz from the prefix.
pub fn python_checks(run: impl Fn(&str) -> String) -> Vec<String> {
    let python = run("$PREFIX/bin/python3.11");
    let import_all = common::repo().join("tests/clients/import_all.py");
    vec![
        format!(
            "{python} {} | tee imported.txt && grep -F 'OpenSSL 3.0.22 ' imported.txt && grep -F 'SQLite 3.40.1' imported.txt",
            import_all.display()
        ),
        format!(
            "{python} -c \"import ssl, _hashlib, zlib, lzma, bz2, ctypes, sqlite3, readline, curses, decimal, uuid, crypt, pyexpat, xml.etree.ElementTree, json, hashlib; print(ssl.OPENSSL_VERSION, sqlite3.sqlite_version)\" | grep -F 'OpenSSL 3.0.22 '"
        ),
        format!(
            "test \"$({python} -c \"import sys, sysconfig; print(sys.prefix, sysconfig.get_paths()['purelib'])\")\" = \"$PREFIX $PREFIX/lib/python3.11/site-packages\""
        ),
        format!(
            "rm -rf venv && {python} -m venv --without-pip venv && {} -c 'import sys; assert sys.prefix != sys.base_prefix and sys.prefix.endswith(\"/venv\"), sys.prefix'",
            run("venv/bin/python")
        ),
        format!(
            "{python} -c \"import ctypes, ctypes.util; name = ctypes.util.find_library('z'); ctypes.CDLL(name).zlibVersion; print(name, *{{l.split()[-1] for l in open('/proc/self/maps') if 'libz.so' in l}})\" | tee libz.txt && grep -F \"$PREFIX/lib/libz.so\" libz.txt"
        ),
    ]
}

/// Commands checking the conda a real client installed alone in `$PREFIX` (`run` as for [`python_checks`]):
/// `conda --version`, the imports, cryptography's Rust and OpenSSL parts, and `conda create` of xz from
/// `channel` offline, whose xz then runs.
pub fn conda_checks(channel: &Path, run: impl Fn(&str) -> String) -> Vec<String> {
    let python = run("$PREFIX/bin/python");
    // The package cache is the prefix's own (as a root install's `$PREFIX/pkgs`): with --offline conda also offers
    // what its cache holds, and a cache shared with the other platform's run would offer its packages.
    let conda = format!("CONDA_PKGS_DIRS=$PREFIX/pkgs {python} -m conda");
    let url = format!("file://{}", channel.display());
    vec![
        format!("{conda} --version | tee conda-version.txt && grep -Fx 'conda 23.9.0' conda-version.txt"),
        format!("head -c 300 $PREFIX/bin/conda | grep -F python && {python} -c 'import conda, cryptography, OpenSSL, ruamel.yaml, pycosat, zstandard, requests, conda_package_handling; print(conda.__version__)'"),
        format!("{python} -c \"from cryptography.hazmat.primitives import hashes; h = hashes.Hash(hashes.SHA256()); h.update(b'abc'); assert h.finalize().hex() == 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'; from OpenSSL import SSL; SSL.Context(SSL.TLS_METHOD); print('cryptography and pyOpenSSL ok')\""),
        format!("rm -rf xz-env && {conda} create -y -p $PWD/xz-env --offline --override-channels -c {url} xz && {} --version | grep -F 'xz (XZ Utils) 5.4.1'", run("$PWD/xz-env/bin/xz")),
    ]
}

/// Every ELF file of every linux-aarch64 package in `channel` is AArch64; returns the number of ELF files per
/// package name.
pub fn aarch64_elf_files(channel: &Path) -> BTreeMap<String, usize> {
    let mut elf_files = BTreeMap::new();
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
                let file = entry.file_name().to_string_lossy();
                if file.contains(".cpython-") {
                    assert!(
                        file.contains(".cpython-311-aarch64-linux-gnu.so"),
                        "{file} in {}",
                        archive.display()
                    );
                }
                let name = archive.file_name().unwrap().to_string_lossy();
                let name = name.rsplitn(3, '-').last().unwrap().to_string();
                *elf_files.entry(name).or_insert(0) += 1;
            }
        }
    }
    elf_files
}

/// Each subdir's repodata lists only its own packages, each present; returns the number of records per subdir.
pub fn repodata_counts(channel: &Path) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for subdir in ["linux-64", "linux-aarch64", "noarch"] {
        let repodata: serde_json::Value = serde_json::from_slice(
            &fs_err::read(channel.join(subdir).join("repodata.json")).unwrap(),
        )
        .unwrap();
        let records = repodata["packages.conda"].as_object().unwrap();
        for (file, record) in records {
            assert_eq!(record["subdir"], subdir, "{file} listed in {subdir}");
            assert!(channel.join(subdir).join(file).is_file());
        }
        counts.insert(subdir.to_string(), records.len());
    }
    counts
}
