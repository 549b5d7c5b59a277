//! CLI arguments + `archi.toml` + environment → a [`Context`] (what every command reads) and, for commands that
//! build, a [`Workshop`] (the store they write), every field destructured so that a new flag nobody handles
//! fails to compile (as uv's settings module does).

use std::path::{Path, PathBuf};

use miette::{Context as _, IntoDiagnostic};
use rattler_conda_types::Subdir;

use crate::build::Workshop;
use crate::context::Context;
use crate::env_vars;
use crate::prefix::ChannelSource;
use crate::source::SourceCache;
use crate::store::Store;
use crate::toolchain::IdentityCache;
use crate::workspace::Workspace;

/// Toolchain identities remembered between runs, in the store root.
const IDENTITY_CACHE_FILE: &str = "toolchain-identities.json";

/// Options every subcommand shares.
#[derive(Debug, Clone)]
pub struct Global {
    /// `--store` / `ARCHI_STORE`.
    pub store: Option<PathBuf>,
}

/// What a command reads: where the workspace is and which channels to use.
#[derive(Debug, Clone, Default)]
pub struct ContextFlags {
    /// `--output`.
    pub output: Option<PathBuf>,
    /// `-c/--channel`.
    pub channels: Vec<String>,
}

/// The store root named by `--store`/`ARCHI_STORE`, or the default one.
pub fn store_root(global: &Global) -> miette::Result<PathBuf> {
    match &global.store {
        Some(root) => absolute(root),
        None => {
            Store::default_root().ok_or_else(|| miette::miette!("no cache directory; pass --store"))
        }
    }
}

/// Open the store named by `--store`/`ARCHI_STORE`, or the default one.
pub fn open_store(global: &Global) -> miette::Result<Store> {
    Store::open(&store_root(global)?).into_diagnostic()
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

/// The run's context; `start` is where the workspace search begins. Toolchain identities are remembered in the
/// store root (read here, written by [`finish`]); the store itself is not opened.
pub fn context(global: &Global, flags: ContextFlags, start: &Path) -> miette::Result<Context> {
    let ContextFlags { output, channels } = flags;
    let workspace = Workspace::discover(start)?;
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
    let identities = IdentityCache::load(&store_root(global)?.join(IDENTITY_CACHE_FILE));
    Ok(Context {
        workspace,
        build_platform: build_platform()?,
        machine_path: std::env::var("PATH")
            .unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into()),
        output_channel,
        channels: channel_sources,
        identities,
    })
}

/// End of a command: keep the toolchain identities it learnt (an optimisation; failures are only logged).
pub fn finish(ctx: &Context) {
    if let Err(err) = ctx.identities.save() {
        tracing::debug!("toolchain identity cache not saved: {err}");
    }
}

/// The store, source cache, work and package dirs of a building command. The store is opened for building: it
/// holds the store's shared use lock (so `archi store gc` waits) and leftovers of dead runs are removed first.
pub fn workshop(global: &Global) -> miette::Result<Workshop> {
    let (store, cleaned) = Store::open_for_build(&store_root(global)?).into_diagnostic()?;
    if !cleaned.is_empty() {
        tracing::info!(
            "removed {} leftover(s) of interrupted runs ({} bytes)",
            cleaned.count(),
            cleaned.bytes
        );
    }
    Ok(Workshop::new(store))
}

/// Whether downloads are forbidden: `--offline` or `ARCHI_OFFLINE=1`.
pub fn offline(flag: bool) -> bool {
    flag || std::env::var(env_vars::ARCHI_OFFLINE).is_ok_and(|v| v == "1")
}

/// `CPU_COUNT`: the caller's `CPU_COUNT` when it is a positive number (as conda-build reads it), else the
/// machine's core count.
pub fn cpu_count() -> usize {
    std::env::var(env_vars::CPU_COUNT)
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
}

/// `path` made absolute against the current directory (it need not exist).
pub fn absolute(path: &Path) -> miette::Result<PathBuf> {
    std::path::absolute(path)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot resolve {}", path.display()))
}
