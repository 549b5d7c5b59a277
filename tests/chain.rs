//! The bootstrap chain end to end, from real upstream sources: thirteen C libraries, python 3.11 and python_abi,
//! for linux-64 and (cross-compiled, python with archi's own linux-64 python) linux-aarch64. Slow: about 16
//! minutes on 2 cores.
//!
//! 1. Seed the source cache with `scripts/seed-sources.sh` (the only step that reaches a registry: Debian's
//!    archive, through apt).
//! 2. `archi solve python --target-platform linux-aarch64`: the C libraries, then python for linux-64, then
//!    python for linux-aarch64. `archi solve --all` for both platforms: every recipe after what it needs.
//! 3. One `archi build --all` for linux-64 and linux-aarch64 (concurrent builds, one jobserver) into a fresh
//!    channel, with a log per build and `timeline.svg` beside the channel.
//! 4. Real clients: conda-package-handling extracts every archive; py-rattler solves and installs everything into
//!    a fresh prefix whose path length differs from the build prefix, for each platform; xz, bzip2 and openssl
//!    run from there (under qemu for linux-aarch64), a C program links against its libz, and python imports every
//!    standard-library C module, names the install prefix, makes a venv and loads libz with ctypes.
//! 5. `archi solve` now says cached; a second build is all `cached`; one changed byte in libxcrypt's build script
//!    makes libxcrypt and python (on both platforms) the only nodes to build, and the linux-64 build does exactly
//!    that.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{archi, ok, run};

const RECIPES: [&str; 15] = [
    "bzip2",
    "xz",
    "zlib",
    "libffi",
    "ncurses",
    "readline",
    "openssl",
    "sqlite",
    "expat",
    "libuuid",
    "libxcrypt",
    "zstd",
    "yaml",
    "python",
    "python_abi",
];

/// The package names of python's host requirements, as `archi render` gives them (built before python on the
/// same platform).
fn python_host(ws: &Path, store: &Path) -> Vec<String> {
    let out = ok(archi(store)
        .current_dir(ws)
        .args(["render", "recipes/python"]));
    let rendered: serde_json::Value = serde_json::from_str(&out).unwrap();
    rendered["recipe"]["requirements"]["host"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["package"].as_str())
        .map(|spec| spec.split_whitespace().next().unwrap().to_string())
        .collect()
}

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
    let mut args = vec!["--all"];
    args.extend(BOTH);
    solve(ws, store, &args)
}

