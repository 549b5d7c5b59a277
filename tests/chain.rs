//! The bootstrap chain end to end, from real upstream sources: the C libraries, python 3.11, the python packages
//! and conda 23.9.0, for linux-64 and (cross-compiled on this machine) linux-aarch64. Slow: see README.md.
//!
//! 1. Seed the source cache: Debian's archive (apt-get source), PyPI (pip download), the repository's own copy of
//!    conda's source, cargo (`archi source vendor`). The only steps that reach a registry.
//! 2. `archi solve`: python for linux-aarch64 after its C libraries and after python for linux-64; conda for each
//!    platform: C libraries before python, python before every python package, conda alone in the last wave.
//! 3. One `archi build --all` for both platforms into a fresh channel (logs and `timeline.svg` beside it).
//! 4. Real clients, for each platform (programs under qemu for linux-aarch64): conda-package-handling extracts
//!    every archive; py-rattler installs the C libraries and python (python imports every standard-library C
//!    module, …), then `conda` alone (conda 23.9.0 runs, imports its dependencies, cryptography and pyOpenSSL
//!    work, `conda create` installs xz from the channel offline), then requests and pip (noarch: one file each,
//!    their entry points written by the client). Every ELF file for linux-aarch64 is AArch64.
//! 5. Shipping: `archi upload` sends the 13 C libraries of both platforms to a real quetz-server, py-rattler
//!    installs zlib and xz from its channel URL for both, a second upload skips all 26; `archi installer conda`
//!    for each platform, run with `-b -p` (linux-aarch64 under qemu): conda 23.9.0 runs from the prefix through its
//!    entry point and lists it, every noarch `.py` has the `.pyc` the installer compiled, listed in `conda-meta`,
//!    and no relocatable file holds its build prefix.
//! 6. A second build is all cached; one changed byte in zstd's script rebuilds exactly zstd and zstandard.
//! 7. A recipe whose pip reaches for an index fails at once, saying so.
//! 8. With ARCHI_CHAIN_CHECK=1 (too slow for CI: the chain is built a second time): `archi check --all` rebuilds
//!    every key of both platforms and gets the same bytes.

mod chain_support;
mod common;

use std::collections::BTreeSet;

use chain_support::*;
use common::{archi, ok, run};

/// The C libraries under python (python's host requirements are checked against this list).
const C_LIBRARIES: [&str; 13] = [
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
];

