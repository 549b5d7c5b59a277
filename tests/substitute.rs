//! Binary caches (`[[substituter]]`): builder A builds zlib (linux-64 and linux-aarch64) and pushes it, signed, to a real nginx
//! (Debian's, WebDAV PUT) started here on 127.0.0.1; builder B (fresh store and channel) gets it from there without
//! building and publishes the same bytes. Then the refusals: an artifact altered on the server (B builds it itself;
//! with `--no-build` B fails), an entry signed by a key B does not trust (the error names the key), and a server
//! that breaks off mid-download (nothing half-written in B's store).

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{ok, run};

/// nginx serving `<dir>/www` on a free port, GET and PUT (`dav_methods PUT; create_full_put_path on;`); killed
/// when dropped.
struct Nginx {
    child: Child,
    port: u16,
    www: PathBuf,
}

impl Nginx {
    fn start(dir: &Path) -> Nginx {
        let port = free_port();
        let www = dir.join("www");
        fs_err::create_dir_all(&www).unwrap();
        let d = dir.display();
        let conf = format!(
            r#"daemon off;
master_process off;
pid {d}/nginx.pid;
error_log stderr;
events {{ worker_connections 64; }}
http {{
  access_log {d}/access.log;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  server {{
    listen 127.0.0.1:{port};
    root {www};
    client_max_body_size 0;
    location / {{
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
    }}
  }}
}}
"#,
            www = www.display()
        );
        fs_err::write(dir.join("nginx.conf"), conf).unwrap();
        // Debian puts it in /usr/sbin, which a non-root PATH may lack.
        let path = std::env::var("PATH").unwrap_or_default();
        let program = archi::toolchain::find_program("nginx", &path)
            .unwrap_or_else(|| PathBuf::from("/usr/sbin/nginx"));
        let child = Command::new(program)
            .arg("-p")
            .arg(dir)
            .args(["-c", "nginx.conf", "-e", "stderr"])
            .stdout(Stdio::null())
            .stderr(
                fs_err::File::create(dir.join("error.log"))
                    .unwrap()
                    .into_parts()
                    .0,
            )
            .spawn()
            .expect("nginx runs (scripts/install-deps.sh installs it)");
        wait_for(port);
        Nginx { child, port, www }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/cache", self.port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for(port: u16) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "server on {port} did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The workspace: zlib's recipe and the repository's pins, with `archi.toml` naming one cache.
fn write_workspace(ws: &Path, url: &str, push: bool, trusted: &[&str]) {
    let trusted: Vec<String> = trusted.iter().map(|k| format!("{k:?}")).collect();
    fs_err::write(
        ws.join("archi.toml"),
        format!(
            "[workspace]\noutput = \"channel\"\ntrusted_keys = [{}]\n\n[[substituter]]\nurl = \"{url}\"\npush = {push}\n",
            trusted.join(", ")
        ),
    )
    .unwrap();
}

const BOTH: [&str; 4] = [
    "--target-platform",
    "linux-64",
    "--target-platform",
    "linux-aarch64",
];
const LINUX_64: [&str; 2] = ["--target-platform", "linux-64"];

/// `archi build --json --test skip EXTRA recipes/zlib` (tests skipped for CI time) with `store`, publishing to
/// `<out>/channel` (its logs in `<out>/logs`). EXTRA holds the platforms.
fn build(ws: &Path, store: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = common::archi(store);
    cmd.current_dir(ws)
        .env_remove(archi::substitute::SIGNING_KEY_ENV)
        .args(["build", "--json", "--test", "skip"])
        .arg("--output")
        .arg(out.join("channel"))
        .args(extra)
        .arg("recipes/zlib");
    cmd
}

/// zlib's outcome per platform.
fn outcomes(stdout: &[u8]) -> Vec<(String, String)> {
    common::outcomes(&common::events(stdout))
        .into_iter()
        .map(|((_, platform), outcome)| (platform, outcome))
        .collect()
}

fn linux_64(outcome: &str) -> Vec<(String, String)> {
    vec![("linux-64".to_string(), outcome.to_string())]
}

/// sha256 of every .conda in `<out>/channel`, by file name.
fn packages(out: &Path) -> Vec<(String, String)> {
    let channel = out.join("channel");
    common::files_under(&channel)
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "conda"))
        .map(|f| {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            (name, archi::source::sha256_file(&channel.join(&f)).unwrap())
        })
        .collect()
}

