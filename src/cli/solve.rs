//! `archi solve [NAME|DIR...] [--all] [--target-platform P]... [--format text|json|dot]`: the graph of the
//! named recipes (and every workspace recipe they need) in build waves, each node with its store state, without
//! building. Requirements left to channels are listed in the first wave with state `channel`.

use rattler_conda_types::Subdir;
use serde_json::json;

use super::settings::{self, ContextFlags, Global};
use crate::schedule::{self, NodeState, Selection};

/// Output formats of `archi solve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Waves as indented lines.
    Text,
    /// `{"waves": [[{"name", "version", "platform", "state", "key", "reason", "packages"}, ...], ...], "edges":
    /// [["python (linux-aarch64)", "python (linux-64)"], ...]}`: each edge is (node, node it needs), a node named
    /// `name (platform)`, sorted.
    Json,
    /// Graphviz: one node per build (clustered by subdir, coloured by state), an edge from each dependency to
    /// the node that needs it.
    Dot,
}

/// Arguments of `archi solve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Package names or recipe directories to reach (default: every recipe); what they need is included.
    pub recipes: Vec<String>,
    /// Every recipe of the workspace.
    #[arg(long)]
    pub all: bool,
    /// Platforms to solve for, repeatable (default: this machine's).
    #[arg(long = "target-platform")]
    pub target_platforms: Vec<Subdir>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// More channels for requirements no recipe provides, after the output channel.
    #[arg(long = "channel", short = 'c')]
    pub channels: Vec<String>,
    /// Output channel (default: the workspace's).
    #[arg(long, short)]
    pub output: Option<std::path::PathBuf>,
}

/// Print the waves.
pub fn run(args: Args, global: &Global) -> miette::Result<()> {
    let Args {
        recipes,
        all,
        target_platforms,
        format,
        channels,
        output,
    } = args;
    let (dirs, names) = super::split_roots(&recipes);
    let cwd = std::env::current_dir().map_err(|e| miette::miette!("{e}"))?;
    let start = dirs.first().cloned().unwrap_or(cwd);
    let ctx = settings::context(global, ContextFlags { output, channels }, &start)?;
    let platforms = if target_platforms.is_empty() {
        vec![ctx.build_platform]
    } else {
        target_platforms
    };
    let selection = Selection {
        all: all || recipes.is_empty(),
        names,
        dirs,
        platforms,
        with_deps: true,
    };
    let ws = schedule::prepare(&ctx, &selection)?;
    let waves = ws.graph.waves()?;
    let store = settings::open_store(global)?;
    let states = schedule::states(&ctx, &store, &ws, &waves)?;
    settings::finish(&ctx);
    let entry = |n: usize| {
        let node = &ws.graph.nodes[n];
        let (state, key, reason) = match &states[&n] {
            NodeState::Cached { key } => ("cached", Some(key.to_string()), None),
            NodeState::Build { key, reason } => (
                "build",
                key.as_ref().map(ToString::to_string),
                Some(reason.clone()),
            ),
        };
        json!({
            "name": node.name,
            "version": node.version,
            "platform": node.subdir.as_str(),
            "state": state,
            "key": key,
            "reason": reason,
            "packages": ws.rendered(n).package_names(),
        })
    };
    let channel_entries = ws.from_channels.iter().map(|((name, platform), version)| {
        json!({"name": name, "version": version, "platform": platform.as_str(), "state": "channel", "key": null, "reason": null})
    });
    let mut out_waves: Vec<Vec<serde_json::Value>> = waves
        .iter()
        .map(|w| w.iter().map(|&n| entry(n)).collect())
        .collect();
    if out_waves.is_empty() {
        out_waves.push(Vec::new());
    }
    out_waves[0].extend(channel_entries);
    let text = match format {
        Format::Json => {
            let mut edges: Vec<(String, String)> = ws
                .graph
                .deps
                .iter()
                .enumerate()
                .flat_map(|(n, deps)| {
                    let graph = &ws.graph;
                    deps.iter()
                        .map(move |&d| (graph.nodes[n].label(), graph.nodes[d].label()))
                })
                .collect();
            edges.sort();
            serde_json::to_string_pretty(&json!({ "waves": out_waves, "edges": edges }))
                .map_err(|e| miette::miette!("{e}"))?
        }
        Format::Text => {
            let mut lines = Vec::new();
            for (i, wave) in out_waves.iter().enumerate() {
                lines.push(format!("wave {}", i + 1));
                for e in wave {
                    let what = format!(
                        "{} {} {}",
                        e["name"].as_str().unwrap_or(""),
                        e["version"].as_str().unwrap_or(""),
                        e["platform"].as_str().unwrap_or("")
                    );
                    let mut line = format!("  {what:<44} {:<7}", e["state"].as_str().unwrap_or(""));
                    if let Some(key) = e["key"].as_str() {
                        line.push_str(&format!(" {}", &key[..12.min(key.len())]));
                    }
                    if let Some(reason) = e["reason"].as_str() {
                        line.push_str(&format!(" ({reason})"));
                    }
                    lines.push(line);
                    let packages: Vec<&str> = e["packages"]
                        .as_array()
                        .map(|p| p.iter().filter_map(|v| v.as_str()).collect())
                        .unwrap_or_default();
                    if packages.len() > 1
                        || packages
                            .first()
                            .is_some_and(|p| Some(*p) != e["name"].as_str())
                    {
                        lines.push(format!("    makes {}", packages.join(", ")));
                    }
                }
            }
            lines.join("\n")
        }
        Format::Dot => {
            // One cluster per subdir; fill colour by state.
            let id = |n: usize| format!("\"{}\"", ws.graph.nodes[n].label());
            let mut lines = vec![
                "digraph archi {".to_string(),
                "  rankdir=TB;".into(),
                "  node [shape=box, style=filled, fontname=\"sans-serif\"];".into(),
            ];
            let mut by_subdir: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
            for &n in waves.iter().flatten() {
                by_subdir
                    .entry(ws.graph.nodes[n].subdir.as_str())
                    .or_default()
                    .push(n);
            }
            for (subdir, nodes) in by_subdir {
                lines.push(format!("  subgraph \"cluster_{subdir}\" {{"));
                lines.push(format!("    label=\"{subdir}\";"));
                for n in nodes {
                    let e = entry(n);
                    let state = e["state"].as_str().unwrap_or("");
                    let colour = if state == "cached" {
                        "#b7e4c7"
                    } else {
                        "#ffd6a5"
                    };
                    lines.push(format!(
                        "    {} [label=\"{} {}\\n{}\", fillcolor=\"{colour}\"];",
                        id(n),
                        e["name"].as_str().unwrap_or(""),
                        e["version"].as_str().unwrap_or(""),
                        state
                    ));
                }
                lines.push("  }".into());
            }
            for (n, deps) in ws.graph.deps.iter().enumerate() {
                for &d in deps {
                    lines.push(format!("  {} -> {};", id(d), id(n)));
                }
            }
            lines.push("}".into());
            lines.join("\n")
        }
    };
    super::print_out(&text)
}
