//! What runs between `fork` and `exec` (a `Command::pre_exec` hook): the keeper and, when sandboxed, the
//! namespace setup. Only async-signal-safe calls through `libc` here, no allocation, no locks: every path and
//! map line is prepared by [`super`] before the spawn. A failing step records its number and errno in a shared
//! page ([`Report`]) so the parent can say which step failed.

use std::ffi::{c_int, c_long, c_uint, c_ulong, CString};
use std::io;
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};

/// Steps of the setup, as recorded in [`Report`]; [`step_name`] gives their names.
pub(super) mod step {
    pub const PDEATHSIG: u32 = 1;
    pub const UNSHARE: u32 = 2;
    pub const ID_MAPS: u32 = 3;
    pub const FORK: u32 = 4;
    pub const PRIVATE: u32 = 5;
    pub const OPEN_TREE: u32 = 6;
    pub const READ_ONLY: u32 = 7;
    pub const COVER: u32 = 8;
    pub const PUT_BACK: u32 = 9;
    pub const PROC: u32 = 10;
    pub const LOOPBACK: u32 = 11;
    pub const CHDIR: u32 = 12;
    pub const PRIVILEGES: u32 = 13;
}

/// The name of a recorded step, for errors.
pub(super) fn step_name(step: u32) -> &'static str {
    match step {
        step::PDEATHSIG => "setting the parent-death signal",
        step::UNSHARE => "creating the user, mount, network and PID namespaces",
        step::ID_MAPS => "writing the uid/gid maps",
        step::FORK => "forking the namespace's first process",
        step::PRIVATE => "making mount propagation private",
        step::OPEN_TREE => "cloning a directory to put back",
        step::READ_ONLY => "making the file system read-only",
        step::COVER => "mounting a tmpfs over a hidden directory",
        step::PUT_BACK => "putting a directory back",
        step::PROC => "mounting a fresh /proc",
        step::LOOPBACK => "bringing up the loopback interface",
        step::CHDIR => "entering the source directory",
        step::PRIVILEGES => "dropping capabilities",
        _ => "starting the script",
    }
}

/// A page shared with the parent (an anonymous `MAP_SHARED` mapping made before the fork): the failed step and
/// its errno.
pub(super) struct Report {
    ptr: *mut u8,
}

// SAFETY: the page is only accessed through the atomics below.
unsafe impl Send for Report {}
unsafe impl Sync for Report {}

const PAGE: usize = 4096;

impl Report {
    /// A fresh zeroed shared page.
    pub(super) fn new() -> io::Result<Report> {
        // SAFETY: an anonymous mapping, checked for failure.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                PAGE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Report { ptr: ptr.cast() })
    }

    fn step(&self) -> &AtomicU32 {
        // SAFETY: the page is zero-initialised, aligned and lives as long as `self`.
        unsafe { &*(self.ptr as *const AtomicU32) }
    }

    fn errno(&self) -> &AtomicI32 {
        // SAFETY: as above, at offset 4.
        unsafe { &*(self.ptr.add(4) as *const AtomicI32) }
    }

    /// The step that failed and its errno, if one did.
    pub(super) fn failure(&self) -> Option<(u32, i32)> {
        let step = self.step().load(Ordering::SeqCst);
        (step != 0).then(|| (step, self.errno().load(Ordering::SeqCst)))
    }

    fn fail(&self, step: u32) -> io::Error {
        let err = io::Error::last_os_error();
        self.errno()
            .store(err.raw_os_error().unwrap_or(0), Ordering::SeqCst);
        self.step().store(step, Ordering::SeqCst);
        err
    }
}

