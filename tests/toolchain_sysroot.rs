//! The toolchain workspace's sysroot (`toolchain/recipes/sysroot`, issue 13): glibc 2.36 and Linux 6.1's headers
//! for linux-aarch64 from Debian's cross packages, built into `sysroot_linux-aarch64` and
//! `kernel-headers_linux-aarch64` (noarch, holding aarch64 ELF files through `[build] cross_target`), the
//! packages' own tests run (libc.so.6 under qemu prints its version), then installed by py-rattler and used as the
//! only C library of a link: the machine's aarch64 compiler proper compiles against the sysroot's headers alone,
//! the link takes its start files and libc through its linker script (whose paths ld resolves inside the sysroot),
//! and the program runs under qemu with the sysroot as its root. The gcc recipe (an hour on 2 cores) is built by
//! the command README.md gives, not here.

mod chain_support;
mod common;

use chain_support::{build, check_channel, installed, states};
use common::{archi, ok};

#[test]
fn sysroot_packages_build_and_link_an_aarch64_program_that_runs_under_qemu() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ws");
    fs_err::create_dir_all(&root).unwrap();
    chain_support::copy_from_repo(&root, &["pins.toml"], &["toolchain"]);
    let ws = root.join("toolchain");
    let store = tmp.path().join("store");
    let seeded = common::run(
        std::process::Command::new("bash")
            .arg(common::repo().join("scripts/seed-sources.sh"))
            .env("ARCHI", env!("CARGO_BIN_EXE_archi"))
            .env("ARCHI_STORE", &store),
    );
    assert!(seeded.status.success(), "seed-sources.sh failed");

    let first = build(&ws, &store, &["recipes/sysroot"]);
    assert_eq!(states(&first, "built"), ["sysroot noarch"], "{first:?}");
    let channel = root.join("channels/toolchain/local");
    // Both packages are noarch: nothing else was published.
    let repodata: serde_json::Value =
        serde_json::from_slice(&fs_err::read(channel.join("noarch/repodata.json")).unwrap())
            .unwrap();
    let mut names: Vec<&str> = repodata["packages.conda"]
        .as_object()
        .unwrap()
        .values()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["kernel-headers_linux-aarch64", "sysroot_linux-aarch64"]
    );
    assert!(!channel.join("linux-64/repodata.json").exists());

    // Every ELF file of the sysroot is AArch64 (the noarch package's cross_target), and there are some.
    let mut elf = 0;
    for archive in fs_err::read_dir(channel.join("noarch")).unwrap() {
        let archive = archive.unwrap().path();
        if archive.extension().is_none_or(|e| e != "conda") {
            continue;
        }
        let dest = tempfile::tempdir().unwrap();
        rattler_package_streaming::fs::extract(&archive, dest.path()).unwrap();
        for entry in walkdir::WalkDir::new(dest.path())
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
        {
            let bytes = fs_err::read(entry.path()).unwrap();
            if bytes.starts_with(b"\x7fELF") {
                let parsed = goblin::elf::Elf::parse(&bytes).unwrap();
                assert_eq!(
                    parsed.header.e_machine,
                    goblin::elf::header::EM_AARCH64,
                    "{}",
                    entry.path().display()
                );
                elf += 1;
            }
        }
    }
    assert!(elf > 20, "{elf} ELF files");

    let hello = tmp.path().join("hello.c");
    fs_err::write(&hello, HELLO_C).unwrap();
    let s = "$PREFIX/aarch64-conda-linux-gnu/sysroot";
    let cc = "aarch64-linux-gnu-gcc";
    let commands = vec![
        // The compiler's own headers (stddef.h, …) and the sysroot's, nothing of the machine's /usr.
        format!(
            "{cc} -nostdinc -isystem \"$({cc} -print-file-name=include)\" -isystem {s}/usr/include -c {} -o hello.o",
            hello.display()
        ),
        format!(
            "{cc} -nostdlib -no-pie -Wl,--sysroot={s} -Wl,-dynamic-linker,/lib/ld-linux-aarch64.so.1 \
             {s}/usr/lib64/crt1.o {s}/usr/lib64/crti.o hello.o -L=/usr/lib64 -lc \"$({cc} -print-libgcc-file-name)\" \
             {s}/usr/lib64/crtn.o -o hello -Wl,--trace > trace.txt"
        ),
        // libc.so's linker script led ld into the sysroot, not to the machine's /usr/aarch64-linux-gnu.
        format!("grep -Fx \"{s}/lib64/libc.so.6\" trace.txt && grep -Fx \"{s}/usr/lib64/libc_nonshared.a\" trace.txt"),
        "! grep -F /usr/aarch64-linux-gnu trace.txt".to_string(),
        format!("qemu-aarch64 -L {s} ./hello linux | tee out.txt && grep -F 'glibc 2.36, kernel headers 6.1' out.txt"),
    ];
    let report = check_channel(
        &channel,
        "linux-64",
        &tmp.path().join("env"),
        &["sysroot_linux-aarch64"],
        &commands,
        tmp.path(),
    );
    let names = installed(&report);
    assert!(
        names.contains("kernel-headers_linux-aarch64"),
        "the sysroot's run requirement: {names:?}"
    );

    let second = build(&ws, &store, &["recipes/sysroot"]);
    assert_eq!(states(&second, "cached"), ["sysroot noarch"], "{second:?}");
    ok(archi(&store).args(["store", "verify"]));
}

/// Uses glibc (printf, gnu_get_libc_version) and a kernel header (LINUX_VERSION_CODE).
const HELLO_C: &str = r#"
#include <gnu/libc-version.h>
#include <linux/version.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 2 || strcmp(argv[1], "linux") != 0) return 2;
    printf("glibc %s, kernel headers %d.%d\n", gnu_get_libc_version(), LINUX_VERSION_CODE >> 16,
           (LINUX_VERSION_CODE >> 8) & 0xff);
    return 0;
}
"#;
