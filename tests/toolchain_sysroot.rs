//! The toolchain workspace's sysroots (`toolchain/recipes/sysroot`, issue 13): glibc 2.36 and Linux 6.1's headers
//! for linux-64 and linux-aarch64 from Debian's cross packages, built in one run into `sysroot_<subdir>` and
//! `kernel-headers_<subdir>` (noarch, holding x86_64 and aarch64 ELF files through `[build] cross_target`, each
//! package only its own target's), the packages' own tests run (each libc.so.6 prints its version, aarch64's under
//! qemu), then installed by py-rattler and used as the only C library of a link: the machine's compiler proper
//! for each target compiles against the sysroot's headers alone, the link takes its start files and libc through
//! its linker script (whose paths ld resolves inside the sysroot), and the program runs (natively, or under qemu
//! with the sysroot as its root). The gcc recipe (an hour on 2 cores) is built by the command README.md gives, not
//! here.

mod chain_support;
mod common;

use chain_support::{build, check_channel, installed, states};
use common::{archi, ok};

#[test]
fn sysroot_packages_of_both_targets_build_and_link_programs_that_run() {
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
    let names = common::repodata_names(&channel.join("noarch"));
    assert_eq!(
        names,
        [
            "kernel-headers_linux-64",
            "kernel-headers_linux-aarch64",
            "sysroot_linux-64",
            "sysroot_linux-aarch64"
        ]
    );
    assert!(!channel.join("linux-64/repodata.json").exists());

    // Every ELF file of a sysroot is for its target (the noarch package's cross_target), and there are some.
    let mut elf = std::collections::BTreeMap::new();
    for archive in fs_err::read_dir(channel.join("noarch")).unwrap() {
        let archive = archive.unwrap().path();
        if archive.extension().is_none_or(|e| e != "conda") {
            continue;
        }
        let file_name = archive.file_name().unwrap().to_string_lossy().into_owned();
        let machine = if file_name.contains("_linux-aarch64-") {
            goblin::elf::header::EM_AARCH64
        } else {
            goblin::elf::header::EM_X86_64
        };
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
                    machine,
                    "{file_name}: {}",
                    entry.path().display()
                );
                *elf.entry(machine).or_insert(0) += 1;
            }
        }
    }
    assert!(
        elf.len() == 2 && elf.values().all(|n| *n > 20),
        "ELF files by machine: {elf:?}"
    );

    let hello = tmp.path().join("hello.c");
    fs_err::write(&hello, HELLO_C).unwrap();
    let report = check_channel(
        &channel,
        "linux-64",
        &tmp.path().join("env"),
        &["sysroot_linux-aarch64", "sysroot_linux-64"],
        &[
            link_commands(
                &hello,
                "aarch64",
                "/lib/ld-linux-aarch64.so.1",
                "qemu-aarch64 -L {s} ",
            ),
            link_commands(&hello, "x86_64", "/lib64/ld-linux-x86-64.so.2", ""),
        ]
        .concat(),
        tmp.path(),
    );
    let names = installed(&report);
    for target in ["linux-64", "linux-aarch64"] {
        assert!(
            names.contains(&format!("kernel-headers_{target}")),
            "the sysroot's run requirement: {names:?}"
        );
    }

    let second = build(&ws, &store, &["recipes/sysroot"]);
    assert_eq!(states(&second, "cached"), ["sysroot noarch"], "{second:?}");
    ok(archi(&store).args(["store", "verify"]));
}

/// Shell commands that compile and link `hello` for `machine` (`aarch64`, `x86_64`) with the machine's compiler
/// proper and the sysroot package's headers, start files and C library alone (`loader`: the dynamic linker's path),
/// and run it (`run`: a prefix such as `qemu-aarch64 -L {s} `, `{s}` standing for the sysroot).
fn link_commands(hello: &std::path::Path, machine: &str, loader: &str, run: &str) -> Vec<String> {
    let s = format!("$PREFIX/{machine}-conda-linux-gnu/sysroot");
    let cc = format!("{machine}-linux-gnu-gcc");
    let run = run.replace("{s}", &s);
    vec![
        // The compiler's own headers (stddef.h, …) and the sysroot's, nothing of the machine's /usr.
        format!(
            "{cc} -nostdinc -isystem \"$({cc} -print-file-name=include)\" -isystem {s}/usr/include -c {} -o hello.o",
            hello.display()
        ),
        format!(
            "{cc} -nostdlib -no-pie -Wl,--sysroot={s} -Wl,-dynamic-linker,{loader} \
             {s}/usr/lib64/crt1.o {s}/usr/lib64/crti.o hello.o -L=/usr/lib64 -lc \"$({cc} -print-libgcc-file-name)\" \
             {s}/usr/lib64/crtn.o -o hello-{machine} -Wl,--trace > trace-{machine}.txt"
        ),
        // libc.so's linker script led ld into the sysroot, not to the machine's libraries.
        format!("grep -Fx \"{s}/lib64/libc.so.6\" trace-{machine}.txt && grep -Fx \"{s}/usr/lib64/libc_nonshared.a\" trace-{machine}.txt"),
        format!("! grep -E '^/(usr/)?lib(64)?/.*/libc[._]' trace-{machine}.txt"),
        format!("{run}./hello-{machine} linux | tee out.txt && grep -F 'glibc 2.36, kernel headers 6.1' out.txt"),
    ]
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
