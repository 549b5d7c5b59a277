//! Package tests: the recipe's `[test]` commands, run in a fresh environment installed from the new package (not
//! the build prefix), the way conda-build's test phase does. A failure names the command and shows its output;
//! the caller then stores and publishes nothing.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rattler_conda_types::{MatchSpec, ParseStrictness, Subdir, Version};

use crate::channel;
use crate::emulate::{self, Emulation, EmulationError, EmulatorSpec};
use crate::prefix::{self, ChannelSource, SolveRequest};
use crate::render::{RenderedRecipe, Test};
use crate::toolchain::{compiler_flags, Toolchain};

/// What to test: a plain request, so that this stage knows nothing of plans or builds.
#[derive(Debug)]
pub struct TestRequest<'a> {
    /// The new `.conda`.
    pub artifact: &'a Path,
    /// The other packages of the same build (a multi-output recipe's), offered beside it in the test channel.
    pub siblings: &'a [PathBuf],
    /// Package name, version and build string (the test environment asks for exactly this build).
    pub name: &'a str,
    /// Package version.
    pub version: &'a str,
    /// Build string.
    pub build_string: &'a str,
    /// The package's subdir (`noarch` or the target platform).
    pub subdir: Subdir,
    /// The platform the test environment is installed for.
    pub platform: Subdir,
    /// This machine's platform (emulation is needed when its ELF machine differs from `platform`'s).
    pub build_platform: Subdir,
    /// The rendered `[test]` section.
    pub test: &'a Test,
    /// The recipe directory (test files are copied from it).
    pub recipe_dir: &'a Path,
    /// Toolchain programs the tests asked for.
    pub toolchain: &'a Toolchain,
    /// Channels solved after the package itself, in priority order.
    pub channels: &'a [ChannelSource],
    /// `__glibc` of the test machine.
    pub glibc: Option<&'a Version>,
    /// How to run `platform`'s programs when they are foreign.
    pub emulator: EmulatorSpec<'a>,
    /// The caller's `PATH` (to find the emulator).
    pub machine_path: &'a str,
    /// The package cache to install from.
    pub package_cache: &'a Path,
    /// An empty directory for the test channel, environment and working directory.
    pub work_dir: &'a Path,
    /// The build log: every command and its output are appended to it.
    pub log: &'a Path,
}

/// A failed package test.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum TestError {
    /// The test environment could not be solved or installed.
    #[error("{name}: cannot create the test environment")]
    Environment {
        /// Package.
        name: String,
        /// Cause.
        #[source]
        source: prefix::PrefixError,
    },
    /// Preparing the test channel failed.
    #[error("{name}: cannot prepare the test channel")]
    Channel {
        /// Package.
        name: String,
        /// Cause.
        #[source]
        source: channel::ChannelError,
    },
    /// A test command exited non-zero.
    #[error("{name}: test command failed ({status}): {command}\n{output}")]
    #[diagnostic(help("nothing was stored or published; fix the recipe or its [test] commands"))]
    Failed {
        /// Package.
        name: String,
        /// The command.
        command: String,
        /// Exit status.
        status: String,
        /// stdout and stderr of the command.
        output: String,
    },
    /// The target's programs cannot run on this machine.
    #[error("{name}: cannot run the tests of a foreign-platform package here")]
    Emulation {
        /// Package.
        name: String,
        /// Cause.
        #[source]
        #[diagnostic_source]
        source: EmulationError,
    },
    /// A test requirement is not a valid match spec.
    #[error("invalid test requirement `{spec}`")]
    InvalidSpec {
        /// The spec.
        spec: String,
        /// Cause.
        #[source]
        source: rattler_conda_types::ParseMatchSpecError,
    },
    /// Test file I/O.
    #[error("{}: {what}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

