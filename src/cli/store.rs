//! `archi store ls`, `archi store verify` and `archi store gc`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use miette::IntoDiagnostic;

use super::settings::{self, Global};
use crate::channel;
use crate::prefix::ChannelSource;
use crate::source;
use crate::store::{self, GcOptions};
use crate::workspace::Workspace;

/// `archi store` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List every entry: name, version, build, subdir, key.
    Ls,
    /// Rehash every entry and report mismatches (exit 1 if any).
    Verify,
    /// Remove entries no channel publishes and no `<store>/roots/<key>` file keeps, leftovers and work
    /// directories, and trim the package cache and unpacked sources to a size budget, oldest first.
    Gc(GcArgs),
}

/// Arguments of `archi store gc`.
#[derive(Debug, clap::Args)]
pub struct GcArgs {
    /// Size budget for the package cache plus unpacked sources: bytes, or with a unit (`500MB`, `10GiB`); the
    /// oldest items beyond it go. Without it both caches are left alone.
    #[arg(long, alias = "keep-bytes", value_parser = parse_budget)]
    pub max_size: Option<u64>,
    /// Print what would be removed; remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The output channel whose packages are kept (default: the workspace's).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// More channel directories whose packages are kept (besides the workspace's local channels).
    #[arg(long = "channel", short = 'c')]
    pub channels: Vec<PathBuf>,
}

/// Run a store subcommand.
pub fn run(cmd: Command, global: &Global) -> miette::Result<()> {
    let store = settings::open_store(global)?;
    match cmd {
        Command::Ls => {
            for entry in store.list().into_diagnostic()? {
                let m = &entry.manifest;
                println!(
                    "{}-{}-{}  {}  {}",
                    m.name, m.version, m.build, m.subdir, m.key
                );
            }
            Ok(())
        }
        Command::Verify => {
            let problems = store.verify().into_diagnostic()?;
            let count = store.list().into_diagnostic()?.len();
            for problem in &problems {
                println!("{problem}");
            }
            if problems.is_empty() {
                println!("{count} entries verified, no problems");
                Ok(())
            } else {
                Err(miette::miette!(
                    "{} problem(s) in the store",
                    problems.len()
                ))
            }
        }
        Command::Gc(args) => gc(&store, args),
    }
}

fn gc(store: &store::Store, args: GcArgs) -> miette::Result<()> {
    let GcArgs {
        max_size,
        dry_run,
        output,
        channels,
    } = args;
    let roots = kept_channels(output, channels)?;
    let lock = store.lock_for_gc().into_diagnostic()?;
    let mut published = BTreeSet::new();
    for dir in &roots {
        published.extend(channel::published_artifacts(dir).into_diagnostic()?);
    }
    let summary = store::gc(
        store,
        &lock,
        &GcOptions {
            published,
            cache_budget: max_size,
            dry_run,
        },
    )
    .into_diagnostic()?;
    drop(lock);

    let verb = if dry_run { "would remove" } else { "removed" };
    for entry in &summary.entries {
        println!(
            "{verb} {}/{}  {}  ({})",
            entry.subdir,
            entry.artifact,
            entry.key,
            source::human_size(entry.bytes)
        );
    }
    for (path, bytes) in &summary.cache_items {
        println!(
            "{verb} {}  ({})",
            path.display(),
            source::human_size(*bytes)
        );
    }
    let leftovers = &summary.leftovers;
    for path in leftovers
        .temp_entries
        .iter()
        .chain(&leftovers.work_dirs)
        .chain(&leftovers.temp_files)
    {
        println!("{verb} {}", path.display());
    }
    println!(
        "{verb} {} entries ({} kept: published in {} or rooted), {} cache items, {} leftovers, {} lock files; {} {}; \
         caches {} of {}",
        summary.entries.len(),
        summary.kept_entries,
        roots
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        summary.cache_items.len(),
        leftovers.count(),
        summary.lock_files,
        if dry_run { "would free" } else { "freed" },
        source::human_size(summary.freed_bytes()),
        source::human_size(summary.cache_bytes.1),
        source::human_size(summary.cache_bytes.0),
    );
    Ok(())
}

/// The channel directories whose packages gc keeps: `--output` (or the workspace's output channel), the
/// workspace's local channels, and `--channel` directories. Outside a workspace, `--output` or `--channel` must be
/// given: gc would otherwise remove every entry.
fn kept_channels(output: Option<PathBuf>, extra: Vec<PathBuf>) -> miette::Result<Vec<PathBuf>> {
    let cwd = std::env::current_dir().into_diagnostic()?;
    let workspace = Workspace::discover(&cwd);
    let mut dirs = Vec::new();
    match (&output, &workspace) {
        (Some(dir), _) => dirs.push(settings::absolute(dir)?),
        (None, Ok(ws)) => dirs.push(ws.output_channel()),
        (None, Err(err)) if extra.is_empty() => {
            return Err(miette::miette!(
            help =
                "run it inside a workspace, or name the channels to keep with --output/--channel",
            "archi store gc: no channel to keep packages of ({err})"
        ))
        }
        (None, Err(_)) => {}
    }
    if let Ok(ws) = &workspace {
        for channel in &ws.file.workspace.channels {
            let source = ChannelSource::parse(channel, &ws.root).into_diagnostic()?;
            dirs.extend(source.local_dir());
        }
    }
    for dir in &extra {
        dirs.push(settings::absolute(dir)?);
    }
    dirs.sort();
    dirs.dedup();
    Ok(dirs)
}

/// `--max-size`: a size as recipes write it ([`source::parse_size`]: `10GiB`, `500 MB`, `1048576`), or `0` to
/// empty the caches.
fn parse_budget(text: &str) -> Result<u64, String> {
    match text.trim() {
        "0" => Ok(0),
        other => source::parse_size(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_parse_as_recipe_sizes_or_zero() {
        assert_eq!(parse_budget("1024"), Ok(1024));
        assert_eq!(parse_budget("10GiB"), Ok(10 << 30));
        assert_eq!(parse_budget("500 MB"), Ok(500_000_000));
        assert_eq!(parse_budget("0"), Ok(0));
        assert!(parse_budget("10 parsecs").is_err());
        assert!(parse_budget("GiB").is_err());
    }
}
