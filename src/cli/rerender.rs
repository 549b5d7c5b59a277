//! `archi rerender [--provider github] [--aarch64 cross|native] [--check]`: write the workspace's CI workflow
//! (`.github/workflows/archi.yml`) from its build graph (every recipe, for linux-64 and linux-aarch64), or with
//! `--check` fail when the written one is stale. See [`crate::workflow`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use miette::{Context as _, IntoDiagnostic};
use rattler_conda_types::Subdir;

use super::settings::{self, ContextFlags, Global};
use crate::context::Context;
use crate::schedule::{self, Selection};
use crate::workflow::github::Layout;
use crate::workflow::{self, Aarch64, Options, WorkflowGraph, WorkflowNode};

/// CI providers `archi rerender` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Provider {
    /// GitHub Actions: `.github/workflows/archi.yml`.
    Github,
}

/// How linux-aarch64 packages are built in CI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Aarch64Mode {
    /// Cross-compiled on x86_64 runners, tests under qemu (as archi builds locally).
    Cross,
    /// Built natively on arm64 runners (`ubuntu-24.04-arm`).
    Native,
}

/// Arguments of `archi rerender`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The CI provider.
    #[arg(long, value_enum, default_value_t = Provider::Github)]
    pub provider: Provider,
    /// How linux-aarch64 nodes are built (default: what the existing workflow's header says, else cross).
    #[arg(long, value_enum)]
    pub aarch64: Option<Aarch64Mode>,
    /// Most jobs in one workflow; a larger graph gets one job per wave and runner (default: the existing
    /// workflow's, else 256, GitHub's limit).
    #[arg(long)]
    pub max_jobs: Option<usize>,
    /// Platforms to build for, repeatable (default: linux-64 and linux-aarch64).
    #[arg(long = "target-platform")]
    pub target_platforms: Vec<Subdir>,
    /// The workflow file (default: `.github/workflows/archi.yml` in the git repository holding the workspace, or
    /// `archi-<dir>.yml` for a workspace in a directory `<dir>` of it).
    #[arg(long)]
    pub workflow: Option<PathBuf>,
    /// Write nothing; exit 1 when the workflow is missing or differs from what `archi rerender` would write.
    #[arg(long)]
    pub check: bool,
}

/// Write (or check) the workflow.
pub fn run(args: Args, global: &Global) -> miette::Result<()> {
    let Args {
        provider: Provider::Github,
        aarch64,
        max_jobs,
        target_platforms,
        workflow: workflow_path,
        check,
    } = args;
    let cwd = std::env::current_dir().into_diagnostic()?;
    let ctx = settings::context(global, ContextFlags::default(), &cwd)?;
    let (layout, repo_root) = layout(&ctx)?;
    let path = match workflow_path {
        Some(p) => settings::absolute(&p)?,
        None => {
            let file = match layout.workspace.as_str() {
                "." => "archi.yml".to_string(),
                ws => format!("archi-{}.yml", ws.replace('/', "-")),
            };
            repo_root.join(".github/workflows").join(file)
        }
    };
    let existing = match fs_err::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => return Err(err).into_diagnostic(),
    };
    let header = existing.as_deref().and_then(workflow::read_header);
    let from_header = header.as_ref().and_then(|h| h.options);
    let opts = Options {
        aarch64: match aarch64 {
            Some(Aarch64Mode::Cross) => Aarch64::Cross,
            Some(Aarch64Mode::Native) => Aarch64::Native,
            None => from_header.map_or(Aarch64::Cross, |o| o.aarch64),
        },
        max_jobs: max_jobs
            .or(from_header.map(|o| o.max_jobs))
            .unwrap_or(workflow::GITHUB_MAX_JOBS),
    };
    let platforms = if target_platforms.is_empty() {
        vec![Subdir::Linux64, Subdir::LinuxAarch64]
    } else {
        target_platforms
    };
    let graph = workflow_graph(ctx, &platforms, opts.aarch64)?;
    let (graph, inputs) = graph;
    let checksum = workflow::checksum(&graph, &inputs, &opts);
    let groups = workflow::groups(&graph, &opts);
    let text = workflow::github::render(&graph, &groups, &layout, &checksum, &opts)
        .map_err(|e| miette::miette!("cannot write the workflow as YAML: {e}"))?;
    let shown = path.display();
    if check {
        let Some(existing) = existing else {
            return Err(miette::miette!(
                help = "run `archi rerender` and commit the file",
                "{shown} does not exist"
            ));
        };
        return match header {
            None => Err(miette::miette!(
                help = "run `archi rerender` to write it",
                "{shown} has no `{}` line: it was not written by `archi rerender`",
                workflow::CHECKSUM_PREFIX.trim_start_matches("# ")
            )),
            Some(h) if h.options.is_some_and(|o| o != opts) => Err(miette::miette!(
                help = "run `archi rerender` with these options to switch, or --check without them",
                "{shown} was rendered with other options ({}) than these (--aarch64 {} --max-jobs {})",
                existing
                    .lines()
                    .find_map(|l| l.strip_prefix(workflow::OPTIONS_PREFIX))
                    .unwrap_or("")
                    .trim(),
                opts.aarch64.as_str(),
                opts.max_jobs
            )),
            Some(h) if h.checksum != checksum => Err(miette::miette!(
                help = "run `archi rerender` and commit the workflow file",
                "{shown} is stale: the recipes or the build graph changed since it was rendered (checksum {} in the \
                 file, {} now)",
                &h.checksum[..12.min(h.checksum.len())],
                &checksum[..12]
            )),
            Some(_) if existing != text => Err(miette::miette!(
                help = "run `archi rerender` to write it again (hand edits are lost)",
                "{shown} differs from what `archi rerender` writes for the same graph (edited by hand, or written \
                 by another archi version)"
            )),
            Some(_) => {
                eprintln!(
                    "{shown} is up to date ({} jobs for {} builds)",
                    job_count(&groups),
                    graph.nodes.len()
                );
                Ok(())
            }
        };
    }
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir).into_diagnostic()?;
    }
    crate::fsutil::write_atomic(&path, text.as_bytes())
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot write {shown}"))?;
    eprintln!(
        "wrote {shown}: {} jobs for {} builds, aarch64 {}",
        job_count(&groups),
        graph.nodes.len(),
        opts.aarch64.as_str()
    );
    Ok(())
}

