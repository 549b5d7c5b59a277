//! The build graph over every recipe and platform of a run: one node per (recipe output, subdir it is built
//! for), a noarch output being one node whatever the target, rendered and built for the build platform. Host, run and test requirements point at the node
//! of the same target platform; build requirements at the node for the build platform (cross-compiling a
//! package whose build needs another recipe pulls in that recipe's build-platform node). Toolchain programs are
//! not nodes; a requirement no recipe of the run provides is left to channels ([`External`]).
//!
//! [`Graph::waves`] orders it into waves that can build concurrently, in a stable order (sorted by name and
//! subdir, as rattler-build's variant rendering sorts); a cycle is an error naming every member and edge. Pure:
//! the caller renders recipes through the `describe` callback of [`Graph::expand`].

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use rattler_conda_types::Subdir;
use serde::Serialize;

/// Which requirement list an edge comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DepKind {
    /// `[requirements] build`: the build platform's node.
    Build,
    /// `[requirements] host`.
    Host,
    /// `[requirements] run`.
    Run,
    /// `[test] requires`.
    Test,
}

/// What the caller says of one recipe rendered for one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSpec {
    /// The package name.
    pub name: String,
    /// The version.
    pub version: String,
    /// Whether the output is noarch (one node for every target).
    pub noarch: bool,
    /// Package names it requires, with the list each comes from (toolchain programs excluded).
    pub requires: Vec<(DepKind, String)>,
    /// Package names of its run_exports (weak and strong): a package with it in host runs with them, so its test
    /// needs them built first (python's `python_abi`).
    pub run_exports: Vec<String>,
    /// Package names of its strong run_exports (conda-forge's compilers export `libgcc-ng` this way): a package
    /// with it in its build environment runs with them on its own target, so they are built first.
    pub strong_run_exports: Vec<String>,
    /// The package names its build makes: `name` itself, or the names of a multi-output recipe's outputs on this
    /// platform. A requirement of one of them is an edge to this node.
    pub provides: Vec<String>,
}

/// One node: a recipe built for one subdir.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    /// Index of the recipe in the caller's list.
    pub recipe: usize,
    /// The platform it is rendered and built for (`target_platform`).
    pub target: Subdir,
    /// The subdir of its package: `noarch` or `target`.
    pub subdir: Subdir,
    /// Package name.
    pub name: String,
    /// Version.
    pub version: String,
}

impl Node {
    /// `name (subdir)`.
    pub fn label(&self) -> String {
        format!("{} ({})", self.name, self.subdir)
    }
}

/// A requirement no recipe of the run provides: it must come from a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct External {
    /// The node that requires it.
    pub node: usize,
    /// The package name.
    pub name: String,
    /// The list it is in.
    pub kind: DepKind,
    /// The platform it is needed for.
    pub platform: Subdir,
}

/// The graph of a run.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// Nodes in discovery order (stable for the same input).
    pub nodes: Vec<Node>,
    /// For each node, the nodes it needs, sorted.
    pub deps: Vec<BTreeSet<usize>>,
    /// Requirements left to channels.
    pub external: Vec<External>,
}

/// A dependency cycle.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("dependency cycle between recipes: {}", members.join(", "))]
#[diagnostic(help(
    "edges: {}; break the cycle with a bootstrap recipe or by taking one requirement from an upstream channel",
    edges.join(", ")
))]
pub struct CycleError {
    /// Every member, `name (subdir)`, sorted.
    pub members: Vec<String>,
    /// Every edge between members, `a (subdir) → b (subdir)` meaning a needs b, sorted.
    pub edges: Vec<String>,
}

