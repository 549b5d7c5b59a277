//! Tests of the prefix stage against local channels of tiny real `.conda` packages (no network).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use rattler_conda_types::compression_level::CompressionLevel;
use rattler_conda_types::{MatchSpec, ParseStrictness, RepoDataRecord, Subdir, Version};
use serde_json::{json, Value};

use super::channel::{query_remote, ChannelSource};
use super::virtual_packages::{glibc_version_from_banner, kernel_version_from_release};
use super::*;

/// The placeholder packages are built with, as conda-build's padded host prefix looks.
const PLACEHOLDER: &str = "/opt/build/host_env_placehold_placehold_placehold_placehold_placehold";

/// One file of a test package: path inside the package, contents, and whether it holds [`PLACEHOLDER`] (text).
struct TestFile {
    path: &'static str,
    contents: String,
    text_placeholder: bool,
}

/// A test package: `name-version-0` for `subdir`, depending on `depends`, holding `bin/<name>` plus `extra`.
struct TestPackage {
    name: &'static str,
    version: &'static str,
    subdir: &'static str,
    depends: Vec<&'static str>,
    extra: Vec<TestFile>,
}

impl TestPackage {
    fn new(name: &'static str, version: &'static str, subdir: &'static str) -> Self {
        Self {
            name,
            version,
            subdir,
            depends: Vec::new(),
            extra: Vec::new(),
        }
    }

