//! What a run tells its display: events through a [`Reporter`]. The terminal display, the plain-line display,
//! `--json` and the timeline picture are reporters or read the [`RunReport`]; the library never prints.

use std::path::PathBuf;

use serde::Serialize;

use crate::build::Phase;

/// One node as events name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeInfo {
    /// Index in the graph.
    pub index: usize,
    /// Package name.
    pub name: String,
    /// Version.
    pub version: String,
    /// The subdir it is built for (`noarch`, `linux-64`, …).
    pub platform: String,
}

/// How one node ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum NodeOutcome {
    /// Built, tested, stored and published.
    Built {
        /// Store key.
        key: String,
        /// Build string.
        build: String,
        /// Seconds the script ran.
        script_seconds: f64,
    },
    /// Found in the store (and published).
    Cached {
        /// Store key.
        key: String,
        /// Build string.
        build: String,
    },
    /// Downloaded from a binary cache (`[[substituter]]`), checked and stored (and published); nothing was built.
    Substituted {
        /// Store key.
        key: String,
        /// Build string.
        build: String,
        /// The cache's URL.
        url: String,
    },
    /// Planning, building, testing or publishing failed.
    Failed {
        /// The error, rendered.
        error: String,
        /// The build log, when the build got that far.
        log: Option<PathBuf>,
    },
    /// Not started because a node it needs failed.
    Skipped {
        /// The failed node it (indirectly) needs, `name (subdir)`.
        needs: String,
    },
    /// Not started because `--fail-fast` stopped the run.
    Stopped,
}

impl NodeOutcome {
    /// `built`, `cached`, `substituted`, `failed`, `skipped` or `stopped`.
    pub fn word(&self) -> &'static str {
        match self {
            NodeOutcome::Built { .. } => "built",
            NodeOutcome::Cached { .. } => "cached",
            NodeOutcome::Substituted { .. } => "substituted",
            NodeOutcome::Failed { .. } => "failed",
            NodeOutcome::Skipped { .. } => "skipped",
            NodeOutcome::Stopped => "stopped",
        }
    }
}

/// How the run's build scripts are isolated, said once per run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SandboxInfo {
    /// Whether scripts run in the sandbox.
    pub sandboxed: bool,
    /// What the sandbox does, or why there is none (`--no-sandbox`, or the probe's failure).
    pub detail: String,
}

impl SandboxInfo {
    /// The event's content for `isolation`.
    pub fn of(isolation: &crate::sandbox::Isolation) -> SandboxInfo {
        use crate::sandbox::Isolation;
        match isolation {
            Isolation::Sandboxed(policy) => SandboxInfo {
                sandboxed: true,
                detail: policy.describe(),
            },
            Isolation::OptedOut => SandboxInfo {
                sandboxed: false,
                detail: "off (--no-sandbox)".into(),
            },
            Isolation::Unavailable(reason) => SandboxInfo {
                sandboxed: false,
                detail: format!("unavailable here ({reason}); building unsandboxed"),
            },
        }
    }

    /// `sandbox: …`, the line the displays print.
    pub fn line(&self) -> String {
        format!("sandbox: {}", self.detail)
    }
}

/// An event of a run; times are seconds since the run started.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The graph is ready: `total` nodes in `waves` waves, `jobs` builds at once, `cpu_count` jobserver tokens.
    Plan {
        /// Nodes to go through.
        total: usize,
        /// Number of waves.
        waves: usize,
        /// Concurrent builds.
        jobs: usize,
        /// Jobserver tokens.
        cpu_count: usize,
    },
    /// How build scripts are isolated in this run (once, before any node starts).
    Sandbox(SandboxInfo),
    /// A node started (planning it).
    Start {
        /// The node.
        node: NodeInfo,
        /// Time.
        time: f64,
    },
    /// A node entered a phase.
    Phase {
        /// The node.
        node: NodeInfo,
        /// The phase.
        phase: Phase,
        /// Time.
        time: f64,
    },
    /// A node ended.
    Finish {
        /// The node.
        node: NodeInfo,
        /// How.
        #[serde(flatten)]
        outcome: NodeOutcome,
        /// Time.
        time: f64,
        /// Seconds since its start (0 for skipped nodes).
        seconds: f64,
    },
}

/// Receives the events of a run, from several build threads at once.
pub trait Reporter: Send + Sync {
    /// One event.
    fn event(&self, event: &Event);
}

/// A reporter that drops everything.
#[derive(Debug, Default)]
pub struct Silent;

impl Reporter for Silent {
    fn event(&self, _: &Event) {}
}

/// One node's record in a [`RunReport`].
#[derive(Debug, Clone, Serialize)]
pub struct NodeRecord {
    /// The node.
    pub node: NodeInfo,
    /// How it ended.
    pub outcome: NodeOutcome,
    /// When it started and ended (seconds since the run started); equal for nodes that never started.
    pub start: f64,
    /// End time.
    pub end: f64,
    /// Phases entered, with their start times.
    pub phases: Vec<(Phase, f64)>,
    /// Graph indices of the nodes it needs.
    pub deps: Vec<usize>,
}

/// Everything a run did, for the summary, the timeline and the exit code.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// Per node, in graph order.
    pub nodes: Vec<NodeRecord>,
    /// Wall time of the run, seconds.
    pub wall: f64,
}

impl RunReport {
    /// Whether any node failed, was skipped or was stopped.
    pub fn failed(&self) -> bool {
        self.nodes.iter().any(|n| {
            matches!(
                n.outcome,
                NodeOutcome::Failed { .. } | NodeOutcome::Skipped { .. } | NodeOutcome::Stopped
            )
        })
    }
}
