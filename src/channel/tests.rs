use std::collections::BTreeSet;
use std::process::Command;

use rattler_conda_types::compression_level::CompressionLevel;
use serde_json::{json, Value};

use super::*;

/// What one test package looks like.
pub(super) struct Pkg<'a> {
    pub(super) name: &'a str,
    pub(super) version: &'a str,
    pub(super) subdir: &'a str,
    pub(super) depends: &'a [&'a str],
    pub(super) timestamp_ms: u64,
    pub(super) tar_bz2: bool,
}

impl Pkg<'_> {
    pub(super) fn file_name(&self) -> String {
        let ext = if self.tar_bz2 { "tar.bz2" } else { "conda" };
        format!("{}-{}-h1234567_0.{ext}", self.name, self.version)
    }
}

/// Builds a real package archive (index.json, paths.json, about.json, run_exports.json and one file) in `out_dir`.
pub(super) fn build_package(work: &Path, out_dir: &Path, pkg: &Pkg<'_>) -> PathBuf {
    let base = work.join(format!("{}-{}-{}-src", pkg.name, pkg.version, pkg.subdir));
    fs_err::create_dir_all(base.join("info")).unwrap();
    fs_err::create_dir_all(base.join("share").join(pkg.name)).unwrap();
    let content = format!("hello from {} {}\n", pkg.name, pkg.version);
    let file_rel = format!("share/{}/hello.txt", pkg.name);
    fs_err::write(base.join(&file_rel), &content).unwrap();
    let (arch, platform, noarch) = match pkg.subdir {
        "linux-64" => (json!("x86_64"), json!("linux"), Value::Null),
        "linux-aarch64" => (json!("aarch64"), json!("linux"), Value::Null),
        _ => (Value::Null, Value::Null, json!("generic")),
    };
    let mut index = json!({
        "name": pkg.name, "version": pkg.version, "build": "h1234567_0", "build_number": 0,
        "depends": pkg.depends, "constrains": [], "subdir": pkg.subdir, "license": "MIT",
        "timestamp": pkg.timestamp_ms, "arch": arch, "platform": platform,
    });
    if !noarch.is_null() {
        index["noarch"] = noarch;
    }
    let sha = crate::store::hex(&rattler_digest::compute_bytes_digest::<
        rattler_digest::Sha256,
    >(content.as_bytes()));
    let paths = json!({"paths": [{"_path": file_rel, "path_type": "hardlink", "sha256": sha,
        "size_in_bytes": content.len()}], "paths_version": 1});
    let about = json!({"home": format!("https://example.org/{}", pkg.name), "license": "MIT",
        "summary": format!("The {} test package", pkg.name), "description": "Line one.\nLine two.\n"});
    let run_exports = json!({"weak": [format!("{} >={}", pkg.name, pkg.version)]});
    for (file, value) in [
        ("index", &index),
        ("paths", &paths),
        ("about", &about),
        ("run_exports", &run_exports),
    ] {
        fs_err::write(
            base.join("info").join(format!("{file}.json")),
            serde_json::to_vec_pretty(value).unwrap(),
        )
        .unwrap();
    }
    let files: Vec<PathBuf> = [
        "info/index.json",
        "info/paths.json",
        "info/about.json",
        "info/run_exports.json",
    ]
    .iter()
    .map(|rel| base.join(rel))
    .chain([base.join(&file_rel)])
    .collect();
    fs_err::create_dir_all(out_dir).unwrap();
    let out = out_dir.join(pkg.file_name());
    let file = fs_err::File::create(&out).unwrap();
    let mtime = jiff::Timestamp::from_second(1_700_000_000).unwrap();
    if pkg.tar_bz2 {
        rattler_package_streaming::write::write_tar_bz2_package(
            file,
            &base,
            &files,
            CompressionLevel::Default,
            Some(&mtime),
            None,
        )
        .unwrap();
    } else {
        let stem = pkg.file_name().trim_end_matches(".conda").to_string();
        rattler_package_streaming::write::write_conda_package(
            file,
            &base,
            &files,
            CompressionLevel::Default,
            Some(1),
            &stem,
            Some(&mtime),
            None,
        )
        .unwrap();
    }
    out
}

pub(super) const ZLIB: Pkg<'static> = Pkg {
    name: "zlib",
    version: "1.3.1",
    subdir: "linux-64",
    depends: &["libgcc >=13"],
    timestamp_ms: 1_700_000_000_123,
    tar_bz2: false,
};
pub(super) const BZIP2: Pkg<'static> = Pkg {
    name: "bzip2",
    version: "1.0.8",
    subdir: "linux-aarch64",
    depends: &["libgcc >=13", "zlib"],
    timestamp_ms: 1_700_000_100_000,
    tar_bz2: false,
};
pub(super) const TZDATA: Pkg<'static> = Pkg {
    name: "tzdata",
    version: "2024a",
    subdir: "noarch",
    depends: &[],
    timestamp_ms: 1_700_000_200_000,
    tar_bz2: true,
};
pub(super) const ZLIB_AARCH64_OLD: Pkg<'static> = Pkg {
    name: "zlib",
    version: "1.2.13",
    subdir: "linux-aarch64",
    depends: &[],
    timestamp_ms: 1_600_000_000_000,
    tar_bz2: false,
};

