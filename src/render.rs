//! [`RawRecipe`](crate::recipe::RawRecipe) + platform + pins → [`RenderedRecipe`]: every template evaluated with
//! minijinja (undefined variables are errors), target tables merged, requirements classified into toolchain
//! programs and conda match specs, the version checked. Pure: no I/O.
//!
//! Template functions follow conda-build's jinja context: `compiler(lang)`, `pin_subpackage(name, max_pin)`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use minijinja::value::Kwargs;
use minijinja::{Environment, UndefinedBehavior, Value};
use rattler_conda_types::{MatchSpec, NoArchType, PackageName, ParseStrictness, Subdir, Version};
use serde::Serialize;

use crate::recipe::{LoadedRecipe, RecipeError, Span, Template};
use crate::source::SourceSpec;
use crate::workspace::{PackagedTool, ToolSpec};

pub mod checks;
mod template;

mod outputs;
mod sources;

pub use outputs::RenderedOutput;

use template::{pin_subpackage, CappedOutput, Pins};

use checks::excerpt;

/// The prefix `compiler('c')` renders to: `compiler:c`.
pub const COMPILER_PREFIX: &str = "compiler:";

/// What a recipe is rendered for.
#[derive(Debug, Clone)]
pub struct RenderOptions<'a> {
    /// The platform the package is for (`target_platform` = `host_platform`).
    pub target_platform: Subdir,
    /// The machine that builds it.
    pub build_platform: Subdir,
    /// Variant values for the target platform (pins.toml).
    pub pins: &'a BTreeMap<String, String>,
    /// Toolchain programs for the target platform, by requirement name.
    pub toolchain: &'a BTreeMap<String, ToolSpec>,
    /// Toolchain packages that replace those programs as build requirements (`toolchain_from = "archi"`):
    /// `compiler('c')` in `[requirements] build` becomes the package requirement `gcc_linux-aarch64`.
    pub packaged: &'a BTreeMap<String, PackagedTool>,
}

/// A requirement after rendering.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// A program from the build machine: a compiler (`c`, `cxx`) or a tool (`make`), keyed as in pins.toml.
    Toolchain(String),
    /// A conda match spec solved from channels.
    Package(String),
}

/// A recipe with every value concrete (stage 1): what the store key hashes and `archi render` prints.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RenderedRecipe {
    /// Package name.
    pub name: String,
    /// Package version (a valid conda version).
    pub version: String,
    /// Build number.
    pub build_number: u64,
    /// Sources in order.
    pub sources: Vec<SourceSpec>,
    /// The inline script, or `None` for `build.sh` in the recipe directory.
    pub script: Option<String>,
    /// `[build] string`: the build string the recipe sets, or `None` for archi's `h<key>_<number>`. Left out of the
    /// key's JSON when unset, so that recipes which do not use it keep their keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_string: Option<String>,
    /// `generic` / `python` / none.
    pub noarch: NoArchType,
    /// `[build] entry_points`, each `name = module:function` (checked by [`checks::entry_point`]). Left out of the
    /// key's JSON when empty, so that recipes without them keep their keys.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entry_points: Vec<String>,
    /// `[build] cross_target`: the platforms whose ELF files the packages may hold besides their own (a cross
    /// compiler's target libraries, sysroots). Left out of the key's JSON when empty, so that other recipes keep
    /// their keys.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cross_target: Vec<Subdir>,
    /// Whether the recipe is skipped on this platform.
    pub skip: bool,
    /// Extra script variables.
    pub script_env: BTreeMap<String, String>,
    /// Requirements.
    pub requirements: Requirements,
    /// Tests.
    pub test: Test,
    /// about.json fields (only those given).
    pub about: BTreeMap<String, serde_json::Value>,
    /// License files relative to `SRC_DIR`.
    pub license_files: Vec<PathBuf>,
    /// The variant: platforms and every pin the recipe used.
    pub variant: BTreeMap<String, String>,
    /// `[[outputs]]` not skipped on this platform, in recipe order; empty for a recipe that makes one package.
    /// Left out of the key's JSON when empty, so that single-output recipes keep their keys.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<RenderedOutput>,
    /// Where each package requirement (build, host, run, test) is written in the recipe file, by package name
    /// (the first place it appears). Not part of the store key: the graph uses it to point at a requirement
    /// nothing provides.
    #[serde(skip)]
    pub requirement_spans: BTreeMap<String, Span>,
    /// Where each recipe path is written, by field (`source[0].path`, `source[1].patches[0]`, `test.files[2]`,
    /// `about.license_file`), so that a check against the file system (a symlink leaving the recipe directory)
    /// can point at it. Not part of the store key.
    #[serde(skip)]
    pub path_spans: BTreeMap<String, Span>,
}

