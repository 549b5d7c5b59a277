//! Build scripts that die with archi, and the sandbox they run in where unprivileged user namespaces exist.
//!
//! **Dying with archi.** Every script (and every test command) is started through a *keeper*: the process
//! `Command` forks sets `PR_SET_PDEATHSIG` = `SIGTERM` (which fires when the spawning *thread* ends: the build
//! thread that then blocks in `status()` for as long as the script runs) and forks the real child, which
//! `exec`s the script in a process group of its own with `PR_SET_PDEATHSIG` = `SIGKILL`. The keeper closes
//! every descriptor it inherited and waits in `sigwaitinfo`: when archi dies, however (`SIGKILL` included),
//! it kills the child's whole process group, or, sandboxed, the PID namespace's first process — the kernel then
//! kills every process of the namespace, whatever process group or session it made. When the script ends, the
//! keeper kills what is left of its process group and exits with the script's status, so nothing a script
//! started outlives it (a daemon left running by `make check` would otherwise hold the work directory).
//!
//! **The sandbox** (Linux ≥ 5.12 for `mount_setattr`), set up in the keeper and the child before `exec`, with
//! `libc` calls only (no `unshare` or `bwrap` program), as Nix's and bubblewrap's sandboxes do:
//! - the keeper `unshare`s user, mount, network, PID, IPC and UTS namespaces and maps the caller's own uid and
//!   gid (`setgroups` denied); a fresh network namespace has only a loopback, which is brought up;
//! - the child is the PID namespace's first process and `exec`s the script itself: no init of our own, since
//!   bash reaps the orphans reparented to it and the namespace dies with it; it mounts a fresh `/proc`;
//! - mount propagation is made private (nothing leaks to the machine), then the directories to put back (the
//!   work directory, and the recipe directory and toolchain directories that lie under a hidden one) are cloned
//!   with `open_tree(OPEN_TREE_CLONE)`, the whole tree is made read-only (`mount_setattr(AT_RECURSIVE,
//!   MOUNT_ATTR_RDONLY)`), `/tmp` and `/dev/shm` get fresh tmpfs, `$HOME` and the store get read-only tmpfs
//!   over them, and the clones are moved back in place (`move_mount`), ancestors before descendants;
//! - every capability is dropped from the bounding set and `no_new_privs` set, so even a uid-0 script cannot
//!   unmount a cover or make the tree writable again.
//!
//! [`probe`] runs that whole setup once per run on `/bin/true`; where it fails archi builds unsandboxed and
//! says why. [`denial`] reads a failed script's last log lines for the sandbox's typical refusals.

mod child;

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use child::{CloneSpec, Layer, Namespaces, Prepared, Report};

/// What a run's sandbox hides: found by [`probe`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The store root (canonical): covered, its work directories put back one at a time.
    pub store: PathBuf,
    /// The user's `$HOME` (canonical), covered; `None` when unset, missing or `/`.
    pub home: Option<PathBuf>,
    /// Whether a fresh `/proc` can be mounted (not where the machine's `/proc` has locked mounts over it).
    pub fresh_proc: bool,
    /// The hidden directories as the user spelled them (`--store`, `$HOME`), for [`denial`].
    pub spelled: Vec<PathBuf>,
}

impl Policy {
    /// One line saying what the sandbox does, for the run's display.
    pub fn describe(&self) -> String {
        let home = if self.home.is_some() {
            "$HOME and the store hidden"
        } else {
            "the store hidden"
        };
        let proc = if self.fresh_proc {
            "own PID namespace and /proc"
        } else {
            "own PID namespace"
        };
        format!("no network; read-only outside the work dir (fresh /tmp); {home}; {proc}")
    }

    fn hidden(&self) -> impl Iterator<Item = &Path> {
        self.home
            .as_deref()
            .into_iter()
            .chain([self.store.as_path()])
    }
}

/// How a run isolates its build scripts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Isolation {
    /// In the sandbox.
    Sandboxed(Policy),
    /// Unsandboxed because `--no-sandbox` said so.
    OptedOut,
    /// Unsandboxed because the probe failed; why.
    Unavailable(String),
}

impl Isolation {
    /// The policy when sandboxed.
    pub fn policy(&self) -> Option<&Policy> {
        match self {
            Isolation::Sandboxed(policy) => Some(policy),
            _ => None,
        }
    }
}

/// One sandboxed spawn: the work directory (writable), the working directory, and directories the script must
/// read (the recipe directory, toolchain directories).
#[derive(Debug, Clone)]
pub struct Jail<'a> {
    /// The build's work directory: stays writable and visible.
    pub work: &'a Path,
    /// Where the script sees `work`, if not at its own path (`build::BUILD_VIEW`, under the fresh `/tmp`): the
    /// work directory is mounted there and not at its own path.
    pub view: Option<&'a Path>,
    /// The script's working directory (inside `work`, or inside `view` when given).
    pub cwd: &'a Path,
    /// Directories kept readable (put back read-only when they lie under a hidden directory).
    pub read: Vec<PathBuf>,
}