/// Every job: the build jobs, one that builds archi per runner kind, and `publish`.
fn job_count(groups: &[workflow::Group]) -> usize {
    let runners: std::collections::BTreeSet<_> = groups.iter().map(|g| g.runner).collect();
    groups.len() + runners.len() + 1
}

/// Where the workspace is in its git repository (the nearest directory above it with a `.git`, else the
/// workspace itself), and that repository's root.
///
/// Errors: the output channel or its logs directory is outside the repository.
fn layout(ctx: &Context) -> miette::Result<(Layout, PathBuf)> {
    let ws = &ctx.workspace.root;
    let repo = ws
        .ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(ws)
        .to_path_buf();
    let rel = |path: &Path, what: &str| -> miette::Result<String> {
        let path = lexical(path);
        let rel = path.strip_prefix(&repo).map_err(|_| {
            miette::miette!(
                "the {what} {} is outside the repository {}: CI can only upload what the checkout holds",
                path.display(),
                repo.display()
            )
        })?;
        let text = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        Ok(if text.is_empty() { ".".into() } else { text })
    };
    let layout = Layout {
        workspace: rel(ws, "workspace")?,
        output: rel(&ctx.output_channel, "output channel")?,
        logs: rel(&ctx.logs_dir(), "logs directory")?,
    };
    Ok((layout, repo))
}

