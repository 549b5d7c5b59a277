//! `archi build [--all | --with-deps] NAME|DIR... [--target-platform P]...`: graph, build concurrently, publish.

use std::path::PathBuf;

use miette::IntoDiagnostic;
use rattler_conda_types::Subdir;

use super::display::{self, DisplayMode};
use super::settings::{self, ContextFlags, Global};
use crate::build::{BuildOptions, TestMode};
use crate::publish::{Chain, LocalChannel};
use crate::sandbox::{self, Isolation};
use crate::schedule::event::{Event, SandboxInfo};
use crate::schedule::{self, run::RunOptions};
use crate::source::FetchPolicy;

/// Arguments of `archi build`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Recipe directories (holding recipe.toml) or package names of workspace recipes.
    #[arg(required_unless_present = "all")]
    pub recipes: Vec<String>,
    /// Build every recipe of the workspace.
    #[arg(long, conflicts_with = "recipes")]
    pub all: bool,
    /// Also build the workspace recipes the given ones need (build requirements for the build platform).
    #[arg(long)]
    pub with_deps: bool,
    /// Platforms to build for, repeatable; one graph for all (default: this machine's).
    #[arg(long = "target-platform")]
    pub target_platforms: Vec<Subdir>,
    /// Builds at once (default: the number of cores).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Stop starting new builds at the first failure (default: keep going with independent builds).
    #[arg(long)]
    pub fail_fast: bool,
    /// Print events as JSON lines on stdout (start, phase, finish) instead of the display.
    #[arg(long)]
    pub json: bool,
    /// Channel to publish to (default: the workspace's output channel).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// More channels to solve build/host/test environments from, after the output channel.
    #[arg(long = "channel", short = 'c')]
    pub channels: Vec<String>,
    /// How to run package tests.
    #[arg(long, value_enum, default_value_t = TestMode::Emulated)]
    pub test: TestMode,
    /// Keep the work directory after a successful build.
    #[arg(long)]
    pub keep_work: bool,
    /// Never download sources (also ARCHI_OFFLINE=1).
    #[arg(long)]
    pub offline: bool,
    /// Run build scripts unsandboxed: with the network, a writable file system, `$HOME` and the store.
    #[arg(long)]
    pub no_sandbox: bool,
    /// Build every selected node again although the store has it, and compare the packages byte for byte with
    /// the stored ones (Nix's --check): differing files are named, both trees kept; nothing is stored.
    #[arg(long)]
    pub check: bool,
    /// Never run a build script: what the store lacks must come from a binary cache (`[[substituter]]`), else
    /// the node fails.
    #[arg(long, conflicts_with = "check")]
    pub no_build: bool,
    /// Secret key file (`archi key generate`) that signs what is pushed to caches with `push = true`.
    #[arg(long, env = crate::substitute::SIGNING_KEY_ENV)]
    pub signing_key: Option<PathBuf>,
    /// Also upload every built or cached package to this channel after the local one (see `archi upload --to`;
    /// a quetz channel as `http://host:port/get/CHANNEL`).
    #[arg(long, value_name = "URL", conflicts_with = "check")]
    pub upload: Option<String>,
    /// The kind of `--upload` destination (default: from the URL).
    #[arg(long, value_enum, requires = "upload")]
    pub upload_kind: Option<crate::upload::Kind>,
    /// The owner for an anaconda `--upload`.
    #[arg(long, requires = "upload")]
    pub upload_owner: Option<String>,
    /// A file whose first line is the `--upload` credential (default: the ARCHI_*_TOKEN/KEY variables).
    #[arg(long, requires = "upload")]
    pub upload_auth_file: Option<PathBuf>,
}

