//! `archi rerender`: the build graph of a workspace as a CI workflow (conda-forge's "rerender" of its CI files,
//! conda-smithy's job, done from archi's own graph). Pure: the caller (the CLI) computes the graph with
//! [`crate::schedule::prepare`], hashes the inputs and writes the text; this module turns a [`WorkflowGraph`]
//! into jobs ([`groups`]), a checksum ([`checksum`]) and, per provider, the workflow text ([`github::render`]).
//!
//! One job builds one node (or, when the graph has more nodes than a provider allows jobs, one wave per runner);
//! a job needs the jobs that build its node's dependencies, so the workflow's `needs:` graph is the graph's
//! edges. The header of the written file holds a blake3 checksum of nodes, edges, options and the recipe files,
//! which `archi rerender --check` compares to find a workflow that was not rerendered after a recipe changed.

pub mod github;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

/// GitHub's limit of jobs in one workflow run; beyond it [`groups`] makes one job per wave.
pub const GITHUB_MAX_JOBS: usize = 256;

/// The line of the header that carries the checksum: `# archi-graph-checksum: blake3:<64 hex>`.
pub const CHECKSUM_PREFIX: &str = "# archi-graph-checksum: blake3:";

/// The line of the header that carries the options the file was rendered with.
pub const OPTIONS_PREFIX: &str = "# archi-rerender-options:";

/// One build of the workflow: a node of archi's graph (`archi solve`'s node, [`crate::graph::Node`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkflowNode {
    /// Package name of the recipe (`[package] name`).
    pub name: String,
    /// Version.
    pub version: String,
    /// The subdir of its package (`noarch` for a noarch output).
    pub subdir: String,
    /// The platform it is rendered for, passed as `--target-platform` (the build platform for noarch).
    pub target: String,
    /// The platform of the machine that builds it (`linux-64`, or `linux-aarch64` on native arm64 runners).
    pub build_platform: String,
    /// The recipe directory relative to the workspace root, `/`-separated (`recipes/zlib`).
    pub recipe_dir: String,
    /// Whether the recipe has a `cargo_vendor` source (its job runs `archi source vendor` first).
    #[serde(skip)]
    pub cargo_vendor: bool,
    /// Indices (into [`WorkflowGraph::nodes`]) of the nodes it needs.
    #[serde(skip)]
    pub deps: BTreeSet<usize>,
}

impl WorkflowNode {
    /// `name (subdir)`, as [`crate::graph::Node::label`] and `archi solve --format json`'s edges name a node.
    pub fn label(&self) -> String {
        format!("{} ({})", self.name, self.subdir)
    }
}

/// The graph a workflow is rendered from: nodes sorted by (name, subdir), each with its dependencies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkflowGraph {
    /// The nodes, sorted by (name, subdir); [`WorkflowGraph::sorted`] puts them in that order.
    pub nodes: Vec<WorkflowNode>,
}

impl WorkflowGraph {
    /// The graph with nodes sorted by (name, subdir) and dependency indices remapped, so that the output does
    /// not depend on discovery order.
    pub fn sorted(mut self) -> WorkflowGraph {
        let mut order: Vec<usize> = (0..self.nodes.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&self.nodes[a], &self.nodes[b]);
            (&a.name, &a.subdir).cmp(&(&b.name, &b.subdir))
        });
        let mut new_index = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_index[old] = new;
        }
        let mut old: Vec<Option<WorkflowNode>> = self.nodes.drain(..).map(Some).collect();
        self.nodes = order
            .iter()
            .map(|&i| {
                let mut node = old[i].take().expect("each node once");
                node.deps = node.deps.iter().map(|&d| new_index[d]).collect();
                node
            })
            .collect();
        self
    }

    /// The edges as (dependent label, dependency label), sorted.
    pub fn edges(&self) -> Vec<(String, String)> {
        let mut edges: Vec<(String, String)> = self
            .nodes
            .iter()
            .flat_map(|n| {
                n.deps
                    .iter()
                    .map(move |&d| (n.label(), self.nodes[d].label()))
            })
            .collect();
        edges.sort();
        edges
    }

    /// Waves: every node's dependencies are in earlier waves (the graph is acyclic: archi's graph was checked).
    fn waves(&self) -> Vec<Vec<usize>> {
        let mut level = vec![usize::MAX; self.nodes.len()];
        fn visit(g: &WorkflowGraph, n: usize, level: &mut [usize], depth: usize) -> usize {
            if level[n] != usize::MAX {
                return level[n];
            }
            // A cycle cannot reach here (archi's graph rejects them); the depth guard keeps a bad caller finite.
            let l = if depth > g.nodes.len() {
                0
            } else {
                g.nodes[n]
                    .deps
                    .iter()
                    .map(|&d| visit(g, d, level, depth + 1) + 1)
                    .max()
                    .unwrap_or(0)
            };
            level[n] = l;
            l
        }
        let mut waves: Vec<Vec<usize>> = Vec::new();
        for n in 0..self.nodes.len() {
            let l = visit(self, n, &mut level, 0);
            if waves.len() <= l {
                waves.resize(l + 1, Vec::new());
            }
            waves[l].push(n);
        }
        waves
    }
}

