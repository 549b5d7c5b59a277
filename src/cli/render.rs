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
    // The key needs the solved host environment; when it cannot be solved yet (a dependency not built), print
    // the rendered recipe and say why the key is unknown.
    let out = match build::plan(&loaded, rendered.clone(), &settings, &RunPins::new()) {
        Ok(plan) => json!({
            "name": plan.rendered.name,
            "version": plan.rendered.version,
            "build_string": plan.build_string,
            "store_key": plan.key.as_str(),
            "variant": plan.rendered.variant,
            "recipe": plan.rendered,
            "hash_input": plan.inputs,
        }),
        Err(err @ build::BuildError::Prefix { .. }) => json!({
            "name": rendered.name,
            "version": rendered.version,
            "build_string": null,
            "store_key": null,
            "store_key_unknown": format!("{:?}", miette::Report::new(err)),
            "variant": rendered.variant,
            "recipe": rendered,
        }),
        Err(err) => return Err(err.into()),
    };
    super::print_out(&serde_json::to_string_pretty(&out).into_diagnostic()?)?;
    Ok(())
}