/// Rendered `[requirements]`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Requirements {
    /// Build machine: toolchain and packages.
    pub build: Vec<Requirement>,
    /// Target packages installed in `$PREFIX`.
    pub host: Vec<Requirement>,
    /// Run requirements as match specs.
    pub run: Vec<String>,
    /// Run constraints as match specs.
    pub run_constraints: Vec<String>,
    /// Names whose run_exports are ignored.
    pub ignore_run_exports: Vec<String>,
    /// Weak run_exports (match specs).
    pub run_exports_weak: Vec<String>,
    /// Strong run_exports (match specs).
    pub run_exports_strong: Vec<String>,
}

/// Rendered `[test]`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Test {
    /// Toolchain and packages for the test environment.
    pub requires: Vec<Requirement>,
    /// Files relative to the recipe directory.
    pub files: Vec<PathBuf>,
    /// Commands.
    pub commands: Vec<String>,
    /// Python modules that must import (dotted names, checked by [`checks::module_name`]). Left out of the key's
    /// JSON when empty, so that recipes without imports keep their keys.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<String>,
}

impl RenderedRecipe {
    /// Toolchain names among build requirements.
    pub fn build_toolchain(&self) -> impl Iterator<Item = &str> {
        toolchain_names(&self.requirements.build)
    }
    /// Package specs among `reqs`.
    pub fn package_specs(reqs: &[Requirement]) -> impl Iterator<Item = &str> {
        reqs.iter().filter_map(|r| match r {
            Requirement::Package(spec) => Some(spec.as_str()),
            Requirement::Toolchain(_) => None,
        })
    }
}

/// Toolchain names among `reqs`.
pub fn toolchain_names(reqs: &[Requirement]) -> impl Iterator<Item = &str> {
    reqs.iter().filter_map(|r| match r {
        Requirement::Toolchain(name) => Some(name.as_str()),
        Requirement::Package(_) => None,
    })
}

