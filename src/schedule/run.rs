//! The build loop: up to `jobs` builds at once, each started as soon as every node it needs is done, all of
//! them sharing one jobserver of `cpu_count` tokens. A failed node's dependents are skipped (`--fail-fast`
//! stops starting new builds instead); every finished package goes to the sink.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Instant;

use super::event::{Event, NodeInfo, NodeOutcome, NodeRecord, Reporter, RunReport};
use super::{log_path, run_record, Workset};
use crate::build::{self, BuildHooks, BuildOptions, Outcome, Phase, Workshop};
use crate::context::Context;
use crate::jobserver::Jobserver;
use crate::plan::RunRecords;
use crate::publish::Sink;

/// How a run builds.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Builds at once (at least 1).
    pub jobs: usize,
    /// Jobserver tokens in all, and `CPU_COUNT` of every script.
    pub cpu_count: usize,
    /// Stop starting new builds at the first failure.
    pub fail_fast: bool,
    /// Test mode, keep-work, fetch policy.
    pub build: BuildOptions,
    /// Seconds each node took when last built, by (name, subdir) ([`super::BuildTimes`]): among ready nodes, the
    /// one with the longest remaining path of estimated times starts first.
    pub estimates: BTreeMap<(String, String), f64>,
}

/// What one worker sends back.
struct Done {
    node: usize,
    result: Result<
        (Outcome, Vec<rattler_conda_types::RepoDataRecord>),
        (String, Option<std::path::PathBuf>),
    >,
    start: f64,
    end: f64,
    phases: Vec<(Phase, f64)>,
}

/// Build the workset's graph. Never fails as a whole: each node's outcome is in the report.
///
/// Errors: only the jobserver pipe cannot be created.
pub fn execute(
    ctx: &Context,
    shop: &Workshop,
    ws: &Workset,
    opts: &RunOptions,
    sink: &dyn Sink,
    reporter: &dyn Reporter,
) -> std::io::Result<RunReport> {
    let started = Instant::now();
    let graph = &ws.graph;
    let waves = graph.waves().unwrap_or_default();
    let wave_of: BTreeMap<usize, usize> = waves
        .iter()
        .enumerate()
        .flat_map(|(w, nodes)| nodes.iter().map(move |&n| (n, w)))
        .collect();
    let jobserver = Jobserver::new(opts.cpu_count)?;
    let jobs = opts.jobs.max(1);
    reporter.event(&Event::Plan {
        total: graph.nodes.len(),
        waves: waves.len(),
        jobs,
        cpu_count: jobserver.tokens(),
    });
    let info = |n: usize| {
        let node = &graph.nodes[n];
        NodeInfo {
            index: n,
            name: node.name.clone(),
            version: node.version.clone(),
            platform: node.subdir.to_string(),
        }
    };
    let dependents = graph.dependents();
    let mut remaining: Vec<usize> = graph.deps.iter().map(BTreeSet::len).collect();
    let known: Vec<f64> = opts.estimates.values().copied().collect();
    let default = if known.is_empty() {
        1.0
    } else {
        known.iter().sum::<f64>() / known.len() as f64
    };
    let priority = graph.remaining_path(|n| {
        let node = &graph.nodes[n];
        opts.estimates
            .get(&(node.name.clone(), node.subdir.to_string()))
            .copied()
            .unwrap_or(default)
    });
    // Longest remaining path first (in ms, reversed for the ascending set), then wave, name, subdir.
    let sort_key = |n: usize| {
        let node = &graph.nodes[n];
        let first = u64::MAX - (priority[n] * 1000.0) as u64;
        (
            first,
            wave_of[&n],
            node.name.clone(),
            node.subdir.to_string(),
            n,
        )
    };
    let mut ready: BTreeSet<(u64, usize, String, String, usize)> = (0..graph.nodes.len())
        .filter(|&n| remaining[n] == 0)
        .map(sort_key)
        .collect();
    let records: Mutex<RunRecords> = Mutex::new(RunRecords::new());
    let mut outcomes: BTreeMap<usize, NodeRecord> = BTreeMap::new();
    let mut stopped = false;
    let elapsed = || started.elapsed().as_secs_f64();

    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<Done>();
        let mut running = 0usize;
        loop {
            while running < jobs && !stopped {
                let Some(next) = ready.pop_first() else { break };
                let n = next.4;
                let tx = tx.clone();
                let records = &records;
                let jobserver = &jobserver;
                let info = &info;
                let elapsed = &elapsed;
                running += 1;
                scope.spawn(move || {
                    let start = elapsed();
                    reporter.event(&Event::Start {
                        node: info(n),
                        time: start,
                    });
                    let phases = Mutex::new(Vec::new());
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        build_node(ctx, shop, ws, opts, sink, n, records, jobserver, &|phase| {
                            let time = elapsed();
                            phases
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .push((phase, time));
                            reporter.event(&Event::Phase {
                                node: info(n),
                                phase,
                                time,
                            });
                        })
                    }))
                    .unwrap_or_else(|panic| {
                        let message = panic
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        Err((format!("archi panicked: {message}"), None))
                    });
                    let _ = tx.send(Done {
                        node: n,
                        result,
                        start,
                        end: elapsed(),
                        phases: phases.into_inner().unwrap_or_else(|e| e.into_inner()),
                    });
                });
            }
            if running == 0 {
                break;
            }
            let Ok(done) = rx.recv() else { break };
            running -= 1;
            let n = done.node;
            let outcome = match done.result {
                Ok((outcome, built)) => {
                    let node = &graph.nodes[n];
                    let mut records = records.lock().unwrap_or_else(|e| e.into_inner());
                    for record in built {
                        let name = record.package_record.name.as_normalized().to_string();
                        records.insert((node.subdir, name), record);
                    }
                    drop(records);
                    for &next in &dependents[n] {
                        remaining[next] -= 1;
                        if remaining[next] == 0 {
                            ready.insert(sort_key(next));
                        }
                    }
                    let entry = outcome.entry();
                    match &outcome {
                        Outcome::Cached(_) => NodeOutcome::Cached {
                            key: entry.key.to_string(),
                            build: entry.manifest.build.clone(),
                        },
                        Outcome::Substituted { url, .. } => NodeOutcome::Substituted {
                            key: entry.key.to_string(),
                            build: entry.manifest.build.clone(),
                            url: url.clone(),
                        },
                        Outcome::Built { script_seconds, .. } => NodeOutcome::Built {
                            key: entry.key.to_string(),
                            build: entry.manifest.build.clone(),
                            script_seconds: *script_seconds,
                        },
                    }
                }
                Err((error, log)) => {
                    stopped |= opts.fail_fast;
                    let needs = graph.nodes[n].label();
                    for skipped in transitive(&dependents, n) {
                        if outcomes.contains_key(&skipped) {
                            continue;
                        }
                        ready.retain(|r| r.4 != skipped);
                        let outcome = NodeOutcome::Skipped {
                            needs: needs.clone(),
                        };
                        let time = elapsed();
                        reporter.event(&Event::Finish {
                            node: info(skipped),
                            outcome: outcome.clone(),
                            time,
                            seconds: 0.0,
                        });
                        outcomes.insert(
                            skipped,
                            record(info(skipped), outcome, time, time, vec![], graph, skipped),
                        );
                    }
                    NodeOutcome::Failed { error, log }
                }
            };
            reporter.event(&Event::Finish {
                node: info(n),
                outcome: outcome.clone(),
                time: done.end,
                seconds: done.end - done.start,
            });
            outcomes.insert(
                n,
                record(
                    info(n),
                    outcome,
                    done.start,
                    done.end,
                    done.phases,
                    graph,
                    n,
                ),
            );
        }
    });
    let end = elapsed();
    for n in 0..graph.nodes.len() {
        if let std::collections::btree_map::Entry::Vacant(slot) = outcomes.entry(n) {
            reporter.event(&Event::Finish {
                node: info(n),
                outcome: NodeOutcome::Stopped,
                time: end,
                seconds: 0.0,
            });
            slot.insert(record(
                info(n),
                NodeOutcome::Stopped,
                end,
                end,
                vec![],
                graph,
                n,
            ));
        }
    }
    Ok(RunReport {
        nodes: outcomes.into_values().collect(),
        wall: end,
    })
}

