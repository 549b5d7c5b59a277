//! Tests of the package stage against real toolchains and real readers: binaries built with `cc` (and the
//! AArch64 cross compiler when present) in a padded prefix, and archives read back with
//! `rattler_package_streaming` and extracted with conda-package-handling.

use std::path::{Path, PathBuf};
use std::process::Command;

use goblin::elf::Elf;
use rattler_conda_types::package::{FileMode, IndexJson, PathType, PathsJson, RunExportsJson};
use rattler_conda_types::{NoArchType, PackageName, Subdir};
use serde_json::json;

use super::*;

/// A prefix path of at least 200 characters under `root`, conda-build style.
fn padded_prefix(root: &Path) -> PathBuf {
    let mut name = String::from("host_env");
    while root.join(&name).as_os_str().len() < 220 {
        name.push_str("_placehold");
    }
    root.join(name)
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run_ok(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

const LIB_C: &str = "int foo(void) { return 42; }\n";
const MAIN_C: &str =
    "#include <stdio.h>\nint foo(void);\nint main(void) { printf(\"foo=%d\\n\", foo()); return foo() == 42 ? 0 : 1; }\n";

/// Builds `<prefix>/lib/libfoo.so` and `<prefix>/bin/app` (linked against it with an rpath into the prefix plus
/// one outside it) with `cc`; `dtags` is `--enable-new-dtags` (DT_RUNPATH) or `--disable-new-dtags` (DT_RPATH).
fn build_app(cc: &str, src: &Path, prefix: &Path, dtags: &str) {
    fs_err::create_dir_all(prefix.join("lib")).unwrap();
    fs_err::create_dir_all(prefix.join("bin")).unwrap();
    fs_err::write(src.join("foo.c"), LIB_C).unwrap();
    fs_err::write(src.join("main.c"), MAIN_C).unwrap();
    let lib = prefix.join("lib");
    run_ok(
        Command::new(cc)
            .arg("-shared")
            .arg("-fPIC")
            .arg("-o")
            .arg(lib.join("libfoo.so"))
            .arg(src.join("foo.c")),
    );
    run_ok(
        Command::new(cc)
            .arg("-o")
            .arg(prefix.join("bin/app"))
            .arg(src.join("main.c"))
            .arg(format!("-L{}", lib.display()))
            .arg("-lfoo")
            .arg(format!("-Wl,{dtags}"))
            .arg(format!("-Wl,-rpath,{}", lib.display()))
            .arg("-Wl,-rpath,/usr/local/archi-build-machine/lib"),
    );
}

fn runpaths(path: &Path) -> (Vec<String>, Vec<String>, u16) {
    let bytes = fs_err::read(path).unwrap();
    let elf = Elf::parse(&bytes).unwrap();
    let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    (own(&elf.runpaths), own(&elf.rpaths), elf.header.e_machine)
}

/// Builds, relocates, and checks the RUNPATH; returns the prefix and the files.
fn build_and_relocate(
    cc: &str,
    tmp: &Path,
    dtags: &str,
) -> (PathBuf, Vec<PathBuf>, RelocationReport) {
    let prefix = padded_prefix(tmp);
    fs_err::create_dir_all(prefix.join("conda-meta")).unwrap();
    fs_err::write(prefix.join("conda-meta/dep-1.0-0.json"), "{}").unwrap();
    let before = snapshot(&prefix).unwrap();
    build_app(cc, tmp, &prefix, dtags);
    let after = snapshot(&prefix).unwrap();
    let files = new_files(&before, &after);
    assert_eq!(
        files,
        vec![PathBuf::from("bin/app"), PathBuf::from("lib/libfoo.so")]
    );
    let report = relocate(&prefix, &files).unwrap();
    (prefix, files, report)
}

#[test]
fn relocate_native_runpath_and_run_after_moving_the_prefix() {
    let tmp = tempfile::tempdir().unwrap();
    let (prefix, _files, report) = build_and_relocate("cc", tmp.path(), "--enable-new-dtags");
    let (runpath, rpath, _) = runpaths(&prefix.join("bin/app"));
    assert_eq!(runpath, vec!["$ORIGIN/../lib"]);
    assert!(rpath.is_empty());
    assert_eq!(report.rpaths_rewritten.len(), 1);
    let (file, old, new) = &report.rpaths_rewritten[0];
    assert_eq!(file, Path::new("bin/app"));
    assert_eq!(
        old,
        &format!(
            "{}/lib:/usr/local/archi-build-machine/lib",
            prefix.display()
        )
    );
    assert_eq!(new, "$ORIGIN/../lib");
    // The relocated binary no longer holds the prefix, so it needs no placeholder.
    assert!(!report
        .prefix_files
        .iter()
        .any(|(f, _)| f == Path::new("bin/app")));

    let run = |p: &Path| {
        run_ok(
            Command::new(p.join("bin/app"))
                .env_remove("LD_LIBRARY_PATH")
                .current_dir(p),
        );
    };
    run(&prefix);
    // Only a relative RUNPATH survives moving the whole prefix.
    let moved = tmp.path().join("moved");
    fs_err::rename(&prefix, &moved).unwrap();
    run(&moved);
}

#[test]
fn relocate_native_dt_rpath() {
    let tmp = tempfile::tempdir().unwrap();
    let (prefix, _files, _report) = build_and_relocate("cc", tmp.path(), "--disable-new-dtags");
    let (runpath, rpath, _) = runpaths(&prefix.join("bin/app"));
    assert!(runpath.is_empty());
    assert_eq!(rpath, vec!["$ORIGIN/../lib"]);
    run_ok(
        Command::new(prefix.join("bin/app"))
            .env_remove("LD_LIBRARY_PATH")
            .current_dir(&prefix),
    );
}

#[test]
fn relocate_aarch64_cross_binary() {
    let cc = "aarch64-linux-gnu-gcc";
    if !have(cc) {
        eprintln!("note: {cc} not on PATH; skipping the AArch64 relocation test");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (prefix, _files, report) = build_and_relocate(cc, tmp.path(), "--enable-new-dtags");
    let (runpath, _, machine) = runpaths(&prefix.join("bin/app"));
    assert_eq!(machine, goblin::elf::header::EM_AARCH64);
    assert_eq!(runpath, vec!["$ORIGIN/../lib"]);
    assert_eq!(report.rpaths_rewritten.len(), 1);
    let sysroot = Path::new("/usr/aarch64-linux-gnu");
    if have("qemu-aarch64") && sysroot.is_dir() {
        let moved = tmp.path().join("moved");
        fs_err::rename(&prefix, &moved).unwrap();
        run_ok(
            Command::new("qemu-aarch64")
                .arg("-L")
                .arg(sysroot)
                .arg(moved.join("bin/app"))
                .env_remove("LD_LIBRARY_PATH")
                .current_dir(&moved),
        );
    } else {
        eprintln!(
            "note: qemu-aarch64 or its sysroot absent; AArch64 binary checked by reading only"
        );
    }
}

/// 32-bit little endian (i386) and 64-bit big endian (aarch64_be) shared objects, linked without a libc so
/// that only binutils' emulations are needed.
#[test]
fn relocate_elf32_and_big_endian() {
    let cases: [(&str, &[&str], u16); 2] = [
        ("cc", &["-m32"], goblin::elf::header::EM_386),
        (
            "aarch64-linux-gnu-gcc",
            &["-mbig-endian"],
            goblin::elf::header::EM_AARCH64,
        ),
    ];
    for (cc, flags, machine) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let prefix = padded_prefix(tmp.path());
        fs_err::create_dir_all(prefix.join("lib/sub")).unwrap();
        fs_err::write(tmp.path().join("foo.c"), LIB_C).unwrap();
        let out = prefix.join("lib/sub/libfoo.so");
        let status = Command::new(cc)
            .args(flags)
            .args([
                "-shared",
                "-nostdlib",
                "-fPIC",
                "-Wl,--enable-new-dtags",
                "-o",
            ])
            .arg(&out)
            .arg(tmp.path().join("foo.c"))
            .arg(format!("-Wl,-rpath,{}/lib:$ORIGIN/x", prefix.display()))
            .status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("note: {cc} {flags:?} cannot link here; skipping that case");
            continue;
        }
        let bytes = fs_err::read(&out).unwrap();
        let elf = Elf::parse(&bytes).unwrap();
        assert_eq!(elf.header.e_machine, machine);
        assert_eq!(elf.is_64, machine != goblin::elf::header::EM_386);
        relocate(&prefix, &[PathBuf::from("lib/sub/libfoo.so")]).unwrap();
        let (runpath, _, _) = runpaths(&out);
        assert_eq!(runpath, vec!["$ORIGIN/..:$ORIGIN/x"], "{cc} {flags:?}");
        // nothing but the string table changed: same length, same bytes outside the old string
        let after = fs_err::read(&out).unwrap();
        assert_eq!(after.len(), bytes.len());
        let diff: Vec<usize> = (0..bytes.len()).filter(|&i| bytes[i] != after[i]).collect();
        let old_str = format!("{}/lib:$ORIGIN/x", prefix.display());
        let at = memchr::memmem::find(&bytes, old_str.as_bytes()).unwrap();
        assert!(diff.iter().all(|&i| i >= at && i < at + old_str.len()));
    }
}

/// A DT_NEEDED entry pointing into the middle of the RUNPATH string (as a linker's tail merging would) must make
/// relocation refuse rather than corrupt the other string.
#[test]
fn relocate_refuses_tail_merged_strings() {
    let tmp = tempfile::tempdir().unwrap();
    let prefix = padded_prefix(tmp.path());
    build_app("cc", tmp.path(), &prefix, "--enable-new-dtags");
    let app = prefix.join("bin/app");
    let mut bytes = fs_err::read(&app).unwrap();
    let (dyn_off, needed_idx, runpath_val) = {
        let elf = Elf::parse(&bytes).unwrap();
        let dynamic = elf.dynamic.as_ref().unwrap();
        let ph = elf
            .program_headers
            .iter()
            .find(|p| p.p_type == goblin::elf::program_header::PT_DYNAMIC)
            .unwrap();
        let idx = dynamic
            .dyns
            .iter()
            .position(|d| d.d_tag == goblin::elf::dynamic::DT_NEEDED)
            .unwrap();
        let rp = dynamic
            .dyns
            .iter()
            .find(|d| d.d_tag == goblin::elf::dynamic::DT_RUNPATH)
            .unwrap()
            .d_val;
        (ph.p_offset as usize, idx, rp)
    };
    // x86-64: Elf64_Dyn is 16 bytes, d_val little endian at +8
    let at = dyn_off + needed_idx * 16 + 8;
    bytes[at..at + 8].copy_from_slice(&(runpath_val + 10).to_le_bytes());
    fs_err::write(&app, &bytes).unwrap();
    let err = relocate(&prefix, &[PathBuf::from("bin/app")]).unwrap_err();
    assert!(
        matches!(&err, PackageError::TailMergedString { path, .. } if path == &app),
        "{err}"
    );
    assert_eq!(
        fs_err::read(&app).unwrap(),
        bytes,
        "file must be left untouched"
    );
}

#[test]
fn relocate_leaves_other_files_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let prefix = padded_prefix(tmp.path());
    build_app("cc", tmp.path(), &prefix, "--enable-new-dtags");
    let before = fs_err::read(prefix.join("bin/app")).unwrap();
    let report = relocate(&prefix, &[PathBuf::from("lib/libfoo.so")]).unwrap();
    assert!(report.rpaths_rewritten.is_empty());
    assert_eq!(fs_err::read(prefix.join("bin/app")).unwrap(), before);
}

