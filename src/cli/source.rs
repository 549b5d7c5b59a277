//! `archi source add FILE...`: file anything into the sha256-keyed source cache.

use std::path::PathBuf;

use super::settings::{self, Global};

/// `archi source` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Add files to the source cache; any recipe source with the same sha256 is then satisfied by them.
    Add {
        /// Files to add.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// Run a source subcommand; prints `<sha256>  <file>` per file.
pub fn run(cmd: Command, global: &Global) -> miette::Result<()> {
    let Command::Add { files } = cmd;
    let store = settings::open_store(global)?;
    let cache = settings::source_cache(&store);
    for file in files {
        let sha256 = cache.add(&file)?;
        println!("{sha256}  {}", file.display());
    }
    Ok(())
}
