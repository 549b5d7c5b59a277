//! `archi upload` and `archi build --upload` against real servers started here on 127.0.0.1:
//! - a quetz-server (scripts/install-deps.sh installs it into .venv-quetz) with its own config and sqlite database
//!   in a temp dir, created in quetz's dev mode (which makes test users and an API key); `archi build zlib xz
//!   --upload` for linux-64 and linux-aarch64 uploads the four packages, py-rattler installs zlib and xz from the
//!   server's channel URL for both platforms, a second upload sends nothing, a changed file of the same name is
//!   refused without `--force` and replaces the old one with it, a wrong API key is refused with nothing uploaded;
//! - a server speaking anaconda.org's upload API (tests/clients/anaconda_server.py) that checks the multipart
//!   body's MD5, length and sha256 and logs every call: the test asserts the call sequence, the retries after 500s
//!   and the 401;
//! - a `file://` channel (py-rattler installs from it) and the same upload onto a full disk (a tmpfs with room for one archive,
//!   mounted in a user namespace): a clear error and a channel whose index lists exactly the complete archives;
//! - an S3 bucket on moto's S3 server (`s3://`, object_store's S3 client): upload, py-rattler installs over HTTP,
//!   a second upload skips, a changed file is refused and `--force` replaces it; the same object-store logic over
//!   object_store's local file system; an unreachable server.
//!
//! The packages are built once (zlib and xz for both platforms, sources from the seeding step) and shared.

mod common;
mod upload_support;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{ok, run};
use upload_support::*;

#[test]
fn quetz_receives_a_build_and_serves_it_to_py_rattler() {
    let built = built();
    let quetz = start_quetz();
    let started = Instant::now();

    // With a wrong API key the build (everything cached) fails naming the server, and uploads nothing: after the
    // first 401 the other packages are not even offered.
    let local = tempfile::tempdir().unwrap();
    let channel = local.path().join("channel");
    let out = run(common::archi(&built.store)
        .env("ARCHI_QUETZ_API_KEY", "ffffffffffffffffffffffffffffffff")
        .args([
            "build",
            "zlib",
            "xz",
            "--upload",
            &quetz.channel_url(),
            "--output",
        ])
        .arg(&channel)
        .args(BOTH));
    assert!(!out.status.success());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let all = flat(all.as_bytes());
    assert!(has(&all, "HTTP 401") && has(&all, &quetz.base), "{all}");
    assert!(quetz.listed().is_empty());

    // The build publishes (everything is cached) to the local channel and uploads each package.
    ok(common::archi(&built.store)
        .env("ARCHI_QUETZ_API_KEY", &quetz.key)
        .args([
            "build",
            "zlib",
            "xz",
            "--upload",
            &quetz.channel_url(),
            "--output",
        ])
        .arg(&channel)
        .args(BOTH));
    let want = archives(&built.channel);
    assert_eq!(archives(&channel), want);
    quetz.wait_listed(&want);

    // Real clients install from the server's channel URL, for both platforms.
    for platform in ["linux-64", "linux-aarch64"] {
        let records = install_from(&quetz.channel_url(), platform, &["zlib", "xz"]);
        assert_eq!(names(&records), ["xz", "zlib"], "{records:?}");
        assert!(records
            .iter()
            .all(|r| r["url"].as_str().unwrap().starts_with(&quetz.base)));
    }

    // A second upload of the whole channel sends nothing.
    let out = ok(quetz.upload(&built.store, &quetz.key).arg(&built.channel));
    assert_eq!(
        out.lines().filter(|l| l.starts_with("skipped ")).count(),
        4,
        "{out}"
    );
    assert!(!out.contains("uploaded "), "{out}");

    // A changed file of the same name is refused, naming the file and both digests; nothing changes.
    let zlib = want
        .keys()
        .find(|f| f.starts_with("linux-64/zlib-"))
        .unwrap()
        .clone();
    let other = tempfile::tempdir().unwrap();
    let changed = changed_copy(&built.channel.join(&zlib), other.path());
    let new_sha = archi::source::sha256_file(&changed).unwrap();
    let out = run(quetz.upload(&built.store, &quetz.key).arg(&changed));
    assert!(!out.status.success());
    let stderr = flat(&out.stderr);
    for needle in [
        zlib.rsplit('/').next().unwrap(),
        &want[&zlib],
        &new_sha,
        "--force",
    ] {
        assert!(has(&stderr, needle), "{needle} not in {stderr}");
    }
    assert_eq!(quetz.listed(), want);

    // A wrong API key: a clear error naming the server, nothing uploaded.
    let out = run(quetz
        .upload(&built.store, "0123456789abcdef0123456789abcdef")
        .args(["--force"])
        .arg(&changed));
    assert!(!out.status.success());
    let stderr = flat(&out.stderr);
    assert!(
        has(&stderr, &quetz.base) && has(&stderr, "HTTP 401"),
        "{stderr}"
    );
    assert!(!stderr.contains(&quetz.key), "the key leaked: {stderr}");
    assert!(out.stdout.is_empty());
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(quetz.listed(), want);

    // With --force and the right key the changed file replaces the old one.
    let out = ok(quetz
        .upload(&built.store, &quetz.key)
        .arg("--force")
        .arg(&changed));
    assert!(out.contains(&format!("uploaded {zlib}")), "{out}");
    let mut now = want.clone();
    now.insert(zlib.clone(), new_sha);
    quetz.wait_listed(&now);
    eprintln!("quetz part took {:?}", started.elapsed());
}