#[test]
fn the_chain_to_conda_for_both_platforms_builds_installs_and_rebuilds_from_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    fs_err::create_dir_all(&ws).unwrap();
    copy_workspace(&ws);
    let store = tmp.path().join("store");
    seed_sources(&ws, &store);

    // python for linux-aarch64: its C libraries, and python for linux-64 (its build requirement) with that one's
    // libraries, all in earlier waves.
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
    let python_host = host_names(&ws, &store, "python");
    assert!(
        python_host.len() >= 11
            && python_host
                .iter()
                .all(|h| C_LIBRARIES.contains(&h.as_str())),
        "{python_host:?}"
    );
    for lib in &python_host {
        for platform in ["linux-64", "linux-aarch64"] {
            assert!(
                at(lib, platform) < at("python", platform),
                "{lib}: {cross:?}"
            );
        }
    }

    // conda for each platform: C libraries before python, python before every python package, conda last and
    // alone; for linux-aarch64 the linux-64 python comes first.
    for platform in ["linux-64", "linux-aarch64"] {
        let plan = solve(&ws, &store, &["conda", "--target-platform", platform]);
        let waves = wave_of(&plan);
        let python_of = |subdir: &str| {
            let platform = if subdir == "noarch" {
                "linux-64"
            } else {
                subdir
            };
            waves[&("python".to_string(), platform.to_string())]
        };
        for ((name, subdir), wave) in &waves {
            if C_LIBRARIES.contains(&name.as_str()) {
                assert!(
                    *wave < python_of(subdir),
                    "{name} {subdir} after python: {plan:?}"
                );
            } else if !["python", "python_abi"].contains(&name.as_str()) {
                assert!(
                    *wave > python_of(subdir),
                    "{name} {subdir} not after python: {plan:?}"
                );
            }
        }
        let python = python_of(platform);
        if platform == "linux-aarch64" {
            assert!(waves[&("python".to_string(), "linux-64".to_string())] < python);
        }
        let last = plan.last().unwrap();
        assert_eq!(last.len(), 1, "{plan:?}");
        assert_eq!(
            (last[0].0.as_str(), last[0].1.as_str()),
            ("conda", platform)
        );
    }

    // Everything, each after what it needs, all to build, in one run for both platforms.
    let before = solve_all(&ws, &store);
    assert!(before
        .iter()
        .flatten()
        .all(|(_, _, state, _)| state == "build"));
    let all = nodes(&before);
    let first = build(&ws, &store, &["--all", BOTH[0], BOTH[1], BOTH[2], BOTH[3]]);
    assert_eq!(states(&first, "built"), all, "{first:?}");
    assert!(ws.join("channels/timeline.svg").is_file());
    let logs = common::files_under(&ws.join("channels/logs"));
    assert_eq!(
        logs.iter()
            .filter(|p| p.extension().is_some_and(|e| e == "log"))
            .count(),
        all.len()
    );

    let channel = ws.join("channels/local");
    let counts = repodata_counts(&channel);
    let noarch: Vec<&String> = all.iter().filter(|n| n.ends_with(" noarch")).collect();
    assert_eq!(counts["noarch"], noarch.len(), "{counts:?}");
    // requests is noarch python: one file in noarch/, none for a platform.
    for subdir in ["linux-64", "linux-aarch64", "noarch"] {
        let requests = fs_err::read_dir(channel.join(subdir))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with("requests-")
                    && e.as_ref()
                        .unwrap()
                        .path()
                        .extension()
                        .is_some_and(|x| x == "conda")
            })
            .count();
        assert_eq!(requests, usize::from(subdir == "noarch"), "{subdir}");
    }

    // Every package of the chain has its provenance statements, which `archi verify` accepts.
    let verified = ok(archi(&store).current_dir(&ws).arg("verify").arg(&channel));
    let total: usize = counts.values().sum();
    assert!(
        verified.contains(&format!("verify: {total} of {total} packages ok")),
        "{verified}"
    );

    // Real clients, linux-64.
    let c_program = common::repo().join("recipes/zlib/test_zlib.c");
    let native = |program: &str| program.to_string();
    let mut commands = vec![
        "seq 1 20000 > data && cp data orig && $PREFIX/bin/xz -9 data && $PREFIX/bin/xz -d data.xz && cmp data orig".to_string(),
        "seq 1 20000 > d2 && cp d2 o2 && $PREFIX/bin/bzip2 d2 && $PREFIX/bin/bunzip2 d2.bz2 && cmp d2 o2".to_string(),
        "test \"$(printf abc | $PREFIX/bin/openssl sha256 | awk '{print $NF}')\" = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".to_string(),
        format!("cc {} -o tz -I$PREFIX/include -L$PREFIX/lib -Wl,-rpath,$PREFIX/lib -lz && ./tz && ldd ./tz | grep -F \"$PREFIX/lib/libz.so\"", c_program.display()),
    ];
    commands.extend(python_checks(native));
    let mut specs: Vec<&str> = C_LIBRARIES.to_vec();
    specs.extend(["python", "python_abi"]);
    let prefix = tmp.path().join("client-prefix");
    let report = check_channel(&channel, "linux-64", &prefix, &specs, &commands, tmp.path());
    assert!(
        specs.iter().all(|s| installed(&report).contains(*s)),
        "{report}"
    );
    assert_ne!(prefix.as_os_str().len(), archi::build::PREFIX_LENGTH);
    client_checks(&channel, "linux-64", tmp.path(), native);

    // Real clients, linux-aarch64 under qemu.
    let elf_files = aarch64_elf_files(&channel);
    assert!(
        elf_files.get("python").is_some_and(|n| *n > 60)
            && [
                "cryptography",
                "cffi",
                "pycosat",
                "zstandard",
                "ruamel.yaml.clib"
            ]
            .iter()
            .all(|p| elf_files.contains_key(*p)),
        "{elf_files:?}"
    );
    let mut commands = vec![
        format!("seq 1 20000 > a && cp a a0 && {} -9 a && {} -d a.xz && cmp a a0", emulated("$PREFIX/bin/xz"), emulated("$PREFIX/bin/xz")),
        format!(
            "aarch64-linux-gnu-gcc {} -o tz -I$PREFIX/include -L$PREFIX/lib -Wl,-rpath,$PREFIX/lib -lz && {}",
            c_program.display(),
            emulated("./tz")
        ),
    ];
    commands.extend(python_checks(emulated));
    let prefix = tmp.path().join("aarch64-prefix");
    check_channel(
        &channel,
        "linux-aarch64",
        &prefix,
        &specs,
        &commands,
        tmp.path(),
    );
    client_checks(&channel, "linux-aarch64", tmp.path(), emulated);

    // Shipping: the C libraries of both platforms to a real quetz-server and back through py-rattler; conda's
    // installers for both platforms, run, and conda working in what they installed.
    ship::upload_to_quetz(&store, &channel, &C_LIBRARIES);
    ship::conda_installers(&ws, &store, &channel, tmp.path());

    // Now everything is cached, with its key, and a second build runs nothing.
    let after = solve_all(&ws, &store);
    assert!(
        after
            .iter()
            .flatten()
            .all(|(_, _, state, key)| state == "cached" && key.is_some()),
        "{after:?}"
    );
    let second = build(&ws, &store, &["--all", BOTH[0], BOTH[1], BOTH[2], BOTH[3]]);
    assert_eq!(states(&second, "cached"), all, "{second:?}");

    // One byte in zstd's script: zstd gets new keys on both platforms; zstandard (zstd in its host) and what needs
    // it (conda-package-streaming, then conda-package-handling and conda) can only be keyed once it is built;
    // building linux-64 then builds exactly zstd and zstandard, the others' keys being unchanged.
    let script = ws.join("recipes/zstd/build.sh");
    let original = fs_err::read_to_string(&script).unwrap();
    let mut text = original.clone();
    text.push('\n');
    fs_err::write(&script, text).unwrap();
    let mut args = vec!["solve", "--all", "--format", "json"];
    args.extend(BOTH);
    let plan: serde_json::Value =
        serde_json::from_str(&ok(archi(&store).current_dir(&ws).args(&args))).unwrap();
    let mut new_keys = Vec::new();
    let mut after = Vec::new();
    for entry in plan["waves"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w.as_array().unwrap())
    {
        if entry["state"] == "cached" {
            continue;
        }
        let node = format!(
            "{} {}",
            entry["name"].as_str().unwrap(),
            entry["platform"].as_str().unwrap()
        );
        let reason = entry["reason"].as_str().unwrap_or_default();
        if reason.starts_with("after ") {
            after.push(node);
        } else {
            new_keys.push(node);
        }
    }
    assert_eq!(new_keys, ["zstd linux-64", "zstd linux-aarch64"], "{plan}");
    after.sort();
    assert_eq!(
        after,
        [
            "conda linux-64",
            "conda linux-aarch64",
            "conda-package-handling noarch",
            "conda-package-streaming noarch",
            "zstandard linux-64",
            "zstandard linux-aarch64"
        ],
        "{plan}"
    );
    let third = build(&ws, &store, &["--all", "--target-platform", "linux-64"]);
    assert_eq!(
        states(&third, "built"),
        ["zstandard linux-64", "zstd linux-64"],
        "{third:?}"
    );

    pip_without_index_fails_at_once(&ws, &store);
    ok(archi(&store).args(["store", "verify"]));

    if std::env::var_os("ARCHI_CHAIN_CHECK").is_some() {
        // zstd's script as it was, and without the failing pip fixture: the shipped recipes with every key of the
        // first build again, all in the store.
        fs_err::write(&script, original).unwrap();
        fs_err::remove_dir_all(ws.join("recipes/needs-index")).unwrap();
        check_everything(&ws, &store, &channel, &all);
    }
}