impl Graph {
    /// Build the graph reachable from `roots` ((recipe index, target platform) pairs). `providers` maps a package
    /// name to the recipe that produces it; `describe(recipe, target)` renders a recipe for a target and returns
    /// `None` when it is skipped there (its dependents then look to channels).
    ///
    /// Errors: whatever `describe` returns.
    pub fn expand<E>(
        roots: &[(usize, Subdir)],
        providers: &BTreeMap<String, usize>,
        build_platform: Subdir,
        mut describe: impl FnMut(usize, Subdir) -> Result<Option<NodeSpec>, E>,
    ) -> Result<Graph, E> {
        let mut ex = Expander {
            graph: Graph::default(),
            specs: HashMap::new(),
            ids: HashMap::new(),
            queue: VecDeque::new(),
            describe: &mut describe,
            build_platform,
        };
        let mut roots = roots.to_vec();
        roots.sort();
        roots.dedup();
        for (recipe, target) in roots {
            ex.ensure(recipe, target)?;
        }
        while let Some(index) = ex.queue.pop_front() {
            let (recipe, target) = (ex.graph.nodes[index].recipe, ex.graph.nodes[index].target);
            // (kind, providing recipe, position in `requires`): no requirement string is copied on this path.
            let wanted: Vec<(DepKind, Option<usize>, usize)> = ex.specs[&(recipe, target)]
                .as_ref()
                .map(|spec| {
                    spec.requires
                        .iter()
                        .enumerate()
                        .filter(|(_, (_, name))| !name.starts_with("__"))
                        .map(|(k, (kind, name))| (*kind, providers.get(name).copied(), k))
                        .collect()
                })
                .unwrap_or_default();
            for (kind, provider, k) in wanted {
                let platform = match kind {
                    DepKind::Build => build_platform,
                    _ => target,
                };
                let dep = match provider {
                    Some(provider) if ex.provides(provider, platform, recipe, target, k)? => {
                        ex.ensure(provider, platform)?
                    }
                    _ => None,
                };
                match dep {
                    Some(dep) if dep == index => {}
                    Some(dep) => {
                        ex.graph.deps[index].insert(dep);
                        if kind == DepKind::Host {
                            ex.add_run_exports(index, dep, providers, false)?;
                        }
                        if kind == DepKind::Build {
                            ex.add_run_exports(index, dep, providers, true)?;
                        }
                        if kind != DepKind::Build {
                            ex.add_noarch_run_closure(index, dep, providers, &mut BTreeSet::new())?;
                        }
                    }
                    None => {
                        let name = ex.specs[&(recipe, target)]
                            .as_ref()
                            .map(|spec| spec.requires[k].1.clone())
                            .unwrap_or_default();
                        ex.graph.external.push(External {
                            node: index,
                            name,
                            kind,
                            platform,
                        });
                    }
                }
            }
        }
        Ok(ex.graph)
    }