fn metadata(recipe_dir: &Path, license: &Path) -> PackageMetadata {
    PackageMetadata {
        name: PackageName::new_unchecked("demo"),
        version: "1.2.3".parse().unwrap(),
        build_string: "h0123456_0".to_string(),
        build_number: 0,
        subdir: Subdir::LinuxAarch64,
        noarch: NoArchType::none(),
        entry_points: vec![],
        depends: vec!["zlib >=1.2".into(), "libgcc >=12".into()],
        constrains: vec![],
        license: Some("BSD-3-Clause".into()),
        license_family: Some("BSD".into()),
        timestamp_ms: 1_700_000_000_123,
        about: json!({"summary": "demo", "home": "https://example.invalid"}),
        run_exports: RunExportsJson {
            weak: vec!["demo >=1.2.3,<1.3".into()],
            ..Default::default()
        },
        hash_input: json!({"recipe": "demo", "key": "abc"}),
        recipe_dir: recipe_dir.to_path_buf(),
        rendered_recipe: "{\"package\":{\"name\":\"demo\"}}".into(),
        test_files: vec![(PathBuf::from("t.sh"), recipe_dir.join("t.sh"))],
        test_commands: vec!["test -f $PREFIX/share/demo.txt".into(), "sh t.sh".into()],
        license_files: vec![license.to_path_buf()],
        source_date_epoch: 1_700_000_000,
        provenance: None,
    }
}

