//! The command line: one file per subcommand, each with its clap `Args` and one `run` function. Only this module
//! prints; results go to stdout, logs and progress to stderr.

mod build;
mod display;
mod import;
mod index;
mod installer;
mod key;
mod lint;
mod render;
mod rerender;
mod settings;
mod solve;
mod source;
mod store;
mod upload;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::env_vars;

/// archi: build a conda distribution from TOML recipes through a content-addressed store.
#[derive(Debug, Parser)]
#[command(name = "archi", version, about)]
pub struct Cli {
    /// Store directory (default: ~/.cache/archi).
    #[arg(long, global = true, env = env_vars::ARCHI_STORE)]
    pub store: Option<PathBuf>,
    /// More output (-v: every build phase and debug logs).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Less output: failures and the summary's last lines.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build recipes (and publish them to the output channel), in dependency order.
    Build(build::Args),
    /// Build keys the store already has again and compare the packages byte for byte (`archi build --check`, Nix's
    /// `--check`): names every differing file, keeps both trees, stores nothing; `--all` reports the share of
    /// reproducible builds over every recipe.
    Check(build::Args),
    /// Print a recipe rendered for a platform, with its variant, store key and build string.
    Render(render::Args),
    /// Order recipes into build waves and show which the store already has.
    Solve(solve::Args),
    /// Manage the sha256-keyed source cache.
    #[command(subcommand)]
    Source(source::Command),
    /// Re-index a channel directory (repodata.json for every subdir, channeldata.json).
    Index(index::Args),
    /// Inspect the store.
    #[command(subcommand)]
    Store(store::Command),
    /// Signing keys for binary caches (`[[substituter]]` in archi.toml).
    #[command(subcommand)]
    Key(key::Command),
    /// Turn conda-forge recipes (meta.yaml or v1 recipe.yaml) into archi recipe directories.
    Import(import::Args),
    /// Write one self-contained shell installer (Miniforge-style: -b, -p PREFIX, -u) of the solved environment
    /// of NAMEs for a target platform.
    Installer(installer::Args),
    /// Check packages (a .conda file or every package of a channel) against their provenance statements.
    Verify(verify::Args),
    /// Write the workspace's CI workflow (`.github/workflows/archi.yml`) from its build graph: one job per build,
    /// `needs:` from the graph's edges; `--check` fails when recipes changed and it was not rerendered.
    Rerender(rerender::Args),
    /// Check recipes as a conda-forge reviewer would: warnings with the line they point at (exit 1 on errors, or
    /// on warnings with `--deny-warnings`).
    Lint(lint::Args),
    /// Upload packages (files or channel directories) to a quetz server, anaconda.org, a channel directory or an
    /// S3 bucket, skipping those the channel has with the same sha256.
    Upload(upload::Args),
}

/// Exit code for bad input and failed builds; clap uses 2 for usage errors.
const EXIT_FAILURE: u8 = 1;

/// Parse arguments, run the command and turn errors into a report and a non-zero exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose, cli.quiet);
    init_reports();
    let result = run(cli);
    if let Some(kb) = peak_memory_kb() {
        tracing::debug!("peak memory {kb} kB");
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> miette::Result<()> {
    let global = settings::Global { store: cli.store };
    let verbosity = match (cli.quiet, cli.verbose) {
        (true, _) => display::Verbosity::Quiet,
        (false, 0) => display::Verbosity::Normal,
        (false, _) => display::Verbosity::Verbose,
    };
    match cli.command {
        Command::Build(args) => build::run(args, &global, verbosity),
        Command::Check(args) => build::run(
            build::Args {
                check: true,
                ..args
            },
            &global,
            verbosity,
        ),
        Command::Render(args) => render::run(args, &global),
        Command::Solve(args) => solve::run(args, &global),
        Command::Source(cmd) => source::run(cmd, &global),
        Command::Index(args) => index::run(args),
        Command::Store(cmd) => store::run(cmd, &global),
        Command::Verify(args) => verify::run(args),
        Command::Key(cmd) => key::run(cmd),
        Command::Rerender(args) => rerender::run(args, &global),
        Command::Lint(args) => lint::run(args, &global),
        Command::Import(args) => import::run(args),
        Command::Upload(args) => upload::run(args),
        Command::Installer(args) => installer::run(args, &global),
    }
}

/// Recipe arguments split into directories (holding a `recipe.toml`) and package names.
pub(crate) fn split_roots(args: &[String]) -> (Vec<PathBuf>, Vec<String>) {
    let mut dirs = Vec::new();
    let mut names = Vec::new();
    for arg in args {
        let path = PathBuf::from(arg);
        if path.join(crate::recipe::RECIPE_FILE).is_file() || arg.contains('/') {
            dirs.push(path);
        } else {
            names.push(arg.clone());
        }
    }
    (dirs, names)
}

/// Write `text` and a newline to stdout; a closed pipe (`archi render … | head`) ends output quietly.
pub(crate) fn print_out(text: &str) -> miette::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{text}").and_then(|()| stdout.flush()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(miette::miette!("cannot write to stdout: {err}"))
        }
        _ => Ok(()),
    }
}

/// This process's peak resident set size (`VmHWM` in /proc/self/status), in kB.
fn peak_memory_kb() -> Option<u64> {
    let status = fs_err::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Error reports: colour only on a terminal, 80 columns, so that piped output (and the snapshot tests) is stable.
fn init_reports() {
    use std::io::IsTerminal;
    let tty = std::io::stderr().is_terminal();
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .width(80)
                .color(tty)
                .unicode(true)
                .terminal_links(false)
                .build(),
        )
    }));
}

/// Log lines on stderr beside the display: warnings by default, `-v` info, `-vv` debug, `-q` errors only;
/// `ARCHI_LOG` overrides.
fn init_tracing(verbose: u8, quiet: bool) {
    use tracing_subscriber::fmt::format::FmtSpan;
    use tracing_subscriber::EnvFilter;
    let default = match (quiet, verbose) {
        (true, _) => "archi=error",
        (false, 0) => "archi=warn",
        (false, 1) => "archi=info",
        (false, 2) => "archi=debug",
        _ => "debug",
    };
    let filter = std::env::var(env_vars::ARCHI_LOG).unwrap_or_else(|_| default.to_string());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    // With -v: time since start on every line and each phase's duration when it ends.
    let _ = if verbose > 0 {
        builder
            .with_timer(tracing_subscriber::fmt::time::uptime())
            .with_span_events(FmtSpan::CLOSE)
            .try_init()
    } else {
        builder.without_time().try_init()
    };
}