/// How linux-aarch64 nodes are built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aarch64 {
    /// Cross-compiled on x86_64 runners (archi's own way: Debian's cross toolchain, tests under qemu).
    Cross,
    /// Built natively on arm64 runners (GitHub's `ubuntu-24.04-arm`), with linux-aarch64 as build platform.
    Native,
}

impl Aarch64 {
    /// `cross` or `native`.
    pub fn as_str(self) -> &'static str {
        match self {
            Aarch64::Cross => "cross",
            Aarch64::Native => "native",
        }
    }
}

/// The options of a rendering; they are part of the checksum and written to the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Options {
    /// How linux-aarch64 nodes are built.
    pub aarch64: Aarch64,
    /// Most jobs before the workflow switches to one job per wave and runner.
    pub max_jobs: usize,
}

/// A machine kind jobs run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Runner {
    /// An x86_64 Linux runner (build platform linux-64).
    X64,
    /// An arm64 Linux runner (build platform linux-aarch64).
    Arm64,
}

impl Runner {
    /// The runner for a node's build platform.
    pub fn for_build_platform(platform: &str) -> Runner {
        match platform {
            "linux-aarch64" => Runner::Arm64,
            _ => Runner::X64,
        }
    }

    /// `x64` or `arm64`, as job ids and artifact names use it.
    pub fn suffix(self) -> &'static str {
        match self {
            Runner::X64 => "x64",
            Runner::Arm64 => "arm64",
        }
    }
}

/// One job: the nodes it builds and the jobs it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The job id (`build-zlib-linux-64`, or `wave-03-x64` in wave mode): `[A-Za-z_][A-Za-z0-9_-]*`.
    pub id: String,
    /// What the job is shown as: the node's label, or `wave 3 (x64)`.
    pub title: String,
    /// The machine it runs on.
    pub runner: Runner,
    /// Its nodes (indices into [`WorkflowGraph::nodes`]), sorted.
    pub members: Vec<usize>,
    /// Indices (into the returned list) of the jobs it needs, sorted.
    pub needs: BTreeSet<usize>,
}

/// The jobs that build `graph`: one per node while the nodes fit in `opts.max_jobs` (minus the jobs that build
/// archi and publish), else one per (wave, runner). Deterministic: nodes in graph order, waves in order.
pub fn groups(graph: &WorkflowGraph, opts: &Options) -> Vec<Group> {
    let runners: BTreeSet<Runner> = graph
        .nodes
        .iter()
        .map(|n| Runner::for_build_platform(&n.build_platform))
        .collect();
    // The jobs that build archi (one per runner kind) and publish count against the limit.
    let fixed = runners.len() + 1;
    let mut groups: Vec<Group> = Vec::new();
    let mut group_of = vec![0usize; graph.nodes.len()];
    if graph.nodes.len() + fixed <= opts.max_jobs {
        let mut taken = BTreeSet::new();
        for (i, node) in graph.nodes.iter().enumerate() {
            let base = job_id(&format!("build-{}-{}", node.name, node.subdir));
            let mut id = base.clone();
            let mut k = 2;
            while !taken.insert(id.clone()) {
                id = format!("{base}-{k}");
                k += 1;
            }
            group_of[i] = groups.len();
            groups.push(Group {
                id,
                title: node.label(),
                runner: Runner::for_build_platform(&node.build_platform),
                members: vec![i],
                needs: BTreeSet::new(),
            });
        }
    } else {
        for (w, wave) in graph.waves().iter().enumerate() {
            let mut by_runner: BTreeMap<Runner, Vec<usize>> = BTreeMap::new();
            for &n in wave {
                by_runner
                    .entry(Runner::for_build_platform(&graph.nodes[n].build_platform))
                    .or_default()
                    .push(n);
            }
            for (runner, members) in by_runner {
                for &n in &members {
                    group_of[n] = groups.len();
                }
                groups.push(Group {
                    id: format!("wave-{:03}-{}", w + 1, runner.suffix()),
                    title: format!("wave {} ({})", w + 1, runner.suffix()),
                    runner,
                    members,
                    needs: BTreeSet::new(),
                });
            }
        }
    }
    let all_needs: Vec<BTreeSet<usize>> = groups
        .iter()
        .enumerate()
        .map(|(g, group)| {
            group
                .members
                .iter()
                .flat_map(|&n| graph.nodes[n].deps.iter().map(|&d| group_of[d]))
                .filter(|&other| other != g)
                .collect()
        })
        .collect();
    for (group, needs) in groups.iter_mut().zip(all_needs) {
        group.needs = needs;
    }
    groups
}