fn record(
    node: NodeInfo,
    outcome: NodeOutcome,
    start: f64,
    end: f64,
    phases: Vec<(Phase, f64)>,
    graph: &crate::graph::Graph,
    n: usize,
) -> NodeRecord {
    NodeRecord {
        node,
        outcome,
        start,
        end,
        phases,
        deps: graph.deps[n].iter().copied().collect(),
    }
}

/// Every node that needs `n`, directly or not.
fn transitive(dependents: &[Vec<usize>], n: usize) -> BTreeSet<usize> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<usize> = dependents[n].to_vec();
    while let Some(d) = stack.pop() {
        if seen.insert(d) {
            stack.extend(dependents[d].iter().copied());
        }
    }
    seen
}

/// Plan, build (or find) and publish one node; its record for the dependents.
#[allow(clippy::too_many_arguments)]
fn build_node(
    ctx: &Context,
    shop: &Workshop,
    ws: &Workset,
    opts: &RunOptions,
    sink: &dyn Sink,
    n: usize,
    records: &Mutex<RunRecords>,
    jobserver: &Jobserver,
    on_phase: &(dyn Fn(Phase) + Sync),
) -> Result<(Outcome, Vec<rattler_conda_types::RepoDataRecord>), (String, Option<std::path::PathBuf>)>
{
    let report = |e: miette::Report| format!("{e:?}");
    let snapshot = records.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let plan = ws
        .plan(ctx, n, &snapshot)
        .map_err(|e| (report(e.into()), None))?;
    let log = log_path(&ctx.logs_dir(), plan.subdir(), &plan.label());
    let failed = |e: miette::Report| {
        let log = log.is_file().then(|| log.clone());
        (report(e), log)
    };
    let hooks = BuildHooks {
        phase: on_phase,
        log: &log,
        jobserver: Some(jobserver),
        cpu_count: opts.cpu_count,
    };
    let outcome =
        build::build(ctx, shop, &opts.build, &plan, &hooks).map_err(|e| failed(e.into()))?;
    if matches!(outcome, Outcome::Cached(_) | Outcome::Substituted { .. }) {
        on_phase(Phase::Publish);
    }
    let mut built = Vec::new();
    for entry in outcome.entries() {
        sink.publish(entry)
            .map_err(|e| failed(miette::Report::from_err(e)))?;
        built.push(run_record(&shop.store, entry).map_err(|e| failed(e.into()))?);
    }
    Ok((outcome, built))
}
