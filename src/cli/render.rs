//! `archi render RECIPE_DIR`: the rendered recipe, its variant, store key and build string, as JSON on stdout.

use std::path::PathBuf;

use miette::IntoDiagnostic;
use rattler_conda_types::Subdir;
use serde_json::json;

use super::settings::{self, ContextFlags, Global};
use crate::plan::{self, PlanError, PlanRequest, RunRecords};
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

/// Render and print. Reads the workspace and channels; never opens the store.
pub fn run(args: Args, global: &Global) -> miette::Result<()> {
    let Args {
        recipe,
        target_platform,
        channels,
        output,
    } = args;
    let loaded = recipe::load(&recipe)?;
    let ctx = settings::context(global, ContextFlags { output, channels }, &loaded.dir)?;
    let target = target_platform.unwrap_or(ctx.build_platform);
    let rendered = ctx.render(&loaded, target)?;
    // The key needs the solved host environment; when it cannot be solved yet (a dependency not built), print
    // the rendered recipe and say why the key is unknown.
    let request = PlanRequest {
        recipe: &loaded,
        target,
        run_records: &RunRecords::new(),
    };
    let out = match plan::plan(&ctx, request, rendered.clone()) {
        Ok(plan) => json!({
            "name": plan.rendered.name,
            "version": plan.rendered.version,
            "build_string": plan.build_string,
            "store_key": plan.key.as_str(),
            "variant": plan.rendered.variant,
            "recipe": plan.rendered,
            "hash_input": plan.inputs,
        }),
        Err(err @ PlanError::Environment { .. }) => json!({
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
    settings::finish(&ctx);
    super::print_out(&serde_json::to_string_pretty(&out).into_diagnostic()?)?;
    Ok(())
}
