//! The chain's shipping step (issue 10), on the channel and store of the chain's first build:
//!
//! - [`upload_to_quetz`]: every C library's `.conda` for linux-64 and linux-aarch64 goes to a real quetz-server
//!   (`archi upload`), py-rattler installs zlib and xz from the server's channel URL for both platforms, and a
//!   second upload sends nothing;
//! - [`conda_installers`]: `archi installer conda` for each platform, run with `-b -p PREFIX` (linux-aarch64
//!   inside qemu-user emulation), then conda runs from the prefix, the noarch python packages have the `.pyc`
//!   files the installer compiled (listed in `conda-meta` as `pyc_file`), the entry points name the prefix's
//!   python and no file conda would relocate still holds its build-time prefix.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rattler_conda_types::prefix_record::PathType;
use rattler_conda_types::{PrefixRecord, Subdir};

use crate::common::{self, archi, ok, run};

/// The python the chain builds (`python3.11`, `cpython-311`).
const PYTHON: (u64, u64) = (3, 11);

/// The magic number opening a CPython 3.11 `.pyc` (`importlib.util.MAGIC_NUMBER`, 3495).
const PYC_MAGIC_311: [u8; 4] = [0xa7, 0x0d, 0x0d, 0x0a];

/// `archi upload` of the `.conda` of every package named in `libraries`, for linux-64 and linux-aarch64, from
/// `channel` to a quetz-server started here: each is uploaded and listed by the server with its sha256;
/// py-rattler installs zlib and xz from the server for both platforms; the same upload again skips every file.
pub fn upload_to_quetz(store: &Path, channel: &Path, libraries: &[&str]) {
    let mut files = Vec::new();
    let mut want = BTreeMap::new();
    for subdir in ["linux-64", "linux-aarch64"] {
        let repodata: serde_json::Value = serde_json::from_slice(
            &fs_err::read(channel.join(subdir).join("repodata.json")).unwrap(),
        )
        .unwrap();
        for (file, record) in repodata["packages.conda"].as_object().unwrap() {
            if libraries.contains(&record["name"].as_str().unwrap()) {
                files.push(channel.join(subdir).join(file));
                want.insert(
                    format!("{subdir}/{file}"),
                    record["sha256"].as_str().unwrap().to_string(),
                );
            }
        }
    }
    assert_eq!(files.len(), 2 * libraries.len(), "{want:?}");

    let quetz = common::quetz::start_quetz();
    let started = Instant::now();
    let out = ok(quetz.upload(store, &quetz.key).args(&files));
    let mut uploaded: Vec<&str> = out.lines().collect();
    uploaded.sort();
    let expected: Vec<String> = want.keys().map(|f| format!("uploaded {f}")).collect();
    assert_eq!(uploaded, expected);
    quetz.wait_listed(&want);
    eprintln!(
        "quetz: {} archives uploaded and listed in {:?}",
        files.len(),
        started.elapsed()
    );

    for platform in ["linux-64", "linux-aarch64"] {
        let records = common::install_from(&quetz.channel_url(), platform, &["zlib", "xz"]);
        assert_eq!(common::names(&records), ["xz", "zlib"], "{records:?}");
        assert!(
            records
                .iter()
                .all(|r| r["subdir"] == platform
                    && r["url"].as_str().unwrap().starts_with(&quetz.base)),
            "{records:?}"
        );
    }

    let out = ok(quetz.upload(store, &quetz.key).args(&files));
    let mut skipped: Vec<&str> = out.lines().collect();
    skipped.sort();
    let expected: Vec<String> = want.keys().map(|f| format!("skipped {f}")).collect();
    assert_eq!(skipped, expected);
    assert_eq!(quetz.listed(), want);
}

/// One installer made and run: its size and how long making and installing took.
#[derive(Debug)]
pub struct Shipped {
    /// The platform.
    pub platform: &'static str,
    /// The installer's size in bytes.
    pub size: u64,
    /// `archi installer conda` (solve, engine up to date, payload).
    pub made_in: Duration,
    /// `sh INSTALLER -b -p PREFIX` (linux-aarch64: the engine and python's `.pyc` compilation under qemu).
    pub installed_in: Duration,
}

