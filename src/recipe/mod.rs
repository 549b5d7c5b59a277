//! `recipe.toml` → [`RawRecipe`]: the recipe as written, every string still a template, every value with its TOML
//! span so that later stages can point at it.
//!
//! The format is documented in `docs/recipe-format.md`; the JSON Schema `schemas/recipe.schema.json` is generated
//! from these types. Parsing is pure: [`parse`] takes the text and the path to name in errors.

mod error;
mod spanned;

pub use error::{RecipeError, SourceFile};
pub use spanned::{BoolOrTemplate, OneOrMany, Span};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

/// A template string with its byte span in the recipe file.
pub type Template = Spanned<String>;

/// A recipe as written in `recipe.toml` (stage 0 in rattler-build's terms): nothing rendered yet.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRecipe {
    /// Template variables, rendered in order; a later one may use an earlier one.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub context: IndexMap<String, Template>,
    /// Name and version of the package.
    pub package: PackageSection,
    /// Sources, extracted into `SRC_DIR` in order.
    #[serde(default)]
    #[schemars(with = "Vec<SourceSection>")]
    pub source: Vec<Spanned<SourceSection>>,
    /// How to build.
    #[serde(default)]
    pub build: BuildSection,
    /// build / host / run requirements and run_exports.
    #[serde(default)]
    pub requirements: RequirementsSection,
    /// Tests run in a fresh environment installed from the new package.
    #[serde(default)]
    pub test: TestSection,
    /// Metadata for `info/about.json`.
    #[serde(default)]
    pub about: AboutSection,
    /// Per-platform additions, keyed by conda subdir (`linux-aarch64`), as Cargo's `[target.<triple>]` tables.
    #[serde(default)]
    pub target: BTreeMap<String, TargetSection>,
    /// The packages one build makes (conda-build's `outputs:`, rattler-build's `outputs`). Without it the recipe
    /// makes one package, `[package]` itself; with it, `[package]` names the build, and each output is a package
    /// with its own files, run requirements, run_exports, test and about.
    #[serde(default)]
    #[schemars(with = "Vec<OutputSection>")]
    pub outputs: Vec<Spanned<OutputSection>>,
}

/// `[[outputs]]`: one package of a multi-output recipe. The build (sources, `[build]`, build and host
/// requirements) is the recipe's and runs once; outputs take their files from what it installed.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputSection {
    /// The package name.
    #[schemars(with = "String")]
    pub name: Template,
    /// The package version (default: `[package] version`).
    #[schemars(with = "Option<String>")]
    pub version: Option<Template>,
    /// Globs relative to `$PREFIX` (`lib/libgcc_s.so*`, `include/**`) over the files the build installed: the
    /// files this output takes. A file two outputs take is an error; a file no output takes is left out. With
    /// neither `files` nor `script` the output is a metapackage (only metadata and run requirements).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub files: Vec<Template>,
    /// A script file in the recipe directory, run with bash after the build script (outputs in order), with the
    /// same environment: every file it adds to `$PREFIX` belongs to this output.
    #[schemars(with = "Option<String>")]
    pub script: Option<Template>,
    /// `true`, `false` or a template rendering to one of them: leave this output out on this platform.
    #[schemars(with = "Option<spanned::BoolOrTemplate>")]
    pub skip: Option<Spanned<spanned::BoolOrTemplate>>,
    /// Run requirements and run_exports of this package.
    #[serde(default)]
    pub requirements: OutputRequirementsSection,
    /// Tests run in a fresh environment holding this package.
    #[serde(default)]
    pub test: TestSection,
    /// Overrides of the recipe's `[about]` fields for this package.
    #[serde(default)]
    pub about: AboutSection,
}

/// `[outputs.requirements]`: what a package needs at run time; build and host belong to the recipe's build.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputRequirementsSection {
    /// Run requirements (`depends` in index.json).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub run: Vec<Template>,
    /// `constrains` in index.json.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub run_constraints: Vec<Template>,
    /// Package names of the build's environments whose run_exports this package does not take (every output
    /// takes those of the recipe's build and host environments, as a single-output package does).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub ignore_run_exports: Vec<Template>,
    /// What dependents get in their run requirements.
    #[serde(default)]
    pub run_exports: RunExportsSection,
}