/// `archi solve ARGS --format json`: per wave, (name, platform, state, key).
fn solve(ws: &Path, store: &Path, args: &[&str]) -> Vec<Vec<SolveEntry>> {
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
fn the_chain_to_python_for_both_platforms_builds_installs_and_rebuilds_from_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    fs_err::create_dir_all(&ws).unwrap();
    copy_workspace(&ws);
    let store = tmp.path().join("store");
    seed_sources(&store);

    // python for linux-aarch64 alone: its C libraries, and python for linux-64 (its build requirement) with that
    // one's libraries, all in earlier waves.
    let cross = solve(
        &ws,
        &store,
        &["python", "--target-platform", "linux-aarch64"],
    );
    let waves = wave_of(&cross);
    let at = |name: &str, platform: &str| waves[&(name.to_string(), platform.to_string())];
    assert!(
        at("python", "linux-64") < at("python", "linux-aarch64"),
        "{cross:?}"
    );
    let host = python_host(&ws, &store);
    assert!(
        host.len() >= 11 && host.iter().any(|h| h == "sqlite"),
        "{host:?}"
    );
    for lib in &host {
        assert!(
            at(lib, "linux-aarch64") < at("python", "linux-aarch64"),
            "{lib}: {cross:?}"
        );
        assert!(
            at(lib, "linux-64") < at("python", "linux-64"),
            "{lib}: {cross:?}"
        );
    }
    assert_eq!(waves.len(), 2 * host.len() + 2, "{cross:?}");

    // Everything: 30 nodes, each after what it needs, all to build.
    let before = solve_all(&ws, &store);
    let waves = wave_of(&before);
    assert_eq!(waves.len(), 2 * RECIPES.len(), "{before:?}");
    assert!(before
        .iter()
        .flatten()
        .all(|(_, _, state, _)| state == "build"));
    for platform in ["linux-64", "linux-aarch64"] {
        let at = |name: &str| waves[&(name.to_string(), platform.to_string())];
        assert!(at("readline") > at("ncurses"), "{before:?}");
        assert!(at("sqlite") > at("readline"), "{before:?}");
    }

    let first = build_all(&ws, &store);
    assert_eq!(states(&first, "built"), all_nodes(), "{first:?}");
    assert!(ws.join("channels/timeline.svg").is_file());
    assert_eq!(
        common::files_under(&ws.join("channels/logs"))
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "log"))
            .count(),
        2 * RECIPES.len()
    );

    // Real clients install everything into a fresh prefix and use it.
    let channel = ws.join("channels/local");
    let prefix = tmp.path().join("client-prefix");
    let c_program = common::repo().join("recipes/zlib/test_zlib.c");
    let mut commands = vec![
        "seq 1 20000 > data && cp data orig && $PREFIX/bin/xz -9 data && test -f data.xz && $PREFIX/bin/xz -d data.xz && cmp data orig".to_string(),
        "seq 1 20000 > d2 && cp d2 o2 && $PREFIX/bin/bzip2 d2 && $PREFIX/bin/bunzip2 d2.bz2 && cmp d2 o2".to_string(),
        "test \"$(printf abc | $PREFIX/bin/openssl sha256 | awk '{print $NF}')\" = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".to_string(),
        format!("cc {} -o tz -I$PREFIX/include -L$PREFIX/lib -Wl,-rpath,$PREFIX/lib -lz && ./tz && ldd ./tz | grep -F \"$PREFIX/lib/libz.so\"", c_program.display()),
    ];
    commands.extend(python_checks(|program| program.to_string()));
    let report = check_channel(&channel, "linux-64", &prefix, &commands, tmp.path());
    assert_eq!(
        report["extracted"].as_array().unwrap().len(),
        RECIPES.len(),
        "{report}"
    );
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

    // One byte in libxcrypt's script: libxcrypt and python (which has it in host, and for linux-aarch64 needs the
    // linux-64 python) are to build on both platforms, nothing else; building linux-64 builds exactly those two.
    let script = ws.join("recipes/libxcrypt/build.sh");
    let mut text = fs_err::read_to_string(&script).unwrap();
    text.push('\n');
    fs_err::write(&script, text).unwrap();
    let changed: Vec<String> = solve_all(&ws, &store)
        .into_iter()
        .flatten()
        .filter(|(_, _, state, _)| state != "cached")
        .map(|(name, platform, state, _)| format!("{name} {platform} {state}"))
        .collect();
    assert_eq!(
        changed,
        [
            "libxcrypt linux-64 build",
            "libxcrypt linux-aarch64 build",
            "python linux-64 build",
            "python linux-aarch64 build"
        ],
        "{changed:?}"
    );
    let out = run(archi(&store).current_dir(&ws).args([
        "build",
        "--all",
        "--json",
        "--target-platform",
        "linux-64",
    ]));
    assert!(out.status.success(), "the linux-64 rebuild failed");
    let third = common::outcomes(&common::events(&out.stdout));
    assert_eq!(
        states(&third, "built"),
        ["libxcrypt linux-64", "python linux-64"],
        "{third:?}"
    );
    assert_eq!(
        states(&third, "cached").len(),
        RECIPES.len() - 2,
        "{third:?}"
    );

    ok(archi(&store).args(["store", "verify"]));
}