/// [`conda_installer`] for linux-64 and linux-aarch64; the figures of both.
pub fn conda_installers(ws: &Path, store: &Path, channel: &Path, tmp: &Path) -> Vec<Shipped> {
    let shipped: Vec<Shipped> = ["linux-64", "linux-aarch64"]
        .into_iter()
        .map(|platform| conda_installer(ws, store, channel, tmp, platform))
        .collect();
    eprintln!("conda installers: {shipped:?}");
    shipped
}

/// `archi installer conda --target-platform PLATFORM` from `channel`, run with `-b -p PREFIX` (linux-aarch64 as
/// `ARCHI_INSTALLER_MACHINE=aarch64 sh …` inside qemu-user emulation, as tests/installer.rs runs it), then
/// [`check_conda_prefix`].
pub fn conda_installer(
    ws: &Path,
    store: &Path,
    channel: &Path,
    tmp: &Path,
    platform: &'static str,
) -> Shipped {
    let installer = tmp.join(format!("conda-{platform}.sh"));
    let started = Instant::now();
    ok(archi(store)
        .current_dir(ws)
        .args(["installer", "conda", "--target-platform", platform])
        .arg("--channel")
        .arg(channel)
        .arg("-o")
        .arg(&installer));
    let made_in = started.elapsed();
    let prefix = tmp.join(format!("installed-{platform}"));
    let started = Instant::now();
    let out = if platform == "linux-aarch64" {
        common::run_emulated(&format!(
            "ARCHI_INSTALLER_MACHINE=aarch64 sh '{}' -b -p '{}'",
            installer.display(),
            prefix.display()
        ))
    } else {
        run(Command::new("sh")
            .arg(&installer)
            .arg("-b")
            .arg("-p")
            .arg(&prefix)
            .env_remove("ARCHI_INSTALLER_MACHINE"))
    };
    assert!(
        out.status.success(),
        "the {platform} conda installer failed"
    );
    let installed_in = started.elapsed();
    check_conda_prefix(&prefix, platform);
    Shipped {
        platform,
        size: fs_err::metadata(&installer).unwrap().len(),
        made_in,
        installed_in,
    }
}

