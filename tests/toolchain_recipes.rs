//! The toolchain workspace (`toolchain/`, issue 13): its cheap recipes — make, m4, gmp, mpfr, mpc, isl — built
//! from Debian's orig tarballs for linux-64 and linux-aarch64 in one run (each recipe's own tests run natively
//! and under qemu), then installed by py-rattler into fresh prefixes and used there. The chain's `--all`
//! (`tests/chain.rs`) never sees these recipes: they live in a workspace of their own.

mod chain_support;
mod common;

use std::path::Path;

use chain_support::{build, check_channel, installed, solve, states, wave_of, BOTH};
use common::{archi, ok};

/// The recipes this test builds, each for both platforms.
const RECIPES: [&str; 6] = ["make", "m4", "gmp", "mpfr", "mpc", "isl"];

/// A copy of the repository's toolchain workspace in `dir`: `pins.toml` and `toolchain/` (archi.toml names
/// `../pins.toml`, as in the repository).
fn copy_toolchain_workspace(dir: &Path) {
    chain_support::copy_from_repo(dir, &["pins.toml"], &["toolchain"]);
}

/// Debian's orig tarballs through apt (`scripts/seed-sources.sh`), into the store's source cache.
fn seed_sources(store: &Path) {
    let out = common::run(
        std::process::Command::new("bash")
            .arg(common::repo().join("scripts/seed-sources.sh"))
            .env("ARCHI", env!("CARGO_BIN_EXE_archi"))
            .env("ARCHI_STORE", store),
    );
    assert!(out.status.success(), "seed-sources.sh failed");
}

#[test]
fn toolchain_libraries_and_tools_build_for_both_platforms_and_install_with_py_rattler() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ws");
    fs_err::create_dir_all(&root).unwrap();
    copy_toolchain_workspace(&root);
    let ws = root.join("toolchain");
    let store = tmp.path().join("store");
    seed_sources(&store);

    // The repository's workspace does not hold these recipes: solving `make` there finds no recipe.
    let elsewhere = common::run(
        archi(&store)
            .current_dir(common::repo())
            .args(["solve", "mpc", "--format", "json"]),
    );
    assert!(
        !elsewhere.status.success(),
        "the chain's workspace must not know the toolchain's recipes"
    );

    // m4 (for the build machine) before gmp on either platform; gmp before mpfr and isl; mpfr before mpc.
    let mut args: Vec<&str> = RECIPES.to_vec();
    args.extend(BOTH);
    let plan = solve(&ws, &store, &args);
    let waves = wave_of(&plan);
    let at = |name: &str, platform: &str| waves[&(name.to_string(), platform.to_string())];
    for platform in ["linux-64", "linux-aarch64"] {
        assert!(at("m4", "linux-64") < at("gmp", platform), "{plan:?}");
        assert!(at("gmp", platform) < at("mpfr", platform), "{plan:?}");
        assert!(at("gmp", platform) < at("isl", platform), "{plan:?}");
        assert!(at("mpfr", platform) < at("mpc", platform), "{plan:?}");
    }
    let mut expected: Vec<String> = RECIPES
        .iter()
        .flat_map(|r| [format!("{r} linux-64"), format!("{r} linux-aarch64")])
        .collect();
    expected.sort();
    let mut planned = chain_support::nodes(&plan);
    planned.sort();
    assert_eq!(planned, expected);

    let first = build(&ws, &store, &args);
    assert_eq!(states(&first, "built"), expected, "{first:?}");
    let channel = root.join("channels/toolchain/local");
    let counts = chain_support::repodata_counts(&channel);
    assert_eq!(counts["linux-64"], RECIPES.len(), "{counts:?}");
    assert_eq!(counts["linux-aarch64"], RECIPES.len(), "{counts:?}");
    let elf = chain_support::aarch64_elf_files(&channel);
    for name in RECIPES {
        assert!(elf.get(name).is_some_and(|n| *n > 0), "{name}: {elf:?}");
    }

    // A real client installs the tools and the top of the library stack; the libraries' run_exports bring the
    // rest. A program compiled against the installed mpc and isl runs (under qemu for linux-aarch64).
    let test_c = tmp.path().join("use_them.c");
    fs_err::write(&test_c, USE_THEM_C).unwrap();
    for (platform, cc, emulator) in [
        ("linux-64", "x86_64-linux-gnu-gcc", ""),
        (
            "linux-aarch64",
            "aarch64-linux-gnu-gcc",
            "QEMU_LD_PREFIX=/usr/aarch64-linux-gnu qemu-aarch64 ",
        ),
    ] {
        let prefix = tmp.path().join(format!("env-{platform}"));
        let commands = vec![
            format!("{emulator}$PREFIX/bin/make --version | grep -Fx 'GNU Make 4.3'"),
            format!("{emulator}$PREFIX/bin/m4 --version | grep -Fx 'm4 (GNU M4) 1.4.19'"),
            format!(
                "{cc} {} -o use_them -I$PREFIX/include -L$PREFIX/lib -Wl,-rpath,$PREFIX/lib -lmpc -lmpfr -lisl -lgmp",
                test_c.display()
            ),
            format!("{emulator}./use_them | tee out.txt && grep -Fx 'mpc 1.3.1, mpfr 4.2.0, gmp 6.2.1, isl-0.25-GMP' out.txt"),
        ];
        let report = check_channel(
            &channel,
            platform,
            &prefix,
            &["make", "m4", "mpc", "isl"],
            &commands,
            tmp.path(),
        );
        let names = installed(&report);
        for name in RECIPES {
            assert!(names.contains(name), "{name} not installed: {names:?}");
        }
    }

    // Nothing changed: everything comes from the store.
    let second = build(&ws, &store, &args);
    assert_eq!(states(&second, "cached"), expected, "{second:?}");
    ok(archi(&store).args(["store", "verify"]));
}

/// Links mpc, mpfr, isl and gmp together and prints their versions.
const USE_THEM_C: &str = r#"
#include <stdio.h>
#include <isl/ctx.h>
#include <isl/version.h>
#include <mpc.h>

int main(void) {
    mpc_t z;
    mpc_init2(z, 64);
    mpc_set_si_si(z, 3, 4, MPC_RNDNN);
    mpc_abs(mpc_realref(z), z, MPFR_RNDN); /* |3+4i| = 5 */
    if (mpfr_cmp_ui(mpc_realref(z), 5) != 0) return 1;
    mpc_clear(z);
    printf("mpc %s, mpfr %s, gmp %s, %s\n", mpc_get_version(), mpfr_get_version(), gmp_version, isl_version());
    return 0;
}
"#;
