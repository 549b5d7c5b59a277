//! Planning: everything that determines a package, known before building it, and the store key over it.
//!
//! [`plan`] takes a rendered recipe, resolves its toolchain programs (stage 0, with identities), solves its build
//! and host environments (packages built earlier in the same run first, then the output channel, then upstream
//! channels) and hashes a typed [`KeyInput`]: the rendered recipe, every recipe file, every source hash, the
//! exact build and host package records, both platforms, the toolchain identities and the whole script
//! environment with the directories as placeholders. Nothing here writes or opens the store.

pub mod confine;
pub mod script_env;
#[cfg(test)]
mod tests;

pub use script_env::{ScriptDirs, ScriptInputs, SOURCE_DATE_EPOCH, UNKEYED_SCRIPT_VARS};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rattler_conda_types::{MatchSpec, NoArchType, ParseStrictness, RepoDataRecord, Subdir};
use serde::Serialize;

use crate::context::Context;
use crate::prefix::{self, SolveRequest};
use crate::recipe::LoadedRecipe;
use crate::render::{self, RenderedRecipe, Requirement};
use crate::source;
use crate::store::{self, StoreKey};
use crate::toolchain::{self, Toolchain};

/// Records of the packages built (or found in the store) earlier in the same run, keyed by (subdir, name):
/// solved before any channel, so a dependent always gets exactly the build of this run.
pub type RunRecords = BTreeMap<(Subdir, String), RepoDataRecord>;

/// What a plan needs besides the recipe: the platform it is built for and the run's earlier packages.
#[derive(Debug, Clone, Copy)]
pub struct PlanRequest<'a> {
    /// The loaded recipe (directory, file).
    pub recipe: &'a LoadedRecipe,
    /// The platform the package runs on (`target_platform` = `host_platform`).
    pub target: Subdir,
    /// Packages of this run so far.
    pub run_records: &'a RunRecords,
}

/// Everything that determines a package.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The rendered recipe.
    pub rendered: RenderedRecipe,
    /// Its directory.
    pub recipe_dir: PathBuf,
    /// The platform the package is for.
    pub target_platform: Subdir,
    /// This machine's platform.
    pub build_platform: Subdir,
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
    /// Script variables from pins.toml for the target platform.
    pub pins_script_env: BTreeMap<String, String>,
    /// The hash input.
    pub inputs: KeyInput,
    /// The store key: blake3 of the canonical JSON of [`Plan::inputs`].
    pub key: StoreKey,
    /// `h<7 hex of key>_<build number>`.
    pub build_string: String,
}

impl Plan {
    /// The subdir the package goes to: `noarch` for noarch recipes, else the target platform.
    pub fn subdir(&self) -> Subdir {
        subdir_for(&self.rendered, self.target_platform)
    }

    /// The inputs of the script environment (everything but the directories).
    pub fn script_inputs(&self) -> ScriptInputs<'_> {
        ScriptInputs {
            rendered: &self.rendered,
            target: self.target_platform,
            build: self.build_platform,
            toolchain: &self.toolchain,
            build_machine_toolchain: &self.build_machine_toolchain,
            host_records: &self.host_records,
            build_records: &self.build_records,
            pins_script_env: &self.pins_script_env,
        }
    }

    /// `<name>-<version>-<build string>`, the package's file stem.
    pub fn label(&self) -> String {
        format!(
            "{}-{}-{}",
            self.rendered.name, self.rendered.version, self.build_string
        )
    }
}

/// One package a plan makes, with its store key.
#[derive(Debug, Clone)]
pub struct OutputKey {
    /// The package as rendered.
    pub output: crate::render::RenderedOutput,
    /// Its store key: the plan's key for the first package, `blake3({"build": <plan key>, "output": <name>})` for
    /// the others of a multi-output recipe. The first is stored last, so its presence means every one is.
    pub key: StoreKey,
}

impl Plan {
    /// The packages of the build and their store keys, in recipe order.
    pub fn outputs(&self) -> Vec<OutputKey> {
        self.rendered
            .packages()
            .into_iter()
            .enumerate()
            .map(|(i, output)| {
                let key = match i {
                    0 => self.key.clone(),
                    _ => store::output_key(&self.key, &output.name),
                };
                OutputKey { output, key }
            })
            .collect()
    }
}

