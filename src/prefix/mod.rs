//! The `prefix` stage: solve conda match specs against channels and install the result into a prefix (the build
//! and host prefixes of a build, the environment of a package test).
//!
//! Solving uses `rattler_solve`'s resolvo backend with strict channel priority (conda's default: the first
//! channel that has a package name is the only one that package may come from). Installing uses
//! `rattler::install::Installer` with a `PackageCache`, which links files from the cache (hardlinks where
//! possible), rewrites prefix placeholders (text and binary, as paths.json says) and writes `conda-meta/*.json`.
//!
//! The API is blocking: each call that needs async work builds its own current-thread tokio runtime (on a helper
//! thread when the caller already runs inside a runtime), so it is safe to call from plain or rayon threads.

mod channel;
#[cfg(test)]
mod tests;
mod virtual_packages;

use std::future::Future;
use std::path::{Path, PathBuf};

use rattler::install::{Installer, InstallerError};
use rattler::package_cache::PackageCache;
use rattler_conda_types::{GenericVirtualPackage, MatchSpec, RepoDataRecord, Subdir};
use rattler_solve::{ChannelPriority, SolveError, SolverImpl, SolverTask};

pub use channel::ChannelSource;
pub use virtual_packages::{
    host_glibc_version, virtual_packages, DEFAULT_LINUX_VERSION, DEFAULT_OSX_VERSION,
};

/// Errors of the prefix stage. Each names the channel, repodata file, specs or prefix concerned.
#[derive(Debug, thiserror::Error)]
pub enum PrefixError {
    /// A channel string is neither a directory nor a supported URL.
    #[error("invalid channel `{input}`: {reason}")]
    InvalidChannel {
        /// The string as given.
        input: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A channel directory path cannot be made absolute or expressed as a `file://` URL.
    #[error("cannot use {} as a channel directory", path.display())]
    ChannelPath {
        /// The directory.
        path: PathBuf,
        /// The I/O cause, if any.
        #[source]
        source: Option<std::io::Error>,
    },
    /// A local channel's `repodata.json` exists but cannot be read.
    #[error("cannot read repodata {}", path.display())]
    ReadRepodata {
        /// The `repodata.json` file.
        path: PathBuf,
        /// The I/O cause.
        #[source]
        source: std::io::Error,
    },
    /// A local channel's `repodata.json` is not valid repodata.
    #[error("invalid repodata {}", path.display())]
    ParseRepodata {
        /// The `repodata.json` file.
        path: PathBuf,
        /// The JSON cause.
        #[source]
        source: serde_json::Error,
    },
    /// The repodata gateway failed to fetch remote channels.
    #[error("cannot fetch repodata from {channels}")]
    Gateway {
        /// The remote channels queried, comma separated.
        channels: String,
        /// The gateway's cause.
        #[source]
        source: rattler_repodata_gateway::GatewayError,
    },
    /// No set of packages satisfies the specs.
    #[error("cannot solve [{specs}] for {platform} from [{channels}]:\n{explanation}")]
    Unsolvable {
        /// The requested specs, comma separated.
        specs: String,
        /// The target platform.
        platform: Subdir,
        /// The channels, in priority order, comma separated.
        channels: String,
        /// The solver's explanation of the conflict.
        explanation: String,
    },
    /// The solver failed for another reason (bad spec, conflicting duplicate records, …).
    #[error("solver failed for [{specs}] for {platform}")]
    Solver {
        /// The requested specs, comma separated.
        specs: String,
        /// The target platform.
        platform: Subdir,
        /// The solver's cause.
        #[source]
        source: SolveError,
    },
    /// The async runtime for a blocking call cannot be created.
    #[error("cannot start an async runtime for {what}")]
    Runtime {
        /// The operation that needed it.
        what: String,
        /// The I/O cause.
        #[source]
        source: std::io::Error,
    },
    /// Installing records into a prefix failed.
    #[error("cannot install {count} package(s) into {}", prefix.display())]
    Install {
        /// The target prefix.
        prefix: PathBuf,
        /// How many records were to be installed.
        count: usize,
        /// The installer's cause.
        #[source]
        source: InstallerError,
    },
}

/// What to solve: specs, channels in priority order, target platform and the machine's virtual packages.
#[derive(Debug, Clone)]
pub struct SolveRequest<'a> {
    /// The requested packages (e.g. `b >=1`, `__glibc >=2.17`).
    pub specs: &'a [MatchSpec],
    /// Records solved before every channel (the packages of the current run, read from the store): with strict
    /// priority, a name they hold comes only from them.
    pub run_records: &'a [RepoDataRecord],
    /// Channels in priority order: the first channel that has a package name is the only one it is taken from
    /// (strict channel priority, as conda does).
    pub channels: &'a [ChannelSource],
    /// The platform solved for; its subdir and `noarch` are read from every channel.
    pub platform: Subdir,
    /// The virtual packages of the target machine (see [`virtual_packages`]).
    pub virtual_packages: Vec<GenericVirtualPackage>,
}