    fn depends(mut self, depends: &[&'static str]) -> Self {
        self.depends = depends.to_vec();
        self
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_sha256(bytes: &[u8]) -> String {
    hex(&rattler_digest::compute_bytes_digest::<
        rattler_digest::Sha256,
    >(bytes))
}

/// Writes `package` as a real `.conda` into `<channel>/<subdir>/` and returns (file name, repodata entry).
fn write_package(channel: &Path, package: &TestPackage) -> (String, Value) {
    let base = tempfile::tempdir().unwrap();
    let mut files = vec![TestFile {
        path: "bin/NAME",
        contents: format!("#!/bin/sh\necho hello from {}\n", package.name),
        text_placeholder: false,
    }];
    files.extend(package.extra.iter().map(|f| TestFile {
        path: f.path,
        contents: f.contents.clone(),
        text_placeholder: f.text_placeholder,
    }));
    let mut paths = Vec::new();
    let mut entries = Vec::new();
    for file in &files {
        let relative = file.path.replace("NAME", package.name);
        let absolute = base.path().join(&relative);
        fs_err::create_dir_all(absolute.parent().unwrap()).unwrap();
        fs_err::write(&absolute, &file.contents).unwrap();
        let mut entry = json!({
            "_path": relative,
            "path_type": "hardlink",
            "sha256": hex_sha256(file.contents.as_bytes()),
            "size_in_bytes": file.contents.len(),
        });
        if file.text_placeholder {
            entry["prefix_placeholder"] = json!(PLACEHOLDER);
            entry["file_mode"] = json!("text");
        }
        entries.push(entry);
        paths.push(absolute);
    }
    let build = "0";
    let index = json!({
        "name": package.name,
        "version": package.version,
        "build": build,
        "build_number": 0,
        "depends": package.depends,
        "subdir": package.subdir,
        "timestamp": 1_700_000_000_000_u64,
        "license": "BSD-3-Clause",
    });
    let info = base.path().join("info");
    fs_err::create_dir_all(&info).unwrap();
    for (name, value) in [
        ("index.json", index.clone()),
        ("paths.json", json!({"paths": entries, "paths_version": 1})),
    ] {
        let path = info.join(name);
        fs_err::write(&path, serde_json::to_vec_pretty(&value).unwrap()).unwrap();
        paths.push(path);
    }
    let stem = format!("{}-{}-{build}", package.name, package.version);
    let subdir_dir = channel.join(package.subdir);
    fs_err::create_dir_all(&subdir_dir).unwrap();
    let file_name = format!("{stem}.conda");
    let archive = subdir_dir.join(&file_name);
    let timestamp = jiff::Timestamp::from_second(1_700_000_000).unwrap();
    rattler_package_streaming::write::write_conda_package(
        fs_err::File::create(&archive).unwrap(),
        base.path(),
        &paths,
        CompressionLevel::Lowest,
        Some(1),
        &stem,
        Some(&timestamp),
        None,
    )
    .unwrap();
    let bytes = fs_err::read(&archive).unwrap();
    let mut record = index;
    record["sha256"] = json!(hex_sha256(&bytes));
    record["md5"] = json!(hex(&rattler_digest::compute_bytes_digest::<
        rattler_digest::Md5,
    >(&bytes)));
    record["size"] = json!(bytes.len());
    (file_name, record)
}

/// Writes a channel holding `packages`: their archives and a `repodata.json` for each subdir they use (only
/// those subdirs; `noarch/` is written only when a package is noarch).
fn write_channel(channel: &Path, packages: &[TestPackage]) {
    let mut by_subdir: std::collections::BTreeMap<&str, serde_json::Map<String, Value>> =
        Default::default();
    for package in packages {
        let (file_name, record) = write_package(channel, package);
        by_subdir
            .entry(package.subdir)
            .or_default()
            .insert(file_name, record);
    }
    for (subdir, records) in by_subdir {
        let repodata = json!({
            "info": {"subdir": subdir},
            "packages": {},
            "packages.conda": records,
            "removed": [],
            "repodata_version": 1,
        });
        let path = channel.join(subdir).join("repodata.json");
        fs_err::write(path, serde_json::to_vec_pretty(&repodata).unwrap()).unwrap();
    }
}

fn specs(specs: &[&str]) -> Vec<MatchSpec> {
    specs
        .iter()
        .map(|s| MatchSpec::from_str(s, ParseStrictness::Strict).unwrap())
        .collect()
}

fn solve_in(
    channels: &[ChannelSource],
    spec_strs: &[&str],
    glibc: Option<&str>,
) -> Result<Vec<RepoDataRecord>, PrefixError> {
    let specs = specs(spec_strs);
    let glibc = glibc.map(|v| Version::from_str(v).unwrap());
    solve(&SolveRequest {
        specs: &specs,
        run_records: &[],
        channels,
        platform: Subdir::Linux64,
        virtual_packages: virtual_packages(Subdir::Linux64, glibc.as_ref()),
    })
}

/// `(name, version)` of each record, in the order given.
fn names_versions(records: &[RepoDataRecord]) -> Vec<(String, String)> {
    records
        .iter()
        .map(|r| {
            (
                r.package_record.name.as_normalized().to_string(),
                r.package_record.version.to_string(),
            )
        })
        .collect()
}

/// A channel with `a` 0.5 and 1.0 (linux-64) and `b` 1.0 (noarch, depends `a >=1`, holds a text placeholder).
fn ab_channel(dir: &Path) -> ChannelSource {
    let mut b = TestPackage::new("b", "1.0", "noarch").depends(&["a >=1"]);
    b.extra.push(TestFile {
        path: "etc/b.conf",
        contents: format!("prefix={PLACEHOLDER}\nlib={PLACEHOLDER}/lib\n"),
        text_placeholder: true,
    });
    write_channel(
        dir,
        &[
            TestPackage::new("a", "0.5", "linux-64"),
            TestPackage::new("a", "1.0", "linux-64"),
            b,
        ],
    );
    ChannelSource::from_dir(dir).unwrap()
}

#[test]
fn solve_follows_depends_and_sorts_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let channel = ab_channel(dir.path());
    let records = solve_in(&[channel], &["b"], None).unwrap();
    assert_eq!(
        names_versions(&records),
        [("a".into(), "1.0".into()), ("b".into(), "1.0".into())]
    );
    for record in &records {
        assert_eq!(record.url.scheme(), "file");
        assert!(
            record.url.to_file_path().unwrap().is_file(),
            "{}",
            record.url
        );
    }
}

#[test]
fn empty_specs_read_no_channel() {
    let dir = tempfile::tempdir().unwrap();
    fs_err::create_dir_all(dir.path().join("noarch")).unwrap();
    fs_err::write(dir.path().join("noarch/repodata.json"), "not json").unwrap();
    let channel = ChannelSource::from_dir(dir.path()).unwrap();
    assert!(solve_in(std::slice::from_ref(&channel), &[], None)
        .unwrap()
        .is_empty());
    // The same broken channel is an error naming the file once it is read.
    let err = solve_in(&[channel], &["a"], None).unwrap_err();
    assert!(matches!(err, PrefixError::ParseRepodata { .. }), "{err}");
    assert!(err.to_string().contains("noarch/repodata.json"), "{err}");
}

#[test]
fn install_into_long_prefix_links_files_and_replaces_placeholders() {
    let dir = tempfile::tempdir().unwrap();
    let channel = ab_channel(&dir.path().join("channel"));
    let records = solve_in(&[channel], &["b"], None).unwrap();
    let mut prefix = dir.path().join("host_env");
    while prefix.as_os_str().len() < 220 {
        prefix = PathBuf::from(format!("{}_placehold", prefix.display()));
    }
    let cache = dir.path().join("pkgs");
    install(&records, &prefix, Subdir::Linux64, &cache).unwrap();

    assert_eq!(
        fs_err::read_to_string(prefix.join("bin/a")).unwrap(),
        "#!/bin/sh\necho hello from a\n"
    );
    assert!(prefix.join("bin/b").is_file());
    for stem in ["a-1.0-0", "b-1.0-0"] {
        let meta = prefix.join("conda-meta").join(format!("{stem}.json"));
        let value: Value = serde_json::from_slice(&fs_err::read(&meta).unwrap()).unwrap();
        assert_eq!(value["build"], "0", "{}", meta.display());
    }
    let conf = fs_err::read_to_string(prefix.join("etc/b.conf")).unwrap();
    assert_eq!(
        conf,
        format!("prefix={p}\nlib={p}/lib\n", p = prefix.display())
    );
    assert!(!conf.contains(PLACEHOLDER));

    // Installing exactly fewer records removes the others (same cache, now warm).
    let only_a: Vec<_> = records
        .iter()
        .filter(|r| r.package_record.name.as_normalized() == "a")
        .cloned()
        .collect();
    install(&only_a, &prefix, Subdir::Linux64, &cache).unwrap();
    assert!(prefix.join("bin/a").is_file());
    assert!(!prefix.join("bin/b").exists());
    assert!(!prefix.join("conda-meta/b-1.0-0.json").exists());
}

#[test]
fn install_of_nothing_creates_the_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("empty/env");
    install(&[], &prefix, Subdir::Linux64, &dir.path().join("pkgs")).unwrap();
    assert!(prefix.join("conda-meta").is_dir());
}

#[tokio::test]
async fn blocking_calls_work_inside_a_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let channel = ab_channel(&dir.path().join("channel"));
    let records = solve_in(&[channel], &["a"], None).unwrap();
    let prefix = dir.path().join("env");
    install(&records, &prefix, Subdir::Linux64, &dir.path().join("pkgs")).unwrap();
    assert!(prefix.join("bin/a").is_file());
}

