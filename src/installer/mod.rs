//! The `installer` stage: one self-contained shell installer (as Miniforge's) holding a solved environment.
//!
//! [`make`] solves the requested specs for the target platform from local channels (the prefix stage's resolvo
//! solve, with the target's virtual packages), puts the solved archives, the record list and the installer
//! engine for the target into a tar payload ([`payload`]) and writes the shell header ([`header`]) followed by
//! the payload. The header checks the machine (`uname -m`) and the payload's size and sha256 before writing
//! anything, then the engine (`installer/engine`, rattler's `Installer`) installs into `-p PREFIX` offline.
//!
//! The engine is a separate binary crate of this repository's cargo workspace, cross-compiled per target:
//! [`engine_for`] takes `ARCHI_INSTALLER_ENGINE_<SUBDIR>` when set, else runs `cargo build --profile
//! installer-engine --target <rust triple>` on the sources archi was built from (a no-op when up to date).

pub mod header;
pub mod payload;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use rattler_conda_types::{MatchSpec, Subdir, Version};

use crate::prefix::{self, ChannelSource, PrefixError};
use payload::PayloadPackage;

/// Errors of the installer stage; each names the file, record or command concerned.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum InstallerError {
    /// The solve failed (unsolvable specs, unreadable repodata).
    #[error(transparent)]
    Solve(#[from] PrefixError),
    /// A solved record is not in a local channel: an installer is made offline from local archives.
    #[error("{name}: {url} is not a file in a local channel")]
    #[diagnostic(help(
        "build it into the output channel, or pass a local channel with --channel"
    ))]
    NotLocal {
        /// The package name.
        name: String,
        /// The record's URL.
        url: String,
    },
    /// A solved record's archive is missing from its channel directory.
    #[error("{}: the archive of the solved record {name} is missing", path.display())]
    #[diagnostic(help("re-index the channel: archi index <channel>"))]
    MissingArchive {
        /// The package name.
        name: String,
        /// Where the record says it is.
        path: PathBuf,
    },
    /// A package archive cannot be read.
    #[error("cannot read package {}: {reason}", path.display())]
    Archive {
        /// The archive.
        path: PathBuf,
        /// The cause.
        reason: String,
    },
    /// No engine can be had for the platform.
    #[error("no installer engine for {platform}: {reason}")]
    #[diagnostic(help("set {var} to an engine binary built for {platform} (`cargo build -p archi-installer-engine --profile installer-engine --target <triple>`)"))]
    Engine {
        /// The target platform.
        platform: Subdir,
        /// What failed.
        reason: String,
        /// The variable that names a prebuilt engine.
        var: String,
    },
    /// Reading or writing a file failed.
    #[error("{what}")]
    Io {
        /// What was being done, with the path.
        what: String,
        /// The I/O cause.
        #[source]
        source: std::io::Error,
    },
    /// The record list cannot be serialised.
    #[error("cannot serialise records.json")]
    Json(#[source] serde_json::Error),
    /// The header template failed (a bug).
    #[error("cannot render the installer header")]
    Template(#[source] minijinja::Error),
}

impl InstallerError {
    fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }
}

/// What to put into an installer.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The requested packages (`zlib`, `xz >=5`).
    pub specs: &'a [MatchSpec],
    /// The target platform; only Linux platforms with a known machine name ([`machine_names`]) are supported.
    pub platform: Subdir,
    /// Local channels, in priority order.
    pub channels: &'a [ChannelSource],
    /// The target's glibc (`__glibc` virtual package), `None` for none.
    pub glibc: Option<Version>,
    /// The engine binary for `platform` (see [`engine_for`]).
    pub engine: &'a Path,
    /// The installer file to write (replaced atomically; made executable).
    pub output: &'a Path,
}

/// What [`make`] wrote.
#[derive(Debug, Clone)]
pub struct Made {
    /// The installer file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// The header's size in bytes (the payload's offset).
    pub header_size: u64,
    /// The payload's sha256 (hex), as the header checks it.
    pub payload_sha256: String,
    /// The engine's size in bytes.
    pub engine_size: u64,
    /// `name-version-build` of every package, sorted by name.
    pub packages: Vec<String>,
}

/// The `uname -m` names of a platform's machines, canonical first (`linux-aarch64` → `aarch64`, `arm64`), or
/// `None` for a platform installers are not made for.
pub fn machine_names(platform: Subdir) -> Option<&'static [&'static str]> {
    match platform {
        Subdir::Linux64 => Some(&["x86_64", "amd64"]),
        Subdir::LinuxAarch64 => Some(&["aarch64", "arm64"]),
        Subdir::LinuxPpc64le => Some(&["ppc64le"]),
        _ => None,
    }
}