/// `archi check --all` for both platforms (ARCHI_CHAIN_CHECK=1; README.md): every shipped recipe rebuilt from its
/// stored key gives the same bytes (Nix's --check), and the channel is left as it was.
fn check_everything(
    ws: &std::path::Path,
    store: &std::path::Path,
    channel: &std::path::Path,
    all: &[String],
) {
    let published = common::files_under(channel);
    let out = run(archi(store)
        .current_dir(ws)
        .args(["check", "--json", "--all"])
        .args(BOTH));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let checked = common::outcomes(&common::events(&out.stdout));
    assert!(out.status.success(), "archi check --all failed: {stderr}");
    assert_eq!(states(&checked, "built"), all, "{checked:?}");
    assert!(
        stderr.contains(&format!(
            "check: {n} of {n} builds reproduced byte for byte (100%)",
            n = all.len()
        )),
        "{stderr}"
    );
    assert_eq!(common::files_under(channel), published);
}

/// py-rattler installs `conda` alone into a fresh prefix and conda works there; then requests and pip, whose
/// entry points (`normalizer`, `pip`) the client writes.
fn client_checks(
    channel: &std::path::Path,
    platform: &str,
    tmp: &std::path::Path,
    run: impl Fn(&str) -> String + Copy,
) {
    let prefix = tmp.join(format!("conda-{platform}"));
    let report = check_channel(
        channel,
        platform,
        &prefix,
        &["conda"],
        &conda_checks(channel, run),
        tmp,
    );
    let names = installed(&report);
    for name in [
        "conda",
        "python",
        "cryptography",
        "pyopenssl",
        "requests",
        "ruamel.yaml",
        "zstandard",
    ] {
        assert!(
            names.contains(name),
            "{name} not installed with conda: {names:?}"
        );
    }

    let prefix = tmp.join(format!("noarch-{platform}"));
    let python = run("$PREFIX/bin/python");
    let commands = vec![
        format!("{python} $PREFIX/bin/normalizer --version | grep -F 'Charset-Normalizer'"),
        format!("{python} $PREFIX/bin/pip --version | grep -F \"$PREFIX/lib/python3.11/site-packages/pip\""),
        format!("{python} -c 'import requests, charset_normalizer, idna, urllib3, certifi; print(requests.__version__)'"),
    ];
    let report = check_channel(
        channel,
        platform,
        &prefix,
        &["requests", "pip"],
        &commands,
        tmp,
    );
    let names: BTreeSet<String> = installed(&report);
    assert!(
        names.contains("charset-normalizer") && names.contains("pip"),
        "{names:?}"
    );
}