/// The zlib source tarball in the store's source cache: from the downloads cache that
/// scripts/seed-sources.sh fills (run with --download-only when it lacks the file).
fn seed_zlib(store: &Path) {
    let downloads = std::env::var_os("ARCHI_DOWNLOADS")
        .map(PathBuf::from)
        .unwrap_or_else(|| dirs_home().join(".cache/archi/downloads"));
    let tarball = downloads.join("zlib_1.2.13.dfsg.orig.tar.bz2");
    if !tarball.is_file() {
        let out = run(Command::new("bash")
            .arg(common::repo().join("scripts/seed-sources.sh"))
            .arg("--download-only"));
        assert!(out.status.success(), "seeding failed");
    }
    ok(common::archi(store).args(["source", "add"]).arg(&tarball));
}

fn dirs_home() -> PathBuf {
    PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
}

/// `archi store verify` passes, and the store root has no download left behind.
fn store_is_sound(store: &Path) {
    ok(common::archi(store).args(["store", "verify"]));
    let leftovers: Vec<_> = fs_err::read_dir(store)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".archi-tmp-"))
                .collect()
        })
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

/// A server that answers every request for `<key>.entry.json` with `entry` and every other one with the headers
/// of `artifact` (its full Content-Length) and only the first half of its bytes, then closes the connection.
fn half_server(entry: Vec<u8>, artifact: Vec<u8>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let line = String::from_utf8_lossy(&request);
            let line = line.lines().next().unwrap_or_default().to_string();
            let body: &[u8] = if line.contains(".entry.json") {
                &entry
            } else {
                &artifact
            };
            let sent = if line.contains(".entry.json") {
                body.len()
            } else {
                body.len() / 2
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body[..sent]);
            let _ = stream.flush();
            // Dropping the stream closes the connection mid-body.
        }
    });
    port
}

