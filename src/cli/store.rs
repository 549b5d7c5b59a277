//! `archi store ls`, `archi store verify` and `archi store gc`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use miette::IntoDiagnostic;

use super::settings::{self, Global};
use crate::channel;
use crate::prefix::ChannelSource;
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
    #[arg(long, alias = "keep-bytes", value_parser = parse_size)]
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
            human(entry.bytes)
        );
    }
    for (path, bytes) in &summary.cache_items {
        println!("{verb} {}  ({})", path.display(), human(*bytes));
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
        human(summary.freed_bytes()),
        human(summary.cache_bytes.1),
        human(summary.cache_bytes.0),
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

/// Parses a size: a number of bytes, optionally followed by a unit (`B`, `KB`/`MB`/`GB`/`TB` in powers of 1000,
/// `KiB`/`MiB`/`GiB`/`TiB` in powers of 1024; `K`, `M`, `G`, `T` alone mean the binary ones), spaces allowed.
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (expected e.g. 1048576, 500MB, 10GiB)"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1000,
        "mb" => 1000_u64.pow(2),
        "gb" => 1000_u64.pow(3),
        "tb" => 1000_u64.pow(4),
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        other => return Err(format!("unknown size unit `{other}` in `{text}`")),
    };
    Ok((number * factor as f64).round() as u64)
}

/// Bytes for people: `512 B`, `3.4 MiB`.
fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_decimal_and_binary_units() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("10GiB"), Ok(10 << 30));
        assert_eq!(parse_size("500MB"), Ok(500_000_000));
        assert_eq!(parse_size("1.5 k"), Ok(1536));
        assert_eq!(parse_size("0"), Ok(0));
        assert!(parse_size("10 parsecs").is_err());
        assert!(parse_size("GiB").is_err());
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human(512), "512 B");
        assert_eq!(human(3 << 20), "3.0 MiB");
    }
}