/// Render `recipe` for `opts`.
///
/// Errors ([`RecipeError::Invalid`], pointing at the template): template syntax, undefined variables, a version
/// that is not a conda version, a bad package name, an unparsable match spec, a `skip` that is not a boolean, a
/// bad `noarch`, a bad sha256 or URL.
pub fn render(recipe: &LoadedRecipe, opts: &RenderOptions) -> Result<RenderedRecipe, RecipeError> {
    let raw = &recipe.raw;
    let mut r = Renderer::new(recipe, opts);
    for (key, template) in &raw.context {
        let value = r.render(template)?;
        r.vars.insert(key.clone(), Value::from(value));
    }
    let name = r.render(&raw.package.name)?;
    r.one_line(&raw.package.name, "the package name", &name)?;
    if name.is_empty() {
        return Err(r.invalid(&raw.package.name, "the package name is empty".into()));
    }
    PackageName::try_from(name.as_str()).map_err(|e| {
        r.invalid(
            &raw.package.name,
            format!("invalid package name {}: {e}", excerpt(&name)),
        )
    })?;
    let version = r.render(&raw.package.version)?;
    r.one_line(&raw.package.version, "the version", &version)?;
    Version::from_str(&version).map_err(|e| {
        r.invalid(
            &raw.package.version,
            format!(
                "invalid version {}: {}",
                excerpt(&version),
                checks::clip(&e.to_string())
            ),
        )
    })?;
    let build_number = raw.build.number.as_ref().map(|n| *n.get_ref()).unwrap_or(0);
    r.vars.insert("name".into(), Value::from(name.clone()));
    r.vars
        .insert("version".into(), Value::from(version.clone()));
    r.vars
        .insert("build_number".into(), Value::from(build_number));
    r.own = vec![(name.clone(), version.clone())];
    let output_heads = r.output_heads(&version)?;

    let target = raw.target.get(opts.target_platform.as_str());
    let merged =
        |own: &Vec<Template>, pick: fn(&crate::recipe::RequirementsSection) -> &Vec<Template>| {
            own.iter()
                .chain(target.map(|t| pick(&t.requirements)).into_iter().flatten())
                .cloned()
                .collect::<Vec<_>>()
        };
    let reqs = &raw.requirements;
    let requirements = Requirements {
        build: r.build_requirements(&merged(&reqs.build, |s| &s.build))?,
        host: r.requirements(&merged(&reqs.host, |s| &s.host), true)?,
        run: r.specs(&merged(&reqs.run, |s| &s.run))?,
        run_constraints: r.specs(&merged(&reqs.run_constraints, |s| &s.run_constraints))?,
        ignore_run_exports: r.all(&merged(&reqs.ignore_run_exports, |s| &s.ignore_run_exports))?,
        run_exports_weak: r.specs(&merged(&reqs.run_exports.weak, |s| &s.run_exports.weak))?,
        run_exports_strong: r
            .specs(&merged(&reqs.run_exports.strong, |s| &s.run_exports.strong))?,
    };

    let mut script_env = BTreeMap::new();
    let target_env = target.map(|t| &t.build.script_env).into_iter().flatten();
    for (key, value) in raw.build.script_env.iter().chain(target_env) {
        if let Some(reason) = checks::script_var(key) {
            return Err(r.invalid(value, reason));
        }
        let rendered = r.render(value)?;
        if rendered.contains('\0') {
            return Err(r.invalid(
                value,
                format!("script_env `{key}` contains a NUL byte, which no environment variable can hold"),
            ));
        }
        script_env.insert(key.clone(), rendered);
    }
    let noarch = match &raw.build.noarch {
        None => NoArchType::none(),
        Some(t) => match r.render(t)?.as_str() {
            "generic" => NoArchType::generic(),
            "python" => NoArchType::python(),
            other => {
                return Err(r.invalid(
                    t,
                    format!("noarch must be `generic` or `python`, not `{other}`"),
                ))
            }
        },
    };
    let skip = r.skip_value(raw.build.skip.as_ref(), "skip")?;
    let mut cross_target = Vec::new();
    if let Some(t) = &raw.build.cross_target {
        for one in t.get_ref().as_slice() {
            let text = r.render_text(one, Span::from(t.span()))?;
            match text.parse::<Subdir>() {
                Ok(subdir) if subdir != Subdir::NoArch => cross_target.push(subdir),
                _ => {
                    return Err(r.recipe.file.invalid(
                        Span::from(t.span()),
                        format!(
                        "cross_target must be a conda subdir such as `linux-aarch64`, not `{text}`"
                    ),
                        None,
                    ))
                }
            }
        }
    }

    let sources = raw
        .source
        .iter()
        .enumerate()
        .map(|(i, s)| r.source(i, s))
        .collect::<Result<Vec<_>, _>>()?;
    let test = r.test(&raw.test, "test")?;
    let (about, license_files) = r.about(&raw.about, "about")?;
    let script = raw.build.script.as_ref().map(|s| r.render(s)).transpose()?;
    let build_string = raw.build.string.as_ref().map(|s| r.render(s)).transpose()?;
    if let (Some(template), Some(text)) = (&raw.build.string, &build_string) {
        if let Some(reason) = checks::build_string(text) {
            return Err(r.invalid(template, reason));
        }
    }
    if let (Some(template), Some(text)) = (&raw.build.script, &script) {
        r.layout_only(template, "the build script", text)?;
    }
    let mut entry_points = Vec::new();
    for template in &raw.build.entry_points {
        let text = r.render(template)?;
        if let Some(reason) = checks::entry_point(&text) {
            return Err(r.invalid(template, format!("build.entry_points: {reason}")));
        }
        entry_points.push(text);
    }

    let mut variant: BTreeMap<String, String> = r
        .used_pins
        .iter()
        .map(|k| (k.clone(), opts.pins[k].clone()))
        .collect();
    variant.insert("target_platform".into(), opts.target_platform.to_string());
    variant.insert("build_platform".into(), opts.build_platform.to_string());
    let mut rendered = RenderedRecipe {
        name,
        version,
        build_number,
        sources,
        script,
        build_string,
        noarch,
        entry_points,
        cross_target,
        skip,
        script_env,
        requirements,
        test,
        about,
        license_files,
        variant,
        outputs: Vec::new(),
        requirement_spans: BTreeMap::new(),
        path_spans: BTreeMap::new(),
    };
    rendered.outputs = r.outputs(&output_heads, &rendered)?;
    // Outputs may use pins too.
    for key in &r.used_pins {
        rendered.variant.insert(key.clone(), opts.pins[key].clone());
    }
    if !raw.outputs.is_empty() && rendered.outputs.is_empty() {
        // Every output is skipped on this platform: so is the build.
        rendered.skip = true;
    }
    rendered.requirement_spans = std::mem::take(&mut r.spans);
    rendered.path_spans = std::mem::take(&mut r.path_spans);
    Ok(rendered)
}

