//! The scheduler: one graph over every recipe and platform of a run ([`prepare`]), each node's store state
//! without building ([`states`]), and the loop that builds the graph as wide as it allows under one shared
//! jobserver ([`run::execute`]).
//!
//! A node is planned only when every node it needs is done, so its dependencies' exact records (read from the
//! store) feed its key; a failed node's dependents are skipped and independent branches go on.

pub mod event;
pub mod run;
pub mod summary;
pub mod timeline;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rattler_conda_types::package::IndexJson;
use rattler_conda_types::{PackageRecord, RepoDataRecord, Subdir};
use serde::Serialize;

use crate::context::Context;
use crate::graph::{CycleError, DepKind, Graph, NodeSpec};
use crate::plan::{self, PlanError, PlanRequest, RunRecords};
use crate::prefix::PrefixError;
use crate::recipe::{self, LoadedRecipe, RecipeError};
use crate::render::{RenderedRecipe, Requirement};
use crate::store::{Store, StoreEntry, StoreError, StoreKey};

/// The selection of a run: roots, target platforms, and whether recipe dependencies come along.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Every recipe of the workspace.
    pub all: bool,
    /// Recipes by package name (among the workspace's recipes).
    pub names: Vec<String>,
    /// Recipe directories.
    pub dirs: Vec<PathBuf>,
    /// Target platforms (each root is built for each).
    pub platforms: Vec<Subdir>,
    /// Include the workspace recipes the roots need (implied by `all`); without it only the roots are nodes
    /// and their other requirements come from the store's channel and upstream channels.
    pub with_deps: bool,
}

/// The recipes, their renders and the graph of a run.
#[derive(Debug)]
pub struct Workset {
    /// Loaded recipes.
    pub recipes: Vec<LoadedRecipe>,
    /// Renders, by (recipe index, target platform).
    pub rendered: BTreeMap<(usize, Subdir), RenderedRecipe>,
    /// The graph.
    pub graph: Graph,
    /// Requirements left to channels: (name, platform) → the highest version a channel offers.
    pub from_channels: BTreeMap<(String, Subdir), String>,
}

impl Workset {
    /// The render of node `n`.
    pub fn rendered(&self, n: usize) -> &RenderedRecipe {
        let node = &self.graph.nodes[n];
        &self.rendered[&(node.recipe, node.target)]
    }

    /// Plan node `n` with the records of the nodes done so far.
    ///
    /// Errors: as [`plan::plan`].
    pub fn plan(
        &self,
        ctx: &Context,
        n: usize,
        records: &RunRecords,
    ) -> Result<plan::Plan, PlanError> {
        let node = &self.graph.nodes[n];
        let request = PlanRequest {
            recipe: &self.recipes[node.recipe],
            target: node.target,
            run_records: records,
        };
        plan::plan(ctx, request, self.rendered(n).clone())
    }
}

