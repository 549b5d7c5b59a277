//! Run the build script: `bash -eo pipefail` in `SRC_DIR` with exactly the script environment, in its own
//! process group that dies with archi, in the sandbox unless the run has none ([`crate::sandbox`]), holding one
//! jobserver token, output appended to the build log.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use super::{BuildError, BuildHooks, WorkDir};
use crate::plan::{self, Plan, ScriptDirs};
use crate::sandbox::{self, Jail, Policy};

/// How many of the log's last lines a failed sandboxed script is searched for a sandbox refusal.
const DENIAL_LINES: usize = 30;

/// How many of the log's last lines a failed script is searched for pip's "No matching distribution" (pip -vv
/// prints a traceback of some 70 lines after it).
const PIP_LINES: usize = 200;

/// The script's whole environment: the keyed variables for `dirs` plus the unkeyed ones
/// ([`plan::UNKEYED_SCRIPT_VARS`]): `PKG_BUILD_STRING`, `PKG_HASH` and `CPU_COUNT` (the jobserver adds
/// `MAKEFLAGS`, `MFLAGS` and `CARGO_MAKEFLAGS` when the script starts; without one, `MAKEFLAGS=-j<CPU_COUNT>`).
pub fn script_env(plan: &Plan, dirs: &ScriptDirs, cpu_count: usize) -> BTreeMap<String, String> {
    let mut vars = plan::script_env::keyed(&plan.script_inputs(), dirs);
    vars.insert("PKG_BUILD_STRING".into(), plan.build_string.clone());
    vars.insert("PKG_HASH".into(), format!("h{}", plan.key.short()));
    vars.insert("CPU_COUNT".into(), cpu_count.to_string());
    vars.insert("MAKEFLAGS".into(), format!("-j{cpu_count}"));
    vars
}

/// Run the recipe's inline script or its `build.sh`, appending its output to `log`, in the sandbox of `sandbox`
/// when given (the work directory writable, the recipe directory and the toolchain's directories readable).
/// Returns the seconds it ran (not counting the wait for a jobserver token).
///
/// Errors: [`BuildError::Script`] with the exit status, saying whether it ran in the sandbox and which refusal
/// of the sandbox the log's last lines show; [`BuildError::NoScript`]; [`BuildError::Io`] when the script cannot
/// be written or started, or the sandbox cannot be set up (naming the step).
pub fn run(
    plan: &Plan,
    vars: &BTreeMap<String, String>,
    work: &WorkDir,
    hooks: &BuildHooks,
    sandbox: Option<&Policy>,
    log: &Path,
) -> Result<f64, BuildError> {
    let io = |what, path: &Path| {
        let path = path.to_path_buf();
        move |source| BuildError::Io { what, path, source }
    };
    let script_path = match &plan.rendered.script {
        Some(inline) => {
            let path = work.root.join("build_script.sh");
            fs_err::write(&path, inline).map_err(io("writing the build script", &path))?;
            path
        }
        None => plan.recipe_dir.join("build.sh"),
    };
    if !script_path.is_file() {
        return Err(BuildError::NoScript {
            name: plan.rendered.name.clone(),
            path: script_path,
        });
    }
    run_file(plan, &script_path, vars, work, hooks, sandbox, log)
}

