//! `archi solve [NAME...]`: the workspace's recipe graph in build waves, with each node's store state.

use miette::IntoDiagnostic;
use rattler_conda_types::Subdir;

use super::settings::{self, BuildFlags, Global};
use crate::build::{self, RunPins, TestMode};
use crate::graph;
use crate::recipe;

/// Arguments of `archi solve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Packages to reach (default: every recipe in the workspace); their recipe dependencies are included.
    pub names: Vec<String>,
    /// Platform to order for (default: this machine's).
    #[arg(long)]
    pub target_platform: Option<Subdir>,
}

/// Print the waves.
pub fn run(args: Args, global: &Global) -> miette::Result<()> {
    let cwd = std::env::current_dir().into_diagnostic()?;
    let workspace = crate::workspace::Workspace::discover(&cwd)?;
    let flags = BuildFlags {
        output: None,
        channels: Vec::new(),
        target_platform: args.target_platform,
        test: TestMode::Skip,
        keep_work: false,
        offline: true,
    };
    let settings = settings::build_settings(global, flags, &workspace.root)?;
    let loaded = workspace
        .recipe_dirs()
        .iter()
        .map(|d| recipe::load(d))
        .collect::<Result<Vec<_>, _>>()?;
    let rendered = loaded
        .iter()
        .map(|r| build::render_recipe(r, &settings))
        .collect::<Result<Vec<_>, _>>()?;
    let nodes: Vec<_> = rendered.iter().map(super::build::graph_node).collect();
    let wanted = closure(&nodes, &args.names)?;
    let waves = graph::waves(&nodes)?;
    for (n, wave) in waves.iter().enumerate() {
        let members: Vec<usize> = wave.iter().copied().filter(|i| wanted[*i]).collect();
        if members.is_empty() {
            continue;
        }
        println!("wave {}", n + 1);
        for i in members {
            let state =
                match build::plan(&loaded[i], rendered[i].clone(), &settings, &RunPins::new()) {
                    Ok(plan)
                        if settings
                            .store
                            .lookup(&plan.key)
                            .into_diagnostic()?
                            .is_some() =>
                    {
                        "in store"
                    }
                    Ok(_) => "to build",
                    // An environment that cannot be solved yet: its dependencies are in an earlier wave.
                    Err(build::BuildError::Prefix { .. }) => {
                        "to build (dependencies not yet built)"
                    }
                    Err(err) => return Err(err.into()),
                };
            println!("  {:<24} {state}", rendered[i].name);
        }
    }
    Ok(())
}

/// Which nodes `names` need (all when empty).
fn closure(nodes: &[graph::GraphNode], names: &[String]) -> miette::Result<Vec<bool>> {
    let mut wanted = vec![names.is_empty(); nodes.len()];
    let mut stack: Vec<String> = names.to_vec();
    while let Some(name) = stack.pop() {
        let i = nodes
            .iter()
            .position(|n| n.name == name)
            .ok_or_else(|| miette::miette!("no recipe in the workspace produces `{name}`"))?;
        if !std::mem::replace(&mut wanted[i], true) {
            stack.extend(
                nodes[i]
                    .requires
                    .iter()
                    .filter(|r| nodes.iter().any(|n| &n.name == *r))
                    .cloned(),
            );
        }
    }
    Ok(wanted)
}