/// `path` with `.` and `..` components resolved without the file system (the output channel need not exist).
fn lexical(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The graph of every workspace recipe for `platforms` and the hash of its inputs (every file of every recipe
/// directory, `archi.toml` and the pins file). Cross: one graph with linux-64 as build platform. Native: nodes
/// for linux-aarch64 come from a graph with linux-aarch64 as build platform (no cross-python build dependency),
/// the others (noarch included) from the linux-64 graph.
fn workflow_graph(
    mut ctx: Context,
    platforms: &[Subdir],
    aarch64: Aarch64,
) -> miette::Result<(WorkflowGraph, String)> {
    let mut passes: Vec<(Subdir, Vec<Subdir>)> = Vec::new();
    match aarch64 {
        Aarch64::Cross => passes.push((Subdir::Linux64, platforms.to_vec())),
        Aarch64::Native => {
            let others: Vec<Subdir> = platforms
                .iter()
                .copied()
                .filter(|p| *p != Subdir::LinuxAarch64)
                .collect();
            if !others.is_empty() {
                passes.push((Subdir::Linux64, others));
            }
            if platforms.contains(&Subdir::LinuxAarch64) {
                passes.push((Subdir::LinuxAarch64, vec![Subdir::LinuxAarch64]));
            }
        }
    }
    let root = ctx.workspace.root.clone();
    let mut nodes: Vec<WorkflowNode> = Vec::new();
    // (recipe dir, subdir) → index in `nodes`: a noarch node met in the second pass is the first pass's.
    let mut index: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut recipe_dirs: BTreeMap<String, PathBuf> = BTreeMap::new();
    for (build_platform, targets) in passes {
        ctx.build_platform = build_platform;
        let selection = Selection {
            all: true,
            names: Vec::new(),
            dirs: Vec::new(),
            platforms: targets,
            with_deps: true,
        };
        let ws = schedule::prepare(&ctx, &selection)?;
        let rel = |recipe: usize| -> miette::Result<String> {
            let dir = &ws.recipes[recipe].dir;
            let rel = dir.strip_prefix(&root).map_err(|_| {
                miette::miette!(
                    "recipe {} is outside the workspace {}: CI checks out the workspace only",
                    dir.display(),
                    root.display()
                )
            })?;
            Ok(rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"))
        };
        let mut local = Vec::with_capacity(ws.graph.nodes.len());
        let mut fresh = Vec::new();
        for (n, node) in ws.graph.nodes.iter().enumerate() {
            let dir = rel(node.recipe)?;
            recipe_dirs.insert(dir.clone(), ws.recipes[node.recipe].dir.clone());
            let key = (dir.clone(), node.subdir.as_str().to_string());
            let i = match index.get(&key) {
                Some(&i) => i,
                None => {
                    let i = nodes.len();
                    index.insert(key, i);
                    fresh.push(n);
                    nodes.push(WorkflowNode {
                        name: node.name.clone(),
                        version: node.version.clone(),
                        subdir: node.subdir.as_str().to_string(),
                        target: node.target.as_str().to_string(),
                        build_platform: build_platform.as_str().to_string(),
                        recipe_dir: dir,
                        cargo_vendor: ws.recipes[node.recipe]
                            .raw
                            .source
                            .iter()
                            .any(|s| s.get_ref().cargo_vendor.is_some()),
                        deps: Default::default(),
                    });
                    i
                }
            };
            local.push(i);
        }
        // Dependencies of the nodes this pass added, from this pass's graph.
        for n in fresh {
            let deps = ws.graph.deps[n].iter().map(|&d| local[d]).collect();
            nodes[local[n]].deps = deps;
        }
    }
    settings::finish(&ctx);
    let inputs = inputs_hash(&root, &ctx, &recipe_dirs)?;
    Ok((WorkflowGraph { nodes }.sorted(), inputs))
}

/// blake3 of every file under each recipe directory (but `__pycache__/`) and the workspace files, by path
/// relative to the root.
fn inputs_hash(
    root: &Path,
    ctx: &Context,
    recipe_dirs: &BTreeMap<String, PathBuf>,
) -> miette::Result<String> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut read = |rel: String, path: &Path| -> miette::Result<()> {
        let bytes = fs_err::read(path).into_diagnostic()?;
        files.push((rel, bytes));
        Ok(())
    };
    read(
        crate::workspace::WORKSPACE_FILE.to_string(),
        &root.join(crate::workspace::WORKSPACE_FILE),
    )?;
    let pins = root.join(&ctx.workspace.file.workspace.pins);
    if pins.is_file() {
        read(
            ctx.workspace.file.workspace.pins.display().to_string(),
            &pins,
        )?;
    }
    for (rel, dir) in recipe_dirs {
        // Python's bytecode caches are not recipe content (a test may import a helper from a recipe directory).
        let walker = walkdir::WalkDir::new(dir)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.file_name() != "__pycache__");
        for entry in walker {
            let entry = entry.into_diagnostic()?;
            if !entry.file_type().is_file() {
                continue;
            }
            let sub = entry
                .path()
                .strip_prefix(dir)
                .unwrap_or(entry.path())
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            read(format!("{rel}/{sub}"), entry.path())?;
        }
    }
    Ok(workflow::hash_files(
        files.iter().map(|(p, b)| (p.as_str(), b.as_slice())),
    ))
}
