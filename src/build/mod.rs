//! The build stage: from a rendered recipe to a stored, tested, published package.
//!
//! [`plan`] is everything needed to know the store key without building: render, toolchain identities, the
//! solved build and host environments, the hash of every recipe file. [`build`] then either finds the key in the
//! store (and makes sure the channel has it) or runs the pipeline: sources → prefixes → script → relocate →
//! `.conda` → tests → store → channel. Only this stage (and `pkgtest`) spawns build processes.

mod env;
mod script;

pub use env::{compiler_flags, ScriptEnv};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use rattler_conda_types::package::RunExportsJson;
use rattler_conda_types::{MatchSpec, ParseStrictness, RepoDataRecord, Subdir};
use serde_json::json;

use crate::package::{self, PackageMetadata};
use crate::prefix::{self, ChannelSource, SolveRequest};
use crate::recipe::{LoadedRecipe, RecipeError};
use crate::render::{self, RenderOptions, RenderedRecipe, Requirement};
use crate::source::{self, FetchPolicy, SourceCache};
use crate::store::{self, NewEntry, Store, StoreEntry, StoreKey};
use crate::toolchain::{self, Toolchain};
use crate::workspace::Workspace;
use crate::{channel, pkgtest};

/// Length of the padded host prefix, as conda-build pads `host_env_placehold_placehold…` so that installers can
/// rewrite binary files in place.
pub const PREFIX_LENGTH: usize = 255;

/// `SOURCE_DATE_EPOCH` for every build and the mtime of every archive entry (2023-01-01T00:00:00Z).
pub const SOURCE_DATE_EPOCH: u64 = 1_672_531_200;

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
    pub fn runs(self, build: Subdir, target: Subdir) -> bool {
        match self {
            TestMode::Skip => false,
            TestMode::Emulated => true,
            TestMode::Native => {
                crate::platform::elf_machine(build) == crate::platform::elf_machine(target)
            }
        }
    }
}

/// Everything a build needs besides the recipe, resolved once from CLI, `archi.toml` and the environment.
#[derive(Debug)]
pub struct BuildSettings {
    /// The workspace (pins, toolchain table).
    pub workspace: Workspace,
    /// The content-addressed store.
    pub store: Store,
    /// The sha256-keyed source cache.
    pub sources: SourceCache,
    /// The channel packages are published to; solved first.
    pub output_channel: PathBuf,
    /// Upstream channels, solved after the output channel in this order.
    pub channels: Vec<ChannelSource>,
    /// Platform the packages are for.
    pub target_platform: Subdir,
    /// This machine's platform.
    pub build_platform: Subdir,
    /// Whether sources may be downloaded.
    pub fetch: FetchPolicy,
    /// How tests run.
    pub test: TestMode,
    /// Where work directories are made (`<store>/work`).
    pub work_root: PathBuf,
    /// Package cache for installing prefixes (`<store>/pkgs`).
    pub package_cache: PathBuf,
    /// Keep the work directory after a successful build.
    pub keep_work: bool,
    /// `CPU_COUNT` for the script.
    pub cpu_count: usize,
    /// The caller's `PATH`, searched for toolchain programs (it never reaches the script as such).
    pub machine_path: String,
}

/// Everything that determines a package, known before building it.
#[derive(Debug)]
pub struct Plan {
    /// The rendered recipe.
    pub rendered: RenderedRecipe,
    /// Its directory.
    pub recipe_dir: PathBuf,
    /// Toolchain programs for the build.
    pub toolchain: Toolchain,
    /// Toolchain programs for the tests.
    pub test_toolchain: Toolchain,
    /// In a cross build, the build machine's own compilers (`CC_FOR_BUILD`, `CXX_FOR_BUILD`).
    pub build_machine_toolchain: Toolchain,
    /// Solved build environment (build platform).
    pub build_records: Vec<RepoDataRecord>,
    /// Solved host environment (target platform).
    pub host_records: Vec<RepoDataRecord>,
    /// The hash input (canonicalised and hashed into [`Plan::key`]).
    pub inputs: serde_json::Value,
    /// The store key.
    pub key: StoreKey,
    /// `h<7 hex of key>_<build number>`.
    pub build_string: String,
}

