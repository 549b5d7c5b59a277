//! `archi lint`: the checks a conda-forge reviewer makes of a recipe (conda-smithy's linter and the staged-recipes
//! review checklist), as [`Finding`]s with the span of the recipe file they are about. Pure: [`lint`] takes the
//! parsed recipe, its render and the [`Facts`] the caller gathered (other recipes' run_exports, what the source
//! cache and the downloads directory hold); the CLI prints the findings as miette warnings.
//!
//! The checks (each a [`Code`]): `license` / `license_file` / `homepage` / `summary` missing from `[about]`;
//! `build.number` missing; no tests; a run requirement without a version bound that is also a host requirement
//! (worse when the host package's run_exports would pin it); a noarch package that compiles (a `compiler(...)`
//! build requirement, or a build script that calls a compiler); a source whose sha256 differs from the file of
//! that name the downloads directory holds, when the source cache has no file with the recipe's sha256.

mod checks;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::recipe::{LoadedRecipe, Span};
use crate::render::RenderedRecipe;

/// What a finding is about; the kebab-case name is printed (`archi::lint::missing-license-file`) and is what
/// `archi lint --json` gives as `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// No `about.license` (conda-forge: "The license item is expected in the about section").
    MissingLicense,
    /// No `about.license_file` (conda-forge requires the license text to be packaged).
    MissingLicenseFile,
    /// No `about.homepage`.
    MissingHomepage,
    /// No `about.summary`.
    MissingSummary,
    /// No `build.number`.
    MissingBuildNumber,
    /// No `[test]` commands, imports or files, for the recipe or any output.
    NoTests,
    /// A run requirement without a version bound that is also a host requirement.
    UnpinnedRunRequirement,
    /// A noarch package whose build compiles.
    NoarchCompiles,
    /// A source's sha256 differs from the file of that name the caller found.
    SourceSha256Mismatch,
}

impl Code {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::MissingLicense => "missing-license",
            Code::MissingLicenseFile => "missing-license-file",
            Code::MissingHomepage => "missing-homepage",
            Code::MissingSummary => "missing-summary",
            Code::MissingBuildNumber => "missing-build-number",
            Code::NoTests => "no-tests",
            Code::UnpinnedRunRequirement => "unpinned-run-requirement",
            Code::NoarchCompiles => "noarch-compiles",
            Code::SourceSha256Mismatch => "source-sha256-mismatch",
        }
    }
}

/// One warning about a recipe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What it is about.
    pub code: Code,
    /// What is wrong, naming the field or requirement.
    pub message: String,
    /// Where in the recipe file (byte range); for a missing field, its table header or `[package] name`.
    #[serde(skip)]
    pub span: Span,
    /// How to fix it.
    pub help: Option<String>,
}

/// A file the caller found under a source's file name (in the downloads directory), with its sha256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedFile {
    /// Where it is.
    pub path: PathBuf,
    /// Its sha256, lowercase hex.
    pub sha256: String,
}

/// What the checks know beyond the recipe itself, gathered by the caller.
pub struct Facts<'a> {
    /// Package name → its run_exports (weak and strong match specs), from the workspace's recipes.
    pub run_exports: &'a BTreeMap<String, Vec<String>>,
    /// Whether the source cache holds a file with this sha256 (lowercase hex).
    pub cached: &'a dyn Fn(&str) -> bool,
    /// The file of this name the caller found (the downloads directory), if any.
    pub named_file: &'a dyn Fn(&str) -> Option<NamedFile>,
}

/// Every finding for `recipe` rendered as `rendered`, sorted by position in the file then code.
pub fn lint(recipe: &LoadedRecipe, rendered: &RenderedRecipe, facts: &Facts) -> Vec<Finding> {
    let mut findings = Vec::new();
    checks::about(recipe, &mut findings);
    checks::build_number(recipe, &mut findings);
    checks::tests(recipe, rendered, &mut findings);
    checks::unpinned_run(recipe, rendered, facts, &mut findings);
    checks::noarch_compiles(recipe, rendered, &mut findings);
    checks::sources(recipe, rendered, facts, &mut findings);
    findings.sort_by_key(|f| (f.span.start, f.code));
    findings
}

/// 1-based line and column of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1)
        + 1;
    (line, col)
}

#[cfg(test)]
mod tests;