/// The subdir of `rendered` built for `target`: `noarch` for noarch recipes.
pub fn subdir_for(rendered: &RenderedRecipe, target: Subdir) -> Subdir {
    if rendered.noarch == NoArchType::none() {
        target
    } else {
        Subdir::NoArch
    }
}

/// (name, version, build, sha256) of one solved record: what the key hashes of an environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordIdentity {
    /// Package name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Build string.
    pub build: String,
    /// sha256 of the artifact, hex (absent only in repodata that omits it).
    pub sha256: Option<String>,
}

/// The store key's input, kept readable in the store manifest and in `info/hash_input.json`. Every field can
/// change the package; a field is added here, never computed beside it.
#[derive(Debug, Clone, Serialize)]
pub struct KeyInput {
    /// The store format version ([`store::STORE_FORMAT_VERSION`]).
    pub format: u32,
    /// The rendered recipe.
    pub recipe: RenderedRecipe,
    /// blake3 of every file in the recipe directory, by relative path.
    pub recipe_files: BTreeMap<String, String>,
    /// sha256 of every source and patch, in order.
    pub sources: Vec<String>,
    /// The solved build environment.
    pub build_env: Vec<RecordIdentity>,
    /// The solved host environment.
    pub host_env: Vec<RecordIdentity>,
    /// `target_platform`.
    pub target_platform: String,
    /// `build_platform`.
    pub build_platform: String,
    /// Toolchain programs of the build, with identities.
    pub toolchain: Toolchain,
    /// Toolchain programs of the tests.
    pub test_toolchain: Toolchain,
    /// The build machine's compilers in a cross build.
    pub build_machine_toolchain: Toolchain,
    /// Every variable the build script sees, with the work directories as placeholders (`${PREFIX}`), except
    /// [`UNKEYED_SCRIPT_VARS`].
    pub script_env: BTreeMap<String, String>,
}

impl KeyInput {
    /// The input as a JSON value (what the store manifest keeps).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a key input always serialises")
    }
}