#[test]
fn unsatisfiable_spec_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let channel = ab_channel(dir.path());
    let err = solve_in(std::slice::from_ref(&channel), &["a >=2"], None).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, PrefixError::Unsolvable { .. }), "{message}");
    assert!(message.contains("a >=2"), "{message}");
    assert!(message.contains(channel.base_url()), "{message}");

    let err = solve_in(&[channel], &["nosuchpkg"], None).unwrap_err();
    assert!(err.to_string().contains("nosuchpkg"), "{err}");
}

#[test]
fn missing_channel_dir_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let missing = ChannelSource::from_dir(&dir.path().join("not/yet")).unwrap();
    let good = ab_channel(&dir.path().join("channel"));
    let records = solve_in(&[missing.clone(), good], &["b"], None).unwrap();
    assert_eq!(records.len(), 2);
    let err = solve_in(&[missing], &["a"], None).unwrap_err();
    assert!(matches!(err, PrefixError::Unsolvable { .. }), "{err}");
}

#[test]
fn first_channel_with_a_name_wins() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let second = dir.path().join("second");
    write_channel(&first, &[TestPackage::new("a", "1.0", "linux-64")]);
    write_channel(
        &second,
        &[
            TestPackage::new("a", "2.0", "linux-64"),
            TestPackage::new("c", "1.0", "noarch").depends(&["a"]),
        ],
    );
    let first = ChannelSource::from_dir(&first).unwrap();
    let second = ChannelSource::from_dir(&second).unwrap();

    let records = solve_in(&[first.clone(), second.clone()], &["c"], None).unwrap();
    assert_eq!(
        names_versions(&records),
        [("a".into(), "1.0".into()), ("c".into(), "1.0".into())]
    );
    assert_eq!(records[0].channel.as_deref(), Some(first.base_url()));

    let records = solve_in(&[second.clone(), first.clone()], &["a"], None).unwrap();
    assert_eq!(names_versions(&records), [("a".into(), "2.0".into())]);

    // Strict: the lower channel's newer `a` is not a fallback.
    let err = solve_in(&[first, second], &["a >=2"], None).unwrap_err();
    assert!(matches!(err, PrefixError::Unsolvable { .. }), "{err}");
}

