//! `archi build RECIPE_DIR...`: render, order into waves, build (or find in the store) and publish.

use std::path::PathBuf;
use std::time::Instant;

use miette::IntoDiagnostic;
use rattler_conda_types::Subdir;

use super::settings::{self, BuildFlags, Global};
use crate::build::{self, BuildSettings, Outcome, RunPins, TestMode};
use crate::graph::{self, GraphNode};
use crate::recipe::{self, LoadedRecipe};
use crate::render::{RenderedRecipe, Requirement};

/// Arguments of `archi build`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Recipe directories (holding recipe.toml).
    #[arg(required = true)]
    pub recipes: Vec<PathBuf>,
    /// Channel to publish to (default: the workspace's output channel).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// More channels to solve build/host/test environments from, after the output channel.
    #[arg(long = "channel", short = 'c')]
    pub channels: Vec<String>,
    /// Platform to build for (default: this machine's).
    #[arg(long)]
    pub target_platform: Option<Subdir>,
    /// How to run package tests.
    #[arg(long, value_enum, default_value_t = TestMode::Emulated)]
    pub test: TestMode,
    /// Keep the work directory after a successful build.
    #[arg(long)]
    pub keep_work: bool,
    /// Never download sources (also ARCHI_OFFLINE=1).
    #[arg(long)]
    pub offline: bool,
}

/// Build every recipe in dependency order; stop at the first failure.
pub fn run(args: Args, global: &Global) -> miette::Result<()> {
    let Args {
        recipes,
        output,
        channels,
        target_platform,
        test,
        keep_work,
        offline,
    } = args;
    let loaded: Vec<LoadedRecipe> = recipes
        .iter()
        .map(|dir| recipe::load(dir))
        .collect::<Result<_, _>>()?;
    let flags = BuildFlags {
        output,
        channels,
        target_platform,
        test,
        keep_work,
        offline,
    };
    let settings = settings::build_settings(global, flags, &loaded[0].dir)?;
    let rendered: Vec<RenderedRecipe> = loaded
        .iter()
        .map(|r| build::render_recipe(r, &settings))
        .collect::<Result<_, _>>()?;
    let nodes: Vec<GraphNode> = rendered.iter().map(graph_node).collect();
    let waves = graph::waves(&nodes)?;
    let mut run_pins = RunPins::new();
    for wave in waves {
        for i in wave {
            build_one(&loaded[i], rendered[i].clone(), &settings, &mut run_pins)?;
        }
    }
    Ok(())
}

fn build_one(
    recipe: &LoadedRecipe,
    rendered: RenderedRecipe,
    settings: &BuildSettings,
    run_pins: &mut RunPins,
) -> miette::Result<()> {
    let started = Instant::now();
    let plan = build::plan(recipe, rendered, settings, run_pins)?;
    let platform = settings.target_platform;
    let label = format!(
        "{}-{}-{}",
        plan.rendered.name, plan.rendered.version, plan.build_string
    );
    match build::build(&plan, settings)? {
        Outcome::Cached(entry) => {
            println!("cached  {label}  {platform}  {}", entry.key);
        }
        Outcome::Built {
            entry,
            script_seconds,
        } => {
            let total = started.elapsed().as_secs_f64();
            println!(
                "built   {label}  {platform}  {}  ({total:.1} s, script {script_seconds:.1} s)",
                entry.key
            );
        }
        Outcome::Skipped => {
            println!("skipped {}  {platform}", plan.rendered.name);
            return Ok(());
        }
    }
    run_pins.insert(
        plan.rendered.name.clone(),
        (plan.rendered.version.clone(), plan.build_string.clone()),
    );
    std::io::Write::flush(&mut std::io::stdout()).into_diagnostic()?;
    Ok(())
}

/// The graph's view of a rendered recipe: its name and the package names of its requirements.
pub fn graph_node(rendered: &RenderedRecipe) -> GraphNode {
    let reqs = &rendered.requirements;
    let names = reqs
        .build
        .iter()
        .chain(&reqs.host)
        .filter_map(|r| match r {
            Requirement::Package(spec) => Some(spec.as_str()),
            Requirement::Toolchain(_) => None,
        })
        .chain(reqs.run.iter().map(String::as_str))
        .filter_map(|spec| spec.split_whitespace().next())
        .map(str::to_string)
        .collect();
    GraphNode {
        name: rendered.name.clone(),
        requires: names,
    }
}