/// A recipe whose pip install needs a build backend from an index (build isolation, no `--no-index`) fails at
/// once with archi saying that pip looked in an index and builds have none.
fn pip_without_index_fails_at_once(ws: &std::path::Path, store: &std::path::Path) {
    let dir = ws.join("recipes/needs-index");
    fs_err::create_dir_all(dir.join("src")).unwrap();
    fs_err::write(
        dir.join("src/pyproject.toml"),
        "[build-system]\nrequires = [\"flit_core >=3.2,<4\"]\nbuild-backend = \"flit_core.buildapi\"\n\n\
         [project]\nname = \"needs_index\"\nversion = \"1.0\"\ndescription = \"x\"\n",
    )
    .unwrap();
    fs_err::write(dir.join("src/needs_index.py"), "").unwrap();
    fs_err::write(
        dir.join("recipe.toml"),
        "[package]\nname = \"needs-index\"\nversion = \"1.0\"\n\n[[source]]\npath = \"src\"\n\n\
         [build]\nnoarch = \"python\"\nscript = \"$PYTHON -m pip install . -vv\"\n\n\
         [requirements]\nhost = [\"python\", \"pip\"]\nrun = [\"python\"]\n",
    )
    .unwrap();
    let out = run(archi(store).current_dir(ws).args([
        "build",
        "--target-platform",
        "linux-64",
        "recipes/needs-index",
    ]));
    assert_eq!(out.status.code(), Some(1));
    // The report as one line: miette wraps it at 80 columns behind `│`.
    let stderr = String::from_utf8_lossy(&out.stderr)
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        stderr.contains("pip looked for `flit_core<4,>=3.2` in a package index")
            && stderr.contains("builds have none (no network, PIP_NO_INDEX=1)"),
        "{stderr}"
    );
}