/// `[package]`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageSection {
    /// The conda package name (lowercase, `[a-z0-9_.-]`).
    #[schemars(with = "String")]
    pub name: Template,
    /// The version; must parse as a conda version once rendered.
    #[schemars(with = "String")]
    pub version: Template,
}

/// One `[[source]]`: exactly one of `url`, `file_name`, `path` or `cargo_vendor`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceSection {
    /// One URL, or a list of mirrors tried in order.
    #[schemars(with = "Option<OneOrMany<String>>")]
    pub url: Option<Spanned<OneOrMany<String>>>,
    /// File name of a source only a cache can satisfy (Nix's `requireFile`), or the name to give a URL download.
    #[schemars(with = "Option<String>")]
    pub file_name: Option<Template>,
    /// Where to get a `file_name` source; shown when it is missing.
    #[schemars(with = "Option<String>")]
    pub note: Option<Template>,
    /// sha256 of the file, 64 hex digits; required with `url` and `file_name`.
    #[schemars(with = "Option<String>")]
    pub sha256: Option<Template>,
    /// A file or directory relative to the recipe directory.
    #[schemars(with = "Option<String>")]
    pub path: Option<Template>,
    /// The vendored crates of a Rust project: the path of its `Cargo.toml` in `SRC_DIR` once the earlier sources
    /// are there (its `Cargo.lock` is used as is); `sha256` names the vendored tree (`archi source vendor`).
    #[schemars(with = "Option<String>")]
    pub cargo_vendor: Option<Template>,
    /// Unified diffs relative to the recipe directory, applied with `-p1`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub patches: Vec<Template>,
    /// Directory inside `SRC_DIR` where the source lands.
    #[schemars(with = "Option<String>")]
    pub target_directory: Option<Template>,
    /// Most bytes the archive may unpack to, with a unit: `"20 GiB"` (default 8 GiB).
    #[schemars(with = "Option<String>")]
    pub max_unpacked_size: Option<Template>,
    /// Most unpacked bytes per archive byte (default 200).
    #[schemars(with = "Option<u64>")]
    pub max_expansion_ratio: Option<Spanned<u64>>,
}

/// `[build]`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BuildSection {
    /// Build number (default 0).
    #[serde(default)]
    #[schemars(with = "u64")]
    pub number: Option<Spanned<u64>>,
    /// Inline build script; without it `build.sh` in the recipe directory runs.
    #[schemars(with = "Option<String>")]
    pub script: Option<Template>,
    /// `generic` or `python`.
    #[schemars(with = "Option<String>")]
    pub noarch: Option<Template>,
    /// The build string, replacing archi's `h<7 hex of the store key>_<number>` (conda-build's `build/string`),
    /// for packages whose build string is matched by others (`python_abi 3.11 *_cp311`).
    #[schemars(with = "Option<String>")]
    pub string: Option<Template>,
    /// `true`, `false` or a template rendering to one of them: skip the recipe on this platform.
    #[schemars(with = "Option<spanned::BoolOrTemplate>")]
    pub skip: Option<Spanned<spanned::BoolOrTemplate>>,
    /// Extra variables for the build script.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub script_env: BTreeMap<String, Template>,
    /// `machine`: build with the build machine's toolchain even where pins.toml says `toolchain_from = "archi"`
    /// (the toolchain's own recipes, which cannot need themselves). `archi` or absent: as pins.toml says.
    pub toolchain_from: Option<crate::workspace::ToolchainFrom>,
    /// A conda subdir (`linux-aarch64`), or a list of them: the packages are a cross toolchain or a sysroot for
    /// those platforms, so their ELF files may be for those machines as well as for the package's own (none for
    /// noarch). Absent: every ELF file must be for the package's machine.
    #[schemars(with = "Option<OneOrMany<String>>")]
    pub cross_target: Option<Spanned<OneOrMany<String>>>,
    /// Console scripts, `name = module:function` as in setuptools' `console_scripts`: listed in `info/link.json`
    /// for noarch python packages (the client writes them), written to `bin/` by archi otherwise.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub entry_points: Vec<Template>,
}