/// A prefix with: a text file holding the prefix, a binary one holding it, one without it, a symlink into the
/// prefix given as an absolute path, and a relative symlink.
fn demo_prefix(tmp: &Path) -> (PathBuf, Vec<PathBuf>, PackageMetadata) {
    let prefix = padded_prefix(&tmp.join("p"));
    let p = prefix.display().to_string();
    fs_err::create_dir_all(prefix.join("bin")).unwrap();
    fs_err::create_dir_all(prefix.join("share")).unwrap();
    fs_err::create_dir_all(prefix.join("lib")).unwrap();
    fs_err::write(prefix.join("lib/dep.so"), "host dependency").unwrap();
    let before = snapshot(&prefix).unwrap();
    fs_err::write(
        prefix.join("bin/script"),
        format!("#!{p}/bin/sh\necho hi\n"),
    )
    .unwrap();
    let mut blob = b"\x7fELF\0\0".to_vec();
    blob.extend_from_slice(p.as_bytes());
    blob.extend_from_slice(b"/lib\0\0\x01");
    fs_err::write(prefix.join("lib/blob.bin"), &blob).unwrap();
    fs_err::write(prefix.join("share/demo.txt"), "no prefix here\n").unwrap();
    std::os::unix::fs::symlink(format!("{p}/share/demo.txt"), prefix.join("share/abs-link"))
        .unwrap();
    std::os::unix::fs::symlink("dep.so", prefix.join("lib/rel-link.so")).unwrap();
    let files = new_files(&before, &snapshot(&prefix).unwrap());

    let recipe = tmp.join("recipe");
    fs_err::create_dir_all(recipe.join("patches")).unwrap();
    fs_err::write(recipe.join("recipe.toml"), "[package]\nname = \"demo\"\n").unwrap();
    fs_err::write(recipe.join("patches/a.patch"), "--- a\n+++ b\n").unwrap();
    fs_err::write(recipe.join("t.sh"), "true\n").unwrap();
    let license = tmp.join("LICENSE");
    fs_err::write(&license, "BSD\n").unwrap();
    let meta = metadata(&recipe, &license);
    (prefix, files, meta)
}