/// A spawn set up by [`configure`]: turns a failed spawn into the step that failed.
pub struct Armed {
    report: Arc<Report>,
}

impl Armed {
    /// When `err` came from spawning the configured command, the step of the keeper or sandbox setup that
    /// failed (for the error message), if it was one.
    pub fn failed_step(&self) -> Option<(&'static str, io::Error)> {
        self.report
            .failure()
            .map(|(step, errno)| (child::step_name(step), io::Error::from_raw_os_error(errno)))
    }
}

/// The `/tmp` and `/dev/shm` of a sandbox: fresh, writable tmpfs.
const SCRATCH: [&str; 2] = ["/tmp", "/dev/shm"];

/// Make `cmd` die with archi and, with `sandbox`, run in the sandbox described by `jail`. Every path is
/// prepared here; the hook only makes system calls.
///
/// Errors: the shared report page cannot be mapped, or a path cannot be resolved.
pub fn configure(cmd: &mut Command, sandbox: Option<(&Policy, &Jail)>) -> io::Result<Armed> {
    let report = Arc::new(Report::new()?);
    let namespaces = match sandbox {
        Some((policy, jail)) => Some(namespaces(policy, jail)?),
        None => None,
    };
    let mut prepared = Prepared {
        parent: std::process::id() as libc::pid_t,
        namespaces,
        report: Arc::clone(&report),
    };
    // SAFETY: the hook only makes async-signal-safe system calls on memory prepared above.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(cmd, move || child::hook(&mut prepared));
    }
    Ok(Armed { report })
}

fn canonical(path: &Path) -> io::Result<PathBuf> {
    fs_err::canonicalize(path)
}

fn depth(path: &Path) -> usize {
    path.components().count()
}

/// The proper ancestors of `path` below `/`, outermost first.
fn ancestors(path: &Path) -> Vec<std::ffi::CString> {
    let mut all: Vec<&Path> = path.ancestors().skip(1).filter(|a| depth(a) > 1).collect();
    all.reverse();
    all.into_iter().map(child::cstring).collect()
}

fn namespaces(policy: &Policy, jail: &Jail) -> io::Result<Namespaces> {
    // SAFETY: getuid/getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let mut covers: Vec<(PathBuf, &str, bool)> = SCRATCH
        .iter()
        .map(Path::new)
        .filter(|p| p.is_dir())
        .map(|p| (p.to_path_buf(), "mode=1777", false))
        .collect();
    for hidden in policy.hidden() {
        if hidden != Path::new("/") && !covers.iter().any(|(c, ..)| c == hidden) {
            covers.push((hidden.to_path_buf(), "mode=0755", true));
        }
    }
    let covered = |path: &Path| covers.iter().any(|(c, ..)| path.starts_with(c));
    // (path to mount at, path to clone, read-only)
    let mut backs: Vec<(PathBuf, PathBuf, bool)> = Vec::new();
    let work = canonical(jail.work)?;
    match jail.view {
        Some(view) => backs.push((view.to_path_buf(), work.clone(), false)),
        None => {
            backs.push((work.clone(), work.clone(), false));
            if jail.work != work {
                backs.push((jail.work.to_path_buf(), work.clone(), false));
            }
        }
    }
    for dir in &jail.read {
        let Ok(real) = canonical(dir) else { continue };
        for at in [real.clone(), dir.clone()] {
            if covered(&at) && !backs.iter().any(|(p, ..)| *p == at) {
                backs.push((at, real.clone(), true));
            }
        }
    }
    let mut clones = Vec::new();
    let mut layers: Vec<(usize, u8, Layer)> = Vec::new();
    for (path, mode, read_only) in &covers {
        layers.push((
            depth(path),
            0,
            Layer::Cover {
                path: child::cstring(path),
                ancestors: ancestors(path),
                mode: std::ffi::CString::new(*mode).expect("no NUL"),
                read_only: *read_only,
            },
        ));
    }
    for (at, from, read_only) in &backs {
        clones.push(CloneSpec {
            path: child::cstring(from),
            read_only: *read_only,
        });
        layers.push((
            depth(at),
            1,
            Layer::PutBack {
                path: child::cstring(at),
                ancestors: ancestors(at),
                clone: clones.len() - 1,
            },
        ));
    }
    layers.sort_by_key(|(depth, kind, _)| (*depth, *kind));
    let cstr = |s: &str| std::ffi::CString::new(s).expect("no NUL");
    Ok(Namespaces {
        setgroups: cstr("/proc/self/setgroups"),
        uid_map_path: cstr("/proc/self/uid_map"),
        gid_map_path: cstr("/proc/self/gid_map"),
        deny: b"deny",
        uid_map: format!("{uid} {uid} 1\n").into_bytes(),
        gid_map: format!("{gid} {gid} 1\n").into_bytes(),
        root: cstr("/"),
        empty: cstr(""),
        clone_fds: vec![-1; clones.len()],
        clones,
        layers: layers.into_iter().map(|(.., layer)| layer).collect(),
        tmpfs: cstr("tmpfs"),
        proc_dir: policy.fresh_proc.then(|| cstr("/proc")),
        proc_type: cstr("proc"),
        cwd: child::cstring(jail.cwd),
    })
}

