//! The build sandbox and scripts that die with archi, through the real binary: a script cannot reach a server
//! on the machine's loopback, write into `$HOME` or read the store, and says the sandbox stopped it; with
//! `--no-sandbox` the same scripts get through. Killing archi with SIGKILL kills every process its script
//! started, sandboxed or not.

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{files_under, run, store_entries, Workspace};

/// Whether this machine has the sandbox; prints a note when it does not (the caller then skips).
fn sandbox_available(ws: &Workspace) -> bool {
    fs_err::create_dir_all(ws.store()).unwrap();
    match archi::sandbox::probe(&ws.store(), None) {
        archi::sandbox::Isolation::Sandboxed(_) => true,
        other => {
            eprintln!("NOTE: skipped, no sandbox on this machine: {other:?}");
            false
        }
    }
}

/// A workspace with a private `$HOME` (`<ws>/home`) that every archi run gets.
fn workspace() -> (Workspace, PathBuf) {
    let ws = Workspace::new();
    let home = ws.path().join("home");
    fs_err::create_dir_all(&home).unwrap();
    (ws, home)
}

fn archi(ws: &Workspace, home: &Path) -> Command {
    let mut cmd = ws.archi();
    cmd.env("HOME", home);
    cmd
}

fn recipe(ws: &Workspace, name: &str, script: &str) {
    ws.recipe(
        name,
        &format!(
            "[package]\nname = \"{name}\"\nversion = \"1.0\"\n\n[build]\nscript = \"\"\"\n{script}\nmkdir -p \
             $PREFIX/share && echo ok > $PREFIX/share/{name}.txt\n\"\"\"\n"
        ),
    );
}

fn build(ws: &Workspace, home: &Path, name: &str, sandbox: bool) -> Output {
    let mut cmd = archi(ws, home);
    cmd.args(["build", "--offline", "--test", "skip"]);
    if !sandbox {
        cmd.arg("--no-sandbox");
    }
    run(cmd.arg(format!("recipes/{name}")))
}

/// The build failed with exit code 1, its error says the sandbox stopped `what` and points to `--no-sandbox`,
/// and nothing reached the store or the channel.
fn assert_stopped(ws: &Workspace, out: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("in the sandbox, which stopped") && stderr.contains(what),
        "the error does not say the sandbox stopped {what}:\n{stderr}"
    );
    assert!(stderr.contains("--no-sandbox"), "{stderr}");
    assert!(store_entries(&ws.store()).is_empty());
    assert!(files_under(&ws.channel()).is_empty());
}

fn assert_built(ws: &Workspace, out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(store_entries(&ws.store()).len(), 1);
}

#[test]
fn sandbox_stops_a_connection_to_a_server_on_the_machine() {
    let (ws, home) = workspace();
    if !sandbox_available(&ws) {
        return;
    }
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    server.set_nonblocking(true).unwrap();
    recipe(
        &ws,
        "netcheck",
        &format!("exec 3<>/dev/tcp/127.0.0.1/{port}\necho hello-from-the-script >&3\nexec 3>&-"),
    );
    let out = build(&ws, &home, "netcheck", true);
    assert_stopped(&ws, &out, "network access");
    assert!(
        server.accept().is_err(),
        "the sandboxed script reached the server"
    );

    let out = build(&ws, &home, "netcheck", false);
    assert_built(&ws, &out);
    let (mut conn, _) = server.accept().expect("the unsandboxed script connected");
    conn.set_nonblocking(false).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut text = String::new();
    conn.read_to_string(&mut text).unwrap();
    assert_eq!(text, "hello-from-the-script\n");
}

#[test]
fn sandbox_stops_a_write_into_home() {
    let (ws, home) = workspace();
    if !sandbox_available(&ws) {
        return;
    }
    let target = home.join("planted.txt");
    recipe(
        &ws,
        "homewrite",
        &format!("echo planted > {}", target.display()),
    );
    let out = build(&ws, &home, "homewrite", true);
    assert_stopped(&ws, &out, "a write outside the work dir");
    assert!(!target.exists());

    let out = build(&ws, &home, "homewrite", false);
    assert_built(&ws, &out);
    assert_eq!(fs_err::read_to_string(&target).unwrap(), "planted\n");
}