struct Renderer<'a> {
    recipe: &'a LoadedRecipe,
    opts: &'a RenderOptions<'a>,
    vars: BTreeMap<String, Value>,
    /// The (name, version) of every package the recipe makes (the recipe itself first, then its outputs), known
    /// once `[package]` and the outputs' names are rendered; `pin_subpackage` needs them.
    own: Vec<(String, String)>,
    used_pins: BTreeSet<String>,
    /// Package name → span of the first requirement naming it.
    spans: BTreeMap<String, Span>,
    /// Recipe path field → span ([`RenderedRecipe::path_spans`]).
    path_spans: BTreeMap<String, Span>,
}

impl<'a> Renderer<'a> {
    fn new(recipe: &'a LoadedRecipe, opts: &'a RenderOptions<'a>) -> Self {
        let mut vars = BTreeMap::new();
        for (key, value) in opts.pins {
            vars.insert(key.clone(), Value::from(value.clone()));
        }
        vars.insert(
            "target_platform".into(),
            Value::from(opts.target_platform.to_string()),
        );
        vars.insert(
            "host_platform".into(),
            Value::from(opts.target_platform.to_string()),
        );
        vars.insert(
            "build_platform".into(),
            Value::from(opts.build_platform.to_string()),
        );
        Self {
            recipe,
            opts,
            vars,
            own: Vec::new(),
            used_pins: BTreeSet::new(),
            spans: BTreeMap::new(),
            path_spans: BTreeMap::new(),
        }
    }

    fn invalid(&self, template: &Template, message: String) -> RecipeError {
        self.recipe
            .file
            .invalid(Span::from(template.span()), message, None)
    }

    /// An error unless `value` (rendered from `template`) is free of control characters.
    fn one_line(&self, template: &Template, what: &str, value: &str) -> Result<(), RecipeError> {
        match checks::single_line(value) {
            Some(reason) => {
                Err(self.invalid(template, format!("{what} {} {reason}", excerpt(value))))
            }
            None => Ok(()),
        }
    }

