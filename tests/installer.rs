//! `archi installer`: zlib and xz built from their real sources (seeded from Debian's archive) for linux-64 and
//! linux-aarch64, then one self-contained `.sh` per platform that installs them offline into a fresh prefix:
//!
//! - linux-aarch64: the installer refuses to run natively on this x86_64 machine (wrong architecture, nothing
//!   written); run with `ARCHI_INSTALLER_MACHINE=aarch64` inside archi's qemu-user emulation (`emulate::wrap`:
//!   binfmt_misc, private when the machine has no handler), its aarch64 engine installs, and the installed
//!   aarch64 `xz --version` runs under qemu;
//! - linux-64, natively: the license prompt refuses anything but "yes"; `-b -p` installs; an existing prefix is
//!   refused without `-u` and updated with it; a truncated or altered installer fails its payload check and
//!   writes nothing.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{ok, run};

fn seed(store: &Path) {
    let out = run(Command::new("bash")
        .arg(common::repo().join("scripts/seed-sources.sh"))
        .env("ARCHI", env!("CARGO_BIN_EXE_archi"))
        .env("ARCHI_STORE", store));
    assert!(out.status.success(), "seeding failed");
}

/// `archi installer SPECS --target-platform P --channel CHANNEL -o OUT`; returns OUT.
fn installer(
    store: &Path,
    channel: &Path,
    platform: &str,
    specs: &[&str],
    out: PathBuf,
) -> PathBuf {
    ok(common::archi(store)
        .arg("installer")
        .args(specs)
        .args(["--target-platform", platform, "--channel"])
        .arg(channel)
        .arg("-o")
        .arg(&out));
    out
}