/// The jobs `g` needs directly or not (the packages its environments may install), sorted.
pub fn needs_closure(groups: &[Group], g: usize) -> BTreeSet<usize> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<usize> = groups[g].needs.iter().copied().collect();
    while let Some(n) = stack.pop() {
        if seen.insert(n) {
            stack.extend(groups[n].needs.iter().copied());
        }
    }
    seen
}

/// `text` as a job id GitHub accepts (`[A-Za-z_][A-Za-z0-9_-]*`): other characters become `_`.
pub fn job_id(text: &str) -> String {
    let mut id: String = text
        .chars()
        .map(|c| match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '_' | '-' => c,
            _ => '_',
        })
        .collect();
    if !id.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        id.insert(0, '_');
    }
    id
}

/// blake3 over files given as (relative path, contents), each length-prefixed, in the order given (the caller
/// sorts them): the "recipe contents hash" of the checksum. Lowercase hex.
pub fn hash_files<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut hasher = blake3::Hasher::new();
    for (path, bytes) in files {
        hasher.update(&(path.len() as u64).to_le_bytes());
        hasher.update(path.as_bytes());
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    hasher.finalize().to_hex().to_string()
}

/// The checksum in a workflow's header: blake3 (lowercase hex) over the canonical JSON of the options, the nodes
/// (name, version, subdir, target, build platform, recipe directory), the edges by label and `inputs` (the hash of
/// the recipe and workspace files, [`hash_files`]).
pub fn checksum(graph: &WorkflowGraph, inputs: &str, opts: &Options) -> String {
    let canonical = serde_json::json!({
        "format": 1,
        "options": opts,
        "nodes": graph.nodes,
        "edges": graph.edges(),
        "inputs": inputs,
    });
    blake3::hash(canonical.to_string().as_bytes())
        .to_hex()
        .to_string()
}

/// What the header of a written workflow says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The checksum (64 hex digits).
    pub checksum: String,
    /// The options it was rendered with, when the header names them.
    pub options: Option<Options>,
}

/// Read the header of a workflow written by [`github::render`]; `None` when it has no checksum line.
pub fn read_header(text: &str) -> Option<Header> {
    let header = text.lines().take_while(|l| l.starts_with('#'));
    let mut checksum = None;
    let mut options = None;
    for line in header {
        if let Some(rest) = line.strip_prefix(CHECKSUM_PREFIX) {
            checksum = Some(rest.trim().to_string());
        }
        if let Some(rest) = line.strip_prefix(OPTIONS_PREFIX) {
            let words: Vec<&str> = rest.split_whitespace().collect();
            let value = |flag: &str| {
                words
                    .iter()
                    .position(|w| *w == flag)
                    .and_then(|i| words.get(i + 1))
                    .copied()
            };
            let aarch64 = match value("--aarch64") {
                Some("native") => Some(Aarch64::Native),
                Some("cross") => Some(Aarch64::Cross),
                _ => None,
            };
            let max_jobs = value("--max-jobs").and_then(|v| v.parse().ok());
            if let (Some(aarch64), Some(max_jobs)) = (aarch64, max_jobs) {
                options = Some(Options { aarch64, max_jobs });
            }
        }
    }
    Some(Header {
        checksum: checksum?,
        options,
    })
}

#[cfg(test)]
mod tests;