impl Drop for Report {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`.
        unsafe { libc::munmap(self.ptr.cast(), PAGE) };
    }
}

/// One mount layer, applied in order (ancestors before descendants).
pub(super) enum Layer {
    /// A tmpfs over `path` (its missing ancestors made first, inside an earlier tmpfs); made read-only at the
    /// end when `read_only`.
    Cover {
        path: CString,
        ancestors: Vec<CString>,
        mode: CString,
        read_only: bool,
    },
    /// Clone number `clone` moved to `path`.
    PutBack {
        path: CString,
        ancestors: Vec<CString>,
        clone: usize,
    },
}

/// A directory cloned (`open_tree(OPEN_TREE_CLONE)`) before anything is covered.
pub(super) struct CloneSpec {
    pub(super) path: CString,
    pub(super) read_only: bool,
}

/// The namespace setup, prepared in the parent.
pub(super) struct Namespaces {
    pub(super) setgroups: CString,
    pub(super) uid_map_path: CString,
    pub(super) gid_map_path: CString,
    pub(super) deny: &'static [u8],
    pub(super) uid_map: Vec<u8>,
    pub(super) gid_map: Vec<u8>,
    pub(super) root: CString,
    pub(super) empty: CString,
    pub(super) clones: Vec<CloneSpec>,
    /// Room for the clones' descriptors (filled in the child; its length is `clones.len()`).
    pub(super) clone_fds: Vec<c_int>,
    pub(super) layers: Vec<Layer>,
    pub(super) tmpfs: CString,
    pub(super) proc_dir: Option<CString>,
    pub(super) proc_type: CString,
    pub(super) cwd: CString,
}

/// Everything the hook needs.
pub(super) struct Prepared {
    /// archi's pid: the keeper checks that its parent is still it after setting the parent-death signal.
    pub(super) parent: libc::pid_t,
    pub(super) namespaces: Option<Namespaces>,
    pub(super) report: std::sync::Arc<Report>,
}

const NAMESPACES: c_int = libc::CLONE_NEWUSER
    | libc::CLONE_NEWNS
    | libc::CLONE_NEWNET
    | libc::CLONE_NEWPID
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWUTS;
const OPEN_TREE_CLONE: c_uint = 1;
const OPEN_TREE_CLOEXEC: c_uint = libc::O_CLOEXEC as c_uint;
const AT_RECURSIVE: c_uint = 0x8000;
const MOVE_MOUNT_F_EMPTY_PATH: c_uint = 0x4;
const MOUNT_ATTR_RDONLY: u64 = 0x1;

/// `struct mount_attr` of `mount_setattr(2)`.
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

fn check(ret: c_long) -> Result<c_long, ()> {
    if ret < 0 {
        Err(())
    } else {
        Ok(ret)
    }
}

/// `mount_setattr(dirfd, path, flags, {set: MOUNT_ATTR_RDONLY})`.
unsafe fn set_read_only(dirfd: c_int, path: &CString, flags: c_uint) -> c_long {
    let attr = MountAttr {
        attr_set: MOUNT_ATTR_RDONLY,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    libc::syscall(
        libc::SYS_mount_setattr,
        dirfd,
        path.as_ptr(),
        flags,
        &attr as *const MountAttr,
        std::mem::size_of::<MountAttr>(),
    )
}

unsafe fn write_file(path: &CString, data: &[u8]) -> Result<(), ()> {
    let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
    if fd < 0 {
        return Err(());
    }
    let n = libc::write(fd, data.as_ptr().cast(), data.len());
    libc::close(fd);
    if n == data.len() as isize {
        Ok(())
    } else {
        Err(())
    }
}

unsafe fn make_dirs(ancestors: &[CString]) {
    for dir in ancestors {
        // EEXIST (or anything else) is fine here: the mount that follows reports a real problem.
        libc::mkdir(dir.as_ptr(), 0o755);
    }
}

/// The signals the keeper waits for: its child's end, and its own end (archi's death, or a terminal's).
unsafe fn keeper_signals() -> libc::sigset_t {
    let mut set: libc::sigset_t = std::mem::zeroed();
    libc::sigemptyset(&mut set);
    for sig in [
        libc::SIGCHLD,
        libc::SIGTERM,
        libc::SIGINT,
        libc::SIGHUP,
        libc::SIGQUIT,
    ] {
        libc::sigaddset(&mut set, sig);
    }
    set
}

/// The hook. In the process `Command` forked (the keeper): parent-death signal, namespaces, id maps, then a
/// fork; the keeper waits and never returns, the child continues here (mounts when sandboxed) and returns to
/// `exec`.
///
/// # Safety
/// Called only between `fork` and `exec` of a `Command`.
pub(super) unsafe fn hook(p: &mut Prepared) -> io::Result<()> {
    let report = &p.report;
    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM as c_ulong, 0, 0, 0) != 0 {
        return Err(report.fail(step::PDEATHSIG));
    }
    if libc::getppid() != p.parent {
        // archi is already gone.
        libc::_exit(1);
    }
    let signals = keeper_signals();
    libc::sigprocmask(libc::SIG_BLOCK, &signals, std::ptr::null_mut());
    if let Some(ns) = &p.namespaces {
        if libc::unshare(NAMESPACES) != 0 {
            return Err(report.fail(step::UNSHARE));
        }
        if write_file(&ns.setgroups, ns.deny).is_err()
            || write_file(&ns.uid_map_path, &ns.uid_map).is_err()
            || write_file(&ns.gid_map_path, &ns.gid_map).is_err()
        {
            return Err(report.fail(step::ID_MAPS));
        }
    }
    // A pipe whose write end only the keeper holds: the child sees it hang up if the keeper died before the
    // child's own parent-death signal was set.
    let mut alive = [0 as c_int; 2];
    if libc::pipe2(alive.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
        return Err(report.fail(step::FORK));
    }
    // A raw fork: glibc's `fork` would run atfork handlers and take locks other threads of archi may have held.
    let pid = libc::syscall(libc::SYS_clone, libc::SIGCHLD as c_ulong, 0, 0, 0, 0);
    if pid < 0 {
        return Err(report.fail(step::FORK));
    }
    if pid > 0 {
        keep(pid as libc::pid_t, alive, p.namespaces.is_some());
    }
    libc::close(alive[1]);
    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as c_ulong, 0, 0, 0);
    let mut poll = libc::pollfd {
        fd: alive[0],
        events: libc::POLLIN,
        revents: 0,
    };
    if libc::poll(&mut poll, 1, 0) > 0 && poll.revents & libc::POLLHUP != 0 {
        libc::_exit(1);
    }
    libc::close(alive[0]);
    libc::setpgid(0, 0);
    if let Some(ns) = &mut p.namespaces {
        mount_view(ns, report)?;
    }
    let mut empty: libc::sigset_t = std::mem::zeroed();
    libc::sigemptyset(&mut empty);
    libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
    Ok(())
}

/// The keeper: closes every descriptor (so that nothing of archi's stays open in it), waits for its child and
/// exits as it did; on its own end (archi died: `SIGTERM` from the parent-death signal) kills the child's whole
/// process group (unsandboxed) or the PID namespace's first process (sandboxed: the kernel then kills every
/// process of the namespace) first. When the child exits, the rest of its process group is killed too, as a PID
/// namespace ends with its first process.
unsafe fn keep(child: libc::pid_t, alive: [c_int; 2], sandboxed: bool) -> ! {
    libc::setpgid(child, child);
    let keep_fd = alive[1] as c_uint;
    libc::syscall(libc::SYS_close_range, 0 as c_uint, keep_fd - 1, 0 as c_uint);
    libc::syscall(libc::SYS_close_range, keep_fd + 1, c_uint::MAX, 0 as c_uint);
    let kill_all = || {
        if sandboxed {
            libc::kill(child, libc::SIGKILL);
        } else {
            libc::kill(-child, libc::SIGKILL);
        }
    };
    let signals = keeper_signals();
    loop {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let sig = libc::sigwaitinfo(&signals, &mut info);
        if sig == libc::SIGCHLD {
            let mut status: c_int = 0;
            if libc::waitpid(child, &mut status, libc::WNOHANG) != child {
                continue;
            }
            if !sandboxed {
                libc::kill(-child, libc::SIGKILL);
            }
            if libc::WIFEXITED(status) {
                libc::_exit(libc::WEXITSTATUS(status));
            }
            let sig = libc::WTERMSIG(status);
            // Die of the same signal, without a core dump of archi's memory.
            let none = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &none);
            libc::signal(sig, libc::SIG_DFL);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, sig);
            libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
            libc::kill(libc::getpid(), sig);
            libc::_exit(128 + sig);
        } else if sig > 0 {
            kill_all();
            libc::_exit(128 + sig);
        }
    }
}

/// The sandbox's file system view (module docs of [`super`]), its /proc, loopback, cwd and privileges.
unsafe fn mount_view(ns: &mut Namespaces, report: &Report) -> io::Result<()> {
    let none = std::ptr::null::<libc::c_char>();
    if libc::mount(
        none,
        ns.root.as_ptr(),
        none,
        libc::MS_REC | libc::MS_PRIVATE,
        std::ptr::null(),
    ) != 0
    {
        return Err(report.fail(step::PRIVATE));
    }
    for (i, clone) in ns.clones.iter().enumerate() {
        let fd = libc::syscall(
            libc::SYS_open_tree,
            libc::AT_FDCWD,
            clone.path.as_ptr(),
            OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE,
        );
        if fd < 0 {
            return Err(report.fail(step::OPEN_TREE));
        }
        ns.clone_fds[i] = fd as c_int;
        if clone.read_only
            && check(set_read_only(
                fd as c_int,
                &ns.empty,
                libc::AT_EMPTY_PATH as c_uint | AT_RECURSIVE,
            ))
            .is_err()
        {
            return Err(report.fail(step::READ_ONLY));
        }
    }
    if check(set_read_only(libc::AT_FDCWD, &ns.root, AT_RECURSIVE)).is_err() {
        return Err(report.fail(step::READ_ONLY));
    }
    for layer in &ns.layers {
        match layer {
            Layer::Cover {
                path,
                ancestors,
                mode,
                ..
            } => {
                make_dirs(ancestors);
                libc::mkdir(path.as_ptr(), 0o755);
                if libc::mount(
                    ns.tmpfs.as_ptr(),
                    path.as_ptr(),
                    ns.tmpfs.as_ptr(),
                    libc::MS_NOSUID | libc::MS_NODEV,
                    mode.as_ptr().cast(),
                ) != 0
                {
                    return Err(report.fail(step::COVER));
                }
            }
            Layer::PutBack {
                path,
                ancestors,
                clone,
            } => {
                make_dirs(ancestors);
                libc::mkdir(path.as_ptr(), 0o755);
                let ret = libc::syscall(
                    libc::SYS_move_mount,
                    ns.clone_fds[*clone],
                    ns.empty.as_ptr(),
                    libc::AT_FDCWD,
                    path.as_ptr(),
                    MOVE_MOUNT_F_EMPTY_PATH,
                );
                if ret != 0 {
                    return Err(report.fail(step::PUT_BACK));
                }
            }
        }
    }
    for layer in &ns.layers {
        if let Layer::Cover {
            path,
            read_only: true,
            ..
        } = layer
        {
            if check(set_read_only(libc::AT_FDCWD, path, 0)).is_err() {
                return Err(report.fail(step::READ_ONLY));
            }
        }
    }
    for fd in &ns.clone_fds {
        libc::close(*fd);
    }
    if let Some(proc_dir) = &ns.proc_dir {
        if libc::mount(
            ns.proc_type.as_ptr(),
            proc_dir.as_ptr(),
            ns.proc_type.as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
            std::ptr::null(),
        ) != 0
        {
            return Err(report.fail(step::PROC));
        }
    }
    loopback_up().map_err(|()| report.fail(step::LOOPBACK))?;
    if libc::chdir(ns.cwd.as_ptr()) != 0 {
        return Err(report.fail(step::CHDIR));
    }
    // The script keeps no capability in the namespace, even as uid 0 (which would get the whole bounding set
    // back at exec): otherwise it could unmount the covers or make the file system writable again.
    for cap in 0..64 {
        libc::prctl(libc::PR_CAPBSET_DROP, cap as c_ulong, 0, 0, 0);
    }
    libc::prctl(
        libc::PR_CAP_AMBIENT,
        libc::PR_CAP_AMBIENT_CLEAR_ALL as c_ulong,
        0,
        0,
        0,
    );
    if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1 as c_ulong, 0, 0, 0) != 0 {
        return Err(report.fail(step::PRIVILEGES));
    }
    Ok(())
}

/// `ip link set lo up` through `SIOCSIFFLAGS`, so the script can use its own loopback (test suites do).
unsafe fn loopback_up() -> Result<(), ()> {
    let sock = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
    if sock < 0 {
        return Err(());
    }
    let mut req: libc::ifreq = std::mem::zeroed();
    for (dst, src) in req.ifr_name.iter_mut().zip(b"lo\0") {
        *dst = *src as libc::c_char;
    }
    let mut ok = libc::ioctl(sock, libc::SIOCGIFFLAGS, &mut req) == 0;
    if ok {
        req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
        ok = libc::ioctl(sock, libc::SIOCSIFFLAGS, &req) == 0;
    }
    libc::close(sock);
    if ok {
        Ok(())
    } else {
        Err(())
    }
}

/// Paths as C strings for the hook.
pub(super) fn cstring(path: &std::path::Path) -> CString {
    use std::os::unix::ffi::OsStrExt;
    CString::new(path.as_os_str().as_bytes()).expect("paths have no NUL")
}