/// Install the package and its test requirements into a fresh prefix and run every test command there, each
/// command and its output appended to the build log.
///
/// Errors: [`TestError`] naming the package and the command or stage that failed.
pub fn run(req: &TestRequest) -> Result<(), TestError> {
    let name = req.name.to_string();
    let io = |what: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| TestError::Io { what, path, source }
    };

    // A channel holding only the new package, solved first; then the caller's channels.
    let test_channel = req.work_dir.join("channel");
    let subdir_dir = test_channel.join(req.subdir.as_str());
    fs_err::create_dir_all(&subdir_dir).map_err(io("creating the test channel", &subdir_dir))?;
    for artifact in std::iter::once(req.artifact).chain(req.siblings.iter().map(PathBuf::as_path)) {
        let file_name = artifact.file_name().expect("artifact has a file name");
        fs_err::copy(artifact, subdir_dir.join(file_name))
            .map_err(io("copying the package", &subdir_dir))?;
    }
    channel::index(&test_channel).map_err(|source| TestError::Channel {
        name: name.clone(),
        source,
    })?;

    let env_err = |source| TestError::Environment {
        name: name.clone(),
        source,
    };
    let parse = |spec: &str| {
        MatchSpec::from_str(spec, ParseStrictness::Lenient).map_err(|source| {
            TestError::InvalidSpec {
                spec: spec.to_string(),
                source,
            }
        })
    };
    let own = format!("{} =={} {}", req.name, req.version, req.build_string);
    let mut specs = vec![parse(&own)?];
    for spec in RenderedRecipe::package_specs(&req.test.requires) {
        specs.push(parse(spec)?);
    }
    // conda-build's rule for `test/imports`: python joins the test environment unless the package is python or a
    // test requirement already names it.
    let names_python = specs.iter().any(|s| {
        s.name
            .as_exact()
            .is_some_and(|n| n.as_normalized() == "python")
    });
    if !req.test.imports.is_empty() && !names_python {
        specs.push(parse("python")?);
    }
    let mut channels = vec![ChannelSource::from_dir(&test_channel).map_err(env_err)?];
    channels.extend(req.channels.iter().cloned());
    let records = prefix::solve(&SolveRequest {
        specs: &specs,
        run_records: &[],
        channels: &channels,
        platform: req.platform,
        virtual_packages: prefix::virtual_packages(req.platform, req.glibc),
    })
    .map_err(env_err)?;
    let test_prefix = req.work_dir.join("env");
    prefix::install(&records, &test_prefix, req.platform, req.package_cache).map_err(env_err)?;

    let cwd = req.work_dir.join("cwd");
    fs_err::create_dir_all(&cwd).map_err(io("creating the test directory", &cwd))?;
    for file in &req.test.files {
        let from = req.recipe_dir.join(file);
        let to = cwd.join(file);
        if let Some(parent) = to.parent() {
            fs_err::create_dir_all(parent).map_err(io("creating the test directory", parent))?;
        }
        fs_err::copy(&from, &to).map_err(io("copying a test file", &from))?;
    }
    let mut vars = test_env(req, &test_prefix);
    let emulation = emulation_for(req).map_err(|source| TestError::Emulation {
        name: name.clone(),
        source,
    })?;
    if let Some(emulation) = &emulation {
        vars.extend(emulation.env_vars());
    }
    let mut log = fs_err::OpenOptions::new()
        .append(true)
        .create(true)
        .open(req.log)
        .map_err(io("opening the build log", req.log))?;
    let commands = import_commands(&req.test.imports)
        .into_iter()
        .chain(req.test.commands.iter().cloned());
    for command in commands {
        let command = &command;
        tracing::debug!(%command, emulated = emulation.is_some(), "test");
        let argv = match &emulation {
            Some(emulation) => emulation.wrap(command),
            None => ["/bin/bash", "-e", "-o", "pipefail", "-c", command.as_str()]
                .map(String::from)
                .to_vec(),
        };
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .current_dir(&cwd)
            .env_clear()
            .envs(&vars)
            .stdin(Stdio::null());
        // Its own process group, killed when archi dies or the command ends.
        let armed = crate::sandbox::configure(&mut cmd, None)
            .map_err(io("preparing a test command", &cwd))?;
        let output = cmd.output().map_err(|err| match armed.failed_step() {
            Some((what, source)) => TestError::Io {
                what,
                path: cwd.clone(),
                source,
            },
            None => io("starting bash", &cwd)(err),
        })?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let _ = writeln!(log, "$ {command}\n{text}");
        if !output.status.success() {
            return Err(TestError::Failed {
                name,
                command: command.clone(),
                status: output.status.to_string(),
                output: text,
            });
        }
    }
    Ok(())
}

/// One command per `[test] imports` entry, run with the test environment's own python (never one from the
/// machine's PATH): `"$PREFIX/bin/python" -c 'import xml.etree.ElementTree'`. Names are dotted identifiers
/// (checked at render), so they need no quoting beyond the single quotes.
fn import_commands(imports: &[String]) -> Vec<String> {
    imports
        .iter()
        .map(|module| format!("\"$PREFIX/bin/python\" -c 'import {module}'"))
        .collect()
}

/// How the target's programs run here: `None` when the build machine runs them natively (same ELF machine).
fn emulation_for(req: &TestRequest) -> Result<Option<Emulation>, EmulationError> {
    let native = crate::platform::elf_machine(req.platform)
        == crate::platform::elf_machine(req.build_platform);
    if native {
        return Ok(None);
    }
    emulate::resolve(req.platform, req.emulator, req.machine_path).map(Some)
}

/// The test commands' environment: PREFIX on PATH, the test toolchain with flags pointing at PREFIX.
fn test_env(req: &TestRequest, test_prefix: &Path) -> BTreeMap<String, String> {
    let prefix = test_prefix.display().to_string();
    let mut vars = BTreeMap::new();
    vars.insert("PREFIX".to_string(), prefix.clone());
    vars.insert("CONDA_PREFIX".to_string(), prefix.clone());
    vars.insert("HOME".to_string(), req.work_dir.display().to_string());
    vars.insert("LANG".to_string(), "C.UTF-8".to_string());
    vars.insert("TERM".to_string(), "dumb".to_string());
    vars.insert("target_platform".to_string(), req.platform.to_string());
    vars.insert("build_platform".to_string(), req.build_platform.to_string());
    vars.insert(
        "SHLIB_EXT".to_string(),
        crate::platform::shlib_ext(req.platform).to_string(),
    );
    let mut path = vec![format!("{prefix}/bin")];
    path.extend(
        req.toolchain
            .bin_dirs()
            .iter()
            .map(|d| d.display().to_string()),
    );
    path.extend(["/usr/local/bin", "/usr/bin", "/bin"].map(String::from));
    vars.insert("PATH".to_string(), path.join(":"));
    if !req.toolchain.tools.is_empty() {
        vars.extend(req.toolchain.env_vars());
        for (k, v) in compiler_flags(&prefix) {
            vars.insert(k.to_string(), v);
        }
    }
    vars
}