/// Solves `req` with resolvo and returns the records to install, sorted by package name.
///
/// Empty specs give `Ok(vec![])` without reading any channel. Local channels are read from disk on every call
/// (a channel re-indexed in between is seen); a missing channel directory or missing `<subdir>/repodata.json`
/// is an empty channel. Remote channels are fetched through a fresh gateway per call. Records keep the URL their
/// repodata gives, i.e. `file://` URLs for local channels, so [`install`] works offline. No timestamp cutoff is
/// applied, so records without `timestamp` are accepted.
///
/// Errors: [`PrefixError::Unsolvable`] with the solver's explanation, the specs and the channels;
/// [`PrefixError::ReadRepodata`], [`PrefixError::ParseRepodata`], [`PrefixError::Gateway`] for channels that
/// cannot be read; [`PrefixError::Solver`] for other solver failures.
pub fn solve(req: &SolveRequest) -> Result<Vec<RepoDataRecord>, PrefixError> {
    if req.specs.is_empty() {
        return Ok(Vec::new());
    }
    // One record list per channel, in priority order; remote channels are filled in below.
    let mut per_channel: Vec<Vec<RepoDataRecord>> = Vec::with_capacity(req.channels.len() + 2);
    let mut remote: Vec<usize> = Vec::new();
    for (index, source) in req.channels.iter().enumerate() {
        match source.local_dir() {
            Some(dir) => per_channel.push(channel::read_local(source, &dir, req.platform)?),
            None => {
                per_channel.push(Vec::new());
                remote.push(index);
            }
        }
    }
    if !remote.is_empty() {
        let names = channel::remote_seed_names(req.specs, &per_channel);
        let remote_channels: Vec<&ChannelSource> =
            remote.iter().map(|&index| &req.channels[index]).collect();
        let mut fetched = block_on("fetching repodata", || {
            channel::query_remote(&remote_channels, req.platform, names)
        })??;
        let unattributed = fetched.pop().unwrap_or_default();
        for (&index, records) in remote.iter().zip(fetched) {
            per_channel[index] = records;
        }
        per_channel.push(unattributed);
    }

    if !req.run_records.is_empty() {
        per_channel.insert(0, req.run_records.to_vec());
    }
    let task = SolverTask {
        specs: req.specs.to_vec(),
        virtual_packages: req.virtual_packages.clone(),
        channel_priority: ChannelPriority::Strict,
        ..SolverTask::from_iter(per_channel.iter())
    };
    let result = rattler_solve::resolvo::Solver
        .solve(task)
        .map_err(|err| match err {
            SolveError::Unsolvable(explanations) => PrefixError::Unsolvable {
                specs: join(req.specs),
                platform: req.platform,
                channels: join(req.channels),
                explanation: explanations.join("\n"),
            },
            source => PrefixError::Solver {
                specs: join(req.specs),
                platform: req.platform,
                source,
            },
        })?;
    let mut records = result.records;
    records.sort_by(|a, b| {
        a.package_record
            .name
            .cmp(&b.package_record.name)
            .then_with(|| a.url.cmp(&b.url))
    });
    Ok(records)
}