/// Run the script file `script_path` as [`run`] runs the build script (an output's own script, after it).
///
/// Errors: as [`run`].
pub fn run_file(
    plan: &Plan,
    script_path: &Path,
    vars: &BTreeMap<String, String>,
    work: &WorkDir,
    hooks: &BuildHooks,
    sandbox: Option<&Policy>,
    log: &Path,
) -> Result<f64, BuildError> {
    let io = |what, path: &Path| {
        let path = path.to_path_buf();
        move |source| BuildError::Io { what, path, source }
    };
    let out = fs_err::OpenOptions::new()
        .append(true)
        .create(true)
        .open(log)
        .map_err(io("opening the build log", log))?;
    let err = out.try_clone().map_err(io("opening the build log", log))?;
    let mut cmd = Command::new("/bin/bash");
    cmd.arg("-e")
        .arg("-o")
        .arg("pipefail")
        // An inline script is written into the work directory: named as the script will see it.
        .arg(work.seen(script_path))
        .current_dir(&work.src)
        .env_clear()
        .envs(vars)
        .stdin(Stdio::null())
        .stdout(out.into_parts().0)
        .stderr(err.into_parts().0);
    let cwd = work.seen(&work.src);
    let jail = Jail {
        work: &work.root,
        view: (work.view != work.root).then_some(work.view.as_path()),
        cwd: &cwd,
        read: read_dirs(plan),
    };
    let armed = sandbox::configure(&mut cmd, sandbox.map(|policy| (policy, &jail)))
        .map_err(io("preparing the script's sandbox", &work.root))?;
    let _token = match hooks.jobserver {
        Some(jobserver) => {
            jobserver.configure(&mut cmd);
            Some(
                jobserver
                    .acquire()
                    .map_err(io("taking a jobserver token", log))?,
            )
        }
        None => None,
    };
    let started = Instant::now();
    let status = cmd.status().map_err(|err| match armed.failed_step() {
        Some((what, source)) => BuildError::Io {
            what,
            path: work.root.clone(),
            source,
        },
        None => io("starting bash", script_path)(err),
    })?;
    let seconds = started.elapsed().as_secs_f64();
    if status.success() {
        return Ok(seconds);
    }
    let text = fs_err::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(DENIAL_LINES)..].join("\n");
    let pip_tail = lines[lines.len().saturating_sub(PIP_LINES)..].join("\n");
    if let Some(requirement) = pip_index_miss(&pip_tail) {
        return Err(BuildError::Script {
            name: plan.rendered.name.clone(),
            status: status.to_string(),
            sandboxed: format!(
                ": pip looked for `{requirement}` in a package index, and builds have none (no network, \
                 PIP_NO_INDEX=1)"
            ),
            help: Some(format!(
                "put what the build needs in the recipe's requirements (host; and build, for a cross build) and \
                 install with `$PYTHON -m pip install . --no-deps --no-build-isolation --no-index`; `{requirement}` \
                 must then come from a recipe or a channel"
            )),
        });
    }
    let (sandboxed, help) = match sandbox {
        None => (None, None),
        Some(policy) => match sandbox::denial(policy, &work.root, &tail) {
            Some(denial) => (
                Some(format!(" in the sandbox, which stopped {denial}")),
                Some("if the build needs this, run it with `archi build --no-sandbox`".to_string()),
            ),
            None => (Some(" in the sandbox".to_string()), None),
        },
    };
    Err(BuildError::Script {
        name: plan.rendered.name.clone(),
        status: status.to_string(),
        sandboxed: sandboxed.unwrap_or_default(),
        help,
    })
}

/// The requirement pip could not find in a package index, from its last lines in a failed script's log
/// (`ERROR: No matching distribution found for setuptools>=40.8.0`, pip 20 and later), or `None`.
pub fn pip_index_miss(log_tail: &str) -> Option<String> {
    const MARK: &str = "No matching distribution found for ";
    log_tail.lines().rev().find_map(|line| {
        let at = line.find(MARK)?;
        let requirement = line[at + MARK.len()..].trim();
        let requirement: String = requirement.chars().take(120).collect();
        (!requirement.is_empty()).then_some(requirement)
    })
}

/// What a sandboxed script must read besides the work directory: the recipe directory, the directories of the
/// toolchain's programs (as found on `PATH` and with symlinks resolved) and the Rust sysroot.
fn read_dirs(plan: &Plan) -> Vec<std::path::PathBuf> {
    let mut dirs = vec![plan.recipe_dir.clone()];
    for toolchain in [&plan.toolchain, &plan.build_machine_toolchain] {
        for tool in toolchain.tools.values().chain(toolchain.binutils.values()) {
            let real = fs_err::canonicalize(&tool.path).unwrap_or_else(|_| tool.path.clone());
            for dir in [tool.path.parent(), real.parent()].into_iter().flatten() {
                if !dirs.iter().any(|d| d == dir) {
                    dirs.push(dir.to_path_buf());
                }
            }
        }
        for dir in toolchain.support_dirs() {
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
    }
    dirs
}

#[cfg(test)]
mod tests {
    use super::pip_index_miss;

    #[test]
    fn pip_index_miss_names_the_requirement() {
        let tail = "Processing ./src\n  ERROR: Could not find a version that satisfies the requirement \
                    setuptools>=40.8.0 (from versions: none)\nERROR: No matching distribution found for \
                    setuptools>=40.8.0\n";
        assert_eq!(pip_index_miss(tail).as_deref(), Some("setuptools>=40.8.0"));
        assert_eq!(pip_index_miss("make: *** [all] Error 2"), None);
    }
}