    /// An error if `value` holds control characters other than newlines, tabs and carriage returns.
    fn layout_only(&self, template: &Template, what: &str, value: &str) -> Result<(), RecipeError> {
        match checks::control_char(value, true) {
            Some((at, c)) => Err(self.invalid(
                template,
                format!(
                    "{what} contains the control character {} at byte {at}",
                    c.escape_default()
                ),
            )),
            None => Ok(()),
        }
    }

    /// Render a path relative to the recipe directory and check it lexically ([`checks::relative_path`]),
    /// remembering its span under `field`.
    fn recipe_path(&mut self, template: &Template, field: &str) -> Result<PathBuf, RecipeError> {
        let text = self.render(template)?;
        self.path_spans
            .insert(field.to_string(), Span::from(template.span()));
        checks::relative_path(&text, "the recipe directory").map_err(|reason| {
            self.invalid(template, format!("{field} {} {reason}", excerpt(&text)))
        })
    }

    fn render(&mut self, template: &Template) -> Result<String, RecipeError> {
        self.render_text(template.get_ref(), Span::from(template.span()))
    }

    /// Render `text` found at `span` of the recipe file.
    fn render_text(&mut self, text: &str, span: Span) -> Result<String, RecipeError> {
        if !text.contains("{{") && !text.contains("{%") {
            return Ok(text.to_string());
        }
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(checks::TEMPLATE_FUEL));
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("compiler", |lang: String| {
            format!("{COMPILER_PREFIX}{lang}")
        });
        let own = Arc::new(self.own.clone());
        env.add_function(
            "pin_subpackage",
            move |name: String, kwargs: Kwargs| -> Result<String, minijinja::Error> {
                let min_pin: Option<String> = kwargs.get("min_pin")?;
                let max_pin: Option<String> = kwargs.get("max_pin")?;
                let exact: Option<bool> = kwargs.get("exact")?;
                kwargs.assert_all_used()?;
                let pins = Pins {
                    min: min_pin.as_deref(),
                    max: max_pin.as_deref(),
                };
                pin_subpackage(&own, &name, pins, exact.unwrap_or(false))
            },
        );
        let template = env
            .template_from_str(text)
            .map_err(|err| self.template_error(text, span, &err))?;
        for var in template.undeclared_variables(false) {
            if self.opts.pins.contains_key(&var) {
                self.used_pins.insert(var);
            }
        }
        let mut out = CappedOutput::default();
        template
            .render_captured_to(&self.vars, &mut out)
            .map(drop)
            .map_err(|err| match out.overflowed {
                true => self.recipe.file.invalid(
                    span,
                    format!(
                        "template output exceeds {} bytes",
                        checks::MAX_TEMPLATE_OUTPUT
                    ),
                    Some("a recipe value renders to a name, a spec, a path or a script: this one runs away"),
                ),
                false => self.template_error(text, span, &err),
            })?;
        String::from_utf8(out.bytes).map_err(|_| {
            self.recipe
                .file
                .invalid(span, "template output is not valid UTF-8", None)
        })
    }

    fn template_error(&self, text: &str, span: Span, err: &minijinja::Error) -> RecipeError {
        // Point inside the string when the TOML text is the template verbatim (a basic string without escapes).
        let raw = &self.recipe.file.text[span.start..span.end.min(self.recipe.file.text.len())];
        let inner = raw.strip_prefix('"').and_then(|s| s.strip_suffix('"'));
        let at = match (err.range(), inner) {
            (Some(range), Some(inner)) if inner == text => Span {
                start: span.start + 1 + range.start,
                end: span.start + 1 + range.end,
            },
            _ => span,
        };
        let detail = err.detail().map(|d| format!(": {d}")).unwrap_or_default();
        let mut message = format!("template error: {}{detail}", err.kind());
        if err.kind() == minijinja::ErrorKind::UndefinedError && at != span {
            let name = &self.recipe.file.text[at.start..at.end];
            message = format!("template error: `{name}` is undefined");
        }
        let help = match err.kind() {
            minijinja::ErrorKind::UndefinedError => Some(
                "defined here: [context] keys, name, version, build_number, target_platform, host_platform, build_platform and the pins in pins.toml",
            ),
            _ => None,
        };
        self.recipe.file.invalid(at, message, help)
    }

    /// Remember where the requirement `spec` (its package name) is written.
    fn note_span(&mut self, spec: &str, template: &Template) {
        if let Some(name) = spec.split_whitespace().next() {
            self.spans
                .entry(name.to_string())
                .or_insert_with(|| Span::from(template.span()));
        }
    }

    /// Render one-line values (package names).
    fn all(&mut self, templates: &[Template]) -> Result<Vec<String>, RecipeError> {
        let mut out = Vec::new();
        for template in templates {
            let value = self.render(template)?;
            self.one_line(template, "the value", &value)?;
            out.push(value);
        }
        Ok(out)
    }

    /// Render match specs and check that they parse.
    fn specs(&mut self, templates: &[Template]) -> Result<Vec<String>, RecipeError> {
        let mut specs = Vec::new();
        for template in templates {
            let spec = self.render(template)?;
            self.one_line(template, "the match spec", &spec)?;
            MatchSpec::from_str(&spec, ParseStrictness::Lenient).map_err(|e| {
                self.invalid(
                    template,
                    format!(
                        "invalid match spec {}: {}",
                        excerpt(&spec),
                        checks::clip(&e.to_string())
                    ),
                )
            })?;
            self.note_span(&spec, template);
            specs.push(spec);
        }
        Ok(specs)
    }

    /// Render `[requirements] build`: as [`Self::requirements`], with a toolchain requirement that has a package
    /// ([`RenderOptions::packaged`]) turned into that package.
    fn build_requirements(
        &mut self,
        templates: &[Template],
    ) -> Result<Vec<Requirement>, RecipeError> {
        let mut out = self.requirements(templates, false)?;
        if self.recipe.raw.build.toolchain_from == Some(crate::workspace::ToolchainFrom::Machine) {
            return Ok(out);
        }
        for req in &mut out {
            if let Requirement::Toolchain(name) = req {
                if let Some(tool) = self.opts.packaged.get(name.as_str()) {
                    *req = Requirement::Package(tool.package.clone());
                }
            }
        }
        Ok(out)
    }

    /// Render requirements, telling toolchain programs from packages; with `apply_pins`, a bare package name that
    /// has a pin gets the pinned version (as conda-build applies conda_build_config.yaml to host requirements).
    fn requirements(
        &mut self,
        templates: &[Template],
        apply_pins: bool,
    ) -> Result<Vec<Requirement>, RecipeError> {
        let mut out = Vec::new();
        for template in templates {
            let text = self.render(template)?;
            self.one_line(template, "the requirement", &text)?;
            let text = text.trim();
            if let Some(lang) = text.strip_prefix(COMPILER_PREFIX) {
                out.push(Requirement::Toolchain(lang.to_string()));
            } else if self.opts.toolchain.contains_key(text) {
                out.push(Requirement::Toolchain(text.to_string()));
            } else {
                let mut spec = text.to_string();
                if apply_pins && !text.contains(char::is_whitespace) {
                    if let Some(pin) = self.opts.pins.get(text) {
                        self.used_pins.insert(text.to_string());
                        spec = format!("{text} {pin}");
                    }
                }
                MatchSpec::from_str(&spec, ParseStrictness::Lenient).map_err(|e| {
                    self.invalid(
                        template,
                        format!(
                            "invalid requirement {}: {}",
                            excerpt(&spec),
                            checks::clip(&e.to_string())
                        ),
                    )
                })?;
                self.note_span(&spec, template);
                out.push(Requirement::Package(spec));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
