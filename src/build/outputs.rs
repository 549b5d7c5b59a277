//! The packages of one build: each output's files chosen from what the build installed (all of them for a
//! single-output recipe; `files` globs and the files of its own script for `[[outputs]]`), then relocated and
//! written as a `.conda` with its own `info/` (index.json, run_exports, about, tests), as conda-build 3 packages
//! the outputs of one build; then each output's tests run in a fresh environment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde_json::json;

use crate::context::Context;
use crate::package::{self, DependsInput, PackageMetadata};
use crate::plan::{OutputKey, Plan, SOURCE_DATE_EPOCH};
use crate::{emulate, pkgtest, prefix};

use super::{io_err, BuildError, WorkDir, Workshop};

/// One output's files, relative to `$PREFIX`, sorted.
pub(super) type OutputFiles = Vec<PathBuf>;

/// Split the files the build installed (`built`) and the files each output's own script added (`scripted`, by
/// output position) among `outputs`. A single-output recipe takes everything. An output takes the files its
/// script added and the files one of its globs matches, itself or through a parent directory (`include/gcc`
/// takes everything under it); `*` does not cross `/`, `**` does. Returns the files of each output and the files
/// no output took.
///
/// Errors: [`BuildError::OutputClash`] when two outputs take one file.
pub(super) fn assign(
    plan: &Plan,
    outputs: &[OutputKey],
    built: &[PathBuf],
    scripted: &BTreeMap<usize, Vec<PathBuf>>,
) -> Result<(Vec<OutputFiles>, Vec<PathBuf>), BuildError> {
    if !plan.rendered.is_multi_output() {
        return Ok((vec![built.to_vec()], Vec::new()));
    }
    let mut owner: BTreeMap<&Path, usize> = BTreeMap::new();
    let all: Vec<&PathBuf> = built.iter().chain(scripted.values().flatten()).collect();
    for (i, _) in outputs.iter().enumerate() {
        for file in scripted.get(&i).into_iter().flatten() {
            take(&mut owner, file, i, outputs)?;
        }
    }
    for (i, o) in outputs.iter().enumerate() {
        let globs = glob_set(&o.output.files);
        for file in &all {
            if matches(&globs, file) && owner.get(file.as_path()) != Some(&i) {
                take(&mut owner, file, i, outputs)?;
            }
        }
    }
    let mut per_output = vec![Vec::new(); outputs.len()];
    for (file, i) in &owner {
        per_output[*i].push(file.to_path_buf());
    }
    let unclaimed = built
        .iter()
        .filter(|f| !owner.contains_key(f.as_path()))
        .cloned()
        .collect();
    Ok((per_output, unclaimed))
}

/// Give `file` to output `i`, or fail naming both outputs when another has it.
fn take<'a>(
    owner: &mut BTreeMap<&'a Path, usize>,
    file: &'a Path,
    i: usize,
    outputs: &[OutputKey],
) -> Result<(), BuildError> {
    match owner.insert(file, i) {
        Some(first) if first != i => Err(BuildError::OutputClash {
            file: file.to_path_buf(),
            first: outputs[first].output.name.clone(),
            second: outputs[i].output.name.clone(),
        }),
        _ => Ok(()),
    }
}

/// The globs of one output (checked when rendering).
fn glob_set(globs: &[String]) -> GlobSet {
    let mut set = GlobSetBuilder::new();
    for glob in globs {
        if let Ok(g) = GlobBuilder::new(glob).literal_separator(true).build() {
            set.add(g);
        }
    }
    set.build().unwrap_or_else(|_| GlobSet::empty())
}

/// Whether `file` or one of its parent directories matches.
fn matches(globs: &GlobSet, file: &Path) -> bool {
    file.ancestors()
        .take_while(|p| !p.as_os_str().is_empty())
        .any(|p| globs.is_match(p))
}

