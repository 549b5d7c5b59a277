//! `archi index DIR`: rebuild a channel's repodata from the archives it holds.

use std::path::PathBuf;

use miette::IntoDiagnostic;

/// Arguments of `archi index`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The channel directory.
    pub channel: PathBuf,
}

/// Re-index and print what each subdir holds.
pub fn run(args: Args) -> miette::Result<()> {
    let summary = crate::channel::index(&args.channel).into_diagnostic()?;
    for (subdir, count) in &summary.subdirs {
        println!("{subdir}: {count} package(s)");
    }
    Ok(())
}