/// Builds the test archives and publishes them into `<tmp>/channel`; returns (channel, archives).
pub(super) fn published_channel(tmp: &Path) -> (PathBuf, Vec<PathBuf>) {
    let channel = tmp.join("channel");
    let archives: Vec<PathBuf> = [ZLIB, BZIP2, TZDATA, ZLIB_AARCH64_OLD]
        .iter()
        .map(|pkg| build_package(&tmp.join("work"), &tmp.join("built"), pkg))
        .collect();
    for archive in &archives {
        publish(&channel, archive).unwrap();
    }
    (channel, archives)
}

/// Every index file of a channel (repodata.json, .zst, channeldata.json) → bytes.
pub(super) fn index_files(channel: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(channel)
        .sort_by_file_name()
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .filter(|e| e.file_name().to_string_lossy().contains("data.json"))
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(channel)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (rel, fs_err::read(e.path()).unwrap())
        })
        .collect()
}

#[test]
fn publish_keeps_each_subdir_to_its_own_packages() {
    let tmp = tempfile::tempdir().unwrap();
    let channel = tmp.path().join("channel");
    let zlib = build_package(&tmp.path().join("work"), &tmp.path().join("built"), &ZLIB);
    let record = publish(&channel, &zlib).unwrap();

    // noarch exists and is empty as soon as anything is published.
    let noarch = read_repodata(&channel, "noarch").unwrap();
    assert_eq!(noarch.info.unwrap().subdir.as_deref(), Some("noarch"));
    assert!(noarch.packages.is_empty() && noarch.conda_packages.is_empty());

    let bytes = fs_err::read(&zlib).unwrap();
    assert_eq!(
        record.sha256,
        Some(rattler_digest::compute_bytes_digest::<rattler_digest::Sha256>(&bytes))
    );
    assert_eq!(
        record.md5,
        Some(rattler_digest::compute_bytes_digest::<rattler_digest::Md5>(
            &bytes
        ))
    );
    assert_eq!(record.size, Some(bytes.len() as u64));
    assert_eq!(record.depends, vec!["libgcc >=13".to_string()]);
    assert_eq!(
        fs_err::read(channel.join("linux-64").join(ZLIB.file_name())).unwrap(),
        bytes
    );

    let bzip2 = build_package(&tmp.path().join("work"), &tmp.path().join("built"), &BZIP2);
    publish(&channel, &bzip2).unwrap();
    let linux64 = read_repodata(&channel, "linux-64").unwrap();
    let aarch64 = read_repodata(&channel, "linux-aarch64").unwrap();
    let names = |rd: &RepoData| {
        rd.conda_packages
            .keys()
            .map(|k| k.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&linux64), vec![ZLIB.file_name()]);
    assert_eq!(names(&aarch64), vec![BZIP2.file_name()]);
    assert!(linux64.packages.is_empty() && aarch64.packages.is_empty());
    assert_eq!(
        aarch64.info.unwrap().subdir.as_deref(),
        Some("linux-aarch64")
    );
    assert_eq!(aarch64.version, Some(1));

    let raw: Value =
        serde_json::from_slice(&fs_err::read(channel.join("linux-64/repodata.json")).unwrap())
            .unwrap();
    assert_eq!(raw["removed"], json!([]));
    assert_eq!(raw["info"], json!({"subdir": "linux-64"}));
    // No temp files left behind.
    for dir in ["", "linux-64", "linux-aarch64", "noarch"] {
        for entry in fs_err::read_dir(channel.join(dir)).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(!name.starts_with(".archi-tmp"), "leftover {dir}/{name}");
        }
    }
}

#[test]
fn zst_decompresses_to_the_json_and_tar_bz2_goes_under_packages() {
    let tmp = tempfile::tempdir().unwrap();
    let (channel, _) = published_channel(tmp.path());
    for subdir in ["linux-64", "linux-aarch64", "noarch"] {
        let json = fs_err::read(channel.join(subdir).join("repodata.json")).unwrap();
        let zst = fs_err::read(channel.join(subdir).join("repodata.json.zst")).unwrap();
        assert_eq!(zstd::decode_all(zst.as_slice()).unwrap(), json, "{subdir}");
    }
    let noarch = read_repodata(&channel, "noarch").unwrap();
    assert_eq!(
        noarch
            .packages
            .keys()
            .map(|k| k.to_string())
            .collect::<Vec<_>>(),
        vec![TZDATA.file_name()]
    );
    assert!(noarch.conda_packages.is_empty());
}