/// Why a run cannot start.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ScheduleError {
    /// A recipe cannot be loaded or rendered, or names a requirement nothing provides.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Recipe(#[from] RecipeError),
    /// A recipe path leads outside the recipe directory.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Confined(#[from] crate::plan::confine::ConfineError),
    /// A cycle.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Cycle(#[from] CycleError),
    /// Two recipes produce one package.
    #[error("two recipes produce the package `{name}`: {} and {}", first.display(), second.display())]
    Duplicate {
        /// The package name.
        name: String,
        /// One recipe directory.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// A name no recipe of the workspace produces.
    #[error("no recipe in the workspace produces `{name}`")]
    UnknownName {
        /// The name asked for.
        name: String,
    },
    /// A channel cannot be read.
    #[error("cannot read the channels to look up requirements")]
    Channels(#[source] PrefixError),
    /// Planning a node for `archi solve` failed for a reason other than an unbuilt dependency.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Plan(#[from] PlanError),
    /// The store cannot be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored artifact's metadata cannot be read.
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
}

/// A stored artifact whose `info/index.json` cannot be read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{}: {reason}", path.display())]
pub struct ArtifactError {
    /// The artifact.
    pub path: PathBuf,
    /// What is wrong.
    pub reason: String,
}

/// Load, render and graph the selection.
///
/// Errors: recipe errors with spans; a requirement that no recipe of the run and no channel provides, pointing
/// at the requirement in the recipe file; a cycle naming its members and edges; two recipes of one name.
pub fn prepare(ctx: &Context, selection: &Selection) -> Result<Workset, ScheduleError> {
    // Recipes keep the path they were named by (errors show it); duplicates are found by canonical path.
    let canonical = |d: &Path| fs_err::canonicalize(d).unwrap_or_else(|_| d.to_path_buf());
    let root_dirs: Vec<PathBuf> = selection.dirs.iter().map(|d| canonical(d)).collect();
    let mut dirs = selection.dirs.clone();
    if selection.all || selection.with_deps || !selection.names.is_empty() {
        // Shown relative to the current directory when inside it, as a user would type them.
        let cwd = std::env::current_dir().ok().map(|d| canonical(&d));
        dirs.extend(ctx.workspace.recipe_dirs().into_iter().map(|d| {
            cwd.as_deref()
                .and_then(|cwd| d.strip_prefix(cwd).ok())
                .map(Path::to_path_buf)
                .unwrap_or(d)
        }));
    }
    let mut seen = BTreeSet::new();
    dirs.retain(|d| seen.insert(canonical(d)));
    let recipes: Vec<LoadedRecipe> = dirs
        .iter()
        .map(|d| recipe::load(d))
        .collect::<Result<_, _>>()?;

    let first = selection
        .platforms
        .first()
        .copied()
        .unwrap_or(ctx.build_platform);
    let mut rendered: BTreeMap<(usize, Subdir), RenderedRecipe> = BTreeMap::new();
    let mut providers: BTreeMap<String, usize> = BTreeMap::new();
    // A multi-output recipe may make a package on some platforms only: every platform of the run counts.
    let mut platforms = vec![first];
    platforms.extend(selection.platforms.iter().copied());
    platforms.push(ctx.build_platform);
    platforms.dedup();
    for (i, recipe) in recipes.iter().enumerate() {
        for &platform in &platforms {
            if rendered.contains_key(&(i, platform)) {
                continue;
            }
            let r = ctx.render(recipe, platform)?;
            let names = match r.is_multi_output() || platform == first {
                true => r.package_names(),
                false => Vec::new(),
            };
            for name in names {
                match providers.get(&name) {
                    Some(&other) if other != i => {
                        return Err(ScheduleError::Duplicate {
                            name,
                            first: recipes[other].dir.clone(),
                            second: recipe.dir.clone(),
                        })
                    }
                    _ => {
                        providers.insert(name, i);
                    }
                }
            }
            rendered.insert((i, platform), r);
        }
    }
    let mut root_recipes: BTreeSet<usize> = (0..recipes.len())
        .filter(|&i| selection.all || root_dirs.contains(&canonical(&dirs[i])))
        .collect();
    for name in &selection.names {
        let i = providers
            .get(name)
            .copied()
            .ok_or_else(|| ScheduleError::UnknownName { name: name.clone() })?;
        root_recipes.insert(i);
    }
    if !(selection.all || selection.with_deps) {
        providers.retain(|_, i| root_recipes.contains(i));
    }
    let roots: Vec<(usize, Subdir)> = root_recipes
        .iter()
        .flat_map(|&r| selection.platforms.iter().map(move |&p| (r, p)))
        .collect();
    let graph = Graph::expand(&roots, &providers, ctx.build_platform, |i, target| {
        let r = match rendered.entry((i, target)) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(ctx.render(&recipes[i], target)?)
            }
        };
        Ok::<_, RecipeError>(node_spec(r))
    })?;
    graph.waves()?;
    // Recipe paths are checked against the file system before any node starts.
    for ((i, _), r) in &rendered {
        if !r.skip {
            crate::plan::confine::check(&recipes[*i], r)?;
        }
    }
    let mut workset = Workset {
        recipes,
        rendered,
        graph,
        from_channels: BTreeMap::new(),
    };
    workset.from_channels = check_external(ctx, &workset)?;
    Ok(workset)
}