/// The license files of `output` resolved in `SRC_DIR` (symlinks followed, which must stay inside it).
pub(super) fn license_files(
    plan: &Plan,
    output: &OutputKey,
    work: &WorkDir,
) -> Result<Vec<PathBuf>, BuildError> {
    let src =
        fs_err::canonicalize(&work.src).map_err(io_err("reading the source tree", &work.src))?;
    let mut out = Vec::new();
    for file in &output.output.license_files {
        let error = |reason| BuildError::LicenseFile {
            name: output.output.name.clone(),
            recipe: plan.recipe_dir.clone(),
            file: file.clone(),
            reason,
        };
        let resolved = fs_err::canonicalize(src.join(file))
            .map_err(|_| error("is not in the source tree (SRC_DIR)"))?;
        if !resolved.starts_with(&src) {
            return Err(error("leads outside the source tree (SRC_DIR)"));
        }
        out.push(resolved);
    }
    Ok(out)
}

/// The `info/` of `output` holding `files`.
pub(super) fn metadata(
    ctx: &Context,
    shop: &Workshop,
    plan: &Plan,
    output: &OutputKey,
    work: &WorkDir,
    files: &[PathBuf],
) -> PackageMetadata {
    let r = &plan.rendered;
    let o = &output.output;
    let has_elf = files
        .iter()
        .any(|f| package::is_elf(&work.host_prefix.join(f)));
    let mut about = serde_json::Map::new();
    for (k, v) in &o.about {
        about.insert(k.clone(), v.clone());
    }
    // The upstream channels by their public URL; local directories (the output channel, `file://` channels) say
    // only where this machine keeps things, and would make the same build differ between machines.
    let public: Vec<&str> = ctx
        .channels
        .iter()
        .map(|c| c.base_url())
        .filter(|url| url.starts_with("https://") || url.starts_with("http://"))
        .collect();
    about.insert("channels".into(), json!(public));
    // From the inputs, not the clock: the same key gives the same index.json (conda only breaks ties with it).
    let timestamp_ms = SOURCE_DATE_EPOCH * 1000;
    let glibc = (has_elf && plan.subdir() != rattler_conda_types::Subdir::NoArch)
        .then(|| ctx.glibc_for(plan.target_platform))
        .flatten();
    let depends = package::depends(&DependsInput {
        name: &o.name,
        run: &o.run,
        ignore_run_exports: &o.ignore_run_exports,
        host_records: &plan.host_records,
        build_records: &plan.build_records,
        glibc: glibc.as_ref(),
        noarch: !r.noarch.is_none(),
        package_cache: &shop.package_cache,
    });
    let about_str = |key: &str| {
        o.about
            .get(key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let mut meta = PackageMetadata {
        name: o.name.parse().expect("package name checked when rendering"),
        version: o.version.parse().expect("version checked when rendering"),
        build_string: plan.build_string.clone(),
        build_number: r.build_number,
        subdir: plan.subdir(),
        noarch: r.noarch,
        entry_points: r.entry_points.clone(),
        depends,
        constrains: o.run_constraints.clone(),
        license: about_str("license"),
        license_family: about_str("license_family"),
        timestamp_ms,
        about: serde_json::Value::Object(about),
        run_exports: rattler_conda_types::package::RunExportsJson {
            weak: o.run_exports_weak.clone(),
            strong: o.run_exports_strong.clone(),
            ..Default::default()
        },
        hash_input: plan.inputs.to_json(),
        provenance: None,
        recipe_dir: plan.recipe_dir.clone(),
        rendered_recipe: serde_json::to_string_pretty(&plan.rendered)
            .expect("rendered recipe serialises"),
        test_files: o
            .test
            .files
            .iter()
            .map(|f| (f.clone(), plan.recipe_dir.join(f)))
            .collect(),
        test_commands: o.test.commands.clone(),
        // Resolved and checked by `license_files` once the script has run.
        license_files: Vec::new(),
        source_date_epoch: SOURCE_DATE_EPOCH,
    };
    // The file name as `package::write_conda` makes it.
    let file_name = format!(
        "{}-{}-{}.conda",
        meta.name.as_normalized(),
        meta.version,
        meta.build_string
    );
    let subdir = meta.subdir.to_string();
    meta.provenance = Some(crate::provenance::statement(
        &crate::provenance::StatementInput {
            file_name: &file_name,
            name: meta.name.as_normalized(),
            version: &meta.version.to_string(),
            build: &meta.build_string,
            subdir: &subdir,
            output: r.is_multi_output().then_some(o.name.as_str()),
            hash_input: &meta.hash_input,
            store_key: output.key.as_str(),
            builder_version: crate::provenance::ARCHI_VERSION,
        },
    ));
    meta
}

/// Relocate `files` (relative to `$PREFIX`) and write `output`'s `.conda` into the work directory's `out/`.
pub(super) fn package_output(
    ctx: &Context,
    shop: &Workshop,
    plan: &Plan,
    output: &OutputKey,
    work: &WorkDir,
    files: Vec<PathBuf>,
) -> Result<PathBuf, BuildError> {
    let rendered = &plan.rendered;
    let py_ver = crate::plan::script_env::python_minor(&plan.host_records);
    let layout = if rendered.noarch.is_python() {
        package::python::Layout::NoarchPython
    } else {
        package::python::Layout::InPlace
    };
    let files = package::python::postprocess(
        &work.host_prefix,
        files,
        &package::python::PythonPackage {
            layout,
            entry_points: &rendered.entry_points,
            py_ver: py_ver.as_deref(),
            build_prefix: &work.seen(&work.build_prefix),
            prefix_seen: Some(&work.seen_str(&work.host_prefix)),
        },
    )?;
    // A recipe without sources may be a metapackage (python_abi: no files, only metadata); one with sources that
    // installs nothing has a broken script. An output with globs or a script must take files; one with neither is
    // a metapackage.
    let selects = !output.output.files.is_empty() || output.output.script.is_some();
    if files.is_empty() && rendered.is_multi_output() && selects {
        return Err(BuildError::EmptyOutput {
            name: rendered.name.clone(),
            output: output.output.name.clone(),
        });
    }
    if files.is_empty() && !rendered.sources.is_empty() && !rendered.is_multi_output() {
        return Err(BuildError::NoFiles {
            name: rendered.name.clone(),
        });
    }
    package::check_elf_machines(
        &work.host_prefix,
        &files,
        plan.subdir(),
        &rendered.cross_target,
    )?;
    let seen = work.seen_str(&work.host_prefix);
    package::relocate_as(&work.host_prefix, &seen, &files)?;
    let license_files = license_files(plan, output, work)?;
    let mut meta = metadata(ctx, shop, plan, output, work, &files);
    meta.license_files = license_files;
    Ok(package::write_conda_as(
        &work.host_prefix,
        &seen,
        &files,
        &meta,
        &work.out,
    )?)
}

/// Run `output`'s tests on `artifact` in a fresh environment, the build's other packages (`siblings`) beside it
/// in the test channel.
#[allow(clippy::too_many_arguments)]
pub(super) fn test_output(
    ctx: &Context,
    shop: &Workshop,
    plan: &Plan,
    output: &OutputKey,
    artifact: &Path,
    siblings: &[PathBuf],
    work_dir: &Path,
    log: &Path,
) -> Result<(), BuildError> {
    fs_err::create_dir_all(work_dir).map_err(io_err("creating the test directory", work_dir))?;
    let name = &output.output.name;
    let section = ctx.workspace.platform(plan.target_platform);
    let glibc = ctx.glibc_for(plan.target_platform);
    let mut channels = vec![
        prefix::ChannelSource::from_dir(&ctx.output_channel).map_err(|source| {
            BuildError::Prefix {
                name: name.clone(),
                stage: "test",
                source,
            }
        })?,
    ];
    channels.extend(ctx.channels.iter().cloned());
    pkgtest::run(&pkgtest::TestRequest {
        artifact,
        siblings,
        name,
        version: &output.output.version,
        build_string: &plan.build_string,
        subdir: plan.subdir(),
        platform: plan.target_platform,
        build_platform: plan.build_platform,
        test: &output.output.test,
        recipe_dir: &plan.recipe_dir,
        toolchain: &plan.test_toolchain,
        channels: &channels,
        glibc: glibc.as_ref(),
        emulator: emulate::EmulatorSpec {
            program: section.and_then(|p| p.emulator.as_deref()),
            apt: section.and_then(|p| p.emulator_apt.as_deref()),
            sysroot: section.and_then(|p| p.sysroot.as_deref()),
        },
        machine_path: &ctx.machine_path,
        package_cache: &shop.package_cache,
        work_dir,
        log,
    })?;
    Ok(())
}
