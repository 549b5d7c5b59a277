//! The recipe graph: nodes are recipe outputs for one target platform, edges go from a recipe to the recipes whose
//! outputs its build, host or run requirements name. [`waves`] orders it into waves that can build concurrently,
//! in a stable order (a sorted ready queue, as rattler-build's variant rendering does); a cycle is an error naming
//! every member.

use std::collections::{BTreeMap, BTreeSet};

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;

/// One recipe as the graph sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphNode {
    /// The package name the recipe produces.
    pub name: String,
    /// Package names its build, host and run requirements name (toolchain programs excluded).
    pub requires: BTreeSet<String>,
}

/// A dependency cycle or a duplicate output.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum GraphError {
    /// Recipes that depend on each other.
    #[error("dependency cycle between recipes: {}", members.join(" → "))]
    #[diagnostic(help("break the cycle with a bootstrap recipe or by taking one requirement from an upstream channel"))]
    Cycle {
        /// Every member of the cycle, sorted.
        members: Vec<String>,
    },
    /// Two recipes produce the same package.
    #[error("two recipes produce the package `{name}`")]
    Duplicate {
        /// The package name.
        name: String,
    },
}

/// Order `nodes` into waves: every node's in-set dependencies are in earlier waves. Each wave lists indices into
/// `nodes`, sorted by name. Requirements nothing in `nodes` provides are left to channels (no edge).
///
/// Errors: [`GraphError::Cycle`] naming the members of a cycle (self-requirements are ignored, as a cross build
/// may need its own package for the build machine); [`GraphError::Duplicate`] for two nodes of one name.
pub fn waves(nodes: &[GraphNode]) -> Result<Vec<Vec<usize>>, GraphError> {
    let mut graph: DiGraph<usize, ()> = DiGraph::new();
    let mut by_name: BTreeMap<&str, NodeIndex> = BTreeMap::new();
    for (i, node) in nodes.iter().enumerate() {
        let idx = graph.add_node(i);
        if by_name.insert(node.name.as_str(), idx).is_some() {
            return Err(GraphError::Duplicate {
                name: node.name.clone(),
            });
        }
    }
    for (i, node) in nodes.iter().enumerate() {
        for dep in &node.requires {
            if let Some(&from) = by_name.get(dep.as_str()) {
                let to = NodeIndex::new(i);
                if from != to {
                    graph.update_edge(from, to, ());
                }
            }
        }
    }
    if let Some(cycle) = tarjan_scc(&graph).into_iter().find(|scc| scc.len() > 1) {
        let mut members: Vec<String> = cycle
            .iter()
            .map(|n| nodes[graph[*n]].name.clone())
            .collect();
        members.sort();
        return Err(GraphError::Cycle { members });
    }
    let mut indegree: BTreeMap<NodeIndex, usize> = graph
        .node_indices()
        .map(|n| (n, graph.neighbors_directed(n, Direction::Incoming).count()))
        .collect();
    let key = |n: NodeIndex| (nodes[graph[n]].name.clone(), n);
    let mut ready: BTreeSet<(String, NodeIndex)> = indegree
        .iter()
        .filter(|(_, d)| **d == 0)
        .map(|(n, _)| key(*n))
        .collect();
    let mut waves = Vec::new();
    while !ready.is_empty() {
        let wave: Vec<(String, NodeIndex)> = std::mem::take(&mut ready).into_iter().collect();
        for (_, n) in &wave {
            for next in graph.neighbors_directed(*n, Direction::Outgoing) {
                let d = indegree.get_mut(&next).expect("every node has an indegree");
                *d -= 1;
                if *d == 0 {
                    ready.insert(key(next));
                }
            }
        }
        waves.push(wave.into_iter().map(|(_, n)| graph[n]).collect());
    }
    Ok(waves)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, requires: &[&str]) -> GraphNode {
        GraphNode {
            name: name.into(),
            requires: requires.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn orders_the_bootstrap_libraries_in_waves() {
        let nodes = vec![
            node("readline", &["ncurses"]),
            node("zlib", &[]),
            node("python", &["zlib", "readline", "openssl", "xz"]),
            node("ncurses", &[]),
            node("openssl", &["zlib"]),
        ];
        let names = |w: &[usize]| {
            w.iter()
                .map(|i| nodes[*i].name.as_str())
                .collect::<Vec<_>>()
        };
        let waves = waves(&nodes).unwrap();
        let named: Vec<Vec<&str>> = waves.iter().map(|w| names(w)).collect();
        assert_eq!(
            named,
            vec![
                vec!["ncurses", "zlib"],
                vec!["openssl", "readline"],
                vec!["python"]
            ]
        );
    }

    #[test]
    fn a_cycle_names_every_member() {
        let nodes = vec![
            node("a", &["b"]),
            node("b", &["c"]),
            node("c", &["a"]),
            node("d", &["d"]),
        ];
        match waves(&nodes) {
            Err(GraphError::Cycle { members }) => assert_eq!(members, ["a", "b", "c"]),
            other => panic!("{other:?}"),
        }
    }
}