/// The graph's view of a render: `None` when skipped. The run and test requirements and run_exports of a
/// multi-output recipe are those of all its outputs.
fn node_spec(r: &RenderedRecipe) -> Option<NodeSpec> {
    if r.skip {
        return None;
    }
    let name_of = |spec: &String| spec.split_whitespace().next().map(str::to_string);
    let packages = |list: &[Requirement]| -> Vec<String> {
        RenderedRecipe::package_specs(list)
            .filter_map(|s| s.split_whitespace().next())
            .map(str::to_string)
            .collect()
    };
    let outputs = r.packages();
    let mut requires = Vec::new();
    let reqs = &r.requirements;
    requires.extend(
        packages(&reqs.build)
            .into_iter()
            .map(|n| (DepKind::Build, n)),
    );
    requires.extend(packages(&reqs.host).into_iter().map(|n| (DepKind::Host, n)));
    for output in &outputs {
        requires.extend(
            output
                .run
                .iter()
                .filter_map(name_of)
                .map(|n| (DepKind::Run, n)),
        );
    }
    for output in &outputs {
        requires.extend(
            packages(&output.test.requires)
                .into_iter()
                .map(|n| (DepKind::Test, n)),
        );
    }
    let run_exports = outputs
        .iter()
        .flat_map(|o| o.run_exports_weak.iter().chain(&o.run_exports_strong))
        .filter_map(name_of)
        .collect();
    let strong_run_exports = outputs
        .iter()
        .flat_map(|o| &o.run_exports_strong)
        .filter_map(name_of)
        .collect();
    Some(NodeSpec {
        strong_run_exports,
        name: r.name.clone(),
        version: r.version.clone(),
        noarch: r.noarch != rattler_conda_types::NoArchType::none(),
        requires,
        run_exports,
        provides: r.package_names(),
    })
}

/// Look every external requirement up in the channels; the first one nothing provides is an error pointing at
/// the requirement in its recipe.
fn check_external(
    ctx: &Context,
    ws: &Workset,
) -> Result<BTreeMap<(String, Subdir), String>, ScheduleError> {
    let channels = ctx.solve_channels().map_err(ScheduleError::Channels)?;
    let mut by_platform: BTreeMap<Subdir, BTreeSet<String>> = BTreeMap::new();
    for ext in &ws.graph.external {
        by_platform
            .entry(ext.platform)
            .or_default()
            .insert(ext.name.clone());
    }
    let mut found = BTreeMap::new();
    for (platform, names) in &by_platform {
        let have = crate::prefix::available(&channels, *platform, names)
            .map_err(ScheduleError::Channels)?;
        for (name, version) in have {
            found.insert((name, *platform), version);
        }
    }
    for ext in &ws.graph.external {
        if found.contains_key(&(ext.name.clone(), ext.platform)) {
            continue;
        }
        let node = &ws.graph.nodes[ext.node];
        let recipe = &ws.recipes[node.recipe];
        let span = ws
            .rendered(ext.node)
            .requirement_spans
            .get(&ext.name)
            .copied()
            .unwrap_or_default();
        let kind = serde_json::to_value(ext.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        return Err(recipe
            .file
            .invalid(
                span,
                format!(
                    "`{}` ({kind} requirement of {} for {}) is provided by no recipe of this run and no channel",
                    ext.name, node.name, ext.platform
                ),
                Some(
                    "add a recipe that produces it to the workspace (with --with-deps or --all to build it here), or a channel that has it (-c or [workspace] channels)",
                ),
            )
            .into());
    }
    Ok(found)
}

/// The store state of one node before a build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum NodeState {
    /// In the store under `key`.
    Cached {
        /// The key.
        key: StoreKey,
    },
    /// To build: the key when it can be known now, and why.
    Build {
        /// The key, unknown while a dependency still has to be built.
        key: Option<StoreKey>,
        /// `new key`, `changed: recipe_files (build.sh)`, `after zlib (linux-64) is built`, …
        reason: String,
    },
}

/// The state of every node, wave by wave, as `archi solve` prints them. Reads the store; writes nothing.
///
/// Errors: a plan that fails for another reason than a dependency that must be built first; store errors.
pub fn states(
    ctx: &Context,
    store: &Store,
    ws: &Workset,
    waves: &[Vec<usize>],
) -> Result<BTreeMap<usize, NodeState>, ScheduleError> {
    let mut states: BTreeMap<usize, NodeState> = BTreeMap::new();
    let mut records = RunRecords::new();
    let history = store.list()?;
    for wave in waves {
        for &n in wave {
            let node = &ws.graph.nodes[n];
            let pending = ws.graph.deps[n]
                .iter()
                .find(|d| matches!(states.get(d), Some(NodeState::Build { .. })));
            if let Some(&dep) = pending {
                states.insert(
                    n,
                    NodeState::Build {
                        key: None,
                        reason: format!("after {} is built", ws.graph.nodes[dep].label()),
                    },
                );
                continue;
            }
            let plan = ws.plan(ctx, n, &records)?;
            let state = match crate::build::lookup(store, &plan)? {
                Some(entries) => {
                    for entry in &entries {
                        let record = run_record(store, entry)?;
                        let name = record.package_record.name.as_normalized().to_string();
                        records.insert((node.subdir, name), record);
                    }
                    NodeState::Cached { key: plan.key }
                }
                None => {
                    let older = history
                        .iter()
                        .filter(|e| {
                            e.manifest.name == node.name
                                && e.manifest.subdir == node.subdir.as_str()
                        })
                        .max_by_key(|e| e.manifest.created_ms);
                    let reason = match older {
                        None => "new key".to_string(),
                        Some(old) => format!(
                            "changed: {}",
                            plan::changed_inputs(&old.manifest.inputs, &plan.inputs.to_json())
                                .join(", ")
                        ),
                    };
                    NodeState::Build {
                        key: Some(plan.key),
                        reason,
                    }
                }
            };
            states.insert(n, state);
        }
    }
    Ok(states)
}

