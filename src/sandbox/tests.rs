//! Unit tests of the sandbox: reading refusals from a log, and one real sandboxed command.

use super::*;

fn policy() -> Policy {
    Policy {
        store: PathBuf::from("/data/store"),
        home: Some(PathBuf::from("/home/me")),
        fresh_proc: true,
        spelled: vec![PathBuf::from("/home/me/.cache/archi")],
    }
}

const WORK: &str = "/data/store/work/zlib-linux-64-abcdef1";

#[test]
fn denial_names_network_read_only_and_hidden_paths() {
    let p = policy();
    let work = Path::new(WORK);
    let net = denial(
        &p,
        work,
        "checking...\ncurl: (6) Could not resolve host: example\n",
    )
    .unwrap();
    assert_eq!(net.what, "network access (the sandbox has no network)");
    assert_eq!(net.line, "curl: (6) Could not resolve host: example");
    let ro = denial(
        &p,
        work,
        "install: cannot create '/usr/lib/x': Read-only file system",
    )
    .unwrap();
    assert!(ro.what.starts_with("a write outside the work dir"));
    let home = denial(&p, work, "cat: /home/me/.netrc: No such file or directory").unwrap();
    assert!(home.what.starts_with("a read of $HOME or the store"));
    let spelled = denial(&p, work, "ls: cannot access '/home/me/.cache/archi/pkgs'").unwrap();
    assert!(spelled.what.starts_with("a read of $HOME or the store"));
}

#[test]
fn a_missing_file_inside_the_work_dir_is_no_denial() {
    let line = format!("make: *** {WORK}/src/missing.c: No such file or directory");
    assert_eq!(denial(&policy(), Path::new(WORK), &line), None);
    assert_eq!(
        denial(&policy(), Path::new(WORK), "error: 1 test failed"),
        None
    );
}

#[test]
fn a_long_log_line_is_cut_to_200_characters() {
    let line = format!("{}: Network is unreachable", "é".repeat(300));
    let found = denial(&policy(), Path::new(WORK), &line).unwrap();
    assert!(found.line.len() <= 204, "{}", found.line.len());
    assert!(found.line.ends_with('…'));
}

/// A command in the sandbox sees a read-only root, a writable work dir and /tmp, a hidden store, no route out
/// and PID 1 for itself; the store's own files are untouched.
#[test]
fn a_sandboxed_command_sees_only_its_work_dir() {
    let store = tempfile::tempdir().unwrap();
    let work = store.path().join("work").join("demo");
    fs_err::create_dir_all(&work).unwrap();
    fs_err::write(store.path().join("secret"), "s").unwrap();
    let Isolation::Sandboxed(policy) = probe(store.path(), None) else {
        eprintln!("NOTE: skipped, no sandbox on this machine");
        return;
    };
    let script = format!(
        "set -e\n\
         test $$ = 1\n\
         ! test -e {store}/secret\n\
         ! touch /etc/archi-sandbox-test 2>/dev/null\n\
         touch /tmp/scratch\n\
         echo ok > {work}/written\n\
         ! (exec 3<>/dev/tcp/192.0.2.1/80) 2>/dev/null\n",
        store = store.path().display(),
        work = work.display()
    );
    let jail = Jail {
        work: &work,
        view: None,
        cwd: &work,
        read: Vec::new(),
    };
    let mut cmd = Command::new("/bin/bash");
    cmd.arg("-c").arg(&script).env_clear();
    let _armed = configure(&mut cmd, Some((&policy, &jail))).unwrap();
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        fs_err::read_to_string(work.join("written")).unwrap(),
        "ok\n"
    );
    assert!(store.path().join("secret").exists());
}

/// With a view, the work directory is mounted at the view's path (under the fresh /tmp) and not at its own: what
/// the script writes there lands in the work directory, and nothing it sees names the store.
#[test]
fn a_viewed_work_dir_is_seen_at_the_fixed_path_only() {
    let store = tempfile::tempdir().unwrap();
    let work = store.path().join("work").join("demo");
    fs_err::create_dir_all(work.join("src")).unwrap();
    let Isolation::Sandboxed(policy) = probe(store.path(), None) else {
        eprintln!("NOTE: skipped, no sandbox on this machine");
        return;
    };
    let view = Path::new("/tmp/archi-build");
    let script = format!(
        "set -e\n\
         test \"$(pwd)\" = /tmp/archi-build/src\n\
         echo ok > /tmp/archi-build/src/written\n\
         ! test -e {work}\n",
        work = work.display()
    );
    let cwd = view.join("src");
    let jail = Jail {
        work: &work,
        view: Some(view),
        cwd: &cwd,
        read: Vec::new(),
    };
    let mut cmd = Command::new("/bin/bash");
    cmd.arg("-c").arg(&script).env_clear().current_dir(&work);
    let _armed = configure(&mut cmd, Some((&policy, &jail))).unwrap();
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        fs_err::read_to_string(work.join("src/written")).unwrap(),
        "ok\n"
    );
}
