//! Rendering `[[outputs]]` (multi-output recipes, as conda-build's `outputs:`), and the `[test]` and `[about]`
//! tables a recipe and each of its outputs have.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;

use rattler_conda_types::{PackageName, Version};
use serde::Serialize;

use crate::recipe::{AboutSection, BoolOrTemplate, RecipeError, Span, Template, TestSection};

use super::checks::{self, excerpt};
use super::{RenderedRecipe, Renderer, Test};

/// One package of a multi-output recipe, rendered. The build that makes it is the recipe's.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RenderedOutput {
    /// Package name.
    pub name: String,
    /// Package version (a valid conda version).
    pub version: String,
    /// Globs relative to `$PREFIX` selecting the files it takes from what the build installed.
    pub files: Vec<String>,
    /// Its own script (a file in the recipe directory), run after the build script.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script: Option<PathBuf>,
    /// Run requirements as match specs.
    pub run: Vec<String>,
    /// Run constraints as match specs.
    pub run_constraints: Vec<String>,
    /// Names whose run_exports it does not take.
    pub ignore_run_exports: Vec<String>,
    /// Weak run_exports (match specs).
    pub run_exports_weak: Vec<String>,
    /// Strong run_exports (match specs).
    pub run_exports_strong: Vec<String>,
    /// Its tests.
    pub test: Test,
    /// about.json fields: the recipe's, overridden by the output's.
    pub about: BTreeMap<String, serde_json::Value>,
    /// License files relative to `SRC_DIR`: the output's, else the recipe's.
    pub license_files: Vec<PathBuf>,
    /// Its position among the recipe's `[[outputs]]` (skipped ones counted): `outputs[<index>]` in errors.
    #[serde(skip)]
    pub index: usize,
}

/// The name, version and index of an output that is not skipped, rendered before anything that may call
/// `pin_subpackage` on it.
pub(super) struct OutputHead {
    index: usize,
    name: String,
    version: String,
}

impl RenderedRecipe {
    /// Whether the recipe has `[[outputs]]` (rendered for a platform where at least one is not skipped).
    pub fn is_multi_output(&self) -> bool {
        !self.outputs.is_empty()
    }

    /// The packages the recipe makes: its outputs, or one package from its top level (with no file globs: it
    /// takes everything the build installed).
    pub fn packages(&self) -> Vec<RenderedOutput> {
        if self.is_multi_output() {
            return self.outputs.clone();
        }
        let reqs = &self.requirements;
        vec![RenderedOutput {
            name: self.name.clone(),
            version: self.version.clone(),
            files: Vec::new(),
            script: None,
            run: reqs.run.clone(),
            run_constraints: reqs.run_constraints.clone(),
            ignore_run_exports: reqs.ignore_run_exports.clone(),
            run_exports_weak: reqs.run_exports_weak.clone(),
            run_exports_strong: reqs.run_exports_strong.clone(),
            test: self.test.clone(),
            about: self.about.clone(),
            license_files: self.license_files.clone(),
            index: 0,
        }]
    }

    /// The package names the recipe makes.
    pub fn package_names(&self) -> Vec<String> {
        match self.is_multi_output() {
            true => self.outputs.iter().map(|o| o.name.clone()).collect(),
            false => vec![self.name.clone()],
        }
    }
}

