//! A real quetz-server on 127.0.0.1 for the tests that upload to one (tests/upload.rs, the chain's shipping
//! step): quetz from `.venv-quetz` (scripts/install-deps.sh) with its own config and sqlite database in a temp
//! dir, created in dev mode for an API key; and the small server plumbing the other upload servers share.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A free port on 127.0.0.1 (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server process in a process group of its own, the whole group killed when dropped (quetz's workers are
/// children of the process started, and would outlive it).
pub struct Server(Child);

impl Server {
    /// Spawns `cmd` as the leader of a new process group.
    pub fn spawn(cmd: &mut Command) -> Self {
        use std::os::unix::process::CommandExt;
        Server(cmd.process_group(0).spawn().unwrap())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let group = i32::try_from(self.0.id()).unwrap();
        // SAFETY: kill(2) with a negative pid signals that process group, the one `spawn` made.
        unsafe { libc::kill(-group, libc::SIGKILL) };
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
    let bin = super::repo().join(".venv-quetz/bin/quetz");
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
    let out = super::run(
        Command::new(quetz_bin())
            .arg("create")
            .arg(&deployment)
            .arg("--copy-conf")
            .arg(&conf)
            .arg("--dev")
            .current_dir(dir.path()),
    );
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
    let server = Server::spawn(
        Command::new(quetz_bin())
            .arg("start")
            .arg(&deployment)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .current_dir(dir.path())
            .stdout(log.try_clone().unwrap().into_parts().0)
            .stderr(log.into_parts().0),
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

    /// `archi upload --to <channel URL>` with `store` and `key` in ARCHI_QUETZ_API_KEY.
    pub fn upload(&self, store: &Path, key: &str) -> Command {
        let mut cmd = super::archi(store);
        cmd.env("ARCHI_QUETZ_API_KEY", key)
            .args(["upload", "--to", &self.channel_url()]);
        cmd
    }
}