#[test]
fn anaconda_api_sequence_retries_and_refusals() {
    let built = built();
    let dir = tempfile::tempdir().unwrap();
    let server = start_anaconda(dir.path(), 2);
    let token_file = dir.path().join("token");
    fs_err::write(&token_file, "t0ken-for-tests\n").unwrap();
    let upload = |extra: &[&str]| {
        let mut cmd = common::archi(&built.store);
        cmd.env_remove("ARCHI_ANACONDA_TOKEN")
            .env_remove("ARCHI_UPLOAD_TOKEN")
            .args([
                "upload",
                "--kind",
                "anaconda",
                "--owner",
                "archi-test",
                "--to",
                &server.url,
            ])
            .args(extra);
        cmd
    };
    let zlib: Vec<PathBuf> = archives(&built.channel)
        .keys()
        .filter(|f| f.contains("/zlib-"))
        .map(|f| built.channel.join(f))
        .collect();
    assert_eq!(zlib.len(), 2);

    // Two zlib archives (linux-64, linux-aarch64); the first two stage requests fail with 500 and are retried.
    let out = ok(upload(&["--auth-file", token_file.to_str().unwrap()]).args(&zlib));
    assert_eq!(
        out.lines().filter(|l| l.starts_with("uploaded ")).count(),
        2,
        "{out}"
    );
    let expected = [
        "GET dist 404",
        "GET package 404",
        "POST package 200",
        "GET release 404",
        "POST release 200",
        "POST stage 500",
        "POST stage 500",
        "POST stage 200",
        "POST storage 201",
        "POST commit 200",
        // The second archive: same package and release.
        "GET dist 404",
        "GET package 200",
        "GET release 200",
        "POST stage 200",
        "POST storage 201",
        "POST commit 200",
    ];
    assert_eq!(server.calls(), expected);
    let log = fs_err::read_to_string(&server.log).unwrap();
    assert_eq!(
        log.matches(r#""checked": ["md5", "length", "sha256"]"#)
            .count(),
        2,
        "{log}"
    );

    // Again: both found with the same sha256, nothing staged.
    let out = ok(upload(&["--auth-file", token_file.to_str().unwrap()]).args(&zlib));
    assert_eq!(
        out.lines().filter(|l| l.starts_with("skipped ")).count(),
        2,
        "{out}"
    );
    assert_eq!(
        server.calls()[expected.len()..],
        ["GET dist 200", "GET dist 200"]
    );

    // A changed file of the same name: refused without --force; with it, the old file is deleted first.
    let other = tempfile::tempdir().unwrap();
    let changed = changed_copy(&zlib[0], other.path());
    let out = run(upload(&["--auth-file", token_file.to_str().unwrap()]).arg(&changed));
    assert!(!out.status.success());
    assert!(has(&flat(&out.stderr), "refusing to overwrite"));
    let before = server.calls().len();
    ok(upload(&["--force", "--auth-file", token_file.to_str().unwrap()]).arg(&changed));
    assert_eq!(
        server.calls()[before..],
        [
            "GET dist 200",
            "DELETE dist 200",
            "GET package 200",
            "GET release 200",
            "POST stage 200",
            "POST storage 201",
            "POST commit 200"
        ]
    );

    // A wrong token (from the environment): 401 on the first call, a clear error, nothing further sent.
    let before = server.calls().len();
    let out = run(upload(&["--force"])
        .env("ARCHI_ANACONDA_TOKEN", "wrong-token")
        .args(&zlib));
    assert!(!out.status.success());
    let stderr = flat(&out.stderr);
    assert!(
        has(&stderr, &server.url) && has(&stderr, "HTTP 401"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("wrong-token"),
        "the token leaked: {stderr}"
    );
    assert_eq!(server.calls()[before..], ["GET dist 401"]);

    // No credential at all: told where to put one, nothing sent.
    let before = server.calls().len();
    let out = run(upload(&[]).args(&zlib));
    assert!(!out.status.success());
    assert!(has(&flat(&out.stderr), "ARCHI_ANACONDA_TOKEN"));
    assert_eq!(server.calls().len(), before);
}

#[test]
fn a_server_answering_500_is_retried_a_bounded_number_of_times_and_unreachable_is_clear() {
    let built = built();
    let dir = tempfile::tempdir().unwrap();
    // Five failing stage answers: more than the four attempts archi makes.
    let server = start_anaconda(dir.path(), 5);
    let zlib = built.channel.join(
        archives(&built.channel)
            .keys()
            .find(|f| f.contains("/zlib-"))
            .unwrap(),
    );
    let out = run(common::archi(&built.store)
        .env("ARCHI_ANACONDA_TOKEN", "t0ken-for-tests")
        .args([
            "upload",
            "--kind",
            "anaconda",
            "--owner",
            "o",
            "--to",
            &server.url,
        ])
        .arg(&zlib));
    assert!(!out.status.success());
    let stderr = flat(&out.stderr);
    assert!(has(&stderr, "HTTP 500 after 4 attempts"), "{stderr}");
    assert_eq!(
        server
            .calls()
            .iter()
            .filter(|c| c.starts_with("POST stage"))
            .count(),
        4
    );

    // Nothing listens on this port.
    let port = free_port();
    let started = Instant::now();
    let out = run(common::archi(&built.store)
        .env("ARCHI_QUETZ_API_KEY", "k")
        .args([
            "upload",
            "--to",
            &format!("http://127.0.0.1:{port}/get/archi"),
        ])
        .arg(&zlib));
    assert!(!out.status.success());
    let stderr = flat(&out.stderr);
    assert!(
        has(&stderr, &format!("cannot reach http://127.0.0.1:{port}"))
            && has(&stderr, "after 4 attempts"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_file_channel_is_indexed_and_installable_and_a_full_disk_leaves_it_consistent() {
    let built = built();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("mirror");
    let out = ok(common::archi(&built.store)
        .args(["upload", "--to"])
        .arg(&target)
        .arg(&built.channel));
    assert_eq!(
        out.lines().filter(|l| l.starts_with("uploaded ")).count(),
        4,
        "{out}"
    );
    assert_eq!(archives(&target), archives(&built.channel));
    let url = url::Url::from_directory_path(&target).unwrap().to_string();
    for platform in ["linux-64", "linux-aarch64"] {
        let records = install_from(&url, platform, &["zlib", "xz"]);
        assert_eq!(names(&records), ["xz", "zlib"]);
    }
    let out = ok(common::archi(&built.store)
        .args(["upload", "--to", &url])
        .arg(&built.channel));
    assert_eq!(
        out.lines().filter(|l| l.starts_with("skipped ")).count(),
        4,
        "{out}"
    );

    // A full disk: a tmpfs mounted in a user and mount namespace, with room for the first archive (linux-64/xz)
    // and the index files but not for the second.
    let sizes: Vec<u64> = archives(&built.channel)
        .keys()
        .map(|f| fs_err::metadata(built.channel.join(f)).unwrap().len())
        .collect();
    let room_kib = sizes[0] / 1024 + 64;
    assert!(
        sizes[1] / 1024 > 64,
        "the second archive would fit: {sizes:?}"
    );
    let mnt = dir.path().join("small");
    fs_err::create_dir_all(&mnt).unwrap();
    let script = format!(
        "mount -t tmpfs -o size={room_kib}k tmpfs {mnt} && {{ {archi} upload --to {mnt}/channel {channel}; echo \"exit=$?\"; \
         {python} {check} {mnt}/channel; }}",
        mnt = mnt.display(),
        archi = env!("CARGO_BIN_EXE_archi"),
        channel = built.channel.display(),
        python = common::python().display(),
        check = common::repo().join("tests/clients/check_index.py").display(),
    );
    let out = run(Command::new("unshare").args(["-rm", "sh", "-c", &script]));
    assert!(
        out.status.success(),
        "unshare -rm with a tmpfs is needed for this test"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = flat(&out.stderr);
    assert!(stdout.contains("exit=1"), "{stdout}");
    assert!(
        has(&stderr, "No space left on device")
            && has(&stderr, &format!("{}/channel", mnt.display())),
        "{stderr}"
    );
    // check_index.py: every listed archive is present with its sha256 and size, every archive is listed, no temp
    // files; it printed how many archives made it.
    let report: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(report["problems"], serde_json::json!([]), "{report}");
    assert_eq!(report["archives"], 1, "{report}");
}

#[test]
fn the_object_store_channel_logic_over_a_local_store_is_installable() {
    use std::sync::Arc;
    let built = built();
    let dir = tempfile::tempdir().unwrap();
    let store = object_store::local::LocalFileSystem::new_with_prefix(dir.path()).unwrap();
    let channel = archi::upload::object_store::StoreChannel::new(
        Arc::new(store),
        "conda/main",
        "test-bucket",
        false,
    );
    let artifacts = archi::upload::collect(std::slice::from_ref(&built.channel)).unwrap();
    let mut outcomes = Vec::new();
    for artifact in &artifacts {
        outcomes.push(channel.upload(artifact).unwrap());
    }
    assert!(outcomes
        .iter()
        .all(|o| *o == archi::upload::Outcome::Uploaded));
    for artifact in &artifacts {
        assert_eq!(
            channel.upload(artifact).unwrap(),
            archi::upload::Outcome::Skipped
        );
    }
    let root = dir.path().join("conda/main");
    assert!(root.join("noarch/repodata.json").is_file());
    let url = url::Url::from_directory_path(&root).unwrap().to_string();
    let records = install_from(&url, "linux-aarch64", &["zlib", "xz"]);
    assert_eq!(names(&records), ["xz", "zlib"]);
    // A changed file of the same name is refused.
    let other = tempfile::tempdir().unwrap();
    let changed = changed_copy(&artifacts[0].path, other.path());
    let err = channel
        .upload(&archi::upload::Artifact::read(&changed).unwrap())
        .unwrap_err();
    assert!(
        matches!(err, archi::upload::UploadError::Conflict { .. }),
        "{err}"
    );
}

#[test]
fn an_s3_bucket_is_uploaded_to_indexed_and_installable() {
    let built = built();
    let s3 = start_s3("archi-bucket");
    let upload = || {
        let mut cmd = common::archi(&built.store);
        cmd.env("AWS_ACCESS_KEY_ID", "test-key-id")
            .env("AWS_SECRET_ACCESS_KEY", "test-secret")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT", &s3.endpoint)
            .env("AWS_ALLOW_HTTP", "true")
            .args(["upload", "--to", "s3://archi-bucket/conda/main"]);
        cmd
    };
    let out = ok(upload().arg(&built.channel));
    assert_eq!(
        out.lines().filter(|l| l.starts_with("uploaded ")).count(),
        4,
        "{out}"
    );
    let url = format!("{}/archi-bucket/conda/main", s3.endpoint);
    for platform in ["linux-64", "linux-aarch64"] {
        let records = install_from(&url, platform, &["zlib", "xz"]);
        assert_eq!(names(&records), ["xz", "zlib"]);
    }
    let out = ok(upload().arg(&built.channel));
    assert_eq!(
        out.lines().filter(|l| l.starts_with("skipped ")).count(),
        4,
        "{out}"
    );
    let zlib = archives(&built.channel)
        .into_keys()
        .find(|f| f.contains("/zlib-"))
        .unwrap();
    let other = tempfile::tempdir().unwrap();
    let changed = changed_copy(&built.channel.join(&zlib), other.path());
    let out = run(upload().arg(&changed));
    assert!(!out.status.success());
    assert!(has(&flat(&out.stderr), "refusing to overwrite"));
    let out = ok(upload().arg("--force").arg(&changed));
    assert!(out.contains(&format!("uploaded {zlib}")), "{out}");
    let repodata: serde_json::Value = serde_json::from_slice(
        &reqwest::blocking::get(format!(
            "{url}/{}/repodata.json",
            zlib.split('/').next().unwrap()
        ))
        .unwrap()
        .bytes()
        .unwrap(),
    )
    .unwrap();
    let file = zlib.rsplit('/').next().unwrap();
    assert_eq!(
        repodata["packages.conda"][file]["sha256"],
        archi::source::sha256_file(&changed).unwrap()
    );
}
