//! `archi verify PACKAGE_OR_CHANNEL`: check packages against their provenance statements and store keys.

use std::path::PathBuf;

use miette::IntoDiagnostic;

use crate::provenance::verify;

/// Arguments of `archi verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A `.conda` (or `.tar.bz2`) file, or a channel directory (every package of every subdir).
    pub path: PathBuf,
}

/// Verify every package, print each failure on stderr (`<file>: <problem>`), then `verify: N of M packages ok` on
/// stdout; an error (exit code 1) when any package fails or there is none.
pub fn run(args: Args) -> miette::Result<()> {
    let Args { path } = args;
    let archives = if path.is_dir() {
        crate::channel::archives(&path).into_diagnostic()?
    } else if path.is_file() {
        vec![path.clone()]
    } else {
        return Err(miette::miette!(
            "{}: no such package file or channel directory",
            path.display()
        ));
    };
    let mut ok = 0;
    for archive in &archives {
        let verdict = verify::verify_package(archive);
        if verdict.is_ok() {
            ok += 1;
            tracing::info!(package = %archive.display(), "verified");
        }
        for problem in &verdict.problems {
            eprintln!("{}: {problem}", archive.display());
        }
    }
    super::print_out(&format!("verify: {ok} of {} packages ok", archives.len()))?;
    if archives.is_empty() {
        return Err(miette::miette!("{}: no packages to verify", path.display()));
    }
    if ok < archives.len() {
        return Err(miette::miette!(
            "{} of {} packages failed verification",
            archives.len() - ok,
            archives.len()
        ));
    }
    Ok(())
}
