//! Run the build script: `bash -eo pipefail` in `SRC_DIR` with exactly the [`ScriptEnv`] variables, output to the
//! build log.

use std::process::{Command, Stdio};

use super::{BuildError, Plan, ScriptEnv, WorkDir};

/// How many log lines a failed build shows.
const TAIL_LINES: usize = 40;

/// Run the recipe's inline script or its `build.sh`. The log goes to `work.log`.
///
/// Errors: [`BuildError::Script`] with the exit status and the log's last lines; [`BuildError::Io`] when the
/// script cannot be written or started.
pub fn run(plan: &Plan, env: &ScriptEnv, work: &WorkDir) -> Result<(), BuildError> {
    let io = |what, path: &std::path::Path| {
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
    let log = fs_err::File::create(&work.log).map_err(io("creating the build log", &work.log))?;
    let log_err = log
        .try_clone()
        .map_err(io("creating the build log", &work.log))?;
    let status = Command::new("/bin/bash")
        .arg("-e")
        .arg("-o")
        .arg("pipefail")
        .arg(&script_path)
        .current_dir(&work.src)
        .env_clear()
        .envs(&env.vars)
        .stdin(Stdio::null())
        .stdout(log.into_parts().0)
        .stderr(log_err.into_parts().0)
        .status()
        .map_err(io("starting bash", &script_path))?;
    if status.success() {
        return Ok(());
    }
    let text = fs_err::read_to_string(&work.log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n");
    Err(BuildError::Script {
        name: plan.rendered.name.clone(),
        status: status.to_string(),
        log: work.log.clone(),
        tail,
    })
}
