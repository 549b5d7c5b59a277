//! The build stage: one planned node from sources to a tested package in the store.
//!
//! [`build`] either finds the plan's key in the store or, holding the key's lock, runs the pipeline: sources →
//! prefixes → script (holding a jobserver token) → relocate → `.conda` → tests → store. It reports each phase to
//! the caller and writes its own phase lines, the script's output and the test output to one build log.
//! Publishing is the scheduler's sink, not this stage's.

mod check;
mod outputs;
mod script;
mod workdir;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use std::collections::BTreeMap;

use rattler_conda_types::RepoDataRecord;

use crate::context::Context;
use crate::jobserver::Jobserver;
use crate::package;
use crate::pkgtest;
use crate::plan::{OutputKey, Plan};
use crate::prefix;
use crate::source::{self, FetchPolicy, SourceCache};
use crate::store::{self, NewEntry, Store, StoreEntry};

use outputs::{package_output, test_output};
pub use script::script_env;
pub use workdir::{WorkDir, BUILD_VIEW};

/// Length of the padded host prefix, as conda-build pads `host_env_placehold_placehold…` so that installers can
/// rewrite binary files in place.
pub const PREFIX_LENGTH: usize = 255;

/// How package tests run, as conda-forge's `test:` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TestMode {
    /// Run tests only where this machine runs the target's programs natively; a cross build's tests are skipped.
    Native,
    /// Run tests, through the target platform's emulator (`pins.toml` `emulator`, `sysroot`) when the target is
    /// foreign, directly when it is this machine's (conda-forge's `native_and_emulated`).
    Emulated,
    /// Do not run tests.
    Skip,
}

impl TestMode {
    /// Whether tests run for a build from `build` to `target`.
    pub fn runs(
        self,
        build: rattler_conda_types::Subdir,
        target: rattler_conda_types::Subdir,
    ) -> bool {
        match self {
            TestMode::Skip => false,
            TestMode::Emulated => true,
            TestMode::Native => {
                crate::platform::elf_machine(build) == crate::platform::elf_machine(target)
            }
        }
    }
}

/// How builds run (the options of a run, apart from what to build).
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// How tests run.
    pub test: TestMode,
    /// Keep the work directory after a successful build.
    pub keep_work: bool,
    /// Whether sources may be downloaded.
    pub fetch: FetchPolicy,
    /// How build scripts are isolated ([`crate::sandbox::probe`] once per run).
    pub isolation: crate::sandbox::Isolation,
    /// Build keys the store already has again and compare the packages byte for byte ([`build`]), storing
    /// nothing (Nix's `--check`).
    pub check: bool,
    /// Binary caches asked for a key the store lacks before building it, and pushed to after a build
    /// ([`crate::substitute`]); `None` when the workspace names none.
    pub substitute: Option<std::sync::Arc<crate::substitute::Substituters>>,
    /// Never run a build script: a key neither the store nor a cache has fails ([`BuildError::NoBuild`]).
    pub no_build: bool,
}

/// The shared state builds write: the store, the source cache, work directories and the package cache.
#[derive(Debug)]
pub struct Workshop {
    /// The content-addressed store.
    pub store: Store,
    /// The sha256-keyed source cache (`<store>/sources`).
    pub sources: SourceCache,
    /// Where work directories are made (`<store>/work`).
    pub work_root: PathBuf,
    /// Package cache for installing prefixes (`<store>/pkgs`).
    pub package_cache: PathBuf,
}

impl Workshop {
    /// The workshop of `store`: its source cache, `work/` and `pkgs/`.
    pub fn new(store: Store) -> Workshop {
        let sources = SourceCache::open(&store.sources_dir());
        // Unpacks interrupted by a killed archi (a live one's is never touched: see remove_stale_staging).
        match sources.remove_stale_staging() {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "removed interrupted source unpacks"),
            Err(e) => tracing::warn!(error = %e, "cannot remove interrupted source unpacks"),
        }
        Workshop {
            sources,
            work_root: store.work_root(),
            package_cache: store.package_cache(),
            store,
        }
    }
}