/// `sh INSTALLER ARGS...` natively, stdin from `input`.
fn sh(installer: &Path, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new("sh")
        .arg(installer)
        .args(args)
        .env_remove("ARCHI_INSTALLER_MACHINE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    eprintln!(
        "$ sh {} {args:?}\n{}{}",
        installer.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The ELF machine (e_machine) of a file.
fn elf_machine(path: &Path) -> u16 {
    let bytes = fs_err::read(path).unwrap();
    assert_eq!(&bytes[..4], b"\x7fELF", "{} is not ELF", path.display());
    u16::from_le_bytes([bytes[18], bytes[19]])
}

/// The names of the packages `prefix/conda-meta` records, read by py-rattler (a real conda client library).
fn conda_meta_names(prefix: &Path) -> Vec<String> {
    let script = "import sys, glob, rattler\n\
                  names = sorted(rattler.PrefixRecord.from_path(p).name.normalized for p in glob.glob(sys.argv[1] + '/conda-meta/*.json'))\n\
                  print(' '.join(names))";
    let out = ok(Command::new(common::python())
        .args(["-c", script])
        .arg(prefix));
    out.split_whitespace().map(String::from).collect()
}

#[test]
fn installers_install_offline_and_refuse_bad_payloads_machines_and_prefixes() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    let channel = root.path().join("channel");
    seed(&store);
    ok(common::archi(&store)
        .arg("build")
        .arg("--output")
        .arg(&channel)
        .args(["zlib", "xz"])
        .args([
            "--target-platform",
            "linux-64",
            "--target-platform",
            "linux-aarch64",
        ]));

    // linux-aarch64: one .sh file.
    let aarch64 = installer(
        &store,
        &channel,
        "linux-aarch64",
        &["zlib", "xz"],
        root.path().join("x.sh"),
    );
    let text = fs_err::read(&aarch64).unwrap();
    assert!(text.starts_with(b"#!/bin/sh\n"));
    assert!(memchr::memmem::find(&text, b"\n__ARCHIVE_BELOW__\n").is_some());

    // Natively on x86_64: the wrong-architecture error, before anything is written.
    let wrong = root.path().join("wrong");
    let out = sh(&aarch64, &["-b", "-p", wrong.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("this installer is for linux-aarch64 (aarch64) but this machine is x86_64"),
        "{}",
        stderr(&out)
    );
    assert!(!wrong.exists());

    // Under qemu-user: the script's POSIX tools are this machine's, the engine and xz are aarch64 binaries run
    // through binfmt_misc (as `archi build` runs aarch64 tests).
    let prefix = root.path().join("aarch64 prefix");
    let command = format!(
        "ARCHI_INSTALLER_MACHINE=aarch64 sh '{}' -b -p '{}' && '{}/bin/xz' --version",
        aarch64.display(),
        prefix.display(),
        prefix.display()
    );
    let out = common::run_emulated(&command);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("xz (XZ Utils) 5."), "{stdout}");
    assert_eq!(elf_machine(&prefix.join("bin/xz")), 183, "an aarch64 xz");
    assert_eq!(conda_meta_names(&prefix), ["xz", "zlib"]);
    // Prefix replacement: liblzma.pc names the prefix it was installed into.
    let pc = fs_err::read_to_string(prefix.join("lib/pkgconfig/liblzma.pc")).unwrap();
    assert!(pc.contains(&format!("prefix={}", prefix.display())), "{pc}");

    // linux-64, natively. First zlib alone; the license prompt takes only "yes".
    let zlib_only = installer(
        &store,
        &channel,
        "linux-64",
        &["zlib"],
        root.path().join("zlib.sh"),
    );
    let native = root.path().join("native");
    let p = native.to_str().unwrap();
    let out = sh(&zlib_only, &["-p", p], "no\n");
    assert_eq!(out.status.code(), Some(1));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("== zlib 1."), "{shown}");
    assert!(
        shown.contains("Do you accept the license terms?"),
        "{shown}"
    );
    assert!(stderr(&out).contains("the license terms were not accepted"));
    assert!(!native.exists());
    let out = sh(&zlib_only, &["-p", p], "yes\n");
    assert!(out.status.success());
    assert_eq!(conda_meta_names(&native), ["zlib"]);
    assert!(native.join("lib/libz.so.1").exists());
    assert!(!native.join("bin/xz").exists());

    // zlib and xz: refused over the existing prefix without -u (nothing changes), installed with it.
    let both = installer(
        &store,
        &channel,
        "linux-64",
        &["zlib", "xz"],
        root.path().join("both.sh"),
    );
    let out = sh(&both, &["-b", "-p", p], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("already exists; use -u to update it"),
        "{}",
        stderr(&out)
    );
    assert!(!native.join("bin/xz").exists());
    let out = sh(&both, &["-b", "-u", "-p", p], "");
    assert!(out.status.success());
    assert_eq!(conda_meta_names(&native), ["xz", "zlib"]);
    let version = ok(Command::new(native.join("bin/xz")).arg("--version"));
    assert!(version.contains("xz (XZ Utils) 5."), "{version}");
    assert_eq!(elf_machine(&native.join("bin/xz")), 62, "an x86_64 xz");

    // A truncated installer and one with a changed payload byte fail the payload check and write nothing.
    let bytes = fs_err::read(&both).unwrap();
    let truncated = root.path().join("truncated.sh");
    fs_err::write(&truncated, &bytes[..bytes.len() - 4096]).unwrap();
    let altered = root.path().join("altered.sh");
    let mut changed = bytes.clone();
    let last = changed.len() - 2000;
    changed[last] ^= 0x55;
    fs_err::write(&altered, &changed).unwrap();
    for (damaged, message) in [(&truncated, "bytes, "), (&altered, "payload sha256 ")] {
        let fresh = root.path().join("fresh");
        let out = sh(damaged, &["-b", "-p", fresh.to_str().unwrap()], "");
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert!(err.contains("is damaged") && err.contains(message), "{err}");
        assert!(
            !fresh.exists(),
            "a damaged installer wrote {}",
            fresh.display()
        );
    }
}