/// `[requirements]`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequirementsSection {
    /// Toolchain (`compiler('c')`, `make`, …) or packages for the build machine (`$BUILD_PREFIX`).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub build: Vec<Template>,
    /// Packages for the target, installed in `$PREFIX` while building.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub host: Vec<Template>,
    /// Run requirements (`depends` in index.json).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub run: Vec<Template>,
    /// `constrains` in index.json.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub run_constraints: Vec<Template>,
    /// Package names whose run_exports are not applied.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub ignore_run_exports: Vec<Template>,
    /// What dependents get in their run requirements.
    #[serde(default)]
    pub run_exports: RunExportsSection,
}

/// `[requirements.run_exports]`, as conda-build's `run_exports: {weak, strong}`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunExportsSection {
    /// Applied to dependents that have this package in their host environment.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub weak: Vec<Template>,
    /// Applied from build and host environments.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub strong: Vec<Template>,
}

/// `[test]`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestSection {
    /// Extra packages or toolchain for the test environment.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub requires: Vec<Template>,
    /// Files from the recipe directory copied into the test's working directory.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub files: Vec<Template>,
    /// Shell commands, each run with `bash -eo pipefail`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub commands: Vec<Template>,
    /// Python modules that must import, each checked with the test environment's python (under the emulator for
    /// a foreign target) before the commands run; python joins the test requirements when the package is not
    /// python itself (conda-build's `test/imports`).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub imports: Vec<Template>,
}

/// `[about]`, written to `info/about.json`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AboutSection {
    /// Project home page.
    #[schemars(with = "Option<String>")]
    pub homepage: Option<Template>,
    /// SPDX license expression.
    #[schemars(with = "Option<String>")]
    pub license: Option<Template>,
    /// License family (`MIT`, `BSD`, `GPL3`, …).
    #[schemars(with = "Option<String>")]
    pub license_family: Option<Template>,
    /// License file(s), relative to `SRC_DIR`; copied to `info/licenses/`.
    #[schemars(with = "Option<OneOrMany<String>>")]
    pub license_file: Option<Spanned<OneOrMany<String>>>,
    /// One line.
    #[schemars(with = "Option<String>")]
    pub summary: Option<Template>,
    /// Longer text.
    #[schemars(with = "Option<String>")]
    pub description: Option<Template>,
    /// Source repository.
    #[schemars(with = "Option<String>")]
    pub dev_url: Option<Template>,
    /// Documentation.
    #[schemars(with = "Option<String>")]
    pub doc_url: Option<Template>,
}

/// `[target.<subdir>]`: merged into the recipe when building for that platform.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetSection {
    /// Appended to `[requirements]`.
    #[serde(default)]
    pub requirements: RequirementsSection,
    /// `script_env` merged into `[build]`.
    #[serde(default)]
    pub build: TargetBuildSection,
}

/// `[target.<subdir>.build]`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetBuildSection {
    /// Merged into `[build.script_env]` (the target's value wins).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub script_env: BTreeMap<String, Template>,
}

/// A recipe read from disk: the raw recipe, its text (for error reports) and its directory.
#[derive(Debug, Clone)]
pub struct LoadedRecipe {
    /// The parsed recipe.
    pub raw: RawRecipe,
    /// The file's text and path, for diagnostics.
    pub file: SourceFile,
    /// The recipe directory (holding `recipe.toml`, `build.sh`, patches, test files).
    pub dir: PathBuf,
}

/// The file name of a recipe inside its directory.
pub const RECIPE_FILE: &str = "recipe.toml";

/// Parse `recipe.toml` text. `path` is only used to name the file in errors.
///
/// Errors: TOML syntax, wrong types and unknown keys (with the valid keys as help), and source tables that are not
/// exactly one of `url`/`file_name`/`path` or lack a `sha256`, each pointing at the span in the file.
pub fn parse(text: &str, path: &Path) -> Result<RawRecipe, RecipeError> {
    let file = SourceFile::new(path, text);
    let raw: RawRecipe = toml::from_str(text).map_err(|err| RecipeError::from_toml(&file, &err))?;
    validate(&raw, &file)?;
    Ok(raw)
}