#[test]
fn a_pushed_build_is_substituted_and_altered_or_untrusted_entries_are_refused() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let nginx = Nginx::start(&root.join("nginx"));
    let ws = root.join("ws");
    fs_err::create_dir_all(&ws).unwrap();
    fs_err::copy(common::repo().join("pins.toml"), ws.join("pins.toml")).unwrap();
    for file in common::files_under(&common::repo().join("recipes/zlib")) {
        let to = ws.join("recipes/zlib").join(&file);
        fs_err::create_dir_all(to.parent().unwrap()).unwrap();
        fs_err::copy(common::repo().join("recipes/zlib").join(&file), to).unwrap();
    }

    // The key pair: the secret key file is written, the public key printed.
    let key_file = root.join("cache.secret");
    let public = ok(common::archi(&root.join("unused"))
        .args(["key", "generate", "archi-test-1", "-o"])
        .arg(&key_file));
    let public = public.trim().to_string();
    assert!(public.starts_with("archi-test-1:"), "{public}");
    let secret = fs_err::read_to_string(&key_file).unwrap();
    use std::os::unix::fs::PermissionsExt;
    let mode = fs_err::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "the secret key file is the owner's alone"
    );
    let out = run(common::archi(&root.join("unused"))
        .args(["key", "generate", "archi-test-1", "-o"])
        .arg(&key_file));
    assert!(
        !out.status.success(),
        "an existing key file is not overwritten"
    );

    // A push without a signing key is refused before anything runs.
    write_workspace(&ws, &nginx.url(), true, &[&public]);
    let store_a = root.join("store-a");
    let out = run(&mut build(&ws, &store_a, &root.join("a"), &BOTH));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no signing key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Builder A builds and pushes.
    seed_zlib(&store_a);
    let t = Instant::now();
    let out = run(build(&ws, &store_a, &root.join("a"), &BOTH)
        .env(archi::substitute::SIGNING_KEY_ENV, &key_file));
    assert!(out.status.success());
    let both = |o: &str| {
        vec![
            ("linux-64".to_string(), o.to_string()),
            ("linux-aarch64".to_string(), o.to_string()),
        ]
    };
    assert_eq!(outcomes(&out.stdout), both("built"));
    eprintln!("A built and pushed in {:.1} s", t.elapsed().as_secs_f64());
    let entries: Vec<PathBuf> = common::files_under(&nginx.www.join("cache"))
        .into_iter()
        .filter(|f| f.to_string_lossy().ends_with(".entry.json"))
        .collect();
    assert_eq!(entries.len(), 2, "{entries:?}");
    let read_entry = |path: &Path| -> serde_json::Value {
        serde_json::from_slice(&fs_err::read(path).unwrap()).unwrap()
    };
    let entry_path = entries
        .iter()
        .map(|e| nginx.www.join("cache").join(e))
        .find(|e| read_entry(e)["manifest"]["subdir"] == "linux-64")
        .unwrap();
    let entry = read_entry(&entry_path);
    let key = entry["key"].as_str().unwrap().to_string();
    let artifact_path = nginx
        .www
        .join("cache")
        .join(&key)
        .join(entry["artifact"].as_str().unwrap());
    assert!(entry["sig"].as_str().unwrap().starts_with("archi-test-1:"));
    assert!(!fs_err::read_to_string(&entry_path)
        .unwrap()
        .contains(secret.trim().split(':').nth(1).unwrap()));
    let a_packages = packages(&root.join("a"));
    assert_eq!(a_packages.len(), 2, "{a_packages:?}");
    let a_linux_64: Vec<_> = a_packages
        .iter()
        .filter(|(name, _)| name.as_str() == entry["artifact"])
        .cloned()
        .collect();
    assert_eq!(a_linux_64.len(), 1);

    // Builder B: fresh store, fresh channel, no sources, pushes nothing: substituted, nothing built.
    write_workspace(&ws, &nginx.url(), false, &[&public]);
    let store_b = root.join("store-b");
    let out = run(&mut build(&ws, &store_b, &root.join("b"), &BOTH));
    assert!(out.status.success());
    assert_eq!(outcomes(&out.stdout), both("substituted"));
    assert_eq!(packages(&root.join("b")), a_packages, "B's package differs");
    assert!(
        common::files_under(&root.join("b/logs")).is_empty(),
        "B ran a build: {:?}",
        common::files_under(&root.join("b/logs"))
    );
    assert!(common::files_under(&store_b.join("work")).is_empty());
    assert_eq!(common::store_entries(&store_b).len(), 2);
    assert!(common::store_entries(&store_b).contains(&key));
    store_is_sound(&store_b);
    // The human display says it too.
    let out = run(common::archi(&root.join("store-b2"))
        .current_dir(&ws)
        .args(["build", "--test", "skip", "--target-platform", "linux-64"])
        .arg("--output")
        .arg(root.join("b2/channel"))
        .arg("recipes/zlib"));
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("substituted  zlib-1.2.13-")
            && stdout.contains(&format!("(from {})", nginx.url())),
        "{stdout}"
    );

    // An entry signed by a key B does not trust: refused, naming the key; --no-build fails.
    let other = ok(common::archi(&root.join("unused"))
        .args(["key", "generate", "other-1", "-o"])
        .arg(root.join("other.secret")));
    write_workspace(&ws, &nginx.url(), false, &[other.trim()]);
    let store_c = root.join("store-c");
    let out = run(&mut build(
        &ws,
        &store_c,
        &root.join("c"),
        &["--no-build", LINUX_64[0], LINUX_64[1]],
    ));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`archi-test-1`") && stderr.contains("not in trusted_keys"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("--no-build, and no binary cache gave key"),
        "{stdout}"
    );
    assert!(common::store_entries(&store_c).is_empty());
    store_is_sound(&store_c);

    // The artifact altered on the server (one byte in the middle): refused naming the mismatch.
    write_workspace(&ws, &nginx.url(), false, &[&public]);
    let original = fs_err::read(&artifact_path).unwrap();
    let mut altered = original.clone();
    let middle = altered.len() / 2;
    altered[middle] ^= 0xff;
    fs_err::write(&artifact_path, &altered).unwrap();
    let store_d = root.join("store-d");
    let out = run(&mut build(
        &ws,
        &store_d,
        &root.join("d"),
        &["--no-build", LINUX_64[0], LINUX_64[1]],
    ));
    assert!(!out.status.success(), "--no-build fails when refused");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("sha256 is") && stderr.contains("the signed entry says"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("--no-build, and no binary cache gave key"),
        "{stdout}"
    );
    assert!(common::store_entries(&store_d).is_empty());
    store_is_sound(&store_d);
    // Without --no-build, B builds it itself (same key, the same bytes as A's: the build is reproducible).
    seed_zlib(&store_d);
    let t = Instant::now();
    let out = run(&mut build(&ws, &store_d, &root.join("d"), &LINUX_64));
    assert!(out.status.success());
    assert_eq!(outcomes(&out.stdout), linux_64("built"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sha256 is"));
    assert_eq!(packages(&root.join("d")), a_linux_64);
    eprintln!("D built in {:.1} s", t.elapsed().as_secs_f64());
    fs_err::write(&artifact_path, &original).unwrap();

    // A server that breaks off mid-download: refused, nothing half-written.
    let port = half_server(fs_err::read(&entry_path).unwrap(), original.clone());
    write_workspace(
        &ws,
        &format!("http://127.0.0.1:{port}/cache"),
        false,
        &[&public],
    );
    let store_e = root.join("store-e");
    let out = run(&mut build(
        &ws,
        &store_e,
        &root.join("e"),
        &["--no-build", LINUX_64[0], LINUX_64[1]],
    ));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("substituter refused")
            && stderr.contains(".conda: ")
            && stderr.contains("body error"),
        "{stderr}"
    );
    assert!(common::store_entries(&store_e).is_empty());
    store_is_sound(&store_e);
    assert!(packages(&root.join("e")).is_empty());
    eprintln!(
        "substitute test took {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