/// A plan that cannot be made.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PlanError {
    /// A toolchain program is missing or unknown.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Toolchain(#[from] toolchain::ToolchainError),
    /// A source's hash cannot be known (a `path` source that cannot be read).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Source(#[from] source::SourceError),
    /// An environment cannot be solved.
    #[error("{name}: {stage} environment for {platform}")]
    Environment {
        /// Package.
        name: String,
        /// `build` or `host`.
        stage: &'static str,
        /// The platform solved for.
        platform: Subdir,
        /// Cause.
        #[source]
        source: prefix::PrefixError,
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
    /// A recipe path leads outside the recipe directory.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Confined(#[from] confine::ConfineError),
    /// A cross build with python in host needs the same python minor version in build: the build machine's python
    /// runs pip and setuptools against the target's `_sysconfigdata`.
    #[error(
        "{name} for {target}: python {host} is in the host environment but {}: a cross build runs the build \
         machine's python (add `python` and the python packages the build imports to \
         [target.{target}.requirements] build)",
        match build { Some(v) => format!("the build environment has python {v}"), None => "the build environment has no python".to_string() }
    )]
    CrossPython {
        /// The package.
        name: String,
        /// The target platform.
        target: Subdir,
        /// python's `major.minor` in host.
        host: String,
        /// python's `major.minor` in build, if any.
        build: Option<String>,
    },
    /// A recipe file cannot be read for hashing.
    #[error("{}: cannot read the recipe file for the store key", path.display())]
    RecipeFile {
        /// The file or directory.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

/// Plan `rendered` (the recipe of `req`, rendered for `req.target`): toolchain, environments, key.
///
/// Errors: [`PlanError`] naming the package and what failed.
pub fn plan(ctx: &Context, req: PlanRequest, rendered: RenderedRecipe) -> Result<Plan, PlanError> {
    confine::check(req.recipe, &rendered)?;
    let ws = &ctx.workspace;
    let target = req.target;
    let tools = ws.toolchain_for(target);
    let path = &ctx.machine_path;
    let ids = &ctx.identities;
    let mut toolchain = toolchain::resolve(
        rendered.build_toolchain(),
        &tools,
        target.as_str(),
        path,
        ids,
    )?;
    // Toolchain programs the render turned into build packages (`toolchain_from = "archi"`).
    let build_specs: Vec<&str> =
        RenderedRecipe::package_specs(&rendered.requirements.build).collect();
    toolchain.packaged = ws
        .packaged_toolchain_for(target)
        .into_iter()
        .filter(|(_, tool)| build_specs.contains(&tool.package.as_str()))
        .collect();
    // One test toolchain for every package of the build (a multi-output recipe's outputs each have tests).
    let packages = rendered.packages();
    let test_toolchain = toolchain::resolve(
        packages
            .iter()
            .flat_map(|p| render::toolchain_names(&p.test.requires)),
        &tools,
        target.as_str(),
        path,
        ids,
    )?;
    let build_platform = ctx.build_platform;
    let build_machine_toolchain = if target == build_platform {
        Toolchain::default()
    } else {
        // The build machine's own compilers, also when the target's come in packages.
        let compilers = rendered
            .build_toolchain()
            .chain(toolchain.packaged.keys().map(String::as_str))
            .filter(|n| ["c", "cxx", "rust"].contains(n));
        toolchain::resolve(
            compilers,
            &ws.toolchain_for(build_platform),
            build_platform.as_str(),
            path,
            ids,
        )?
    };
    let build_records = solve_env(
        ctx,
        &rendered,
        &rendered.requirements.build,
        build_platform,
        "build",
        req.run_records,
    )?;
    let host_records = solve_env(
        ctx,
        &rendered,
        &rendered.requirements.host,
        target,
        "host",
        req.run_records,
    )?;
    let host_python = script_env::python_minor(&host_records);
    if target != build_platform && rendered.noarch.is_none() && host_python.is_some() {
        let build_python = script_env::python_minor(&build_records);
        if build_python != host_python {
            return Err(PlanError::CrossPython {
                name: rendered.name.clone(),
                target,
                host: host_python.unwrap_or_default(),
                build: build_python,
            });
        }
    }
    let pins_script_env = ws.script_env_for(target);
    let script_env = script_env::keyed(
        &ScriptInputs {
            rendered: &rendered,
            target,
            build: build_platform,
            toolchain: &toolchain,
            build_machine_toolchain: &build_machine_toolchain,
            host_records: &host_records,
            build_records: &build_records,
            pins_script_env: &pins_script_env,
        },
        &ScriptDirs::placeholders(),
    );
    let inputs = KeyInput {
        format: store::STORE_FORMAT_VERSION,
        recipe: rendered.clone(),
        recipe_files: hash_dir(&req.recipe.dir)?,
        sources: source::source_hashes(&rendered.sources, &req.recipe.dir)?,
        build_env: records_identity(&build_records),
        host_env: records_identity(&host_records),
        target_platform: target.to_string(),
        build_platform: build_platform.to_string(),
        toolchain: toolchain.clone(),
        test_toolchain: test_toolchain.clone(),
        build_machine_toolchain: build_machine_toolchain.clone(),
        script_env,
    };
    let key = store::compute_key(&inputs.to_json());
    let build_string = rendered
        .build_string
        .clone()
        .unwrap_or_else(|| format!("h{}_{}", key.short(), rendered.build_number));
    Ok(Plan {
        rendered,
        recipe_dir: req.recipe.dir.clone(),
        target_platform: target,
        build_platform,
        toolchain,
        test_toolchain,
        build_machine_toolchain,
        build_records,
        host_records,
        pins_script_env,
        inputs,
        key,
        build_string,
    })
}

/// Solve `reqs` for `platform`: the run's own packages of that platform (and noarch) first, then the output
/// channel, then upstream channels, with strict channel priority.
fn solve_env(
    ctx: &Context,
    rendered: &RenderedRecipe,
    reqs: &[Requirement],
    platform: Subdir,
    stage: &'static str,
    run_records: &RunRecords,
) -> Result<Vec<RepoDataRecord>, PlanError> {
    let specs = RenderedRecipe::package_specs(reqs)
        .map(|spec| {
            MatchSpec::from_str(spec, ParseStrictness::Lenient).map_err(|source| {
                PlanError::InvalidSpec {
                    spec: spec.to_string(),
                    source,
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    let env_err = |source| PlanError::Environment {
        name: rendered.name.clone(),
        stage,
        platform,
        source,
    };
    let own: Vec<RepoDataRecord> = run_records
        .iter()
        .filter(|((subdir, _), _)| *subdir == platform || *subdir == Subdir::NoArch)
        .map(|(_, record)| record.clone())
        .collect();
    let channels = ctx.solve_channels().map_err(env_err)?;
    let glibc = ctx.glibc_for(platform);
    prefix::solve(&SolveRequest {
        specs: &specs,
        run_records: &own,
        channels: &channels,
        platform,
        virtual_packages: prefix::virtual_packages(platform, glibc.as_ref()),
    })
    .map_err(env_err)
}

fn records_identity(records: &[RepoDataRecord]) -> Vec<RecordIdentity> {
    records
        .iter()
        .map(|r| {
            let p = &r.package_record;
            RecordIdentity {
                name: p.name.as_normalized().to_string(),
                version: p.version.to_string(),
                build: p.build.to_string(),
                sha256: p.sha256.map(|h| crate::digest::hex(&h)),
            }
        })
        .collect()
}

/// blake3 of every file in the recipe directory, by relative path (sorted). Symlinks are followed, so a recipe
/// file reached through a link is hashed by its content.
/// The recipe files (relative paths, sorted) whose blake3 now differs from the key's [`KeyInput::recipe_files`], or
/// that appeared or went away since `plan` was made: a build that read them later (test files, `info/recipe/`)
/// would otherwise be stored under a key that names other bytes.
///
/// Errors: [`PlanError::RecipeFile`] when the recipe directory cannot be read.
pub fn changed_recipe_files(plan: &Plan) -> Result<Vec<String>, PlanError> {
    Ok(differing_keys(
        &hash_dir(&plan.recipe_dir)?,
        &plan.inputs.recipe_files,
    ))
}

/// The keys (sorted) whose values differ between `a` and `b`, or that only one of them has.
pub fn differing_keys<K: Ord + Clone, V: PartialEq>(
    a: &BTreeMap<K, V>,
    b: &BTreeMap<K, V>,
) -> Vec<K> {
    let mut out: Vec<K> = a
        .iter()
        .filter(|(key, value)| b.get(*key) != Some(value))
        .map(|(key, _)| key.clone())
        .chain(b.keys().filter(|key| !a.contains_key(*key)).cloned())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn hash_dir(dir: &Path) -> Result<BTreeMap<String, String>, PlanError> {
    let mut hashes = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| PlanError::RecipeFile {
            path: e.path().unwrap_or(dir).to_path_buf(),
            source: e.into(),
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let bytes = fs_err::read(entry.path()).map_err(|source| PlanError::RecipeFile {
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

/// The top-level fields of two key inputs that differ, in field order: why a recipe whose store has an older
/// entry must be built again (`recipe_files`, `host_env`, …).
pub fn changed_inputs(old: &serde_json::Value, new: &serde_json::Value) -> Vec<String> {
    let (Some(old), Some(new)) = (old.as_object(), new.as_object()) else {
        return vec!["format".into()];
    };
    let mut changed = Vec::new();
    for (field, value) in new {
        if old.get(field) != Some(value) {
            changed.push(describe_change(field, old.get(field), value));
        }
    }
    changed
}

/// `recipe_files (build.sh)`, `script_env (CMAKE_ARGS)`: the field and, for maps, which entries changed.
fn describe_change(
    field: &str,
    old: Option<&serde_json::Value>,
    new: &serde_json::Value,
) -> String {
    let (Some(old), Some(new)) = (old.and_then(|o| o.as_object()), new.as_object()) else {
        return field.to_string();
    };
    let mut keys: Vec<&str> = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, _)| k.as_str())
        .chain(
            old.keys()
                .filter(|k| !new.contains_key(*k))
                .map(String::as_str),
        )
        .collect();
    keys.sort_unstable();
    keys.dedup();
    if keys.is_empty() || keys.len() > 4 {
        field.to_string()
    } else {
        format!("{field} ({})", keys.join(", "))
    }
}