#[test]
fn sandbox_hides_the_store() {
    let (ws, home) = workspace();
    if !sandbox_available(&ws) {
        return;
    }
    let secret = ws.store().join("secret.txt");
    fs_err::write(&secret, "store contents\n").unwrap();
    recipe(
        &ws,
        "storeread",
        &format!(
            "cat {} > $SRC_DIR/copy.txt\ngrep -q 'store contents' $SRC_DIR/copy.txt",
            secret.display()
        ),
    );
    let out = build(&ws, &home, "storeread", true);
    assert_stopped(&ws, &out, "a read of $HOME or the store");

    let out = build(&ws, &home, "storeread", false);
    assert_built(&ws, &out);
}

/// Live (not zombie) processes whose command line has `token` as an argument.
fn processes_with(token: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in fs_err::read_dir("/proc").unwrap().filter_map(Result::ok) {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = fs_err::read(entry.path().join("cmdline")) else {
            continue;
        };
        let stat = fs_err::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let state = stat.rsplit(')').next().unwrap_or("").trim_start();
        if state.starts_with('Z') {
            continue;
        }
        if cmdline
            .split(|b| *b == 0)
            .any(|arg| arg == token.as_bytes())
        {
            found.push(pid);
        }
    }
    found
}

/// A script starts a background `sleep` (recording its pid) and then sleeps itself; archi is killed with SIGKILL
/// once both run; within a few seconds neither is left.
fn killing_archi_kills_the_script(sandbox: bool) {
    let (ws, home) = workspace();
    if sandbox && !sandbox_available(&ws) {
        return;
    }
    // A sleep length no other process uses: it identifies this test's processes.
    let token = format!("{}{}", 90_000_000 + std::process::id(), u8::from(sandbox));
    recipe(
        &ws,
        "sleeper",
        &format!(
            "sleep {token} &\necho $! > $HOME/background.pid\ntouch $HOME/started\nsleep {token}"
        ),
    );
    let mut cmd = archi(&ws, &home);
    cmd.args(["build", "--offline", "--test", "skip"]);
    if !sandbox {
        cmd.arg("--no-sandbox");
    }
    let mut child = cmd
        .arg("recipes/sleeper")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let work = ws.store().join("work");
    let marker = || {
        fs_err::read_dir(&work).ok().and_then(|dirs| {
            dirs.filter_map(Result::ok)
                .map(|d| d.path().join("home"))
                .find(|home| home.join("started").exists())
        })
    };
    let script_home = loop {
        if let Some(home) = marker() {
            break home;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the script never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    // `started` is touched before the script's own `sleep` is exec'd: wait (bounded) until both sleeps exist.
    let running = loop {
        let running = processes_with(&token);
        if running.len() == 2 || started.elapsed() > Duration::from_secs(60) {
            break running;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(running.len(), 2, "both sleeps run: {running:?}");
    let background: u32 = fs_err::read_to_string(script_home.join("background.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    if !sandbox {
        assert!(running.contains(&background), "{running:?} {background}");
    }

    child.kill().unwrap();
    child.wait().unwrap();
    let killed = Instant::now();
    while !processes_with(&token).is_empty() {
        assert!(
            killed.elapsed() < Duration::from_secs(5),
            "still running 5 s after archi was killed: {:?}",
            processes_with(&token)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!(
        "all of the script's processes gone {} ms after SIGKILL",
        killed.elapsed().as_millis()
    );
}

#[test]
fn killing_archi_kills_the_sandboxed_script_and_its_background_processes() {
    killing_archi_kills_the_script(true);
}

#[test]
fn killing_archi_kills_the_unsandboxed_script_and_its_background_processes() {
    killing_archi_kills_the_script(false);
}

#[test]
fn json_says_once_how_scripts_are_isolated() {
    let (ws, home) = workspace();
    recipe(&ws, "plain", "true");
    let mut cmd = archi(&ws, &home);
    let out = run(cmd.args([
        "build",
        "--offline",
        "--json",
        "--no-sandbox",
        "recipes/plain",
    ]));
    assert!(out.status.success());
    let events = common::events(&out.stdout);
    let sandbox: Vec<_> = events.iter().filter(|e| e["event"] == "sandbox").collect();
    assert_eq!(sandbox.len(), 1, "{events:?}");
    assert_eq!(sandbox[0]["sandboxed"], false);
    assert_eq!(sandbox[0]["detail"], "off (--no-sandbox)");
}
