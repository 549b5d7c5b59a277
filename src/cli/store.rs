//! `archi store ls` and `archi store verify`.

use miette::IntoDiagnostic;

use super::settings::{self, Global};

/// `archi store` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List every entry: name, version, build, subdir, key.
    Ls,
    /// Rehash every entry and report mismatches (exit 1 if any).
    Verify,
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
    }
}
