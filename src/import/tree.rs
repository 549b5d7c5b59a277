//! A YAML document as a small tree of strings, each node with the line of the recipe file it came from: the common
//! ground of conda-build's `meta.yaml` (after jinja and selectors) and rattler-build's `recipe.yaml` (after
//! `if:`/`then:`/`else:`).

use marked_yaml::Node;

/// One YAML node with its 1-based line in the recipe file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tree {
    /// A scalar (every scalar is a string, as YAML wrote it; empty for `key:` without a value).
    Str(String, usize),
    /// A mapping, in file order (a repeated key keeps its last value, as PyYAML does).
    Map(Vec<(String, Tree)>, usize),
    /// A sequence.
    Seq(Vec<Tree>, usize),
}

impl Tree {
    /// The node's line.
    pub fn line(&self) -> usize {
        match self {
            Tree::Str(_, l) | Tree::Map(_, l) | Tree::Seq(_, l) => *l,
        }
    }

    /// The value of `key` in a mapping (`None` for other nodes and for `key:` without a value).
    pub fn get(&self, key: &str) -> Option<&Tree> {
        match self {
            Tree::Map(entries, _) => entries
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .filter(|v| !v.is_empty()),
            _ => None,
        }
    }

    /// A scalar's text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Tree::Str(s, _) => Some(s),
            _ => None,
        }
    }

    /// An empty scalar (`~`, `null` or nothing) or an empty collection.
    pub fn is_empty(&self) -> bool {
        match self {
            Tree::Str(s, _) => s.is_empty() || s == "~" || s == "null",
            Tree::Map(e, _) => e.is_empty(),
            Tree::Seq(e, _) => e.is_empty(),
        }
    }

    /// A mapping's entries (empty for other nodes).
    pub fn entries(&self) -> &[(String, Tree)] {
        match self {
            Tree::Map(e, _) => e,
            _ => &[],
        }
    }

    /// A sequence's items, a scalar as a one-item list, nothing for an empty scalar.
    pub fn items(&self) -> Vec<&Tree> {
        match self {
            Tree::Seq(items, _) => items.iter().filter(|i| !i.is_empty()).collect(),
            Tree::Str(..) if self.is_empty() => Vec::new(),
            other => vec![other],
        }
    }
}

/// Convert a marked_yaml node, mapping its lines (1-based, of the parsed text) through `line_of`.
pub fn from_node(node: &Node, line_of: &dyn Fn(usize) -> usize) -> Tree {
    let line = line_of(node.span().start().map(|m| m.line()).unwrap_or(1));
    match node {
        Node::Scalar(s) => Tree::Str(s.as_str().to_string(), line),
        Node::Sequence(items) => {
            Tree::Seq(items.iter().map(|i| from_node(i, line_of)).collect(), line)
        }
        Node::Mapping(map) => Tree::Map(
            map.iter()
                .map(|(k, v)| (k.as_str().to_string(), from_node(v, line_of)))
                .collect(),
            line,
        ),
    }
}