#[test]
fn republishing_the_same_file_is_idempotent() {
    let tmp = tempfile::tempdir().unwrap();
    let (channel, archives) = published_channel(tmp.path());
    let before = index_files(&channel);
    assert!(
        before.contains_key("channeldata.json") && before.contains_key("noarch/repodata.json.zst")
    );
    publish(&channel, &archives[0]).unwrap();
    publish(&channel, &archives[2]).unwrap();
    assert_eq!(index_files(&channel), before);
}

#[test]
fn index_from_scratch_gives_the_published_repodata() {
    let tmp = tempfile::tempdir().unwrap();
    let (channel, _) = published_channel(tmp.path());
    let fresh = tmp.path().join("fresh");
    for subdir in ["linux-64", "linux-aarch64", "noarch"] {
        fs_err::create_dir_all(fresh.join(subdir)).unwrap();
        for (name, path) in read_dir_sorted(&channel.join(subdir)).unwrap() {
            if repodata::ArchiveKind::of(&path).is_ok() {
                fs_err::copy(&path, fresh.join(subdir).join(name)).unwrap();
            }
        }
    }
    let summary = index(&fresh).unwrap();
    let expected: BTreeMap<String, usize> = [("linux-64", 1), ("linux-aarch64", 2), ("noarch", 1)]
        .into_iter()
        .map(|(s, n)| (s.to_string(), n))
        .collect();
    assert_eq!(summary.subdirs, expected);
    assert_eq!(index_files(&fresh), index_files(&channel));
    // And indexing again changes nothing.
    index(&fresh).unwrap();
    assert_eq!(index_files(&fresh), index_files(&channel));
}

#[test]
fn channeldata_names_newest_version_and_all_subdirs() {
    let tmp = tempfile::tempdir().unwrap();
    let (channel, _) = published_channel(tmp.path());
    let data: Value =
        serde_json::from_slice(&fs_err::read(channel.join("channeldata.json")).unwrap()).unwrap();
    assert_eq!(data["channeldata_version"], json!(1));
    assert_eq!(
        data["subdirs"],
        json!(["linux-64", "linux-aarch64", "noarch"])
    );
    let zlib = &data["packages"]["zlib"];
    assert_eq!(zlib["version"], json!("1.3.1"));
    assert_eq!(zlib["subdirs"], json!(["linux-64", "linux-aarch64"]));
    assert_eq!(zlib["timestamp"], json!(1_700_000_000));
    assert_eq!(zlib["home"], json!("https://example.org/zlib"));
    assert_eq!(zlib["description"], json!("Line one. Line two."));
    assert_eq!(zlib["license"], json!("MIT"));
    assert_eq!(
        zlib["run_exports"]["1.2.13"],
        json!({"weak": ["zlib >=1.2.13"]})
    );
    assert_eq!(
        zlib["run_exports"]["1.3.1"],
        json!({"weak": ["zlib >=1.3.1"]})
    );
    assert_eq!(zlib["binary_prefix"], json!(false));
    assert_eq!(data["packages"]["tzdata"]["subdirs"], json!(["noarch"]));
}

#[test]
fn errors_name_the_offending_file() {
    let tmp = tempfile::tempdir().unwrap();
    let not_pkg = tmp.path().join("notes.txt");
    fs_err::write(&not_pkg, "x").unwrap();
    let err = publish(&tmp.path().join("channel"), &not_pkg).unwrap_err();
    assert!(matches!(err, ChannelError::UnsupportedArchive { .. }));
    assert!(err.to_string().contains("notes.txt"), "{err}");

    let broken = tmp.path().join("broken-1-0.conda");
    fs_err::write(&broken, "not a zip").unwrap();
    let err = publish(&tmp.path().join("channel"), &broken).unwrap_err();
    assert!(matches!(err, ChannelError::ReadIndexJson { .. }), "{err:?}");
    assert!(err.to_string().contains("broken-1-0.conda"), "{err}");

    // An archive placed in another subdir than its index.json says.
    let channel = tmp.path().join("misplaced");
    build_package(
        &tmp.path().join("work"),
        &channel.join("linux-aarch64"),
        &ZLIB,
    );
    let err = index(&channel).unwrap_err();
    assert!(matches!(err, ChannelError::WrongSubdir { .. }), "{err:?}");
}