/// What a conda installer left in `prefix` for `platform`: `bin/conda` is a script run by the prefix's python
/// and prints `conda 23.9.0` (linux-aarch64: that python under qemu-aarch64), and `conda list -p PREFIX` lists
/// every package of `conda-meta`; every `.py` of every noarch python
/// package has its `__pycache__/*.cpython-311.pyc`, a 3.11 bytecode file that `conda-meta` lists as `pyc_file`
/// (requests's among them); every entry point the installer wrote names the prefix's python; and no file with a
/// prefix placeholder still holds it, the text ones naming the prefix instead.
pub fn check_conda_prefix(prefix: &Path, platform: &str) {
    let records: Vec<PrefixRecord> = PrefixRecord::collect_from_prefix(prefix).unwrap();
    let names: Vec<&str> = records
        .iter()
        .map(|r| r.repodata_record.package_record.name.as_normalized())
        .collect();
    assert!(
        ["conda", "python", "requests", "cryptography"]
            .iter()
            .all(|n| names.contains(n)),
        "{names:?}"
    );
    assert!(records
        .iter()
        .all(|r| r.repodata_record.package_record.subdir == platform
            || r.repodata_record.package_record.subdir == Subdir::NoArch.as_str()));

    // conda, through its entry point.
    let python = prefix.join("bin/python");
    let conda = prefix.join("bin/conda");
    // `#!PREFIX/bin/python` or `#!PREFIX/bin/python3.11` (conda and rattler write the latter for noarch ones).
    let shebangs = [
        format!("#!{}", python.display()),
        format!("#!{}{}.{}", python.display(), PYTHON.0, PYTHON.1),
    ];
    assert!(
        shebangs.contains(&first_line(&conda)),
        "{}",
        conda.display()
    );
    let run_conda = |args: &[&str]| {
        let mut cmd = if platform == "linux-aarch64" {
            let mut cmd = Command::new("qemu-aarch64");
            cmd.env("QEMU_LD_PREFIX", "/usr/aarch64-linux-gnu")
                .arg(&python)
                .arg(&conda);
            cmd
        } else {
            Command::new(&conda)
        };
        let out = run(cmd.args(args));
        assert!(out.status.success(), "conda {args:?} failed");
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(run_conda(&["--version"]).trim(), "conda 23.9.0");
    // conda takes the prefix for an environment (its conda-meta/history) and lists what the installer recorded.
    let listed: serde_json::Value = serde_json::from_str(&run_conda(&[
        "list",
        "--json",
        "-p",
        prefix.to_str().unwrap(),
    ]))
    .unwrap();
    let mut listed: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    listed.sort_unstable();
    let mut names = names.clone();
    names.sort_unstable();
    assert_eq!(listed, names);

    let mut pyc_files = 0;
    let mut entry_points = 0;
    let mut relocated = 0;
    for record in &records {
        let name = record.repodata_record.package_record.name.as_normalized();
        let by_path: BTreeMap<&PathBuf, PathType> = record
            .paths_data
            .paths
            .iter()
            .map(|p| (&p.relative_path, p.path_type))
            .collect();
        if record.repodata_record.package_record.noarch.is_python() {
            for source in record
                .files
                .iter()
                .filter(|f| f.extension().is_some_and(|e| e == "py"))
            {
                let pyc = pyc_path(source);
                assert_eq!(
                    by_path.get(&pyc),
                    Some(&PathType::PycFile),
                    "{name}: {} not listed as a pyc_file",
                    pyc.display()
                );
                assert!(record.files.contains(&pyc), "{name}: {}", pyc.display());
                let bytes = fs_err::read(prefix.join(&pyc)).unwrap();
                assert_eq!(bytes[..4], PYC_MAGIC_311, "{}", pyc.display());
                pyc_files += 1;
            }
        }
        for entry in &record.paths_data.paths {
            let path = prefix.join(&entry.relative_path);
            if entry.path_type == PathType::UnixPythonEntryPoint {
                assert!(shebangs.contains(&first_line(&path)), "{}", path.display());
                entry_points += 1;
            }
            if let Some(placeholder) = &entry.prefix_placeholder {
                let bytes = fs_err::read(&path).unwrap();
                assert!(
                    memchr::memmem::find(&bytes, placeholder.as_bytes()).is_none(),
                    "{name}: {} still holds {placeholder}",
                    path.display()
                );
                if entry.file_mode != Some(rattler_conda_types::package::FileMode::Binary) {
                    assert!(
                        memchr::memmem::find(&bytes, prefix.as_os_str().as_encoded_bytes())
                            .is_some(),
                        "{name}: {} does not name the prefix",
                        path.display()
                    );
                }
                relocated += 1;
            }
        }
    }
    let requests_pyc = prefix.join(format!(
        "lib/python{}.{}/site-packages/requests/__pycache__/__init__.cpython-{}{}.pyc",
        PYTHON.0, PYTHON.1, PYTHON.0, PYTHON.1
    ));
    assert!(requests_pyc.is_file(), "{}", requests_pyc.display());
    assert!(pyc_files > 100 && relocated > 10, "{pyc_files} {relocated}");
    eprintln!(
        "{platform} prefix: {} packages, {pyc_files} .pyc files compiled, {entry_points} entry points, {relocated} files relocated",
        records.len()
    );
}

/// The first line of a text file.
fn first_line(path: &Path) -> String {
    let text = fs_err::read(path).unwrap();
    let end = memchr::memchr(b'\n', &text).unwrap_or(text.len());
    String::from_utf8_lossy(&text[..end]).into_owned()
}

/// `dir/__pycache__/stem.cpython-311.pyc` of `dir/stem.py` (PEP 3147).
fn pyc_path(source: &Path) -> PathBuf {
    let stem = source.file_stem().unwrap().to_string_lossy();
    source
        .parent()
        .unwrap()
        .join("__pycache__")
        .join(format!("{stem}.cpython-{}{}.pyc", PYTHON.0, PYTHON.1))
}