/// The phases of one build, in order; the display and the timeline show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Fetch, verify, extract and patch sources.
    Source,
    /// Install the build and host prefixes.
    Environment,
    /// Run the build script.
    Script,
    /// Relocate and write the `.conda`.
    Package,
    /// Run the tests in a fresh environment.
    Test,
    /// Store and publish.
    Publish,
}

impl Phase {
    /// The phase's name (`source`, `environment`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Source => "source",
            Phase::Environment => "environment",
            Phase::Script => "script",
            Phase::Package => "package",
            Phase::Test => "test",
            Phase::Publish => "publish",
        }
    }
}

/// What the caller gives one build besides the plan.
pub struct BuildHooks<'a> {
    /// Called when a phase starts.
    pub phase: &'a (dyn Fn(Phase) + Sync),
    /// The build log (created or truncated when the build starts).
    pub log: &'a Path,
    /// The run's jobserver: the script holds one token while it runs and inherits the jobserver.
    pub jobserver: Option<&'a Jobserver>,
    /// `CPU_COUNT` for the script.
    pub cpu_count: usize,
}

/// How one build ended.
#[derive(Debug)]
pub enum Outcome {
    /// The store had every package of the build; nothing ran.
    Cached(Vec<StoreEntry>),
    /// Downloaded from a binary cache, checked against its signed entry and stored; nothing ran.
    Substituted {
        /// The store entries, one per package, in the order of [`Plan::outputs`].
        entries: Vec<StoreEntry>,
        /// The cache's URL.
        url: String,
    },
    /// Built, tested and stored.
    Built {
        /// The store entries, one per package, in the order of [`Plan::outputs`].
        entries: Vec<StoreEntry>,
        /// Seconds the build script ran.
        script_seconds: f64,
    },
}

impl Outcome {
    /// The store entries either way, one per package of the build.
    pub fn entries(&self) -> &[StoreEntry] {
        match self {
            Outcome::Cached(entries)
            | Outcome::Substituted { entries, .. }
            | Outcome::Built { entries, .. } => entries,
        }
    }

    /// The entry of the build's first package (its key is the plan's).
    pub fn entry(&self) -> &StoreEntry {
        &self.entries()[0]
    }
}

/// The store entries of every package of `plan` when the store has them all.
///
/// Errors: the store cannot be read.
pub fn lookup(store: &Store, plan: &Plan) -> Result<Option<Vec<StoreEntry>>, store::StoreError> {
    let mut entries = Vec::new();
    for output in plan.outputs() {
        match store.lookup(&output.key)? {
            Some(entry) => entries.push(entry),
            None => return Ok(None),
        }
    }
    Ok(Some(entries))
}