/// The repodata record of a store entry, for solving the environments of its dependents: its `index.json` with
/// the store's sha256 and size, URL = the stored artifact (`file://`).
///
/// Errors: the artifact's `index.json` cannot be read.
pub fn run_record(store: &Store, entry: &StoreEntry) -> Result<RepoDataRecord, ArtifactError> {
    let path = entry.artifact_path();
    let bad = |reason: String| ArtifactError {
        path: path.clone(),
        reason,
    };
    let index: IndexJson = rattler_package_streaming::seek::read_package_file(&path)
        .map_err(|e| bad(format!("cannot read info/index.json: {e}")))?;
    let sha256 =
        rattler_digest::parse_digest_from_hex::<rattler_digest::Sha256>(&entry.manifest.sha256);
    let package_record =
        PackageRecord::from_index_json(index, Some(entry.manifest.size), sha256, None)
            .map_err(|e| bad(format!("invalid info/index.json: {e}")))?;
    let url = url::Url::from_file_path(&path).map_err(|()| bad("not an absolute path".into()))?;
    let channel = url::Url::from_directory_path(store.root())
        .map(|u| u.to_string())
        .ok();
    Ok(RepoDataRecord {
        package_record,
        identifier: entry
            .manifest
            .artifact
            .parse()
            .map_err(|e| bad(format!("not a package file name: {e}")))?,
        url,
        channel,
    })
}

/// `logs/<subdir>/<name>-<version>-<build string>.log` under `logs_dir`.
pub fn log_path(logs_dir: &Path, subdir: Subdir, label: &str) -> PathBuf {
    logs_dir.join(subdir.as_str()).join(format!("{label}.log"))
}

/// How long each node took when it was last built, kept in `<store>/build-times.json` as
/// `{"<name>/<subdir>": seconds}`: the scheduler's estimates for ordering ready nodes. A missing or unreadable
/// file is empty; it is an optimisation, so failures to save it are the caller's to log.
#[derive(Debug, Default)]
pub struct BuildTimes {
    file: PathBuf,
    times: BTreeMap<String, f64>,
}

impl BuildTimes {
    /// The file in `store`'s root.
    pub fn load(store: &Store) -> BuildTimes {
        let file = store.root().join("build-times.json");
        let times = fs_err::read_to_string(&file)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        BuildTimes { file, times }
    }

    /// (name, subdir) → seconds.
    pub fn estimates(&self) -> BTreeMap<(String, String), f64> {
        self.times
            .iter()
            .filter_map(|(k, &v)| {
                let (name, subdir) = k.split_once('/')?;
                Some(((name.to_string(), subdir.to_string()), v))
            })
            .collect()
    }

    /// Remember the wall time of every node the report says was built, and write the file (temp file + rename).
    ///
    /// Errors: the file cannot be written.
    pub fn record(&mut self, report: &event::RunReport) -> std::io::Result<()> {
        let mut changed = false;
        for n in &report.nodes {
            if let event::NodeOutcome::Built { .. } = n.outcome {
                let key = format!("{}/{}", n.node.name, n.node.platform);
                self.times
                    .insert(key, ((n.end - n.start) * 10.0).round() / 10.0);
                changed = true;
            }
        }
        if !changed {
            return Ok(());
        }
        let dir = self.file.parent().unwrap_or(Path::new("."));
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        std::io::Write::write_all(
            &mut tmp,
            serde_json::to_string_pretty(&self.times)?.as_bytes(),
        )?;
        tmp.persist(&self.file).map_err(|e| e.error)?;
        Ok(())
    }
}
