//! A finished run as the packager reads it: the summary table with the critical path, and the timeline
//! picture, both made from the [`RunReport`] by the pure functions of [`super::timeline`].

use super::event::{NodeOutcome, RunReport};
use super::timeline::{self, BarOutcome, BuildBar, PathNode, PhaseBar, SummaryRow};

fn bar_outcome(outcome: &NodeOutcome) -> BarOutcome {
    match outcome {
        NodeOutcome::Built { .. } => BarOutcome::Built,
        NodeOutcome::Cached { .. } => BarOutcome::Cached,
        NodeOutcome::Substituted { .. } => BarOutcome::Substituted,
        NodeOutcome::Failed { .. } => BarOutcome::Failed,
        NodeOutcome::Skipped { .. } | NodeOutcome::Stopped => BarOutcome::Skipped,
    }
}

/// Indices (into `report.nodes`) of the critical path: the chain of dependencies whose summed wall times is
/// largest.
pub fn critical_path(report: &RunReport) -> Vec<usize> {
    let position: std::collections::BTreeMap<usize, usize> = report
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.node.index, i))
        .collect();
    let nodes: Vec<PathNode> = report
        .nodes
        .iter()
        .map(|n| PathNode {
            duration_s: n.end - n.start,
            deps: n
                .deps
                .iter()
                .filter_map(|d| position.get(d).copied())
                .collect(),
        })
        .collect();
    timeline::critical_path(&nodes)
}

fn label(report: &RunReport, i: usize) -> String {
    let n = &report.nodes[i].node;
    format!("{} {} {}", n.name, n.version, n.platform)
}

/// The summary table: one row per node in start order, the counts and the critical path.
pub fn table(report: &RunReport) -> String {
    let mut order: Vec<usize> = (0..report.nodes.len()).collect();
    order.sort_by(|&a, &b| report.nodes[a].start.total_cmp(&report.nodes[b].start));
    let rows: Vec<SummaryRow> = order
        .iter()
        .map(|&i| {
            let n = &report.nodes[i];
            SummaryRow {
                label: label(report, i),
                outcome: bar_outcome(&n.outcome),
                seconds: n.end - n.start,
                note: match &n.outcome {
                    NodeOutcome::Skipped { needs } => format!("needs {needs}, which failed"),
                    NodeOutcome::Stopped => "not started (--fail-fast)".into(),
                    NodeOutcome::Failed { log: Some(log), .. } => format!("log: {}", log.display()),
                    NodeOutcome::Substituted { url, .. } => format!("from {url}"),
                    NodeOutcome::Built { script_seconds, .. } => {
                        format!("script {script_seconds:.1} s")
                    }
                    _ => String::new(),
                },
            }
        })
        .collect();
    let critical: Vec<usize> = critical_path(report)
        .into_iter()
        .filter_map(|c| order.iter().position(|&i| i == c))
        .collect();
    timeline::summary_table(&rows, &critical, report.wall)
}

/// The timeline picture (SVG): one row per node that ran, bars coloured by phase.
pub fn svg(report: &RunReport, title: &str) -> String {
    let mut order: Vec<usize> = (0..report.nodes.len()).collect();
    order.sort_by(|&a, &b| report.nodes[a].start.total_cmp(&report.nodes[b].start));
    let bars: Vec<BuildBar> = order
        .iter()
        .map(|&i| {
            let n = &report.nodes[i];
            let phases = n
                .phases
                .iter()
                .enumerate()
                .map(|(k, (phase, start))| PhaseBar {
                    phase: phase.as_str().to_string(),
                    start_s: *start,
                    end_s: n.phases.get(k + 1).map(|p| p.1).unwrap_or(n.end),
                })
                .collect();
            BuildBar {
                label: label(report, i),
                outcome: bar_outcome(&n.outcome),
                phases,
            }
        })
        .collect();
    let critical: Vec<usize> = critical_path(report)
        .into_iter()
        .filter_map(|c| order.iter().position(|&i| i == c))
        .collect();
    timeline::render_svg(title, &bars, &critical)
}
