//! Running a foreign platform's programs on the build machine with qemu-user, so that test commands written once
//! (`xz --version`, `./test_zlib`) run unchanged for native and emulated targets.
//!
//! Where the machine already has a binfmt_misc handler for the platform (Debian's qemu-user-binfmt), commands run
//! as they are with `QEMU_LD_PREFIX` pointing at the sysroot. Otherwise archi arranges the emulation itself: each
//! command runs in a private user + mount namespace (`unshare -Urm`) with its own binfmt_misc instance (sandboxed
//! binfmt_misc, Linux ≥ 6.7) in which the emulator is registered; nothing on the machine changes.

use std::path::{Path, PathBuf};

use rattler_conda_types::Subdir;

use crate::platform;
use crate::toolchain::find_program;

/// How to run a platform's programs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Emulation {
    /// The emulator program (absolute path).
    pub emulator: PathBuf,
    /// The target's library root (`QEMU_LD_PREFIX`).
    pub sysroot: PathBuf,
    /// Register the emulator in a private binfmt_misc namespace (no machine-wide handler).
    pub private_binfmt: bool,
    /// The binfmt_misc magic and mask of the platform.
    pub magic: (&'static str, &'static str),
}

/// Why a platform's programs cannot run here.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum EmulationError {
    /// pins.toml has no emulator or sysroot for the platform, or archi has no binfmt magic for it.
    #[error(
        "no emulation for {platform}: pins.toml needs [platform.{platform}] emulator and sysroot"
    )]
    NotConfigured {
        /// The platform.
        platform: String,
    },
    /// The emulator is not installed.
    #[error("emulator `{program}` for {platform} is not installed")]
    #[diagnostic(help("install it: apt-get install {apt}"))]
    Missing {
        /// Program.
        program: String,
        /// Platform.
        platform: String,
        /// Debian package.
        apt: String,
    },
    /// The sysroot is missing.
    #[error("sysroot {} for {platform} does not exist", path.display())]
    #[diagnostic(help(
        "install the cross libc: apt-get install libc6-dev-arm64-cross (or the platform's)"
    ))]
    NoSysroot {
        /// The path.
        path: PathBuf,
        /// Platform.
        platform: String,
    },
}

/// Settings for emulating one platform, from pins.toml's `[platform.<subdir>]`.
#[derive(Debug, Clone, Copy)]
pub struct EmulatorSpec<'a> {
    /// Emulator program name.
    pub program: Option<&'a str>,
    /// Its apt package.
    pub apt: Option<&'a str>,
    /// Sysroot.
    pub sysroot: Option<&'a Path>,
}

/// Resolve how to run `platform`'s programs, searching `path_var` for the emulator.
pub fn resolve(
    platform: Subdir,
    spec: EmulatorSpec,
    path_var: &str,
) -> Result<Emulation, EmulationError> {
    let not_configured = || EmulationError::NotConfigured {
        platform: platform.to_string(),
    };
    let magic = platform::binfmt_magic(platform).ok_or_else(not_configured)?;
    let program = spec.program.ok_or_else(not_configured)?;
    let sysroot = spec.sysroot.ok_or_else(not_configured)?;
    let emulator = find_program(program, path_var).ok_or_else(|| EmulationError::Missing {
        program: program.to_string(),
        platform: platform.to_string(),
        apt: spec.apt.unwrap_or("qemu-user").to_string(),
    })?;
    if !sysroot.is_dir() {
        return Err(EmulationError::NoSysroot {
            path: sysroot.to_path_buf(),
            platform: platform.to_string(),
        });
    }
    Ok(Emulation {
        emulator,
        sysroot: sysroot.to_path_buf(),
        private_binfmt: !machine_has_binfmt(program),
        magic,
    })
}

/// Whether the machine has an enabled binfmt_misc handler named like the emulator (`qemu-aarch64`).
fn machine_has_binfmt(program: &str) -> bool {
    let name = Path::new(program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    fs_err::read_to_string(Path::new("/proc/sys/fs/binfmt_misc").join(name))
        .map(|s| s.starts_with("enabled"))
        .unwrap_or(false)
}

impl Emulation {
    /// The argv that runs `bash -e -o pipefail -c <command>` so that the platform's programs run under emulation.
    pub fn wrap(&self, command: &str) -> Vec<String> {
        let bash = ["/bin/bash", "-e", "-o", "pipefail", "-c"].map(String::from);
        if !self.private_binfmt {
            let mut argv = bash.to_vec();
            argv.push(command.to_string());
            return argv;
        }
        let register = format!(
            ":archi-emulator:M::{}:{}:{}:F",
            self.magic.0,
            self.magic.1,
            self.emulator.display()
        );
        let setup = "mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc \
                     && printf '%s' \"$ARCHI_BINFMT\" > /proc/sys/fs/binfmt_misc/register \
                     && exec /bin/bash -e -o pipefail -c \"$ARCHI_COMMAND\"";
        vec![
            "/usr/bin/env".into(),
            format!("ARCHI_BINFMT={register}"),
            format!("ARCHI_COMMAND={command}"),
            "unshare".into(),
            "--user".into(),
            "--map-root-user".into(),
            "--mount".into(),
            "/bin/sh".into(),
            "-c".into(),
            setup.into(),
        ]
    }

    /// Variables the emulated programs need (`QEMU_LD_PREFIX`).
    pub fn env_vars(&self) -> [(String, String); 1] {
        [("QEMU_LD_PREFIX".into(), self.sysroot.display().to_string())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cross-compile a program that exits 42 and run it through `wrap`: proves the private binfmt registration.
    #[test]
    fn runs_an_aarch64_program_through_wrap() {
        let path = "/usr/local/bin:/usr/bin:/bin";
        let (Some(cc), Ok(emulation)) = (
            find_program("aarch64-linux-gnu-gcc", path),
            resolve(
                Subdir::LinuxAarch64,
                EmulatorSpec {
                    program: Some("qemu-aarch64"),
                    apt: Some("qemu-user"),
                    sysroot: Some(Path::new("/usr/aarch64-linux-gnu")),
                },
                path,
            ),
        ) else {
            eprintln!("skipped: no aarch64 cross compiler or qemu-aarch64 (scripts/install-deps.sh installs them)");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(dir.path().join("t.c"), "int main(void){return 42;}").unwrap();
        let ok = std::process::Command::new(cc)
            .args(["t.c", "-o", "t"])
            .current_dir(dir.path())
            .status()
            .unwrap();
        assert!(ok.success());
        let argv = emulation.wrap("./t");
        let status = std::process::Command::new(&argv[0])
            .args(&argv[1..])
            .current_dir(dir.path())
            .envs(emulation.env_vars())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(42));
    }
}