/// The Rust target triple the engine is built for on `platform` (`aarch64-unknown-linux-gnu`).
pub fn rust_triple(platform: Subdir) -> Option<&'static str> {
    match platform {
        Subdir::Linux64 => Some("x86_64-unknown-linux-gnu"),
        Subdir::LinuxAarch64 => Some("aarch64-unknown-linux-gnu"),
        Subdir::LinuxPpc64le => Some("powerpc64le-unknown-linux-gnu"),
        _ => None,
    }
}

/// `ARCHI_INSTALLER_ENGINE_<SUBDIR>` (`ARCHI_INSTALLER_ENGINE_LINUX_AARCH64`): the variable naming a prebuilt
/// engine for `platform`.
pub fn engine_var(platform: Subdir) -> String {
    format!(
        "{}{}",
        crate::env_vars::ARCHI_INSTALLER_ENGINE_PREFIX,
        platform.as_str().to_uppercase().replace('-', "_")
    )
}

/// The installer engine for `platform`: the file named by [`engine_var`] when set, else the engine crate of
/// the archi sources this binary was built from (`installer/engine`), built with `cargo build --locked -p
/// archi-installer-engine --profile installer-engine [--target <triple>]` into `<sources>/target` (or
/// `CARGO_TARGET_DIR`; `--target` only for a platform other than the build machine's). For a foreign target, Debian's cross gcc (`<gnu triplet>-gcc`) is the linker and C
/// compiler unless `CARGO_TARGET_<TRIPLE>_LINKER` / `CC_<triple>` are set. cargo's output is kept and shown only
/// when it fails.
///
/// Errors: [`InstallerError::Engine`] when the variable names no file, the platform has no triple, the sources
/// are gone or cargo fails (with cargo's last lines).
pub fn engine_for(platform: Subdir, build_platform: Subdir) -> Result<PathBuf, InstallerError> {
    let var = engine_var(platform);
    let fail = |reason: String| InstallerError::Engine {
        platform,
        reason,
        var: var.clone(),
    };
    if let Some(path) = std::env::var_os(&var) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(fail(format!("{var}={} is not a file", path.display())))
        };
    }
    let triple = rust_triple(platform)
        .ok_or_else(|| fail("archi has no Rust target for this platform".into()))?;
    let sources = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = sources.join("Cargo.toml");
    if !sources.join("installer/engine/Cargo.toml").is_file() {
        return Err(fail(format!(
            "the engine's sources are not at {}",
            sources.join("installer/engine").display()
        )));
    }
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| sources.join("target"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args([
            "build",
            "--locked",
            "--quiet",
            "-p",
            "archi-installer-engine",
        ])
        .args(["--profile", "installer-engine"])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target_dir);
    // The build machine's engine is built without `--target`, so it shares the build scripts' compiled
    // dependencies; a foreign one is cross-compiled.
    let out_dir = if platform == build_platform {
        target_dir.clone()
    } else {
        command.args(["--target", triple]);
        target_dir.join(triple)
    };
    if platform != build_platform {
        if let Some(gnu) = crate::platform::gnu_triplet(platform) {
            let upper = triple.to_uppercase().replace('-', "_");
            let lower = triple.replace('-', "_");
            for (name, tool) in [
                (format!("CARGO_TARGET_{upper}_LINKER"), "gcc"),
                (format!("CC_{lower}"), "gcc"),
                (format!("AR_{lower}"), "ar"),
            ] {
                if std::env::var_os(&name).is_none() {
                    command.env(name, format!("{gnu}-{tool}"));
                }
            }
        }
    }
    let output = command
        .output()
        .map_err(|e| fail(format!("cannot run cargo: {e}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(20).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(fail(format!(
            "`cargo build` of the engine failed ({}):\n{}",
            output.status,
            tail.join("\n")
        )));
    }
    let engine = out_dir
        .join("installer-engine")
        .join("archi-installer-engine");
    if engine.is_file() {
        Ok(engine)
    } else {
        Err(fail(format!("cargo built no {}", engine.display())))
    }
}