/// The fields compared with conda-index, per subdir and file name.
fn comparable(repodata: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for section in ["packages", "packages.conda"] {
        for (file, record) in repodata[section].as_object().cloned().unwrap_or_default() {
            // conda-index also writes `constrains: []` and drops `arch`/`platform`; rattler's record does the
            // opposite. Clients read both the same way.
            let fields = [
                "sha256",
                "md5",
                "size",
                "depends",
                "name",
                "version",
                "build",
                "build_number",
                "subdir",
                "license",
                "timestamp",
                "noarch",
            ];
            let picked: BTreeMap<&str, Value> =
                fields.iter().map(|f| (*f, record[*f].clone())).collect();
            out.insert(format!("{section}/{file}"), json!(picked));
        }
    }
    out
}

/// Runs conda-index (`python3 -m conda_index`) on `dir`. conda-index imports two things from conda itself
/// (`VersionOrder`, `PLATFORM_DIRECTORIES`); when conda is not installed, a two-module stand-in backed by
/// py-rattler's `Version` is put on PYTHONPATH. Returns `None` (with a note) when neither works.
fn run_conda_index(dir: &Path, shim_root: &Path) -> Option<()> {
    let has = |module: &str| {
        Command::new("python3")
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !has("conda_index") {
        eprintln!("note: python3 has no conda_index; skipping the comparison with conda-index");
        return None;
    }
    let mut command = Command::new("python3");
    if !has("conda") {
        if !has("rattler") {
            eprintln!("note: neither conda nor py-rattler is importable; skipping the comparison with conda-index");
            return None;
        }
        let conda = shim_root.join("conda");
        fs_err::create_dir_all(conda.join("models")).unwrap();
        fs_err::create_dir_all(conda.join("base")).unwrap();
        for init in ["__init__.py", "models/__init__.py", "base/__init__.py"] {
            fs_err::write(conda.join(init), "").unwrap();
        }
        fs_err::write(
            conda.join("models/version.py"),
            "from rattler import Version as VersionOrder\n",
        )
        .unwrap();
        let subdirs = [
            "noarch",
            "linux-64",
            "linux-aarch64",
            "linux-ppc64le",
            "linux-s390x",
            "osx-64",
            "osx-arm64",
        ];
        fs_err::write(
            conda.join("base/constants.py"),
            format!("PLATFORM_DIRECTORIES = {subdirs:?}\n"),
        )
        .unwrap();
        command.env("PYTHONPATH", shim_root);
    }
    let output = command
        .args([
            "-m",
            "conda_index",
            "--no-current-repodata",
            "--no-rss",
            "--channeldata",
            "--threads",
            "1",
        ])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "conda-index failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(())
}

#[test]
fn records_match_conda_index() {
    let tmp = tempfile::tempdir().unwrap();
    let (channel, _) = published_channel(tmp.path());
    let reference = tmp.path().join("reference");
    for subdir in ["linux-64", "linux-aarch64", "noarch"] {
        fs_err::create_dir_all(reference.join(subdir)).unwrap();
        for (name, path) in read_dir_sorted(&channel.join(subdir)).unwrap() {
            if repodata::ArchiveKind::of(&path).is_ok() {
                fs_err::copy(&path, reference.join(subdir).join(name)).unwrap();
            }
        }
    }
    if run_conda_index(&reference, &tmp.path().join("shim")).is_none() {
        return;
    }
    let read =
        |path: PathBuf| -> Value { serde_json::from_slice(&fs_err::read(path).unwrap()).unwrap() };
    for subdir in ["linux-64", "linux-aarch64", "noarch"] {
        let ours = read(channel.join(subdir).join("repodata.json"));
        let theirs = read(reference.join(subdir).join("repodata.json"));
        assert_eq!(comparable(&ours), comparable(&theirs), "{subdir}");
        assert_eq!(ours["info"], theirs["info"], "{subdir}");
        assert_eq!(
            ours["repodata_version"], theirs["repodata_version"],
            "{subdir}"
        );
    }
    let ours = read(channel.join("channeldata.json"));
    let theirs = read(reference.join("channeldata.json"));
    if std::env::var_os("ARCHI_SHOW_CHANNELDATA").is_some() {
        eprintln!("ours: {ours:#}\ntheirs: {theirs:#}");
    }
    assert_eq!(ours["subdirs"], theirs["subdirs"]);
    let names = |v: &Value| {
        v["packages"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(names(&ours), names(&theirs));
    for name in names(&ours) {
        let (o, t) = (&ours["packages"][&name], &theirs["packages"][&name]);
        let keys = |v: &Value| {
            v.as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect::<BTreeSet<_>>()
        };
        assert_eq!(keys(o), keys(t), "{name}");
        // `timestamp` is left out: conda-index 0.13 keeps the last processed subdir's value (it takes the maximum
        // from the wrong map), archi writes the newest.
        for key in [
            "version",
            "subdirs",
            "home",
            "summary",
            "description",
            "license",
            "run_exports",
        ] {
            assert_eq!(o[key], t[key], "{name}.{key}");
        }
    }
}
