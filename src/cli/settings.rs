//! CLI arguments + `archi.toml` + environment → [`BuildSettings`], every field destructured so that a new flag
//! nobody handles fails to compile (as uv's settings module does).

use std::path::{Path, PathBuf};

use miette::{Context, IntoDiagnostic};
use rattler_conda_types::Subdir;

use crate::build::{BuildSettings, TestMode};
use crate::env_vars;
use crate::prefix::ChannelSource;
use crate::source::{FetchPolicy, SourceCache};
use crate::store::Store;
use crate::workspace::Workspace;

/// Toolchain identities remembered between runs, in the store root.
const IDENTITY_CACHE_FILE: &str = "toolchain-identities.json";

/// Options every subcommand shares.
#[derive(Debug, Clone)]
pub struct Global {
    /// `--store` / `ARCHI_STORE`.
    pub store: Option<PathBuf>,
}

/// Build options from the command line.
#[derive(Debug, Clone)]
pub struct BuildFlags {
    /// `--output`.
    pub output: Option<PathBuf>,
    /// `-c/--channel`.
    pub channels: Vec<String>,
    /// `--target-platform`.
    pub target_platform: Option<Subdir>,
    /// `--test`.
    pub test: TestMode,
    /// `--keep-work`.
    pub keep_work: bool,
    /// `--offline`.
    pub offline: bool,
}

/// Open the store named by `--store`/`ARCHI_STORE`, or the default one.
pub fn open_store(global: &Global) -> miette::Result<Store> {
    let root = match &global.store {
        Some(root) => absolute(root)?,
        None => Store::default_root()
            .ok_or_else(|| miette::miette!("no cache directory; pass --store"))?,
    };
    Store::open(&root).into_diagnostic()
}

/// The source cache inside the store.
pub fn source_cache(store: &Store) -> SourceCache {
    SourceCache::open(&store.root().join("sources"))
}

/// The platform of this machine.
pub fn build_platform() -> miette::Result<Subdir> {
    Subdir::current()
        .ok_or_else(|| miette::miette!("archi does not know this machine's conda platform"))
}

/// Resolve everything a build needs; `start` is where the workspace search begins (the first recipe directory).
pub fn build_settings(
    global: &Global,
    flags: BuildFlags,
    start: &Path,
) -> miette::Result<BuildSettings> {
    let BuildFlags {
        output,
        channels,
        target_platform,
        test,
        keep_work,
        offline,
    } = flags;
    let workspace = Workspace::discover(start)?;
    let store = open_store(global)?;
    crate::toolchain::use_identity_cache(&store.root().join(IDENTITY_CACHE_FILE));
    let sources = source_cache(&store);
    let output_channel = match output {
        Some(dir) => absolute(&dir)?,
        None => workspace.output_channel(),
    };
    let cwd = std::env::current_dir().into_diagnostic()?;
    let mut channel_sources = Vec::new();
    for channel in channels.iter().chain(&workspace.file.workspace.channels) {
        let base = if channels.contains(channel) {
            cwd.as_path()
        } else {
            workspace.root.as_path()
        };
        channel_sources.push(ChannelSource::parse(channel, base).into_diagnostic()?);
    }
    let build_platform = build_platform()?;
    let offline = offline || std::env::var(env_vars::ARCHI_OFFLINE).is_ok_and(|v| v == "1");
    Ok(BuildSettings {
        work_root: store.root().join("work"),
        package_cache: store.root().join("pkgs"),
        target_platform: target_platform.unwrap_or(build_platform),
        build_platform,
        output_channel,
        channels: channel_sources,
        fetch: FetchPolicy { offline },
        test,
        keep_work,
        cpu_count: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        machine_path: std::env::var("PATH")
            .unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into()),
        workspace,
        store,
        sources,
    })
}

/// `path` made absolute against the current directory (it need not exist).
pub fn absolute(path: &Path) -> miette::Result<PathBuf> {
    std::path::absolute(path)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot resolve {}", path.display()))
}