/// Solves `req.specs` for `req.platform` from `req.channels` and writes the installer to `req.output`
/// (header + payload, mode 0755, atomically: a temporary file beside it renamed over it).
///
/// Errors: [`InstallerError::Solve`] (unsolvable, unreadable repodata), [`InstallerError::NotLocal`] /
/// [`InstallerError::MissingArchive`] for records whose archives are not local files,
/// [`InstallerError::Engine`] for an unsupported platform, [`InstallerError::Io`] naming the file.
pub fn make(req: &Request) -> Result<Made, InstallerError> {
    let machines = machine_names(req.platform).ok_or_else(|| InstallerError::Engine {
        platform: req.platform,
        reason: "installers are made for linux-64, linux-aarch64 and linux-ppc64le only".into(),
        var: engine_var(req.platform),
    })?;
    let records = prefix::solve(&prefix::SolveRequest {
        specs: req.specs,
        run_records: &[],
        channels: req.channels,
        platform: req.platform,
        virtual_packages: prefix::virtual_packages(req.platform, req.glibc.as_ref()),
    })?;
    let mut packages = Vec::with_capacity(records.len());
    for record in records {
        let name = record.package_record.name.as_normalized().to_string();
        let archive = match record.url.scheme() {
            "file" => record.url.to_file_path().ok(),
            _ => None,
        }
        .ok_or_else(|| InstallerError::NotLocal {
            name: name.clone(),
            url: record.url.to_string(),
        })?;
        if !archive.is_file() {
            return Err(InstallerError::MissingArchive {
                name,
                path: archive,
            });
        }
        packages.push(PayloadPackage { record, archive });
    }

    let output = std::path::absolute(req.output).map_err(|source| {
        InstallerError::io(format!("resolving {}", req.output.display()), source)
    })?;
    let dir = output.parent().unwrap_or(Path::new("/"));
    fs_err::create_dir_all(dir)
        .map_err(|source| InstallerError::io(format!("creating {}", dir.display()), source))?;
    // The payload first (its size and sha256 go into the header), then header + payload into the final file.
    let mut payload_file = tempfile::NamedTempFile::new_in(dir).map_err(|source| {
        InstallerError::io(format!("creating a file in {}", dir.display()), source)
    })?;
    let records_json = payload::records_json(req.platform, req.specs, &packages)?;
    payload::write(
        std::io::BufWriter::new(payload_file.as_file_mut()),
        req.engine,
        &records_json,
        &packages,
    )?;
    let payload_sha256 = crate::source::sha256_file(payload_file.path()).map_err(|e| {
        InstallerError::io(
            format!("hashing {}", payload_file.path().display()),
            std::io::Error::other(e.to_string()),
        )
    })?;
    let payload_size = payload_file
        .as_file()
        .metadata()
        .map_err(|source| InstallerError::io("reading the payload's size", source))?
        .len();

    let (licenses, licenses_end) = header::heredoc(&payload::license_text(&packages)?);
    let specs = req
        .specs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    let default_dir = req
        .specs
        .first()
        .and_then(|s| s.name.as_exact().map(|n| n.as_normalized().to_string()))
        .unwrap_or_else(|| "archi-env".into());
    let text = header::render(header::HeaderValues {
        title: "archi installer".into(),
        platform: req.platform.as_str().into(),
        machines: machines.iter().map(|m| m.to_string()).collect(),
        specs,
        count: packages.len(),
        default_dir,
        licenses,
        licenses_end,
        payload_offset: 0,
        payload_size,
        payload_sha256: payload_sha256.clone(),
    })
    .map_err(InstallerError::Template)?;

    let write_err = |source| InstallerError::io(format!("writing {}", output.display()), source);
    let mut installer = tempfile::NamedTempFile::new_in(dir).map_err(write_err)?;
    installer.write_all(text.as_bytes()).map_err(write_err)?;
    let mut payload_read = fs_err::File::open(payload_file.path()).map_err(write_err)?;
    std::io::copy(&mut payload_read, installer.as_file_mut()).map_err(write_err)?;
    installer.as_file().sync_all().map_err(write_err)?;
    {
        use std::os::unix::fs::PermissionsExt;
        installer
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o755))
            .map_err(write_err)?;
    }
    installer.persist(&output).map_err(|e| write_err(e.error))?;
    let engine_size = fs_err::metadata(req.engine)
        .map_err(|source| InstallerError::io(format!("reading {}", req.engine.display()), source))?
        .len();
    Ok(Made {
        size: text.len() as u64 + payload_size,
        header_size: text.len() as u64,
        path: output,
        payload_sha256,
        engine_size,
        packages: packages
            .iter()
            .map(|p| {
                let r = &p.record.package_record;
                format!("{}-{}-{}", r.name.as_normalized(), r.version, r.build)
            })
            .collect(),
    })
}
