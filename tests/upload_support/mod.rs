//! Helpers of tests/upload.rs: the shared build of zlib and xz, the servers it starts (quetz-server, the anaconda
//! API test server, moto's S3 server) and small checks.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub use crate::common::quetz::{free_port, start_quetz, Server};
use crate::common::{self, ok, run};
pub use crate::common::{install_from, names};

/// Both platforms.
pub const BOTH: [&str; 4] = [
    "--target-platform",
    "linux-64",
    "--target-platform",
    "linux-aarch64",
];

/// The shared build: a store with zlib and xz for both platforms, and the channel they were published to.
pub struct Built {
    _root: tempfile::TempDir,
    pub store: PathBuf,
    pub channel: PathBuf,
}

/// The shared build, made by the first test that asks (seeding the sources, then `archi build zlib xz` for both
/// platforms); the others wait for it.
pub fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        // A static is never dropped: the directory stays, under cargo's target/tmp rather than /tmp.
        let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let store = root.path().join("store");
        let channel = root.path().join("channel");
        let out = run(Command::new("bash")
            .arg(common::repo().join("scripts/seed-sources.sh"))
            .env("ARCHI", env!("CARGO_BIN_EXE_archi"))
            .env("ARCHI_STORE", &store));
        assert!(out.status.success(), "seeding failed");
        let started = Instant::now();
        ok(common::archi(&store)
            .args(["build", "zlib", "xz", "--output"])
            .arg(&channel)
            .args(BOTH));
        eprintln!(
            "built zlib and xz for both platforms in {:?}",
            started.elapsed()
        );
        assert_eq!(archives(&channel).len(), 4);
        Built {
            _root: root,
            store,
            channel,
        }
    })
}

/// `subdir/file` → sha256 of every archive in a channel directory.
pub fn archives(channel: &Path) -> std::collections::BTreeMap<String, String> {
    common::files_under(channel)
        .into_iter()
        .filter(|f| f.to_string_lossy().ends_with(".conda"))
        .map(|f| {
            let sha = archi::source::sha256_file(&channel.join(&f)).unwrap();
            (f.to_string_lossy().into_owned(), sha)
        })
        .collect()
}

/// A copy of `from` with the same name and other bytes (a zip comment), still a valid `.conda`.
pub fn changed_copy(from: &Path, to_dir: &Path) -> PathBuf {
    let subdir = from.parent().unwrap().file_name().unwrap();
    let dest = to_dir.join(subdir).join(from.file_name().unwrap());
    fs_err::create_dir_all(dest.parent().unwrap()).unwrap();
    let mut archive = zip::ZipArchive::new(fs_err::File::open(from).unwrap()).unwrap();
    let mut writer = zip::ZipWriter::new(fs_err::File::create(&dest).unwrap().into_parts().0);
    for i in 0..archive.len() {
        writer
            .raw_copy_file(archive.by_index_raw(i).unwrap())
            .unwrap();
    }
    writer.set_comment("changed by tests/upload.rs");
    writer.finish().unwrap();
    dest
}

/// `bytes` as text without whitespace and miette's frame characters, so that a message wrapped at 80 columns can
/// be searched with [`has`].
pub fn flat(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '│')
        .collect()
}

/// Whether the flattened `hay` contains `needle` (its whitespace ignored too).
pub fn has(hay: &str, needle: &str) -> bool {
    hay.contains(&needle.split_whitespace().collect::<String>())
}

/// The anaconda API test server, its port and its call log.
pub struct Anaconda {
    _server: Server,
    pub url: String,
    pub log: PathBuf,
}

/// tests/clients/anaconda_server.py on a free port with its log in `dir`; the first `fail_stage` stage requests
/// answer 500.
pub fn start_anaconda(dir: &Path, fail_stage: u32) -> Anaconda {
    let port_file = dir.join("port");
    let log = dir.join("calls.jsonl");
    let server = Server::spawn(
        Command::new(common::python())
            .arg(common::repo().join("tests/clients/anaconda_server.py"))
            .arg("--port-file")
            .arg(&port_file)
            .arg("--log")
            .arg(&log)
            .args([
                "--token",
                "t0ken-for-tests",
                "--fail-stage",
                &fail_stage.to_string(),
            ]),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while !port_file.is_file() {
        assert!(
            Instant::now() < deadline,
            "the anaconda test server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let port = fs_err::read_to_string(&port_file).unwrap();
    Anaconda {
        _server: server,
        url: format!("http://127.0.0.1:{port}"),
        log,
    }
}

impl Anaconda {
    /// `METHOD /first-path-part` of every call so far, with the status.
    pub fn calls(&self) -> Vec<String> {
        let text = fs_err::read_to_string(&self.log).unwrap_or_default();
        text.lines()
            .map(|l| {
                let call: serde_json::Value = serde_json::from_str(l).unwrap();
                let path = call["path"].as_str().unwrap();
                let kind = path.trim_start_matches('/').split('/').next().unwrap();
                format!(
                    "{} {kind} {}",
                    call["method"].as_str().unwrap(),
                    call["status"]
                )
            })
            .collect()
    }
}

/// moto's S3 server (scripts/install-deps.sh installs it into .venv-s3) on a free port, with a bucket whose
/// objects anyone may read (so py-rattler can install over plain HTTP).
pub struct S3 {
    _server: Server,
    pub endpoint: String,
}

/// moto_server on a free port with `bucket` created and readable by anyone.
pub fn start_s3(bucket: &str) -> S3 {
    let bin = common::repo().join(".venv-s3/bin/moto_server");
    assert!(
        bin.is_file(),
        "{} missing: run scripts/install-deps.sh",
        bin.display()
    );
    let port = free_port();
    let server = Server::spawn(
        Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null()),
    );
    let endpoint = format!("http://127.0.0.1:{port}");
    let client = reqwest::blocking::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while client.get(&endpoint).send().is_err() {
        assert!(Instant::now() < deadline, "moto_server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let created = client.put(format!("{endpoint}/{bucket}")).send().unwrap();
    assert!(created.status().is_success(), "bucket not created");
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
    );
    let set = client
        .put(format!("{endpoint}/{bucket}?policy"))
        .body(policy)
        .send()
        .unwrap();
    assert!(set.status().is_success(), "bucket policy not set");
    S3 {
        _server: server,
        endpoint,
    }
}