/// `tests/clients/check_channel.py`: conda-package-handling extracts every archive of `platform`'s subdir,
/// py-rattler installs every recipe's package into `prefix`, then `commands` run there. Returns its JSON report.
fn check_channel(
    channel: &Path,
    platform: &str,
    prefix: &Path,
    commands: &[String],
    cwd: &Path,
) -> serde_json::Value {
    let mut check = std::process::Command::new(common::python());
    check
        .arg(common::repo().join("tests/clients/check_channel.py"))
        .arg("--channel")
        .arg(channel)
        .args(["--platform", platform, "--prefix"])
        .arg(prefix)
        .current_dir(cwd);
    for name in RECIPES {
        check.args(["--spec", name]);
    }
    for command in commands {
        check.arg("--run").arg(command);
    }
    let out = run(&mut check);
    assert!(
        out.status.success(),
        "real clients rejected the {platform} packages"
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Shell commands checking the python a real client installed in `$PREFIX`; `run` turns a program path into the
/// command that runs it (under qemu for linux-aarch64). Every lib-dynload module imports and the modules
/// with them, printing archi's OpenSSL and SQLite; `sys.prefix` and purelib name the install prefix; a venv works;
/// ctypes loads libz from the prefix.
fn python_checks(run: impl Fn(&str) -> String) -> Vec<String> {
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

/// Everything built for linux-aarch64 with Debian's cross toolchain, in the same channel: every ELF file is
/// AArch64 (python's 70-odd among them), py-rattler installs them for linux-aarch64, xz/bzip2, a cross-linked C
/// program and python run under qemu, and each subdir's repodata lists only its own.
fn check_aarch64_packages(ws: &Path, tmp: &Path) {
    let channel = ws.join("channels/local");
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
                let name = archive.file_name().unwrap().to_string_lossy();
                *elf_files
                    .entry(name.split('-').next().unwrap().to_string())
                    .or_insert(0) += 1;
            }
        }
    }
    assert!(
        elf_files.values().sum::<usize>() >= 100
            && elf_files.get("python").is_some_and(|n| *n > 60),
        "too few ELF files in the linux-aarch64 packages: {elf_files:?}"
    );

    // Each subdir lists only its own packages.
    for subdir in ["linux-64", "linux-aarch64"] {
        let repodata: serde_json::Value = serde_json::from_slice(
            &fs_err::read(channel.join(subdir).join("repodata.json")).unwrap(),
        )
        .unwrap();
        let records = repodata["packages.conda"].as_object().unwrap();
        assert!(
            records.len() >= RECIPES.len(),
            "{subdir}: {}",
            records.len()
        );
        for (file, record) in records {
            assert_eq!(record["subdir"], subdir, "{file} listed in {subdir}");
            assert!(channel.join(subdir).join(file).is_file());
        }
    }

    let prefix = tmp.join("aarch64-prefix");
    let c_program = common::repo().join("recipes/zlib/test_zlib.c");
    let emulated = |cmd: &str| format!("QEMU_LD_PREFIX=/usr/aarch64-linux-gnu qemu-aarch64 {cmd}");
    let mut commands = vec![
        format!("seq 1 20000 > a && cp a a0 && {} -9 a && {} -d a.xz && cmp a a0", emulated("$PREFIX/bin/xz"), emulated("$PREFIX/bin/xz")),
        format!("seq 1 20000 > b && cp b b0 && {} b && {} b.bz2 && cmp b b0", emulated("$PREFIX/bin/bzip2"), emulated("$PREFIX/bin/bunzip2")),
        format!(
            "aarch64-linux-gnu-gcc {} -o tz -I$PREFIX/include -L$PREFIX/lib -Wl,-rpath,$PREFIX/lib -lz && file tz | grep -F aarch64 && {}",
            c_program.display(),
            emulated("./tz")
        ),
    ];
    commands.extend(python_checks(emulated));
    check_channel(&channel, "linux-aarch64", &prefix, &commands, tmp);
}