/// Find out once whether the sandbox works here: run `/bin/true` in it (work directory
/// `<store>/work/.sandbox-probe-<pid>`), first with a fresh `/proc`, then without. `home` is the user's
/// `$HOME`.
pub fn probe(store: &Path, home: Option<&Path>) -> Isolation {
    let probe_dir = store
        .join("work")
        .join(format!(".sandbox-probe-{}", std::process::id()));
    if let Err(err) = fs_err::create_dir_all(&probe_dir) {
        return Isolation::Unavailable(err.to_string());
    }
    let result = probe_in(store, home, &probe_dir);
    let _ = fs_err::remove_dir_all(&probe_dir);
    match result {
        Ok(policy) => Isolation::Sandboxed(policy),
        Err(reason) => Isolation::Unavailable(reason),
    }
}

fn probe_in(store: &Path, home: Option<&Path>, dir: &Path) -> Result<Policy, String> {
    let spelled: Vec<PathBuf> = [Some(store), home]
        .into_iter()
        .flatten()
        .map(Path::to_path_buf)
        .collect();
    let store = canonical(store).map_err(|e| e.to_string())?;
    let home = home
        .and_then(|h| canonical(h).ok())
        .filter(|h| h.is_dir() && h != Path::new("/"));
    let mut policy = Policy {
        store,
        home,
        fresh_proc: true,
        spelled: spelled.to_vec(),
    };
    let jail = Jail {
        work: dir,
        view: None,
        cwd: dir,
        read: Vec::new(),
    };
    let mut last = String::new();
    for fresh_proc in [true, false] {
        policy.fresh_proc = fresh_proc;
        let mut cmd = Command::new("/bin/true");
        cmd.env_clear()
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let armed = configure(&mut cmd, Some((&policy, &jail))).map_err(|e| e.to_string())?;
        match cmd.status() {
            Ok(status) if status.success() => return Ok(policy),
            Ok(status) => last = format!("the probe exited with {status}"),
            Err(err) => {
                last = match armed.failed_step() {
                    Some((step, cause)) => format!("{step}: {cause}"),
                    None => err.to_string(),
                };
            }
        }
    }
    Err(last)
}

/// A sandbox refusal seen in a failed script's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// What the sandbox stopped (`network access`, `a write outside the work dir`, …).
    pub what: &'static str,
    /// The log line that shows it (trimmed, at most 200 characters).
    pub line: String,
}

impl std::fmt::Display for Denial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (log: `{}`)", self.what, self.line)
    }
}

/// Network refusals in a fresh network namespace (errno texts of glibc, and curl's/getaddrinfo's).
const NETWORK: [&str; 5] = [
    "Network is unreachable",
    "Temporary failure in name resolution",
    "Could not resolve host",
    "Name or service not known",
    "Connection refused",
];

/// What ENOENT and friends look like in tool output.
const NOT_FOUND: [&str; 4] = [
    "No such file or directory",
    "not found",
    "cannot access",
    "does not exist",
];

/// The last sandbox refusal in `log_tail` (a failed script's last log lines), if any: a network error, a
/// read-only file system, or a hidden path (`$HOME` or the store, canonical or as spelled) not found outside
/// the build's `work` directory.
pub fn denial(policy: &Policy, work: &Path, log_tail: &str) -> Option<Denial> {
    let hidden: Vec<String> = policy
        .hidden()
        .chain(policy.spelled.iter().map(PathBuf::as_path))
        .map(|p| p.display().to_string())
        .collect();
    let mut works = vec![work.display().to_string()];
    if let Ok(real) = canonical(work) {
        works.push(real.display().to_string());
    }
    log_tail.lines().rev().find_map(|line| {
        let outside = works.iter().fold(line.to_string(), |line, work| {
            line.replace(work.as_str(), "")
        });
        let what = if NETWORK.iter().any(|n| line.contains(n)) {
            "network access (the sandbox has no network)"
        } else if line.contains("Read-only file system") {
            "a write outside the work dir (read-only in the sandbox)"
        } else if NOT_FOUND.iter().any(|n| line.contains(n))
            && hidden.iter().any(|h| outside.contains(h.as_str()))
        {
            "a read of $HOME or the store (hidden in the sandbox)"
        } else {
            return None;
        };
        let mut line = line.trim().to_string();
        if line.len() > 200 {
            let mut end = 200;
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            line.truncate(end);
            line.push('…');
        }
        Some(Denial { what, line })
    })
}

#[cfg(test)]
mod tests;