#[test]
fn write_conda_paths_json_and_read_back() {
    let tmp = tempfile::tempdir().unwrap();
    let (prefix, files, meta) = demo_prefix(tmp.path());
    assert_eq!(files.len(), 5);
    let out = write_conda(&prefix, &files, &meta, &tmp.path().join("out")).unwrap();
    assert_eq!(out.file_name().unwrap(), "demo-1.2.3-h0123456_0.conda");
    let p = prefix.to_str().unwrap();

    let paths: PathsJson = rattler_package_streaming::seek::read_package_file(&out).unwrap();
    assert_eq!(paths.paths_version, 1);
    let names: Vec<&Path> = paths
        .paths
        .iter()
        .map(|e| e.relative_path.as_path())
        .collect();
    let want = [
        "bin/script",
        "lib/blob.bin",
        "lib/rel-link.so",
        "share/abs-link",
        "share/demo.txt",
    ];
    assert_eq!(names, want.map(Path::new));
    let entry = |name: &str| {
        paths
            .paths
            .iter()
            .find(|e| e.relative_path == Path::new(name))
            .unwrap()
    };
    let script = entry("bin/script");
    let placeholder = script.prefix_placeholder.as_ref().unwrap();
    assert_eq!(
        (placeholder.file_mode, placeholder.placeholder.as_str()),
        (FileMode::Text, p)
    );
    assert_eq!(
        script.size_in_bytes,
        Some(fs_err::metadata(prefix.join("bin/script")).unwrap().len())
    );
    assert_eq!(
        entry("lib/blob.bin")
            .prefix_placeholder
            .as_ref()
            .unwrap()
            .file_mode,
        FileMode::Binary
    );
    let plain = entry("share/demo.txt");
    assert!(plain.prefix_placeholder.is_none());
    assert_eq!(plain.path_type, PathType::HardLink);
    let link = entry("share/abs-link");
    assert_eq!(link.path_type, PathType::SoftLink);
    assert_eq!(
        link.sha256, plain.sha256,
        "a softlink carries its target's sha256"
    );
    assert_eq!(
        entry("lib/rel-link.so").size_in_bytes,
        Some("host dependency".len() as u64)
    );

    let index: IndexJson = rattler_package_streaming::seek::read_package_file(&out).unwrap();
    assert_eq!(index.name.as_normalized(), "demo");
    assert_eq!(index.depends, vec!["libgcc >=12", "zlib >=1.2"]);
    assert_eq!(index.subdir.as_deref(), Some("linux-aarch64"));
    assert_eq!(
        (index.arch.as_deref(), index.platform.as_deref()),
        (Some("aarch64"), Some("linux"))
    );
    assert_eq!(
        index.timestamp.unwrap().timestamp_millis(),
        1_700_000_000_123
    );
    let run_exports: RunExportsJson =
        rattler_package_streaming::seek::read_package_file(&out).unwrap();
    assert_eq!(run_exports.weak, vec!["demo >=1.2.3,<1.3"]);

    // conda-package-handling, the reference reader, extracts it
    let has_cph = Command::new("python3")
        .args(["-c", "import conda_package_handling"])
        .status();
    if !has_cph.is_ok_and(|s| s.success()) {
        eprintln!("note: conda_package_handling not importable; skipping the extraction check");
        return;
    }
    let dest = tmp.path().join("x");
    run_ok(
        Command::new("python3")
            .args(["-m", "conda_package_handling.cli", "x"])
            .arg(&out)
            .arg("--dest")
            .arg(&dest),
    );
    let read = |rel: &str| fs_err::read_to_string(dest.join(rel)).unwrap();
    assert_eq!(
        fs_err::read_link(dest.join("share/abs-link")).unwrap(),
        Path::new("demo.txt")
    );
    assert_eq!(read("info/files"), format!("{}\n", want.join("\n")));
    assert_eq!(
        read("info/has_prefix"),
        format!("{p} text bin/script\n{p} binary lib/blob.bin\n")
    );
    assert_eq!(
        read("info/test/run_test.sh"),
        "set -ex\n\ntest -f $PREFIX/share/demo.txt\nsh t.sh\n"
    );
    assert_eq!(read("info/test/t.sh"), "true\n");
    assert_eq!(read("info/licenses/LICENSE"), "BSD\n");
    assert_eq!(read("info/recipe/patches/a.patch"), "--- a\n+++ b\n");
    assert_eq!(read("info/recipe/rendered.json"), meta.rendered_recipe);
    let about: serde_json::Value = serde_json::from_str(&read("info/about.json")).unwrap();
    assert_eq!(about["summary"], "demo");
    let hash_input: serde_json::Value =
        serde_json::from_str(&read("info/hash_input.json")).unwrap();
    assert_eq!(hash_input, meta.hash_input);
    let index_raw = read("info/index.json");
    assert!(
        !index_raw.contains("constrains") && !index_raw.contains("noarch"),
        "{index_raw}"
    );
    assert_eq!(read("bin/script"), format!("#!{p}/bin/sh\necho hi\n"));
}

