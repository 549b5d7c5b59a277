//! Helpers shared by the integration targets: run the real `archi` binary with a private store, find the Python
//! that has the real conda clients and install with them, start a real quetz-server ([`quetz`]).
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod quetz;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `archi` with a private store and no inherited archi settings; cwd is the repository.
pub fn archi(store: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_archi"));
    cmd.current_dir(repo())
        .env("ARCHI_STORE", store)
        .env_remove("ARCHI_OFFLINE")
        .env_remove("ARCHI_LOG")
        .env("NO_COLOR", "1");
    cmd
}

/// Run and return output, printing it when `--nocapture` is given.
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("archi runs");
    eprintln!(
        "$ {cmd:?}\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Run and require success.
pub fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(out.status.success(), "command failed: {cmd:?}");
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

/// The Python interpreter with py-rattler, conda-package-handling and conda-index: $ARCHI_TEST_PYTHON, else the
/// repository's .venv (scripts/install-deps.sh), else python3.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("ARCHI_TEST_PYTHON") {
        return p.into();
    }
    let venv = repo().join(".venv/bin/python");
    if venv.is_file() {
        return venv;
    }
    let path = std::env::var("PATH").unwrap_or_default();
    archi::toolchain::find_program("python3", &path).unwrap_or_else(|| PathBuf::from("python3"))
}

/// Files under `dir` (recursively), relative, sorted; empty when it does not exist.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    if !dir.exists() {
        return Vec::new();
    }
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(dir).unwrap().to_path_buf())
        .collect();
    files.sort();
    files
}

/// Entries in the store (directories under v1/ other than .tmp and .locks).
pub fn store_entries(store: &Path) -> Vec<String> {
    let Ok(dir) = fs_err::read_dir(store.join("v1")) else {
        return Vec::new();
    };
    let mut names: Vec<String> = dir
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// A minimal workspace in a temp dir: archi.toml (output channel `channel`), the repository's pins.toml, and
/// recipes written by the test.
pub struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    /// An empty workspace.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(
            dir.path().join("archi.toml"),
            "[workspace]\noutput = \"channel\"\n",
        )
        .unwrap();
        fs_err::copy(repo().join("pins.toml"), dir.path().join("pins.toml")).unwrap();
        Workspace { dir }
    }
    /// Its directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    /// Its private store.
    pub fn store(&self) -> PathBuf {
        self.path().join("store")
    }
    /// Its output channel.
    pub fn channel(&self) -> PathBuf {
        self.path().join("channel")
    }
    /// Write `recipes/<name>/recipe.toml`.
    pub fn recipe(&self, name: &str, toml: &str) -> PathBuf {
        let dir = self.path().join("recipes").join(name);
        fs_err::create_dir_all(&dir).unwrap();
        fs_err::write(dir.join("recipe.toml"), toml).unwrap();
        dir
    }
    /// `archi` in the workspace with its store.
    pub fn archi(&self) -> Command {
        let mut cmd = archi(&self.store());
        cmd.current_dir(self.path());
        cmd
    }
}

impl Default for Workspace {
    fn default() -> Self {
        Self::new()
    }
}

/// The JSON events of `archi build --json` output.
pub fn events(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("a JSON event"))
        .collect()
}

/// `(name, platform)` → outcome of every `finish` event.
pub fn outcomes(
    events: &[serde_json::Value],
) -> std::collections::BTreeMap<(String, String), String> {
    events
        .iter()
        .filter(|e| e["event"] == "finish")
        .map(|e| {
            (
                (
                    e["node"]["name"].as_str().unwrap().to_string(),
                    e["node"]["platform"].as_str().unwrap().to_string(),
                ),
                e["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `tests/clients/check_channel.py`: conda-package-handling extracts every archive of `platform`'s subdir (and
/// noarch), py-rattler installs `specs` into `prefix`, then `commands` run there (cwd `cwd`). Returns its JSON
/// report.
pub fn check_channel(
    channel: &Path,
    platform: &str,
    prefix: &Path,
    specs: &[&str],
    commands: &[String],
    cwd: &Path,
) -> serde_json::Value {
    let mut check = std::process::Command::new(python());
    check
        .arg(repo().join("tests/clients/check_channel.py"))
        .arg("--channel")
        .arg(channel)
        .args(["--platform", platform, "--prefix"])
        .arg(prefix)
        .current_dir(cwd);
    for spec in specs {
        check.args(["--spec", spec]);
    }
    for command in commands {
        check.arg("--run").arg(command);
    }
    let out = run(&mut check);
    assert!(
        out.status.success(),
        "real clients rejected the {platform} packages"
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Names of the records a [`check_channel`] report says were installed.
pub fn installed(report: &serde_json::Value) -> BTreeSet<String> {
    report["installed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

/// py-rattler installs `specs` for `platform` from the channel at `url`; the installed names and URLs.
pub fn install_from(url: &str, platform: &str, specs: &[&str]) -> Vec<serde_json::Value> {
    let prefix = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(python());
    cmd.arg(repo().join("tests/clients/install_from.py"))
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

/// archi's qemu-user emulation for linux-aarch64 (`emulate::resolve`: qemu-aarch64 through binfmt_misc, a private
/// instance when the machine has no handler, with Debian's aarch64 sysroot), as `archi build` runs aarch64 tests.
/// Panics when qemu-aarch64 or the sysroot are missing (scripts/install-deps.sh installs them).
pub fn aarch64_emulation() -> archi::emulate::Emulation {
    archi::emulate::resolve(
        rattler_conda_types::Subdir::LinuxAarch64,
        archi::emulate::EmulatorSpec {
            program: Some("qemu-aarch64"),
            apt: Some("qemu-user"),
            sysroot: Some(Path::new("/usr/aarch64-linux-gnu")),
        },
        &std::env::var("PATH").unwrap(),
    )
    .expect("qemu-aarch64 and the aarch64 sysroot (scripts/install-deps.sh)")
}

/// The bash `command` run inside [`aarch64_emulation`] (its POSIX tools this machine's, aarch64 programs run
/// under qemu); its output, printed as [`run`] does.
pub fn run_emulated(command: &str) -> Output {
    let emulation = aarch64_emulation();
    let argv = emulation.wrap(command);
    run(Command::new(&argv[0])
        .args(&argv[1..])
        .envs(emulation.env_vars()))
}

/// The package names of a channel subdir's `repodata.json` (`packages.conda` records), sorted.
pub fn repodata_names(subdir: &Path) -> Vec<String> {
    let repodata: serde_json::Value =
        serde_json::from_slice(&fs_err::read(subdir.join("repodata.json")).unwrap()).unwrap();
    let mut names: Vec<String> = repodata["packages.conda"]
        .as_object()
        .unwrap()
        .values()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}
