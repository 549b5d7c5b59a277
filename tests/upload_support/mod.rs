//! Helpers of tests/upload.rs: the shared build of zlib and xz, the servers it starts (quetz-server, the anaconda
//! API test server, moto's S3 server) and small checks.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::common::{self, ok, run};

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

/// py-rattler installs `specs` for `platform` from the channel at `url`; the installed names and URLs.
pub fn install_from(url: &str, platform: &str, specs: &[&str]) -> Vec<serde_json::Value> {
    let prefix = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(common::python());
    cmd.arg(common::repo().join("tests/clients/install_from.py"))
        .args(["--channel", url, "--platform", platform, "--prefix"])
        .arg(prefix.path());
    for spec in specs {
        cmd.args(["--spec", spec]);
    }
    let out = run(&mut cmd);
    assert!(
        out.status.success(),
        "py-rattler could not install from {url}"
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The sorted names of [`install_from`]'s records.
pub fn names(records: &[serde_json::Value]) -> Vec<String> {
    let mut names: Vec<String> = records
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
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

/// A free port on 127.0.0.1 (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed when dropped.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A quetz deployment in a temp dir, running.
pub struct Quetz {
    _dir: tempfile::TempDir,
    _server: Server,
    pub base: String,
    pub key: String,
}

/// `.venv-quetz/bin/quetz`; fails the test when scripts/install-deps.sh has not installed it.
pub fn quetz_bin() -> PathBuf {
    let bin = common::repo().join(".venv-quetz/bin/quetz");
    assert!(
        bin.is_file(),
        "{} missing: run scripts/install-deps.sh",
        bin.display()
    );
    bin
}

/// `quetz create --dev` with its own config and sqlite database in a temp dir, `quetz start` on a free port, and
/// the public channel `archi` created with the dev API key.
pub fn start_quetz() -> Quetz {
    let dir = tempfile::tempdir().unwrap();
    // Dev mode makes the users alice, bob, carol and dave and one API key; they are made server admins here so
    // the key's user may create a channel.
    let conf = dir.path().join("quetz.toml");
    fs_err::write(
        &conf,
        r#"[sqlalchemy]
database_url = "sqlite:///./quetz.sqlite"

[session]
secret = "a-test-secret-for-tests-upload-rs-0123456789"
https_only = false

[users]
admins = ["dummy:alice", "dummy:bob", "dummy:carol", "dummy:dave"]
"#,
    )
    .unwrap();
    let deployment = dir.path().join("deployment");
    let out = run(Command::new(quetz_bin())
        .arg("create")
        .arg(&deployment)
        .arg("--copy-conf")
        .arg(&conf)
        .arg("--dev")
        .current_dir(dir.path()));
    assert!(out.status.success(), "quetz create failed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let key = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Test API key created for user "))
        .and_then(|l| l.rsplit(": ").next())
        .expect("quetz --dev printed an API key")
        .trim()
        .to_string();
    let port = free_port();
    let log = fs_err::File::create(dir.path().join("server.log")).unwrap();
    let server = Server(
        Command::new(quetz_bin())
            .arg("start")
            .arg(&deployment)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .current_dir(dir.path())
            .stdout(log.try_clone().unwrap().into_parts().0)
            .stderr(log.into_parts().0)
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::blocking::Client::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    while client.get(format!("{base}/api/channels")).send().is_err() {
        assert!(Instant::now() < deadline, "quetz did not start");
        std::thread::sleep(Duration::from_millis(250));
    }
    let created = client
        .post(format!("{base}/api/channels"))
        .header("X-API-Key", &key)
        .header("Content-Type", "application/json")
        .body(r#"{"name": "archi", "private": false}"#)
        .send()
        .unwrap();
    assert_eq!(created.status().as_u16(), 201, "channel not created");
    Quetz {
        _dir: dir,
        _server: server,
        base,
        key,
    }
}

impl Quetz {
    /// The channel's URL as clients install from it (`…/get/archi`).
    pub fn channel_url(&self) -> String {
        format!("{}/get/archi", self.base)
    }

    /// `subdir/file` → sha256 of the server's repodata.json files for both platforms.
    pub fn listed(&self) -> std::collections::BTreeMap<String, String> {
        let mut out = std::collections::BTreeMap::new();
        for subdir in ["linux-64", "linux-aarch64"] {
            let response =
                reqwest::blocking::get(format!("{}/{subdir}/repodata.json", self.channel_url()))
                    .unwrap();
            if response.status().as_u16() == 404 {
                continue;
            }
            let repodata: serde_json::Value =
                serde_json::from_slice(&response.bytes().unwrap()).unwrap();
            for (file, record) in repodata["packages.conda"].as_object().unwrap() {
                out.insert(
                    format!("{subdir}/{file}"),
                    record["sha256"].as_str().unwrap().to_string(),
                );
            }
        }
        out
    }

    /// Wait for quetz's background indexing to list `want`.
    pub fn wait_listed(&self, want: &std::collections::BTreeMap<String, String>) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let listed = self.listed();
            if &listed == want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "quetz lists {listed:?}, expected {want:?}"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// `archi upload --to <channel URL>` with `key` in ARCHI_QUETZ_API_KEY.
    pub fn upload(&self, key: &str) -> Command {
        let mut cmd = common::archi(&built().store);
        cmd.env("ARCHI_QUETZ_API_KEY", key)
            .args(["upload", "--to", &self.channel_url()]);
        cmd
    }
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
    let server = Server(
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
            ])
            .spawn()
            .unwrap(),
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
    let server = Server(
        Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
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