/// Read and parse `<dir>/recipe.toml` (a path to the file itself is accepted too).
///
/// Errors: the file cannot be read (names the path), or any [`parse`] error.
pub fn load(path: &Path) -> Result<LoadedRecipe, RecipeError> {
    let (dir, file_path) = if path.is_dir() {
        (path.to_path_buf(), path.join(RECIPE_FILE))
    } else {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        (dir, path.to_path_buf())
    };
    let bytes = read_capped(&file_path)?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let at = err.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(err.as_bytes());
            // The lossy text has one U+FFFD (3 bytes) where the bad sequence starts, at the same offset.
            let file = SourceFile::new(&file_path, &lossy);
            return Err(file.invalid(
                Span {
                    start: at,
                    end: at + '\u{FFFD}'.len_utf8(),
                },
                "the recipe is not valid UTF-8",
                Some("recipe.toml must be UTF-8 text (TOML 1.0)"),
            ));
        }
    };
    let raw = parse(&text, &file_path)?;
    let dir = fs_err::canonicalize(&dir).map_err(|source| RecipeError::Read {
        path: dir.clone(),
        source,
    })?;
    Ok(LoadedRecipe {
        raw,
        file: SourceFile::new(&file_path, &text),
        dir,
    })
}

/// The largest recipe file read (4 MiB): real recipes are a few KiB.
pub const MAX_RECIPE_BYTES: u64 = 4 << 20;

