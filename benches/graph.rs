//! `cargo bench --bench graph`: the cost of ordering a large workspace (not a timed test: figures only).
//!
//! A synthetic workspace of 10,000 recipes, a deterministic pseudo-random DAG: recipe `i` requires 0–4 earlier
//! recipes in host/run and, one time in ten, one earlier recipe in build; ~2% of recipes are noarch. Every recipe
//! is a root for linux-64 and linux-aarch64 with linux-64 as the build platform, so the graph has ~20,000 nodes
//! and the aarch64 nodes' build requirements point at linux-64 nodes.
//!
//! Timed: `Graph::expand` + `Graph::waves` (median and min over the iterations after a warm-up), against a
//! 50 ms target; and, as a baseline measured in the same run, a plain Vec-based Kahn topological sort over the
//! same edge list (the graph's own edges), so the figure is also printed as a ratio to it.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use archi::graph::{DepKind, Graph, NodeSpec};
use rattler_conda_types::Subdir;

const RECIPES: usize = 10_000;
const WARMUP: usize = 3;
const ITERATIONS: usize = 25;
const TARGET_MS: f64 = 50.0;
const SEED: u64 = 0x5eed_a4c4_1000_0001;

/// splitmix64: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn name(i: usize) -> String {
    format!("pkg-{i:05}")
}

/// The recipes (target-independent here: every recipe renders the same for both platforms).
fn workspace() -> (Vec<NodeSpec>, BTreeMap<String, usize>) {
    let mut rng = Rng(SEED);
    let mut specs = Vec::with_capacity(RECIPES);
    for i in 0..RECIPES {
        let mut requires = Vec::new();
        if i > 0 {
            for _ in 0..rng.below(5) {
                let kind = if rng.below(2) == 0 {
                    DepKind::Host
                } else {
                    DepKind::Run
                };
                requires.push((kind, name(rng.below(i))));
            }
            if rng.below(10) == 0 {
                requires.push((DepKind::Build, name(rng.below(i))));
            }
        }
        specs.push(NodeSpec {
            name: name(i),
            version: format!("1.{}", i % 7),
            noarch: rng.below(50) == 0,
            requires,
            run_exports: Vec::new(),
            provides: vec![name(i)],
            strong_run_exports: Vec::new(),
        });
    }
    let providers = specs
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.clone(), i))
        .collect();
    (specs, providers)
}

fn expand(
    specs: &[NodeSpec],
    providers: &BTreeMap<String, usize>,
    roots: &[(usize, Subdir)],
) -> Graph {
    Graph::expand::<std::convert::Infallible>(
        roots,
        providers,
        Subdir::Linux64,
        |recipe, _target| Ok(Some(specs[recipe].clone())),
    )
    .unwrap_or_else(|e| match e {})
}

/// Plain Kahn over an edge list `(node, dep)`: CSR adjacency from dep to dependents, in-degrees, a Vec queue.
/// Returns the order (every node when the graph is acyclic).
fn kahn(nodes: usize, edges: &[(u32, u32)]) -> Vec<u32> {
    let mut indegree = vec![0u32; nodes];
    let mut start = vec![0u32; nodes + 1];
    for &(node, dep) in edges {
        indegree[node as usize] += 1;
        start[dep as usize + 1] += 1;
    }
    for i in 0..nodes {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut dependents = vec![0u32; edges.len()];
    for &(node, dep) in edges {
        dependents[fill[dep as usize] as usize] = node;
        fill[dep as usize] += 1;
    }
    let mut order: Vec<u32> = (0..nodes as u32)
        .filter(|&n| indegree[n as usize] == 0)
        .collect();
    order.reserve(nodes - order.len());
    let mut head = 0;
    while head < order.len() {
        let n = order[head] as usize;
        head += 1;
        for &next in &dependents[start[n] as usize..start[n + 1] as usize] {
            indegree[next as usize] -= 1;
            if indegree[next as usize] == 0 {
                order.push(next);
            }
        }
    }
    order
}

fn median(times: &mut [Duration]) -> f64 {
    times.sort();
    let n = times.len();
    let mid = if n % 2 == 1 {
        times[n / 2]
    } else {
        (times[n / 2 - 1] + times[n / 2]) / 2
    };
    mid.as_secs_f64() * 1000.0
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let (specs, providers) = workspace();
    let roots: Vec<(usize, Subdir)> = (0..RECIPES)
        .flat_map(|i| [(i, Subdir::Linux64), (i, Subdir::LinuxAarch64)])
        .collect();

    // Shape of the graph, checked once (untimed).
    let graph = expand(&specs, &providers, &roots);
    let waves = graph.waves().expect("the synthetic graph is acyclic");
    let edges: Vec<(u32, u32)> = graph
        .deps
        .iter()
        .enumerate()
        .flat_map(|(n, deps)| deps.iter().map(move |&d| (n as u32, d as u32)))
        .collect();
    let cross = edges
        .iter()
        .filter(|&&(n, d)| graph.nodes[n as usize].subdir != graph.nodes[d as usize].subdir)
        .count();
    let nodes = graph.nodes.len();
    assert_eq!(waves.iter().map(Vec::len).sum::<usize>(), nodes);
    assert_eq!(kahn(nodes, &edges).len(), nodes);

    let mut total = Vec::with_capacity(ITERATIONS);
    let mut expand_only = Vec::with_capacity(ITERATIONS);
    let mut waves_only = Vec::with_capacity(ITERATIONS);
    let mut baseline = Vec::with_capacity(ITERATIONS);
    for i in 0..WARMUP + ITERATIONS {
        let t0 = Instant::now();
        let g = expand(black_box(&specs), black_box(&providers), black_box(&roots));
        let t1 = Instant::now();
        let w = g.waves().expect("acyclic");
        let t2 = Instant::now();
        black_box(&w);
        drop((g, w));
        let t3 = Instant::now();
        let order = kahn(black_box(nodes), black_box(&edges));
        let t4 = Instant::now();
        black_box(&order);
        if i >= WARMUP {
            total.push(t2 - t0);
            expand_only.push(t1 - t0);
            waves_only.push(t2 - t1);
            baseline.push(t4 - t3);
        }
    }
    let min_total = ms(*total.iter().min().expect("iterations"));
    let min_base = ms(*baseline.iter().min().expect("iterations"));
    let med_total = median(&mut total);
    let med_expand = median(&mut expand_only);
    let med_waves = median(&mut waves_only);
    let med_base = median(&mut baseline);
    let verdict = if med_total <= TARGET_MS {
        "met"
    } else {
        "NOT met"
    };

    println!(
        "graph benchmark: {RECIPES} recipes x {{linux-64, linux-aarch64}}, {ITERATIONS} iterations after {WARMUP} warm-up"
    );
    println!(
        "  nodes {nodes}, edges {} ({cross} cross-subdir: build-platform and noarch), waves {}, external {}",
        edges.len(),
        waves.len(),
        graph.external.len()
    );
    println!("  expand + waves    median {med_total:8.2} ms   min {min_total:8.2} ms   target <= {TARGET_MS} ms: {verdict} (median / target {:.2})", med_total / TARGET_MS);
    println!("    expand          median {med_expand:8.2} ms");
    println!("    waves           median {med_waves:8.2} ms");
    println!("  baseline: Vec Kahn over the same edge list   median {med_base:8.3} ms   min {min_base:8.3} ms");
    println!(
        "  expand + waves / Kahn baseline: {:.1}x (median), {:.1}x (min)",
        med_total / med_base,
        min_total / min_base
    );
}
