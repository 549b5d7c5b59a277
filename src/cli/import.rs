//! `archi import PATH... [--into DIR]`: conda-forge recipes (a feedstock, its `recipe/` directory, or the
//! `meta.yaml` / `recipe.yaml` itself) → archi recipe directories `DIR/<name>/`. Warnings (what archi's format
//! cannot express, each with the recipe file and line) go to stderr; one line per imported recipe to stdout.

use std::path::PathBuf;

/// Arguments of `archi import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Feedstock directories, their recipe/ directories, or meta.yaml / recipe.yaml files.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Where the recipe directories are written (one per recipe, named after the package).
    #[arg(long, default_value = "recipes")]
    pub into: PathBuf,
}

/// Import every path, stopping at the first that fails (those before it are written).
pub fn run(args: Args) -> miette::Result<()> {
    for path in &args.paths {
        let imported = crate::import::import(path)?;
        for w in &imported.warnings {
            eprintln!("warning: {}:{}: {}", w.file.display(), w.line, w.message);
        }
        let dest = crate::import::write(&imported, &args.into)?;
        super::print_out(&format!(
            "imported {} -> {} ({} warnings)",
            imported.recipe_file.display(),
            dest.display(),
            imported.warnings.len()
        ))?;
    }
    Ok(())
}