#[test]
fn reindexed_channel_is_seen_by_the_next_solve() {
    let dir = tempfile::tempdir().unwrap();
    write_channel(dir.path(), &[TestPackage::new("a", "1.0", "linux-64")]);
    let channel = ChannelSource::from_dir(dir.path()).unwrap();
    let records = solve_in(std::slice::from_ref(&channel), &["a"], None).unwrap();
    assert_eq!(names_versions(&records), [("a".into(), "1.0".into())]);
    write_channel(
        dir.path(),
        &[
            TestPackage::new("a", "1.0", "linux-64"),
            TestPackage::new("a", "3.0", "linux-64"),
        ],
    );
    let records = solve_in(&[channel], &["a"], None).unwrap();
    assert_eq!(names_versions(&records), [("a".into(), "3.0".into())]);
}

#[test]
fn glibc_virtual_package_constrains_the_solve() {
    let dir = tempfile::tempdir().unwrap();
    write_channel(
        dir.path(),
        &[TestPackage::new("g", "1.0", "linux-64").depends(&["__glibc >=2.28"])],
    );
    let channel = ChannelSource::from_dir(dir.path()).unwrap();
    let err = solve_in(std::slice::from_ref(&channel), &["g"], Some("2.17")).unwrap_err();
    assert!(err.to_string().contains("__glibc"), "{err}");
    let records = solve_in(&[channel], &["g"], Some("2.36")).unwrap();
    assert_eq!(names_versions(&records), [("g".into(), "1.0".into())]);
}