/// Build the selection; exit code 1 when any node failed or was skipped.
pub fn run(args: Args, global: &Global, verbosity: display::Verbosity) -> miette::Result<()> {
    let Args {
        recipes,
        all,
        with_deps,
        target_platforms,
        jobs,
        fail_fast,
        json,
        output,
        channels,
        test,
        keep_work,
        offline,
        no_sandbox,
        check,
        no_build,
        signing_key,
        upload,
        upload_kind,
        upload_owner,
        upload_auth_file,
    } = args;
    // Resolved before anything is built, so a missing channel or credential fails at once.
    let remote = match upload {
        Some(to) => {
            let target = crate::upload::Target::parse(&to, upload_kind, None, upload_owner, false)?;
            let secret = crate::upload::credential(target.kind, upload_auth_file.as_deref())?;
            Some(crate::upload::UploadSink::new(crate::upload::uploader(
                &target, secret,
            )?))
        }
        None => None,
    };
    let (dirs, names) = super::split_roots(&recipes);
    let start = dirs
        .first()
        .cloned()
        .unwrap_or(std::env::current_dir().map_err(|e| miette::miette!("{e}"))?);
    let ctx = settings::context(global, ContextFlags { output, channels }, &start)?;
    let platforms = if target_platforms.is_empty() {
        vec![ctx.build_platform]
    } else {
        target_platforms
    };
    let selection = schedule::Selection {
        all,
        names,
        dirs,
        platforms,
        with_deps,
    };
    let workset = schedule::prepare(&ctx, &selection)?;
    let shop = settings::workshop(global)?;
    let mut times = schedule::BuildTimes::load(&shop.store);
    let cpu_count = settings::cpu_count();
    let isolation = if no_sandbox {
        Isolation::OptedOut
    } else {
        sandbox::probe(shop.store.root(), ::dirs::home_dir().as_deref())
    };
    let signing = signing_key
        .as_deref()
        .map(crate::substitute::read_signing_key)
        .transpose()?;
    // `--check` rebuilds what the store has and stores nothing: no cache is asked or pushed to.
    let substitute = match check {
        true => None,
        false => crate::substitute::Substituters::from_workspace(&ctx.workspace, signing)?
            .map(std::sync::Arc::new),
    };
    let opts = RunOptions {
        jobs: jobs.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        }),
        cpu_count,
        fail_fast,
        build: BuildOptions {
            test,
            keep_work,
            fetch: FetchPolicy {
                offline: settings::offline(offline),
            },
            isolation: isolation.clone(),
            check,
            substitute,
            no_build,
        },
        estimates: times.estimates(),
    };
    let mode = if json {
        DisplayMode::Json
    } else {
        DisplayMode::detect(verbosity)
    };
    let reporter = display::reporter(mode, workset.graph.nodes.len());
    reporter.event(&Event::Sandbox(SandboxInfo::of(&isolation)));
    let (sink, repaired) = LocalChannel::open(&ctx.output_channel).into_diagnostic()?;
    if !repaired.is_empty() {
        tracing::warn!(
            "repaired channel {} after an interrupted run: {repaired:?}",
            ctx.output_channel.display()
        );
    }
    let sink: Box<dyn crate::publish::Sink> = match remote {
        Some(remote) => Box::new(Chain {
            first: Box::new(sink),
            then: Box::new(remote),
        }),
        None => Box::new(sink),
    };
    let report = schedule::run::execute(
        &ctx,
        &shop,
        &workset,
        &opts,
        sink.as_ref(),
        reporter.as_ref(),
    )
    .map_err(|e| miette::miette!("cannot create the jobserver: {e}"))?;
    drop(reporter);
    settings::finish(&ctx);
    if !check {
        if let Err(err) = times.record(&report) {
            tracing::debug!("build times not saved: {err}");
        }
    }
    display::finish(&ctx, &report, mode)?;
    if check {
        let same = report
            .nodes
            .iter()
            .filter(|n| matches!(n.outcome, schedule::event::NodeOutcome::Built { .. }))
            .count();
        let total = report.nodes.len();
        let share = if total == 0 {
            100.0
        } else {
            100.0 * same as f64 / total as f64
        };
        eprintln!("check: {same} of {total} builds reproduced byte for byte ({share:.0}%)");
    }
    if report.failed() {
        return Err(miette::miette!(
            "{} of {} builds did not succeed",
            report
                .nodes
                .iter()
                .filter(|n| !matches!(
                    n.outcome,
                    schedule::event::NodeOutcome::Built { .. }
                        | schedule::event::NodeOutcome::Cached { .. }
                        | schedule::event::NodeOutcome::Substituted { .. }
                ))
                .count(),
            report.nodes.len()
        ));
    }
    Ok(())
}
