//! `archi key generate NAME [-o FILE]`: a signing key pair for binary caches, in Nix's format
//! (`nix-store --generate-binary-cache-key`): the secret key file is written (mode 0600, never overwritten) and the
//! public key `NAME:BASE64` printed for `[workspace] trusted_keys`.

use std::io::Write;
use std::path::PathBuf;

use miette::IntoDiagnostic;

use crate::fsutil::{self, WriteOptions};
use crate::substitute::sign::SecretKey;

/// `archi key …`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Write a new ed25519 secret key file and print its public key (`NAME:BASE64`) on stdout.
    Generate {
        /// The key's name, e.g. `archi-cache-1` (no `:`); signatures and trusted_keys carry it.
        name: String,
        /// The secret key file (default `NAME.secret`); an existing file is not overwritten.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

/// Run `archi key`.
pub fn run(cmd: Command) -> miette::Result<()> {
    match cmd {
        Command::Generate { name, output } => {
            let key = SecretKey::generate(&name).into_diagnostic()?;
            let path = output.unwrap_or_else(|| PathBuf::from(format!("{name}.secret")));
            if path.exists() {
                return Err(miette::miette!(
                    help = "remove it first, or choose another file with -o",
                    "{} exists; a secret key file is never overwritten",
                    path.display()
                ));
            }
            let options = WriteOptions {
                mode: 0o600,
                sync: true,
            };
            fsutil::write_atomic_with(&path, options, |file| writeln!(file, "{}", key.to_text()))
                .map_err(|e| miette::miette!("cannot write {}: {e}", path.display()))?;
            eprintln!("secret key written to {}", path.display());
            super::print_out(&key.public().to_string())
        }
    }
}