#[test]
fn gateway_query_groups_records_by_channel_in_priority_order() {
    // The remote path goes through the gateway; it reads file:// channels too (noarch/repodata.json required).
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let second = dir.path().join("second");
    write_channel(
        &first,
        &[
            TestPackage::new("a", "1.0", "linux-64"),
            TestPackage::new("n", "1.0", "noarch"),
        ],
    );
    write_channel(
        &second,
        &[
            TestPackage::new("a", "2.0", "linux-64"),
            TestPackage::new("b", "1.0", "noarch").depends(&["a >=1"]),
        ],
    );
    let first = ChannelSource::from_dir(&first).unwrap();
    let second = ChannelSource::from_dir(&second).unwrap();
    let names = channel::remote_seed_names(&specs(&["b", "__glibc"]), &[]);
    let both = [&first, &second];
    let per_channel = block_on("test", || query_remote(&both, Subdir::Linux64, names))
        .unwrap()
        .unwrap();
    assert_eq!(per_channel.len(), 3);
    let mut first_names = names_versions(&per_channel[0]);
    first_names.sort();
    assert_eq!(first_names, [("a".into(), "1.0".into())]);
    let mut second_names = names_versions(&per_channel[1]);
    second_names.sort();
    assert_eq!(
        second_names,
        [("a".into(), "2.0".into()), ("b".into(), "1.0".into())]
    );
    assert!(per_channel[2].is_empty());
}

#[test]
fn channel_parse_accepts_dirs_and_urls() {
    let cwd = Path::new("/work/somewhere");
    let local = ChannelSource::parse("out/channel", cwd).unwrap();
    assert_eq!(local.base_url(), "file:///work/somewhere/out/channel/");
    assert_eq!(
        local.local_dir().unwrap(),
        PathBuf::from("/work/somewhere/out/channel")
    );
    let file = ChannelSource::parse("file:///srv/channel", cwd).unwrap();
    assert_eq!(file.base_url(), "file:///srv/channel/");
    let remote = ChannelSource::parse("https://127.0.0.1/conda/ch", cwd).unwrap();
    assert_eq!(remote.base_url(), "https://127.0.0.1/conda/ch/");
    assert_eq!(remote.local_dir(), None);
    let err = ChannelSource::parse("s3://bucket/channel", cwd).unwrap_err();
    assert!(matches!(err, PrefixError::InvalidChannel { .. }), "{err}");
    assert!(err.to_string().contains("s3://bucket/channel"), "{err}");
}

#[test]
fn virtual_packages_for_linux_aarch64() {
    let glibc = Version::from_str("2.17").unwrap();
    let packages = virtual_packages(Subdir::LinuxAarch64, Some(&glibc));
    let shown: Vec<String> = packages
        .iter()
        .map(|p| {
            format!(
                "{}={}={}",
                p.name.as_normalized(),
                if p.name.as_normalized() == "__linux" {
                    "K".to_string()
                } else {
                    p.version.to_string()
                },
                p.build_string
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            "__archspec=1=aarch64",
            "__glibc=2.17=0",
            "__linux=K=0",
            "__unix=0=0"
        ]
    );
    assert!(virtual_packages(Subdir::NoArch, Some(&glibc)).is_empty());
    let no_glibc = virtual_packages(Subdir::Linux64, None);
    assert!(no_glibc.iter().all(|p| p.name.as_normalized() != "__glibc"));
}

#[test]
fn glibc_banner_and_kernel_release_parse() {
    let banner =
        b"\x00junk\x00GNU C Library (Debian GLIBC 2.36-9+deb12u4) stable release version 2.36.\n";
    assert_eq!(
        glibc_version_from_banner(banner),
        Some(Version::from_str("2.36").unwrap())
    );
    assert_eq!(glibc_version_from_banner(b"no banner here"), None);
    assert_eq!(
        kernel_version_from_release("6.1.0-18-amd64\n"),
        Some(Version::from_str("6.1.0").unwrap())
    );
    assert_eq!(kernel_version_from_release("weird"), None);
}

#[test]
fn host_glibc_is_found_when_a_libc_exists() {
    let any_libc = [
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/lib/aarch64-linux-gnu/libc.so.6",
        "/usr/lib64/libc.so.6",
        "/lib64/libc.so.6",
    ]
    .iter()
    .any(|p| Path::new(p).is_file());
    if any_libc {
        let version = host_glibc_version().expect("a glibc version");
        assert!(version >= Version::from_str("2.17").unwrap(), "{version}");
    }
}