fn read_capped(path: &Path) -> Result<Vec<u8>, RecipeError> {
    use std::io::Read;
    let read_err = |source| RecipeError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = fs_err::File::open(path).map_err(read_err)?;
    let mut bytes = Vec::new();
    file.take(MAX_RECIPE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_RECIPE_BYTES {
        return Err(read_err(std::io::Error::other(format!(
            "the file is larger than {MAX_RECIPE_BYTES} bytes"
        ))));
    }
    Ok(bytes)
}

fn validate(raw: &RawRecipe, file: &SourceFile) -> Result<(), RecipeError> {
    for key in raw.target.keys() {
        if rattler_conda_types::Subdir::from_str(key).is_err() || key == "noarch" {
            let valid: Vec<&str> = rattler_conda_types::Subdir::all()
                .filter(|p| *p != rattler_conda_types::Subdir::NoArch)
                .map(|p| p.as_str())
                .collect();
            return Err(file.invalid(
                target_key_span(&file.text, key),
                format!(
                    "unknown platform {} in a [target] table",
                    crate::render::checks::excerpt(key)
                ),
                Some(&format!(
                    "[target.<subdir>] takes a conda subdir: {}",
                    valid.join(", ")
                )),
            ));
        }
    }
    for source in &raw.source {
        let span = Span::from(source.span());
        let section = source.get_ref();
        let kinds = [
            section.url.is_some(),
            section.file_name.is_some() && section.url.is_none(),
            section.path.is_some(),
            section.cargo_vendor.is_some(),
        ];
        match kinds.iter().filter(|k| **k).count() {
            0 => {
                return Err(file.invalid(
                    span,
                    "a [[source]] needs one of `url`, `file_name`, `path` or `cargo_vendor`",
                    None,
                ))
            }
            1 => {}
            _ => {
                return Err(file.invalid(
                    span,
                    "a [[source]] takes only one of `url`, `file_name`, `path` or `cargo_vendor`",
                    None,
                ))
            }
        }
        if section.path.is_none() && section.sha256.is_none() {
            let at = section
                .url
                .as_ref()
                .map(|u| Span::from(u.span()))
                .or_else(|| section.file_name.as_ref().map(|f| Span::from(f.span())))
                .or_else(|| section.cargo_vendor.as_ref().map(|f| Span::from(f.span())))
                .unwrap_or(span);
            return Err(file.invalid(
                at,
                "this source has no `sha256`",
                Some("every downloaded or cached source is verified: add `sha256 = \"<64 hex digits>\"`"),
            ));
        }
    }
    validate_outputs(raw, file)
}

/// With `[[outputs]]`, what only a package has (run requirements, run_exports, tests, entry points) must be
/// written in an output: at the recipe's top level it would belong to no package.
fn validate_outputs(raw: &RawRecipe, file: &SourceFile) -> Result<(), RecipeError> {
    if raw.outputs.is_empty() {
        return Ok(());
    }
    let reqs =
        std::iter::once(&raw.requirements).chain(raw.target.values().map(|t| &t.requirements));
    let mut misplaced: Vec<(&str, &[Template])> = Vec::new();
    for r in reqs {
        misplaced.push(("requirements.run", &r.run));
        misplaced.push(("requirements.run_constraints", &r.run_constraints));
        misplaced.push(("requirements.run_exports.weak", &r.run_exports.weak));
        misplaced.push(("requirements.run_exports.strong", &r.run_exports.strong));
    }
    misplaced.push(("test.requires", &raw.test.requires));
    misplaced.push(("test.files", &raw.test.files));
    misplaced.push(("test.commands", &raw.test.commands));
    misplaced.push(("test.imports", &raw.test.imports));
    misplaced.push(("build.entry_points", &raw.build.entry_points));
    for (field, values) in misplaced {
        if let Some(first) = values.first() {
            return Err(file.invalid(
                Span::from(first.span()),
                format!("`{field}` belongs to a package, and with [[outputs]] the recipe's top level is the build"),
                Some(&format!("move it into the [[outputs]] it is for (`[outputs.{}]`)", field.split('.').next().unwrap_or(field))),
            ));
        }
    }
    let mut names: BTreeMap<&str, Span> = BTreeMap::new();
    for output in &raw.outputs {
        let name = &output.get_ref().name;
        if let Some(first) = names.insert(name.get_ref(), Span::from(name.span())) {
            let line = file.text[..first.start].lines().count().max(1);
            return Err(file.invalid(
                Span::from(name.span()),
                format!(
                    "two [[outputs]] are named {}",
                    crate::render::checks::excerpt(name.get_ref())
                ),
                Some(&format!(
                    "the first is at line {line}; one build makes each package once"
                )),
            ));
        }
    }
    Ok(())
}

/// Where the `[target.<key>]` key is written: the first `target.<key>` (or `target."<key>"`) outside a comment,
/// else the file start.
fn target_key_span(text: &str, key: &str) -> Span {
    let patterns = [format!("target.{key}"), format!("target.\"{key}\"")];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let code = line.split('#').next().unwrap_or_default();
        for pattern in &patterns {
            if let Some(at) = code.find(pattern.as_str()) {
                let start = offset + at + "target.".len();
                return Span {
                    start,
                    end: start + pattern.len() - "target.".len(),
                };
            }
        }
        offset += line.len();
    }
    Span::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[package]
name = "zlib"
version = "1.2.13"

[[source]]
url = "https://example.org/zlib-1.2.13.tar.gz"
sha256 = "b3a24de97a8fdbc835b9833169501030b8977031bcb54b3b3ac13740f846ab30"
"#;

    #[test]
    fn parses_a_minimal_recipe_keeping_spans() {
        let raw = parse(MINIMAL, Path::new("recipe.toml")).unwrap();
        assert_eq!(raw.package.name.get_ref(), "zlib");
        let span = raw.package.version.span();
        assert_eq!(&MINIMAL[span], "\"1.2.13\"");
        let url = raw.source[0].get_ref().url.as_ref().unwrap();
        assert_eq!(url.get_ref().as_slice().len(), 1);
    }

    #[test]
    fn unknown_key_lists_the_valid_ones() {
        let text = MINIMAL.replace("[package]", "[package]\nhomepage = \"x\"");
        let err = parse(&text, Path::new("recipe.toml")).unwrap_err();
        let help = err.help_text().unwrap();
        assert!(help.contains("name") && help.contains("version"), "{help}");
    }

    #[test]
    fn url_without_sha256_is_refused() {
        let text = MINIMAL.replace("sha256 = ", "# sha256 = ");
        let err = parse(&text, Path::new("recipe.toml")).unwrap_err();
        assert!(err.to_string().contains("sha256"), "{err}");
    }
}