impl Renderer<'_> {
    /// Render every output's name, version and `skip`, and make the names known to `pin_subpackage`.
    ///
    /// Errors: a bad name or version, a `skip` that is not a boolean, two outputs of one name.
    pub(super) fn output_heads(&mut self, version: &str) -> Result<Vec<OutputHead>, RecipeError> {
        let mut heads = Vec::new();
        for (index, output) in self.recipe.raw.outputs.iter().enumerate() {
            let o = output.get_ref();
            if self.skip_value(o.skip.as_ref(), &format!("outputs[{index}].skip"))? {
                continue;
            }
            let name = self.render(&o.name)?;
            self.one_line(&o.name, "the output name", &name)?;
            PackageName::try_from(name.as_str()).map_err(|e| {
                self.invalid(
                    &o.name,
                    format!("invalid package name {}: {e}", excerpt(&name)),
                )
            })?;
            if heads.iter().any(|h: &OutputHead| h.name == name) {
                return Err(self.invalid(
                    &o.name,
                    format!("two [[outputs]] are named {}", excerpt(&name)),
                ));
            }
            let version = match &o.version {
                Some(t) => {
                    let v = self.render(t)?;
                    self.one_line(t, "the version", &v)?;
                    Version::from_str(&v).map_err(|e| {
                        self.invalid(
                            t,
                            format!(
                                "invalid version {}: {}",
                                excerpt(&v),
                                checks::clip(&e.to_string())
                            ),
                        )
                    })?;
                    v
                }
                None => version.to_string(),
            };
            self.own.push((name.clone(), version.clone()));
            heads.push(OutputHead {
                index,
                name,
                version,
            });
        }
        Ok(heads)
    }

    /// Render the outputs named by `heads` in full; `recipe` is the rendered top level (about, license files).
    pub(super) fn outputs(
        &mut self,
        heads: &[OutputHead],
        recipe: &RenderedRecipe,
    ) -> Result<Vec<RenderedOutput>, RecipeError> {
        let mut out = Vec::new();
        for head in heads {
            let o = &self.recipe.raw.outputs[head.index].get_ref();
            let field = format!("outputs[{}]", head.index);
            let mut files = Vec::new();
            for template in &o.files {
                let glob = self.render(template)?;
                checks::relative_path(&glob, "$PREFIX").map_err(|reason| {
                    self.invalid(
                        template,
                        format!("{field}.files {} {reason}", excerpt(&glob)),
                    )
                })?;
                globset::Glob::new(&glob).map_err(|e| {
                    self.invalid(template, format!("{field}.files: invalid glob: {e}"))
                })?;
                files.push(glob);
            }
            let script = o
                .script
                .as_ref()
                .map(|t| self.recipe_path(t, &format!("{field}.script")))
                .transpose()?;
            let reqs = &o.requirements;
            let (about, license_files) = self.about(&o.about, &format!("{field}.about"))?;
            let mut merged = recipe.about.clone();
            merged.extend(about);
            out.push(RenderedOutput {
                name: head.name.clone(),
                version: head.version.clone(),
                files,
                script,
                run: self.specs(&reqs.run)?,
                run_constraints: self.specs(&reqs.run_constraints)?,
                ignore_run_exports: self
                    .all(&reqs.ignore_run_exports)?
                    .into_iter()
                    .chain(recipe.requirements.ignore_run_exports.iter().cloned())
                    .collect(),
                run_exports_weak: self.specs(&reqs.run_exports.weak)?,
                run_exports_strong: self.specs(&reqs.run_exports.strong)?,
                test: self.test(&o.test, &format!("{field}.test"))?,
                about: merged,
                license_files: match license_files.is_empty() {
                    true => recipe.license_files.clone(),
                    false => license_files,
                },
                index: head.index,
            });
        }
        Ok(out)
    }

    /// A `skip` value: a boolean, or a template rendering to true or false.
    pub(super) fn skip_value(
        &mut self,
        skip: Option<&toml::Spanned<BoolOrTemplate>>,
        field: &str,
    ) -> Result<bool, RecipeError> {
        let Some(spanned) = skip else {
            return Ok(false);
        };
        match spanned.get_ref() {
            BoolOrTemplate::Bool(b) => Ok(*b),
            BoolOrTemplate::Template(t) => {
                let span = Span::from(spanned.span());
                match self.render_text(t, span)?.trim() {
                    "true" | "True" => Ok(true),
                    "false" | "False" | "" => Ok(false),
                    other => Err(self.recipe.file.invalid(
                        span,
                        format!("{field} must render to true or false, not `{other}`"),
                        None,
                    )),
                }
            }
        }
    }

    /// Render a `[test]` table; `field` (`test`, `outputs[1].test`) names its paths in errors.
    pub(super) fn test(&mut self, t: &TestSection, field: &str) -> Result<Test, RecipeError> {
        let mut files = Vec::new();
        for (i, template) in t.files.iter().enumerate() {
            files.push(self.recipe_path(template, &format!("{field}.files[{i}]"))?);
        }
        let mut commands = Vec::new();
        for template in &t.commands {
            let command = self.render(template)?;
            self.layout_only(template, "a test command", &command)?;
            commands.push(command);
        }
        let mut imports = Vec::new();
        for template in &t.imports {
            let module = self.render(template)?;
            if let Some(reason) = checks::module_name(&module) {
                return Err(self.invalid(template, format!("{field}.imports: {reason}")));
            }
            imports.push(module);
        }
        Ok(Test {
            requires: self.requirements(&t.requires, false)?,
            files,
            commands,
            imports,
        })
    }

    /// Render an `[about]` table: the about.json fields it gives, and its license files (relative to `SRC_DIR`).
    pub(super) fn about(
        &mut self,
        a: &AboutSection,
        field: &str,
    ) -> Result<(BTreeMap<String, serde_json::Value>, Vec<PathBuf>), RecipeError> {
        let fields: [(&str, &Option<Template>); 7] = [
            ("home", &a.homepage),
            ("license", &a.license),
            ("license_family", &a.license_family),
            ("summary", &a.summary),
            ("description", &a.description),
            ("dev_url", &a.dev_url),
            ("doc_url", &a.doc_url),
        ];
        let mut about = BTreeMap::new();
        for (key, value) in fields {
            if let Some(t) = value {
                let text = self.render(t)?;
                match key {
                    "description" | "summary" => {
                        self.layout_only(t, &format!("about.{key}"), &text)?
                    }
                    _ => self.one_line(t, &format!("about.{key}"), &text)?,
                }
                about.insert(key.to_string(), serde_json::Value::from(text));
            }
        }
        let mut license_files = Vec::new();
        if let Some(files) = &a.license_file {
            let span = Span::from(files.span());
            self.path_spans
                .insert(format!("{field}.license_file"), span);
            for t in files.get_ref().as_slice() {
                let text = self.render_text(t, span)?;
                let path = checks::relative_path(&text, "the source tree (SRC_DIR)").map_err(
                    |reason| {
                        self.recipe.file.invalid(
                            span,
                            format!("about.license_file {} {reason}", excerpt(&text)),
                            None,
                        )
                    },
                )?;
                license_files.push(path);
            }
        }
        Ok((about, license_files))
    }
}