/// How one recipe ended.
#[derive(Debug)]
pub enum Outcome {
    /// The store had it; nothing ran.
    Cached(StoreEntry),
    /// Built, tested, stored and published.
    Built {
        /// The store entry.
        entry: StoreEntry,
        /// Seconds the build script ran.
        script_seconds: f64,
    },
    /// `skip` is true on this platform.
    Skipped,
}

/// A failed build, with the stage that failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum BuildError {
    /// The recipe is malformed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Recipe(#[from] RecipeError),
    /// A toolchain program is missing.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Toolchain(#[from] toolchain::ToolchainError),
    /// A source could not be fetched, verified or extracted.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Source(#[from] source::SourceError),
    /// Solving or installing an environment failed.
    #[error("{name}: {stage} environment")]
    Prefix {
        /// Package.
        name: String,
        /// `build`, `host` or `test`.
        stage: &'static str,
        /// Cause.
        #[source]
        source: prefix::PrefixError,
    },
    /// The build script failed.
    #[error("{name}: build script failed ({status}); log: {}\n{tail}", log.display())]
    Script {
        /// Package.
        name: String,
        /// Exit status.
        status: String,
        /// Full log.
        log: PathBuf,
        /// Last lines of the log.
        tail: String,
    },
    /// A requirement is not a valid match spec.
    #[error("invalid match spec `{spec}`")]
    InvalidSpec {
        /// The spec.
        spec: String,
        /// Cause.
        #[source]
        source: rattler_conda_types::ParseMatchSpecError,
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
    /// The script installed nothing into `$PREFIX`.
    #[error("{name}: the build script installed no files into $PREFIX")]
    NoFiles {
        /// Package.
        name: String,
    },
    /// Packaging failed.
    #[error(transparent)]
    Package(#[from] package::PackageError),
    /// A package test failed; nothing was stored or published.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Test(#[from] pkgtest::TestError),
    /// Writing the store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// Publishing to the channel failed.
    #[error(transparent)]
    Channel(#[from] channel::ChannelError),
    /// Work directory I/O.
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

/// Packages built or found earlier in the same run, by name: dependents pin them exactly.
pub type RunPins = BTreeMap<String, (String, String)>;

/// Render `recipe` for the settings' target platform.
pub fn render_recipe(
    recipe: &LoadedRecipe,
    settings: &BuildSettings,
) -> Result<RenderedRecipe, RecipeError> {
    let ws = &settings.workspace;
    let pins = ws.pins_for(settings.target_platform);
    let tools = ws.toolchain_for(settings.target_platform);
    render::render(
        recipe,
        &RenderOptions {
            target_platform: settings.target_platform,
            build_platform: settings.build_platform,
            pins: &pins,
            toolchain: &tools,
        },
    )
}

/// Work out the store key of `recipe` without building: render, resolve the toolchain, solve the environments.
pub fn plan(
    recipe: &LoadedRecipe,
    rendered: RenderedRecipe,
    settings: &BuildSettings,
    run_pins: &RunPins,
) -> Result<Plan, BuildError> {
    let ws = &settings.workspace;
    let tools = ws.toolchain_for(settings.target_platform);
    let target = settings.target_platform.as_str();
    let toolchain = toolchain::resolve(
        rendered.build_toolchain(),
        &tools,
        target,
        &settings.machine_path,
    )?;
    let test_toolchain = toolchain::resolve(
        render::toolchain_names(&rendered.test.requires),
        &tools,
        target,
        &settings.machine_path,
    )?;
    let build_machine_toolchain = if settings.target_platform == settings.build_platform {
        Toolchain::default()
    } else {
        let compilers = rendered
            .build_toolchain()
            .filter(|n| ["c", "cxx"].contains(n));
        toolchain::resolve(
            compilers,
            &ws.toolchain_for(settings.build_platform),
            settings.build_platform.as_str(),
            &settings.machine_path,
        )?
    };
    let name = rendered.name.clone();
    let solve = |reqs: &[Requirement], platform: Subdir, stage: &'static str| {
        let specs = pinned_specs(reqs, run_pins)?;
        solve_env(settings, &specs, platform).map_err(|source| BuildError::Prefix {
            name: name.clone(),
            stage,
            source,
        })
    };
    let build_records = solve(
        &rendered.requirements.build,
        settings.build_platform,
        "build",
    )?;
    let host_records = solve(
        &rendered.requirements.host,
        settings.target_platform,
        "host",
    )?;
    let inputs = json!({
        "format": store::STORE_FORMAT_VERSION,
        "recipe": rendered,
        "recipe_files": hash_dir(&recipe.dir)?,
        "sources": source::source_hashes(&rendered.sources, &recipe.dir)?,
        "build_env": records_identity(&build_records),
        "host_env": records_identity(&host_records),
        "target_platform": settings.target_platform.as_str(),
        "build_platform": settings.build_platform.as_str(),
        "toolchain": toolchain,
        "test_toolchain": test_toolchain,
        "build_machine_toolchain": build_machine_toolchain,
        "compiler_flags": compiler_flags("${PREFIX}"),
    });
    let key = store::compute_key(&inputs);
    let build_string = format!("h{}_{}", key.short(), rendered.build_number);
    Ok(Plan {
        rendered,
        recipe_dir: recipe.dir.clone(),
        toolchain,
        test_toolchain,
        build_machine_toolchain,
        build_records,
        host_records,
        inputs,
        key,
        build_string,
    })
}

/// Build `plan` unless the store has it; publish the result to the output channel either way.
pub fn build(plan: &Plan, settings: &BuildSettings) -> Result<Outcome, BuildError> {
    if plan.rendered.skip {
        return Ok(Outcome::Skipped);
    }
    if let Some(entry) = settings.store.lookup(&plan.key)? {
        ensure_published(settings, &entry)?;
        return Ok(Outcome::Cached(entry));
    }
    let _lock = settings.store.lock(&plan.key)?;
    if let Some(entry) = settings.store.lookup(&plan.key)? {
        ensure_published(settings, &entry)?;
        return Ok(Outcome::Cached(entry));
    }
    let work = WorkDir::create(&settings.work_root, plan)?;
    let (entry, script_seconds) = run_pipeline(plan, settings, &work)?;
    let publish = tracing::info_span!("publish", package = %plan.rendered.name).entered();
    channel::publish(&settings.output_channel, &entry.artifact_path())?;
    drop(publish);
    if !settings.keep_work {
        let _ = fs_err::remove_dir_all(&work.root);
    }
    Ok(Outcome::Built {
        entry,
        script_seconds,
    })
}

fn run_pipeline(
    plan: &Plan,
    settings: &BuildSettings,
    work: &WorkDir,
) -> Result<(StoreEntry, f64), BuildError> {
    let rendered = &plan.rendered;
    let name = rendered.name.clone();
    let _span = tracing::info_span!("build", package = %name).entered();

    let phase = tracing::info_span!("sources").entered();
    source::prepare(
        &rendered.sources,
        &settings.sources,
        &plan.recipe_dir,
        &work.src,
        &settings.fetch,
    )?;

    drop(phase);
    let phase = tracing::info_span!("prefixes").entered();
    let install = |records: &[RepoDataRecord], prefix: &Path, platform, stage| {
        prefix::install(records, prefix, platform, &settings.package_cache).map_err(|source| {
            BuildError::Prefix {
                name: name.clone(),
                stage,
                source,
            }
        })
    };
    install(
        &plan.build_records,
        &work.build_prefix,
        settings.build_platform,
        "build",
    )?;
    install(
        &plan.host_records,
        &work.host_prefix,
        settings.target_platform,
        "host",
    )?;
    let before = package::snapshot(&work.host_prefix)?;

    drop(phase);
    let phase = tracing::info_span!("script").entered();
    let env = ScriptEnv::new(plan, settings, work);
    let started = Instant::now();
    script::run(plan, &env, work)?;
    let script_seconds = started.elapsed().as_secs_f64();

    drop(phase);
    let phase = tracing::info_span!("package").entered();
    let after = package::snapshot(&work.host_prefix)?;
    let files = package::new_files(&before, &after);
    if files.is_empty() {
        return Err(BuildError::NoFiles { name });
    }
    package::relocate(&work.host_prefix, &files)?;
    let meta = package_metadata(plan, settings, work, &files)?;
    let artifact = package::write_conda(&work.host_prefix, &files, &meta, &work.out)?;
    drop(phase);

    let run_tests = settings
        .test
        .runs(settings.build_platform, settings.target_platform);
    if !run_tests && settings.test == TestMode::Native {
        tracing::warn!(
            "--test native: skipping the tests of a {} package",
            settings.target_platform
        );
    }
    if run_tests && !rendered.test.commands.is_empty() {
        let _phase = tracing::info_span!("test").entered();
        pkgtest::run(&pkgtest::TestRequest {
            artifact: &artifact,
            plan,
            settings,
            work_dir: &work.test,
        })?;
    }

    let _phase = tracing::info_span!("store").entered();
    let entry = settings.store.insert(
        &plan.key,
        &artifact,
        NewEntry {
            name: rendered.name.clone(),
            version: rendered.version.clone(),
            build: plan.build_string.clone(),
            subdir: subdir_of(plan, settings).to_string(),
            inputs: plan.inputs.clone(),
        },
    )?;
    Ok((entry, script_seconds))
}

/// The subdir a plan's package goes to: `noarch` for noarch recipes, else the target platform.
pub fn subdir_of(plan: &Plan, settings: &BuildSettings) -> Subdir {
    if plan.rendered.noarch.is_none() {
        settings.target_platform
    } else {
        Subdir::NoArch
    }
}

fn ensure_published(settings: &BuildSettings, entry: &StoreEntry) -> Result<(), BuildError> {
    let published = settings
        .output_channel
        .join(&entry.manifest.subdir)
        .join(&entry.manifest.artifact);
    if !published.is_file() {
        channel::publish(&settings.output_channel, &entry.artifact_path())?;
    }
    Ok(())
}

/// index.json `depends`: run requirements, run_exports of host (weak + strong) and build (strong) packages minus
/// `ignore_run_exports`, and `__glibc >=` the target's glibc when the package has ELF files. A bare name is dropped
/// when a constrained spec for the same name is present.
fn depends(plan: &Plan, settings: &BuildSettings, has_elf: bool) -> Vec<String> {
    let r = &plan.rendered.requirements;
    let mut specs: Vec<String> = r.run.clone();
    let ignored = |record: &RepoDataRecord| {
        r.ignore_run_exports
            .iter()
            .any(|n| n == record.package_record.name.as_normalized())
    };
    for (records, weak) in [(&plan.host_records, true), (&plan.build_records, false)] {
        for record in records.iter().filter(|r| !ignored(r)) {
            let exports = run_exports_of(record, &settings.package_cache);
            if weak {
                specs.extend(exports.weak);
            }
            specs.extend(exports.strong);
        }
    }
    if has_elf && plan.rendered.noarch.is_none() {
        if let Some(glibc) = glibc_for(settings, settings.target_platform) {
            specs.push(format!("__glibc >={glibc}"));
        }
    }
    let name_of = |s: &str| s.split_whitespace().next().unwrap_or_default().to_string();
    let constrained: std::collections::BTreeSet<String> = specs
        .iter()
        .filter(|s| s.contains(' '))
        .map(|s| name_of(s))
        .collect();
    specs.retain(|s| s.contains(' ') || !constrained.contains(s.as_str()));
    specs.retain(|s| name_of(s) != plan.rendered.name);
    specs.sort();
    specs.dedup();
    specs
}

/// The glibc version packages for `platform` require: pins.toml's `glibc`, else this machine's when it is the
/// build platform.
pub fn glibc_for(
    settings: &BuildSettings,
    platform: Subdir,
) -> Option<rattler_conda_types::Version> {
    let configured = settings
        .workspace
        .platform(platform)
        .and_then(|p| p.glibc.as_deref())
        .and_then(|v| v.parse().ok());
    configured.or_else(|| {
        (platform == settings.build_platform && platform.is_linux())
            .then(prefix::host_glibc_version)
            .flatten()
    })
}

/// run_exports.json of an installed record: from the artifact when it is a local file, else from the package
/// cache's extracted copy. Missing means none.
fn run_exports_of(record: &RepoDataRecord, package_cache: &Path) -> RunExportsJson {
    use rattler_conda_types::package::PackageFile;
    if let Ok(path) = record.url.to_file_path() {
        if let Ok(exports) =
            rattler_package_streaming::seek::read_package_file::<RunExportsJson>(&path)
        {
            return exports;
        }
    }
    let p = &record.package_record;
    let dir = package_cache.join(format!(
        "{}-{}-{}",
        p.name.as_normalized(),
        p.version,
        p.build
    ));
    RunExportsJson::from_package_directory(&dir).unwrap_or_default()
}

fn package_metadata(
    plan: &Plan,
    settings: &BuildSettings,
    work: &WorkDir,
    files: &[PathBuf],
) -> Result<PackageMetadata, BuildError> {
    let r = &plan.rendered;
    let has_elf = files.iter().any(|f| is_elf(&work.host_prefix.join(f)));
    let mut about = serde_json::Map::new();
    for (k, v) in &r.about {
        about.insert(k.clone(), v.clone());
    }
    about.insert(
        "channels".into(),
        json!([settings.output_channel.display().to_string()]),
    );
    let timestamp_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    let test_files = r
        .test
        .files
        .iter()
        .map(|f| (f.clone(), plan.recipe_dir.join(f)))
        .collect();
    let license_files = r.license_files.iter().map(|f| work.src.join(f)).collect();
    Ok(PackageMetadata {
        name: r.name.parse().expect("package name checked when rendering"),
        version: r.version.parse().expect("version checked when rendering"),
        build_string: plan.build_string.clone(),
        build_number: r.build_number,
        subdir: subdir_of(plan, settings),
        noarch: r.noarch,
        depends: depends(plan, settings, has_elf),
        constrains: r.requirements.run_constraints.clone(),
        license: r
            .about
            .get("license")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        license_family: r
            .about
            .get("license_family")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        timestamp_ms,
        about: serde_json::Value::Object(about),
        run_exports: RunExportsJson {
            weak: r.requirements.run_exports_weak.clone(),
            strong: r.requirements.run_exports_strong.clone(),
            ..Default::default()
        },
        hash_input: plan.inputs.clone(),
        recipe_dir: plan.recipe_dir.clone(),
        rendered_recipe: serde_json::to_string_pretty(&plan.rendered)
            .expect("rendered recipe serialises"),
        test_files,
        test_commands: r.test.commands.clone(),
        license_files,
        source_date_epoch: SOURCE_DATE_EPOCH,
    })
}

fn is_elf(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    fs_err::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .map(|_| magic == *b"\x7fELF")
        .unwrap_or(false)
}

/// Specs for a solve: package requirements, with packages built earlier in this run pinned to exactly that build.
fn pinned_specs(reqs: &[Requirement], run_pins: &RunPins) -> Result<Vec<MatchSpec>, BuildError> {
    let parse = |spec: &str| {
        MatchSpec::from_str(spec, ParseStrictness::Lenient).map_err(|source| {
            BuildError::InvalidSpec {
                spec: spec.to_string(),
                source,
            }
        })
    };
    let mut specs = Vec::new();
    for spec in RenderedRecipe::package_specs(reqs) {
        let name = spec.split_whitespace().next().unwrap_or_default();
        specs.push(parse(spec)?);
        if let Some((version, build)) = run_pins.get(name) {
            specs.push(parse(&format!("{name} =={version} {build}"))?);
        }
    }
    Ok(specs)
}

fn solve_env(
    settings: &BuildSettings,
    specs: &[MatchSpec],
    platform: Subdir,
) -> Result<Vec<RepoDataRecord>, prefix::PrefixError> {
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    let mut channels = vec![ChannelSource::from_dir(&settings.output_channel)?];
    channels.extend(settings.channels.iter().cloned());
    let glibc = glibc_for(settings, platform);
    prefix::solve(&SolveRequest {
        specs,
        channels: &channels,
        platform,
        virtual_packages: prefix::virtual_packages(platform, glibc.as_ref()),
    })
}

/// (name, version, build, sha256) of each record: what the key hashes of an environment.
fn records_identity(records: &[RepoDataRecord]) -> serde_json::Value {
    records
        .iter()
        .map(|r| {
            let p = &r.package_record;
            json!({
                "name": p.name.as_normalized(),
                "version": p.version.to_string(),
                "build": p.build,
                "sha256": p.sha256.map(|h| crate::store::hex(&h)),
            })
        })
        .collect()
}

/// blake3 of every file in the recipe directory, by relative path (sorted).
fn hash_dir(dir: &Path) -> Result<BTreeMap<String, String>, BuildError> {
    let mut hashes = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| BuildError::Io {
            what: "reading the recipe directory",
            path: dir.to_path_buf(),
            source: e.into(),
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let bytes = fs_err::read(entry.path()).map_err(|source| BuildError::Io {
            what: "reading a recipe file",
            path: entry.path().to_path_buf(),
            source,
        })?;
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        hashes.insert(
            rel.display().to_string(),
            blake3::hash(&bytes).to_hex().to_string(),
        );
    }
    Ok(hashes)
}

/// The directories of one build.
#[derive(Debug)]
pub struct WorkDir {
    /// The work directory itself.
    pub root: PathBuf,
    /// `SRC_DIR`.
    pub src: PathBuf,
    /// `BUILD_PREFIX`.
    pub build_prefix: PathBuf,
    /// `PREFIX`, padded to [`PREFIX_LENGTH`] characters.
    pub host_prefix: PathBuf,
    /// `HOME` for the script.
    pub home: PathBuf,
    /// Where the `.conda` is written.
    pub out: PathBuf,
    /// Test work area.
    pub test: PathBuf,
    /// The build log.
    pub log: PathBuf,
}

impl WorkDir {
    fn create(work_root: &Path, plan: &Plan) -> Result<WorkDir, BuildError> {
        let root = work_root.join(format!("{}-{}", plan.rendered.name, plan.key.short()));
        if root.exists() {
            fs_err::remove_dir_all(&root).map_err(|source| BuildError::Io {
                what: "clearing an old work directory",
                path: root.clone(),
                source,
            })?;
        }
        let host_prefix = padded_prefix(&root)?;
        let work = WorkDir {
            src: root.join("src"),
            build_prefix: root.join("build_env"),
            home: root.join("home"),
            out: root.join("out"),
            test: root.join("test"),
            log: root.join("build.log"),
            host_prefix,
            root,
        };
        for dir in [
            &work.src,
            &work.build_prefix,
            &work.host_prefix,
            &work.home,
            &work.out,
            &work.test,
        ] {
            fs_err::create_dir_all(dir).map_err(|source| BuildError::Io {
                what: "creating the work directory",
                path: dir.clone(),
                source,
            })?;
        }
        Ok(work)
    }
}

/// `<root>/host_env_placehold_placehold…`, exactly [`PREFIX_LENGTH`] characters long.
fn padded_prefix(root: &Path) -> Result<PathBuf, BuildError> {
    let mut prefix = format!("{}/host_env", root.display());
    if prefix.len() + 10 > PREFIX_LENGTH {
        return Err(BuildError::PrefixTooLong {
            path: root.to_path_buf(),
        });
    }
    while prefix.len() < PREFIX_LENGTH {
        prefix.push_str("_placehold");
    }
    prefix.truncate(PREFIX_LENGTH);
    Ok(PathBuf::from(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_prefix_is_padded_to_255_characters() {
        let p = padded_prefix(Path::new("/tmp/archi/work/zlib-abcdef1")).unwrap();
        assert_eq!(p.as_os_str().len(), PREFIX_LENGTH);
        assert!(p.to_str().unwrap().contains("host_env_placehold_placehold"));
        assert!(padded_prefix(Path::new(&"/x".repeat(200))).is_err());
    }
}