    /// The nodes `node` needs, directly or not, and `node` itself.
    pub fn closure(&self, roots: impl IntoIterator<Item = usize>) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<usize> = roots.into_iter().collect();
        while let Some(n) = stack.pop() {
            if seen.insert(n) {
                stack.extend(self.deps[n].iter().copied());
            }
        }
        seen
    }

    /// For each node, the nodes that need it (sorted).
    pub fn dependents(&self) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); self.nodes.len()];
        for (node, deps) in self.deps.iter().enumerate() {
            for &dep in deps {
                out[dep].push(node);
            }
        }
        out
    }

    /// For each node, the longest sum of `weight` along a path from it through the nodes that need it (itself
    /// included): how long the run takes at least once it starts, if `weight` is each node's duration. A
    /// scheduler that starts the largest first keeps the critical path moving. The graph must be acyclic.
    pub fn remaining_path(&self, weight: impl Fn(usize) -> f64) -> Vec<f64> {
        let dependents = self.dependents();
        let mut memo: Vec<Option<f64>> = vec![None; self.nodes.len()];
        // Reverse topological order: waves from last to first.
        let waves = self.waves().unwrap_or_default();
        for &n in waves.iter().rev().flatten() {
            let tail = dependents[n]
                .iter()
                .filter_map(|&d| memo[d])
                .fold(0.0, f64::max);
            memo[n] = Some(weight(n) + tail);
        }
        memo.into_iter().map(|m| m.unwrap_or(0.0)).collect()
    }

    /// Order the nodes into waves: every node's dependencies are in earlier waves; each wave is sorted by
    /// (name, subdir).
    ///
    /// Errors: [`CycleError`] naming every member of a cycle and the edges between them.
    pub fn waves(&self) -> Result<Vec<Vec<usize>>, CycleError> {
        // Each node's rank in (name, subdir) order, so the ready set holds plain integers.
        let mut by_name: Vec<usize> = (0..self.nodes.len()).collect();
        by_name.sort_by(|&a, &b| {
            let (a, b) = (&self.nodes[a], &self.nodes[b]);
            (a.name.as_str(), a.subdir.as_str()).cmp(&(b.name.as_str(), b.subdir.as_str()))
        });
        let mut rank = vec![0usize; self.nodes.len()];
        for (r, &n) in by_name.iter().enumerate() {
            rank[n] = r;
        }
        let mut remaining: Vec<usize> = self.deps.iter().map(BTreeSet::len).collect();
        let dependents = self.dependents();
        let mut ready: Vec<usize> = (0..self.nodes.len())
            .filter(|&n| remaining[n] == 0)
            .map(|n| rank[n])
            .collect();
        let mut waves = Vec::new();
        let mut placed = 0;
        while !ready.is_empty() {
            ready.sort_unstable();
            let wave: Vec<usize> = std::mem::take(&mut ready)
                .into_iter()
                .map(|r| by_name[r])
                .collect();
            for &n in &wave {
                for &next in &dependents[n] {
                    remaining[next] -= 1;
                    if remaining[next] == 0 {
                        ready.push(rank[next]);
                    }
                }
            }
            placed += wave.len();
            waves.push(wave);
        }
        if placed < self.nodes.len() {
            self.check_cycles()?;
        }
        Ok(waves)
    }

    fn check_cycles(&self) -> Result<(), CycleError> {
        let mut graph: DiGraph<usize, ()> = DiGraph::new();
        let indices: Vec<NodeIndex> = (0..self.nodes.len()).map(|n| graph.add_node(n)).collect();
        for (node, deps) in self.deps.iter().enumerate() {
            for &dep in deps {
                graph.add_edge(indices[node], indices[dep], ());
            }
        }
        let Some(cycle) = tarjan_scc(&graph).into_iter().find(|scc| scc.len() > 1) else {
            return Ok(());
        };
        let members: BTreeSet<usize> = cycle.iter().map(|i| graph[*i]).collect();
        let mut edges: Vec<String> = members
            .iter()
            .flat_map(|&a| {
                self.deps[a]
                    .iter()
                    .filter(|b| members.contains(b))
                    .map(move |&b| format!("{} → {}", self.nodes[a].label(), self.nodes[b].label()))
            })
            .collect();
        edges.sort();
        let mut members: Vec<String> = members.iter().map(|&n| self.nodes[n].label()).collect();
        members.sort();
        Err(CycleError { members, edges })
    }
}

/// The state of [`Graph::expand`].
struct Expander<'a, E> {
    graph: Graph,
    specs: HashMap<(usize, Subdir), Option<NodeSpec>>,
    /// (recipe, subdir) → node: a recipe has one package name, so this is the node's identity.
    ids: HashMap<(usize, Subdir), usize>,
    queue: VecDeque<usize>,
    describe: &'a mut dyn FnMut(usize, Subdir) -> Result<Option<NodeSpec>, E>,
    /// Where noarch outputs are rendered and built, whatever target asked for them.
    build_platform: Subdir,
}