#[test]
fn write_conda_is_deterministic() {
    let tmp = tempfile::tempdir().unwrap();
    let (prefix, files, meta) = demo_prefix(tmp.path());
    let a = write_conda(&prefix, &files, &meta, &tmp.path().join("a")).unwrap();
    // a different mtime on a packaged file must not show
    let f = fs_err::File::options()
        .append(true)
        .open(prefix.join("share/demo.txt"))
        .unwrap();
    f.set_modified(std::time::SystemTime::now()).unwrap();
    let b = write_conda(&prefix, &files, &meta, &tmp.path().join("b")).unwrap();
    assert_eq!(fs_err::read(&a).unwrap(), fs_err::read(&b).unwrap());
    // and the staging directory is gone
    let left: Vec<_> = fs_err::read_dir(tmp.path().join("a"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        left,
        vec![std::ffi::OsString::from("demo-1.2.3-h0123456_0.conda")]
    );
    // and a changed input changes the bytes
    let mut meta2 = meta.clone();
    meta2.source_date_epoch += 3600;
    let c = write_conda(&prefix, &files, &meta2, &tmp.path().join("c")).unwrap();
    assert_ne!(fs_err::read(&a).unwrap(), fs_err::read(&c).unwrap());
}

#[test]
fn noarch_index_json() {
    let tmp = tempfile::tempdir().unwrap();
    let mut meta = metadata(tmp.path(), &tmp.path().join("LICENSE"));
    meta.noarch = NoArchType::generic();
    assert!(matches!(
        index_json(&meta),
        Err(PackageError::NoarchSubdir { .. })
    ));
    meta.subdir = Subdir::NoArch;
    meta.constrains = vec!["b >1".into(), "a <2".into()];
    let index = index_json(&meta).unwrap();
    assert_eq!(index["noarch"], "generic");
    assert_eq!(index["subdir"], "noarch");
    assert_eq!(
        (&index["arch"], &index["platform"]),
        (&json!(null), &json!(null))
    );
    assert_eq!(index["constrains"], json!(["a <2", "b >1"]));
    let keys: Vec<&String> = index.as_object().unwrap().keys().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn write_conda_rejects_pre_1980_epoch() {
    let tmp = tempfile::tempdir().unwrap();
    let (prefix, files, mut meta) = demo_prefix(tmp.path());
    meta.source_date_epoch = 0;
    let err = write_conda(&prefix, &files, &meta, &tmp.path().join("out")).unwrap_err();
    assert!(matches!(
        err,
        PackageError::TimestampOutOfRange { value: 0, .. }
    ));
}

#[test]
fn noarch_python_link_json_lists_the_entry_points() {
    let tmp = tempfile::tempdir().unwrap();
    let (prefix, files, mut meta) = demo_prefix(tmp.path());
    meta.noarch = NoArchType::python();
    meta.subdir = Subdir::NoArch;
    meta.entry_points = vec!["conda = conda.cli.main_pip:main".into()];
    let out = write_conda(&prefix, &files, &meta, &tmp.path().join("out")).unwrap();
    let link: rattler_conda_types::package::LinkJson =
        rattler_package_streaming::seek::read_package_file(&out).unwrap();
    let rattler_conda_types::package::NoArchLinks::Python(links) = link.noarch else {
        panic!("link.json is not noarch python");
    };
    assert_eq!(links.entry_points.len(), 1);
    assert_eq!(links.entry_points[0].command, "conda");
    assert_eq!(links.entry_points[0].module, "conda.cli.main_pip");
    assert_eq!(links.entry_points[0].function, "main");
    let index: IndexJson = rattler_package_streaming::seek::read_package_file(&out).unwrap();
    assert_eq!(index.noarch, NoArchType::python());
}

#[test]
fn elf_files_must_be_for_the_packages_machine() {
    let tmp = tempfile::tempdir().unwrap();
    let prefix = tmp.path();
    // 20-byte ELF headers: little-endian x86-64 (62) and AArch64 (183), and a text file.
    let header = |machine: u16| {
        let mut h = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0".to_vec();
        h.extend_from_slice(&machine.to_le_bytes());
        h
    };
    fs_err::create_dir_all(prefix.join("lib")).unwrap();
    fs_err::write(prefix.join("lib/a.so"), header(183)).unwrap();
    fs_err::write(prefix.join("lib/x.so"), header(62)).unwrap();
    fs_err::write(prefix.join("lib/t.txt"), "text").unwrap();
    let a = [PathBuf::from("lib/a.so"), PathBuf::from("lib/t.txt")];
    check_elf_machines(prefix, &a, Subdir::LinuxAarch64, &[]).unwrap();
    let mixed = [PathBuf::from("lib/a.so"), PathBuf::from("lib/x.so")];
    let err = check_elf_machines(prefix, &mixed, Subdir::LinuxAarch64, &[]).unwrap_err();
    assert!(
        matches!(&err, PackageError::ForeignElf { file, found: 62, expected: Some(183), .. } if file == Path::new("lib/x.so")),
        "{err}"
    );
    let err = check_elf_machines(prefix, &a, Subdir::NoArch, &[]).unwrap_err();
    assert!(err.to_string().contains("no ELF files at all"), "{err}");
    // A cross toolchain for linux-aarch64 built for linux-64 holds both machines' files; a sysroot (noarch) the
    // target's alone.
    check_elf_machines(prefix, &mixed, Subdir::Linux64, &[Subdir::LinuxAarch64]).unwrap();
    check_elf_machines(prefix, &a, Subdir::NoArch, &[Subdir::LinuxAarch64]).unwrap();
    let err =
        check_elf_machines(prefix, &mixed, Subdir::NoArch, &[Subdir::LinuxAarch64]).unwrap_err();
    assert!(
        matches!(&err, PackageError::ForeignElf { found: 62, .. }),
        "{err}"
    );
    // One recipe making the sysroots of both platforms.
    check_elf_machines(
        prefix,
        &mixed,
        Subdir::NoArch,
        &[Subdir::Linux64, Subdir::LinuxAarch64],
    )
    .unwrap();
}
