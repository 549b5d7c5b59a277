//! `archi render RECIPE_DIR`: the rendered recipe, its variant, store key and build string, as JSON on stdout.

use std::path::PathBuf;

use miette::IntoDiagnostic;
use rattler_conda_types::Subdir;
use serde_json::json;

use super::settings::{self, BuildFlags, Global};
use crate::build::{self, RunPins, TestMode};
use crate::recipe;

/// Arguments of `archi render`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The recipe directory.
    pub recipe: PathBuf,
    /// Platform to render for (default: this machine's).
    #[arg(long)]
    pub target_platform: Option<Subdir>,
    /// More channels for the host environment, after the output channel.
    #[arg(long = "channel", short = 'c')]
    pub channels: Vec<String>,
    /// Output channel (default: the workspace's).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// Render and print.
pub fn run(args: Args, global: &Global) -> miette::Result<()> {
    let Args {
        recipe,
        target_platform,
        channels,
        output,
    } = args;
    let loaded = recipe::load(&recipe)?;
    let flags = BuildFlags {
        output,
        channels,
        target_platform,
        test: TestMode::Skip,
        keep_work: false,
        offline: true,
    };
    let settings = settings::build_settings(global, flags, &loaded.dir)?;
    let rendered = build::render_recipe(&loaded, &settings)?;
    let plan = build::plan(&loaded, rendered, &settings, &RunPins::new())?;
    let out = json!({
        "name": plan.rendered.name,
        "version": plan.rendered.version,
        "build_string": plan.build_string,
        "store_key": plan.key.as_str(),
        "variant": plan.rendered.variant,
        "recipe": plan.rendered,
        "hash_input": plan.inputs,
    });
    println!("{}", serde_json::to_string_pretty(&out).into_diagnostic()?);
    Ok(())
}