impl<E> Expander<'_, E> {
    /// Whether `provider` rendered for `platform` makes the package that requirement `k` of (`recipe`, `target`)
    /// names: a multi-output recipe may make a package on some platforms only (nothing is added to the graph).
    fn provides(
        &mut self,
        provider: usize,
        platform: Subdir,
        recipe: usize,
        target: Subdir,
        k: usize,
    ) -> Result<bool, E> {
        if let std::collections::hash_map::Entry::Vacant(slot) =
            self.specs.entry((provider, platform))
        {
            slot.insert((self.describe)(provider, platform)?);
        }
        let name = match &self.specs[&(recipe, target)] {
            Some(spec) => &spec.requires[k].1,
            None => return Ok(false),
        };
        Ok(match &self.specs[&(provider, platform)] {
            Some(spec) => spec.provides.contains(name),
            // Skipped there: `ensure` finds no node.
            None => true,
        })
    }

    /// A noarch dependency is rendered for the build platform, so its run requirements point at build-platform
    /// nodes; where `index`'s environment installs it (host, run, test), they are installed for `index`'s target.
    /// Those nodes (and, through further noarch ones, theirs) become dependencies of `index`: conda for
    /// linux-aarch64 needs pyopenssl (noarch) and so cryptography for linux-aarch64.
    fn add_noarch_run_closure(
        &mut self,
        index: usize,
        dep: usize,
        providers: &BTreeMap<String, usize>,
        seen: &mut BTreeSet<usize>,
    ) -> Result<(), E> {
        if self.graph.nodes[dep].subdir != Subdir::NoArch || !seen.insert(dep) {
            return Ok(());
        }
        let target = self.graph.nodes[index].target;
        let (dep_recipe, dep_target) = (self.graph.nodes[dep].recipe, self.graph.nodes[dep].target);
        let runs: Vec<usize> = self.specs[&(dep_recipe, dep_target)]
            .as_ref()
            .map(|spec| {
                spec.requires
                    .iter()
                    .filter(|(kind, _)| *kind == DepKind::Run)
                    .filter_map(|(_, name)| providers.get(name).copied())
                    .collect()
            })
            .unwrap_or_default();
        for provider in runs {
            if let Some(run) = self.ensure(provider, target)? {
                if run != index {
                    self.graph.deps[index].insert(run);
                    self.add_noarch_run_closure(index, run, providers, seen)?;
                }
            }
        }
        Ok(())
    }

    /// The run_exports of host dependency `dep` (only the strong ones for a build dependency) become run
    /// requirements of `index` (as conda-build applies them), except for a noarch output, which takes none: edges
    /// to the nodes that provide them for `index`'s target.
    fn add_run_exports(
        &mut self,
        index: usize,
        dep: usize,
        providers: &BTreeMap<String, usize>,
        strong_only: bool,
    ) -> Result<(), E> {
        let node = &self.graph.nodes[index];
        let (recipe, target) = (node.recipe, node.target);
        if self.specs[&(recipe, target)]
            .as_ref()
            .is_some_and(|spec| spec.noarch)
        {
            return Ok(());
        }
        let (dep_recipe, dep_target) = (self.graph.nodes[dep].recipe, self.graph.nodes[dep].target);
        let exports: Vec<usize> = self.specs[&(dep_recipe, dep_target)]
            .as_ref()
            .map(|spec| {
                match strong_only {
                    true => &spec.strong_run_exports,
                    false => &spec.run_exports,
                }
                .iter()
                .filter_map(|name| providers.get(name).copied())
                .collect()
            })
            .unwrap_or_default();
        for provider in exports {
            if let Some(export) = self.ensure(provider, target)? {
                if export != index {
                    self.graph.deps[index].insert(export);
                }
            }
        }
        Ok(())
    }

    /// Find or make the node of `recipe` built for `target`; `None` when the recipe is skipped there.
    fn ensure(&mut self, recipe: usize, target: Subdir) -> Result<Option<usize>, E> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.specs.entry((recipe, target))
        {
            slot.insert((self.describe)(recipe, target)?);
        }
        let Some(spec) = &self.specs[&(recipe, target)] else {
            return Ok(None);
        };
        // A noarch output is built once, on the build machine (as conda-build builds it), with that platform's
        // host environment: rendered for another target it would get another key and a python it cannot run.
        if spec.noarch && target != self.build_platform {
            return self.ensure(recipe, self.build_platform);
        }
        let subdir = if spec.noarch { Subdir::NoArch } else { target };
        if let Some(&index) = self.ids.get(&(recipe, subdir)) {
            return Ok(Some(index));
        }
        let index = self.graph.nodes.len();
        self.graph.nodes.push(Node {
            recipe,
            target,
            subdir,
            name: spec.name.clone(),
            version: spec.version.clone(),
        });
        self.graph.deps.push(BTreeSet::new());
        self.ids.insert((recipe, subdir), index);
        self.queue.push_back(index);
        Ok(Some(index))
    }
}

#[cfg(test)]
mod tests;