/// A failed build, with the stage that failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum BuildError {
    /// A source could not be fetched, verified or extracted.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Source(#[from] source::SourceError),
    /// Installing an environment failed.
    #[error("{name}: {stage} environment")]
    Prefix {
        /// Package.
        name: String,
        /// `build` or `host`.
        stage: &'static str,
        /// Cause.
        #[source]
        source: prefix::PrefixError,
    },
    /// The build script failed.
    #[error("{name}: build script failed ({status}){sandboxed}")]
    Script {
        /// Package.
        name: String,
        /// Exit status.
        status: String,
        /// Empty, or ` in the sandbox` and the refusal its log shows ([`crate::sandbox::denial`]).
        sandboxed: String,
        /// Points to `--no-sandbox` when the sandbox stopped it.
        #[help]
        help: Option<String>,
    },
    /// The recipe has neither an inline `[build] script` nor a `build.sh`.
    #[error("{name}: no [build] script in the recipe and no {}", path.display())]
    #[diagnostic(help("add `script = \"...\"` under [build], or a build.sh beside recipe.toml"))]
    NoScript {
        /// Package.
        name: String,
        /// The build.sh that was looked for.
        path: PathBuf,
    },
    /// An `about.license_file` is missing from the source tree after the build, or leads outside it.
    #[error("{name}: about.license_file `{}` {reason}", file.display())]
    #[diagnostic(help("license files are looked up in SRC_DIR after the build script ran (recipe: {})", recipe.display()))]
    LicenseFile {
        /// Package.
        name: String,
        /// The recipe directory.
        recipe: PathBuf,
        /// The file as the recipe gives it.
        file: PathBuf,
        /// `is not in the source tree (SRC_DIR)` or `leads outside the source tree`.
        reason: &'static str,
    },
    /// `--check`: the key is not in the store, so there is nothing to compare with.
    #[error("{name}: nothing to check, the store has no package for key {key}")]
    #[diagnostic(help("build it first (without --check)"))]
    NotStored {
        /// The recipe.
        name: String,
        /// The plan's key.
        key: String,
    },
    /// `--check`: the build gave other bytes than the stored packages.
    #[error("{name}: not reproducible, {} file(s) differ from the stored packages:\n  {}", files.len(), files.join("\n  "))]
    #[diagnostic(help("both trees are kept for diffoscope under {}", dir.display()))]
    NotReproducible {
        /// The recipe.
        name: String,
        /// `<package file>: <path>` of every differing file.
        files: Vec<String>,
        /// `<work>/check`, holding `stored/` and `rebuilt/`.
        dir: PathBuf,
    },
    /// A recipe file changed while the build ran (it was read after the key was computed).
    #[error("{name}: recipe files changed during the build: {}", files.join(", "))]
    #[diagnostic(help("nothing was stored; build again to build the recipe as it is now"))]
    RecipeChanged {
        /// The recipe.
        name: String,
        /// The changed, added or removed files, relative to the recipe directory.
        files: Vec<String>,
    },
    /// Two outputs of a multi-output recipe take one file.
    #[error("{}: outputs `{first}` and `{second}` both take the file {}", .first, file.display())]
    #[diagnostic(help(
        "narrow the `files` globs of one of them: each installed file belongs to one package"
    ))]
    OutputClash {
        /// The file, relative to `$PREFIX`.
        file: PathBuf,
        /// The output that took it first.
        first: String,
        /// The other.
        second: String,
    },
    /// An output of a multi-output recipe takes no file (its globs match nothing and its script added none).
    #[error(
        "{name}: output `{output}` takes no files: its globs match nothing the build installed"
    )]
    EmptyOutput {
        /// The recipe.
        name: String,
        /// The output.
        output: String,
    },
    /// The script installed nothing into `$PREFIX` although the recipe has sources (a recipe without sources may
    /// be a metapackage).
    #[error("{name}: the build script installed no files into $PREFIX")]
    NoFiles {
        /// Package.
        name: String,
    },
    /// `--no-build`: neither the store nor a binary cache has the key.
    #[error("{name}: --no-build, and no binary cache gave key {key}{}", refused.iter().map(|r| format!("\n  refused: {r}")).collect::<String>())]
    #[diagnostic(help(
        "build without --no-build, or push it to a [[substituter]] of archi.toml first"
    ))]
    NoBuild {
        /// The recipe.
        name: String,
        /// The plan's key.
        key: String,
        /// Why caches that had it were refused (`<url>: <key>: <reason>`).
        refused: Vec<String>,
    },
    /// Packaging failed.
    #[error(transparent)]
    Package(#[from] package::PackageError),
    /// A package test failed; nothing was stored.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Test(#[from] pkgtest::TestError),
    /// Writing the store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// Work directory or log I/O.
    #[error("{}: {what}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The work directory is too long to pad the prefix to 255 characters.
    #[error("work directory {} is too long for a {PREFIX_LENGTH}-character host prefix", path.display())]
    #[diagnostic(help("use a shorter --store"))]
    PrefixTooLong {
        /// The work directory.
        path: PathBuf,
    },
}

