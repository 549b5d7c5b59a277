//! `archi source add FILE...`: file anything into the sha256-keyed source cache.
//! `archi source vendor RECIPE_DIR...`: fetch the crates of a recipe's `cargo_vendor` sources into it.

use std::path::PathBuf;

use super::settings::{self, ContextFlags, Global};
use crate::recipe;
use crate::source::{self, FetchPolicy, SourceOrigin};

/// `archi source` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Add files to the source cache; any recipe source with the same sha256 is then satisfied by them.
    Add {
        /// Files to add.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Fetch the crates of each recipe's `cargo_vendor` sources with `cargo vendor` (the network is used here,
    /// never in a build) and file their canonical tar in the source cache; prints `<sha256>  <recipe>
    /// <manifest>` and fails when a sha256 differs from the recipe's.
    Vendor {
        /// Recipe directories.
        #[arg(required = true)]
        recipes: Vec<PathBuf>,
        /// Use only cached files for the recipe's earlier sources.
        #[arg(long)]
        offline: bool,
    },
}

/// Run a source subcommand; prints `<sha256>  <file>` per file (`add`) or per vendored manifest (`vendor`).
pub fn run(cmd: Command, global: &Global) -> miette::Result<()> {
    let store = settings::open_store(global)?;
    let cache = settings::source_cache(&store);
    match cmd {
        Command::Add { files } => {
            for file in files {
                let sha256 = cache.add(&file)?;
                println!("{sha256}  {}", file.display());
            }
        }
        Command::Vendor { recipes, offline } => {
            let policy = FetchPolicy {
                offline: settings::offline(offline),
            };
            for dir in recipes {
                let loaded = recipe::load(&dir)?;
                let ctx = settings::context(global, ContextFlags::default(), &loaded.dir)?;
                let platform = ctx.build_platform;
                let rendered = ctx.render(&loaded, platform)?;
                let tools = ctx.workspace.toolchain_for(platform);
                let spec = tools.get("rust").ok_or_else(|| {
                    miette::miette!(
                        "pins.toml has no `rust` toolchain for {platform}: cargo is taken from it"
                    )
                })?;
                let (_, rust) =
                    crate::toolchain::rust::resolve(spec, &ctx.machine_path, &ctx.identities)?;
                let mut any = false;
                for (index, spec) in rendered.sources.iter().enumerate() {
                    if !matches!(spec.origin, SourceOrigin::CargoVendor { .. }) {
                        continue;
                    }
                    any = true;
                    let done = source::cargo::vendor(
                        &rendered.sources,
                        index,
                        &cache,
                        &loaded.dir,
                        &rust.cargo.path,
                        &policy,
                    )?;
                    println!(
                        "{}  {} {}",
                        done.sha256,
                        dir.display(),
                        done.manifest.display()
                    );
                }
                settings::finish(&ctx);
                if !any {
                    return Err(miette::miette!(
                        "{}: the recipe has no cargo_vendor source",
                        dir.display()
                    ));
                }
            }
        }
    }
    Ok(())
}