/// Which of `names` the `channels` offer for `platform` (or `noarch`), each with the highest version offered:
/// local channels are read from disk, remote ones queried through a fresh gateway for just these names.
///
/// Errors: as [`solve`] for channels that cannot be read.
pub fn available(
    channels: &[ChannelSource],
    platform: Subdir,
    names: &std::collections::BTreeSet<String>,
) -> Result<std::collections::BTreeMap<String, String>, PrefixError> {
    let mut best: std::collections::BTreeMap<String, rattler_conda_types::Version> =
        std::collections::BTreeMap::new();
    let note = |best: &mut std::collections::BTreeMap<String, rattler_conda_types::Version>,
                record: &RepoDataRecord| {
        let name = record.package_record.name.as_normalized();
        if names.contains(name) {
            let version = record.package_record.version.version().clone();
            let slot = best
                .entry(name.to_string())
                .or_insert_with(|| version.clone());
            if version > *slot {
                *slot = version;
            }
        }
    };
    if names.is_empty() {
        return Ok(Default::default());
    }
    let mut remote = Vec::new();
    for source in channels {
        match source.local_dir() {
            Some(dir) => channel::read_local(source, &dir, platform)?
                .iter()
                .for_each(|r| note(&mut best, r)),
            None => remote.push(source),
        }
    }
    let found: std::collections::BTreeSet<String> = best.keys().cloned().collect();
    let missing: std::collections::BTreeSet<rattler_conda_types::PackageName> = names
        .iter()
        .filter(|n| !found.contains(*n))
        .filter_map(|n| rattler_conda_types::PackageName::try_from(n.as_str()).ok())
        .collect();
    if !remote.is_empty() && !missing.is_empty() {
        let fetched = block_on("fetching repodata", || {
            channel::query_remote(&remote, platform, missing)
        })??;
        fetched.iter().flatten().for_each(|r| note(&mut best, r));
    }
    Ok(best
        .into_iter()
        .map(|(name, version)| (name, version.to_string()))
        .collect())
}

/// Installs exactly `records` into `prefix` for `platform`, taking package contents from (and caching them in)
/// the package cache at `package_cache_dir`.
///
/// The prefix and its `conda-meta/` are created if missing, even for zero records; packages already in the
/// prefix that are not in `records` are removed. Link scripts are not run. Prefix placeholders in files are
/// replaced by `prefix` (text files may change length, binary files are null-padded), so `prefix` should be
/// the final absolute path (it may be a 255-character padded path). `file://` record URLs are read from disk,
/// so installing from local channels works offline. Installed files are hardlinks into the cache where
/// possible: never edit them in place.
///
/// Errors: [`PrefixError::Install`] naming the prefix (the cause says which package failed);
/// [`PrefixError::Runtime`].
pub fn install(
    records: &[RepoDataRecord],
    prefix: &Path,
    platform: Subdir,
    package_cache_dir: &Path,
) -> Result<(), PrefixError> {
    install_as(records, prefix, prefix, platform, package_cache_dir)
}

/// [`install`] into `prefix`, with the prefix placeholders of text and binary files replaced by `seen_as`: the
/// path the prefix will be used at (a sandboxed build sees its work directory at a fixed path), as rattler's
/// alternative target prefix does it.
///
/// Errors: as [`install`].
pub fn install_as(
    records: &[RepoDataRecord],
    prefix: &Path,
    seen_as: &Path,
    platform: Subdir,
    package_cache_dir: &Path,
) -> Result<(), PrefixError> {
    if records.is_empty() && !has_installed_packages(prefix) {
        // Nothing to install into a fresh prefix: make it as the installer would, without a runtime.
        let conda_meta = prefix.join("conda-meta");
        return fs_err::create_dir_all(&conda_meta).map_err(|source| PrefixError::Install {
            prefix: prefix.to_path_buf(),
            count: 0,
            source: rattler::install::InstallerError::FailedToCreatePrefix(
                prefix.to_path_buf(),
                source,
            ),
        });
    }
    let records = records.to_vec();
    let count = records.len();
    block_on("installing packages", || {
        Installer::new()
            .with_package_cache(PackageCache::new(package_cache_dir))
            .with_target_platform(platform)
            .with_execute_link_scripts(false)
            .with_alternative_target_prefix(seen_as)
            .install(prefix, records)
    })?
    .map(|_| ())
    .map_err(|source| PrefixError::Install {
        prefix: prefix.to_path_buf(),
        count,
        source,
    })
}

/// Whether `prefix/conda-meta` holds any package record.
fn has_installed_packages(prefix: &Path) -> bool {
    fs_err::read_dir(prefix.join("conda-meta"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .any(|e| e.path().extension().is_some_and(|x| x == "json"))
        })
        .unwrap_or(false)
}

/// Runs the future made by `make` to completion on a fresh current-thread runtime. When the calling thread is
/// already inside a tokio runtime (where `block_on` would panic), the runtime runs on a scoped helper thread.
fn block_on<T, Fut, Make>(what: &str, make: Make) -> Result<T, PrefixError>
where
    T: Send,
    Fut: Future<Output = T>,
    Make: FnOnce() -> Fut + Send,
{
    let run = move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|source| PrefixError::Runtime {
                what: what.to_string(),
                source,
            })?;
        Ok(runtime.block_on(make()))
    };
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|scope| match scope.spawn(run).join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        })
    } else {
        run()
    }
}

/// `a, b, c` from anything displayable.
fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