fn io_err(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BuildError {
    let path = path.to_path_buf();
    move |source| BuildError::Io { what, path, source }
}

/// Build `plan` unless the store has it. Holds the key's store lock while building, so two processes building
/// one key build it once: the second finds it in the store.
///
/// With `opts.check`, a key the store has is built again (without tests, storing nothing, its log beside the
/// build's as `….check.log`) and every package compared with the stored one ([`check::compare`]).
///
/// Errors: [`BuildError`] naming the package and the stage; nothing is stored when any stage fails.
/// With `opts.check`: [`BuildError::NotStored`], [`BuildError::NotReproducible`] naming every differing file.
pub fn build(
    ctx: &Context,
    shop: &Workshop,
    opts: &BuildOptions,
    plan: &Plan,
    hooks: &BuildHooks,
) -> Result<Outcome, BuildError> {
    let stored = lookup(&shop.store, plan)?;
    if let (Some(entries), false) = (&stored, opts.check) {
        return Ok(Outcome::Cached(entries.clone()));
    }
    if opts.check && stored.is_none() {
        return Err(BuildError::NotStored {
            name: plan.rendered.name.clone(),
            key: plan.key.to_string(),
        });
    }
    let _lock = shop.store.lock(&plan.key)?;
    if let (Some(entries), false) = (lookup(&shop.store, plan)?, opts.check) {
        return Ok(Outcome::Cached(entries));
    }
    if !opts.check {
        if let Some(outcome) = substitute(shop, opts, plan)? {
            return Ok(outcome);
        }
    }
    let view = opts.isolation.policy().map(|_| Path::new(BUILD_VIEW));
    let work = WorkDir::create(&shop.work_root, plan, view)?;
    let log_path = match opts.check {
        true => hooks.log.with_extension("check.log"),
        false => hooks.log.to_path_buf(),
    };
    let mut log = BuildLog::create(&log_path)?;
    let result = run_pipeline(
        ctx,
        shop,
        opts,
        plan,
        hooks,
        &work,
        &mut log,
        stored.as_deref(),
    )
    .map(|(entries, script_seconds)| Outcome::Built {
        entries,
        script_seconds,
    });
    match &result {
        Ok(_) => log.line(&format!(
            "done in {:.1} s",
            log.started.elapsed().as_secs_f64()
        )),
        Err(err) => log.line(&format!("failed: {err}")),
    }
    if let (Ok(Outcome::Built { entries, .. }), Some(caches), false) =
        (&result, &opts.substitute, opts.check)
    {
        // Failures are logged by push; the build itself stands.
        caches.push(entries);
    }
    if result.is_ok() && !opts.keep_work {
        let _ = store::clean::remove_dir_robust(&work.root, &shop.work_root);
    } else {
        // Kept on purpose: leftover cleaning leaves it for the user (`archi store gc` removes it).
        let _ = fs_err::write(work.root.join(store::clean::KEEP_MARKER), "");
    }
    result
}

/// Ask the binary caches for every package of `plan` (the key's lock is held). `Some` when one cache gave them
/// all; `None` to build. Errors: [`BuildError::NoBuild`] with `opts.no_build` when no cache gave them.
fn substitute(
    shop: &Workshop,
    opts: &BuildOptions,
    plan: &Plan,
) -> Result<Option<Outcome>, BuildError> {
    let mut refused = Vec::new();
    if let Some(caches) = &opts.substitute {
        let wanted: Vec<_> = plan
            .outputs()
            .into_iter()
            .map(|o| crate::substitute::Wanted {
                key: o.key,
                name: o.output.name,
                build: plan.build_string.clone(),
                subdir: plan.subdir().to_string(),
            })
            .collect();
        let result = caches.substitute(&shop.store, &wanted);
        if let Some((entries, url)) = result.hit {
            return Ok(Some(Outcome::Substituted { entries, url }));
        }
        refused = result.refused;
    }
    if opts.no_build {
        return Err(BuildError::NoBuild {
            name: plan.rendered.name.clone(),
            key: plan.key.to_string(),
            refused,
        });
    }
    Ok(None)
}

/// The build log: archi's own timestamped phase lines between the script's and tests' output.
struct BuildLog {
    path: PathBuf,
    file: fs_err::File,
    started: Instant,
}

impl BuildLog {
    fn create(path: &Path) -> Result<BuildLog, BuildError> {
        if let Some(dir) = path.parent() {
            fs_err::create_dir_all(dir).map_err(io_err("creating the log directory", dir))?;
        }
        // Truncated once, then appended to: the script's and the tests' output go to the same file through
        // their own descriptors, so every writer must append.
        fs_err::File::create(path).map_err(io_err("creating the build log", path))?;
        let file = fs_err::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(io_err("opening the build log", path))?;
        Ok(BuildLog {
            path: path.to_path_buf(),
            file,
            started: Instant::now(),
        })
    }

    /// One `[archi +12.3s] text` line; a log that cannot be written is not worth failing the build for.
    fn line(&mut self, text: &str) {
        let at = self.started.elapsed().as_secs_f64();
        let _ = writeln!(self.file, "[archi +{at:.1}s] {text}");
    }
}

/// Sources → prefixes → script → packages → tests → store; with `checked` (the stored entries, `--check`), no
/// tests and no store: the packages are compared with them.
#[allow(clippy::too_many_arguments)]
fn run_pipeline(
    ctx: &Context,
    shop: &Workshop,
    opts: &BuildOptions,
    plan: &Plan,
    hooks: &BuildHooks,
    work: &WorkDir,
    log: &mut BuildLog,
    checked: Option<&[StoreEntry]>,
) -> Result<(Vec<StoreEntry>, f64), BuildError> {
    let rendered = &plan.rendered;
    let name = rendered.name.clone();
    let _span =
        tracing::info_span!("build", package = %name, platform = %plan.target_platform).entered();
    log.line(&format!(
        "build {} for {} (key {})",
        plan.label(),
        plan.target_platform,
        plan.key
    ));
    let enter = |phase: Phase, log: &mut BuildLog| {
        (hooks.phase)(phase);
        log.line(&format!("phase {}", phase.as_str()));
        tracing::debug_span!("phase", phase = phase.as_str()).entered()
    };

    let phase = enter(Phase::Source, log);
    source::prepare(
        &rendered.sources,
        &shop.sources,
        &plan.recipe_dir,
        &work.src,
        &opts.fetch,
    )?;
    // cargo's home is `$HOME/.cargo` (CARGO_HOME with compiler('rust')), in the work directory; the vendored
    // directory is named where the script sees SRC_DIR (BUILD_VIEW in the sandbox).
    source::write_cargo_config(
        &rendered.sources,
        &work.seen(&work.src),
        &work.home.join(".cargo"),
    )?;
    drop(phase);

    let phase = enter(Phase::Environment, log);
    // Installed for the path the script sees them at (rattler's alternative target prefix).
    let install = |records: &[RepoDataRecord], prefix: &Path, platform, stage| {
        let seen = work.seen(prefix);
        prefix::install_as(records, prefix, &seen, platform, &shop.package_cache).map_err(
            |source| BuildError::Prefix {
                name: name.clone(),
                stage,
                source,
            },
        )
    };
    install(
        &plan.build_records,
        &work.build_prefix,
        plan.build_platform,
        "build",
    )?;
    install(
        &plan.host_records,
        &work.host_prefix,
        plan.target_platform,
        "host",
    )?;
    let before = package::snapshot(&work.host_prefix)?;
    drop(phase);

    let phase = enter(Phase::Script, log);
    let dirs = work.script_dirs(plan)?;
    if crate::plan::script_env::is_cross_python(&plan.script_inputs()) {
        stage_cross_python(plan, work)?;
    }
    let vars = script_env(plan, &dirs, hooks.cpu_count);
    let policy = opts.isolation.policy();
    let mut script_seconds = script::run(plan, &vars, work, hooks, policy, &log.path)?;
    log.line(&format!("script ran {script_seconds:.1} s"));
    let built = package::new_files(&before, &package::snapshot(&work.host_prefix)?);
    let outputs = plan.outputs();
    // Each output's own script, in order, after the build's; the files it adds are that output's.
    let mut scripted: BTreeMap<usize, Vec<PathBuf>> = BTreeMap::new();
    for (i, output) in outputs.iter().enumerate() {
        let Some(file) = &output.output.script else {
            continue;
        };
        let before = package::snapshot(&work.host_prefix)?;
        let path = plan.recipe_dir.join(file);
        let seconds = script::run_file(plan, &path, &vars, work, hooks, policy, &log.path)?;
        log.line(&format!(
            "output {} script ran {seconds:.1} s",
            output.output.name
        ));
        script_seconds += seconds;
        scripted.insert(
            i,
            package::new_files(&before, &package::snapshot(&work.host_prefix)?),
        );
    }
    drop(phase);

    let phase = enter(Phase::Package, log);
    let (assigned, unclaimed) = outputs::assign(plan, &outputs, &built, &scripted)?;
    if !unclaimed.is_empty() {
        let shown: Vec<String> = unclaimed
            .iter()
            .take(20)
            .map(|p| p.display().to_string())
            .collect();
        log.line(&format!(
            "{} installed files belong to no output and are left out: {}{}",
            unclaimed.len(),
            shown.join(", "),
            if unclaimed.len() > shown.len() {
                ", …"
            } else {
                ""
            }
        ));
    }
    let mut artifacts = Vec::new();
    for (output, files) in outputs.iter().zip(assigned) {
        artifacts.push(package_output(ctx, shop, plan, output, work, files)?);
    }
    drop(phase);

    if let (Some(stored), true) = (checked, opts.check) {
        let dir = work.root.join("check");
        let files = check::compare(stored, &artifacts, &dir)?;
        if !files.is_empty() {
            return Err(BuildError::NotReproducible {
                name: rendered.name.clone(),
                files,
                dir,
            });
        }
        log.line("check: every package is byte-identical to the stored one");
        return Ok((stored.to_vec(), script_seconds));
    }
    let run_tests = opts.test.runs(plan.build_platform, plan.target_platform);
    if !run_tests && opts.test == TestMode::Native {
        tracing::warn!(
            "--test native: skipping the tests of a {} package",
            plan.target_platform
        );
    }
    let has_tests =
        |o: &OutputKey| !(o.output.test.commands.is_empty() && o.output.test.imports.is_empty());
    if run_tests && outputs.iter().any(has_tests) {
        let _phase = enter(Phase::Test, log);
        for (i, output) in outputs.iter().enumerate().filter(|(_, o)| has_tests(o)) {
            let siblings: Vec<PathBuf> = artifacts
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, a)| a.clone())
                .collect();
            let work_dir = match outputs.len() {
                1 => work.test.clone(),
                _ => work.test.join(&output.output.name),
            };
            test_output(
                ctx,
                shop,
                plan,
                output,
                &artifacts[i],
                &siblings,
                &work_dir,
                &log.path,
            )?;
        }
    }

    let _phase = enter(Phase::Publish, log);
    let changed = crate::plan::changed_recipe_files(plan).map_err(|e| BuildError::Io {
        what: "reading the recipe directory again",
        path: plan.recipe_dir.clone(),
        source: std::io::Error::other(e.to_string()),
    })?;
    if !changed.is_empty() {
        return Err(BuildError::RecipeChanged {
            name: rendered.name.clone(),
            files: changed,
        });
    }
    // The first package last: its key is the plan's, and its presence tells that the build is complete.
    let mut entries = Vec::new();
    for (output, artifact) in outputs.iter().zip(&artifacts).rev() {
        let mut inputs = plan.inputs.to_json();
        if plan.rendered.is_multi_output() {
            inputs["output"] = serde_json::Value::from(output.output.name.clone());
        }
        entries.push(shop.store.insert(
            &output.key,
            artifact,
            NewEntry {
                name: output.output.name.clone(),
                version: output.output.version.clone(),
                build: plan.build_string.clone(),
                subdir: plan.subdir().to_string(),
                inputs,
            },
        )?);
    }
    entries.reverse();
    Ok((entries, script_seconds))
}

/// Copies the target python's `_sysconfigdata_*.py` from the host prefix into `dirs.cross_python`, the only
/// directory on the build python's `PYTHONPATH` in a cross build (the target's standard library must not shadow
/// the build python's).
fn stage_cross_python(plan: &Plan, work: &WorkDir) -> Result<(), BuildError> {
    let py_ver = crate::plan::script_env::python_minor(&plan.host_records).unwrap_or_default();
    let name =
        crate::plan::script_env::sysconfigdata_name(plan.target_platform).unwrap_or_default();
    let from = work
        .host_prefix
        .join(format!("lib/python{py_ver}/{name}.py"));
    let dir = work.cross_python();
    fs_err::create_dir_all(&dir).map_err(io_err("creating the cross-python directory", &dir))?;
    let to = dir.join(format!("{name}.py"));
    fs_err::copy(&from, &to).map_err(io_err(
        "copying the target python's _sysconfigdata (is the host python built for the target?)",
        &from,
    ))?;
    Ok(())
}
