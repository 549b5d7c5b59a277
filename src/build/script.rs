//! Run the build script: `bash -eo pipefail` in `SRC_DIR` with exactly the script environment, in its own
//! process group, holding one jobserver token, output appended to the build log.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use super::{BuildError, BuildHooks, WorkDir};
use crate::plan::{self, Plan, ScriptDirs};

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

/// Run the recipe's inline script or its `build.sh`, appending its output to `log`. Returns the seconds it ran
/// (not counting the wait for a jobserver token).
///
/// Errors: [`BuildError::Script`] with the exit status; [`BuildError::NoScript`]; [`BuildError::Io`] when the
/// script cannot be written or started.
pub fn run(
    plan: &Plan,
    vars: &BTreeMap<String, String>,
    work: &WorkDir,
    hooks: &BuildHooks,
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
        .arg(&script_path)
        .current_dir(&work.src)
        .env_clear()
        .envs(vars)
        .stdin(Stdio::null())
        .stdout(out.into_parts().0)
        .stderr(err.into_parts().0);
    // Its own process group, so that a later `kill` of the group reaches everything the script started.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
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
    let status = cmd.status().map_err(io("starting bash", &script_path))?;
    let seconds = started.elapsed().as_secs_f64();
    if status.success() {
        return Ok(seconds);
    }
    Err(BuildError::Script {
        name: plan.rendered.name.clone(),
        status: status.to_string(),
    })
}
