//! The checks of [`super::lint`], one function each; every one appends [`Finding`]s.

use crate::recipe::{AboutSection, LoadedRecipe, Span, Template};
use crate::render::{RenderedRecipe, Requirement};
use crate::source::SourceOrigin;

use super::{Code, Facts, Finding};

/// Words in a build script that mean it compiles (conda-forge: a noarch package must not contain compiled code).
const COMPILER_WORDS: &[&str] = &[
    "$CC",
    "${CC}",
    "$CXX",
    "${CXX}",
    "$FC",
    "${FC}",
    "gcc ",
    "g++ ",
    "clang ",
    "cc -",
    "rustc ",
    "cargo build",
    "build_ext",
];

fn span_of(template: &Template) -> Span {
    Span::from(template.span())
}

/// The span of a `[name]` table header line, if the file has one.
fn header_span(text: &str, table: &str) -> Option<Span> {
    let header = format!("[{table}]");
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed == header {
            let start = offset + (line.len() - line.trim_start().len());
            return Some(Span {
                start,
                end: start + header.len(),
            });
        }
        offset += line.len();
    }
    None
}

/// Where a finding about a missing key of `table` points: the table's header, else `[package] name`.
fn anchor(recipe: &LoadedRecipe, table: &str) -> Span {
    header_span(&recipe.file.text, table).unwrap_or_else(|| span_of(&recipe.raw.package.name))
}

fn finding(code: Code, span: Span, message: String, help: &str) -> Finding {
    Finding {
        code,
        message,
        span,
        help: Some(help.to_string()),
    }
}

/// `about.license`, `license_file`, `homepage`, `summary`: in `[about]`, or in every output's.
pub(super) fn about(recipe: &LoadedRecipe, out: &mut Vec<Finding>) {
    let raw = &recipe.raw;
    let has = |field: fn(&AboutSection) -> bool| {
        field(&raw.about)
            || (!raw.outputs.is_empty() && raw.outputs.iter().all(|o| field(&o.get_ref().about)))
    };
    let at = anchor(recipe, "about");
    if !has(|a| a.license.is_some()) {
        out.push(finding(
            Code::MissingLicense,
            at,
            "about.license is missing".into(),
            "name the license as an SPDX expression, e.g. license = \"BSD-3-Clause\"",
        ));
    }
    if !has(|a| a.license_file.is_some()) {
        let span = raw.about.license.as_ref().map(span_of).unwrap_or(at);
        out.push(finding(
            Code::MissingLicenseFile,
            span,
            "about.license_file is missing: the package would ship without its license text".into(),
            "add license_file = \"LICENSE\" (a path in the source, or the recipe directory); conda-forge requires it",
        ));
    }
    if !has(|a| a.homepage.is_some()) {
        out.push(finding(
            Code::MissingHomepage,
            at,
            "about.homepage is missing".into(),
            "add homepage = \"https://…\", the project's home page",
        ));
    }
    if !has(|a| a.summary.is_some()) {
        out.push(finding(
            Code::MissingSummary,
            at,
            "about.summary is missing".into(),
            "add summary = \"…\", one line saying what the package is",
        ));
    }
}

/// `build.number`.
pub(super) fn build_number(recipe: &LoadedRecipe, out: &mut Vec<Finding>) {
    if recipe.raw.build.number.is_none() {
        out.push(finding(
            Code::MissingBuildNumber,
            anchor(recipe, "build"),
            "build.number is missing".into(),
            "add number = 0 to [build], and raise it for every rebuild of the same version",
        ));
    }
}

/// At least one package with test commands or imports.
pub(super) fn tests(recipe: &LoadedRecipe, rendered: &RenderedRecipe, out: &mut Vec<Finding>) {
    let tested = rendered
        .packages()
        .iter()
        .any(|p| !p.test.commands.is_empty() || !p.test.imports.is_empty());
    if !tested && !rendered.skip {
        out.push(finding(
            Code::NoTests,
            anchor(recipe, "test"),
            "the recipe has no tests: no [test] commands or imports".into(),
            "add [test] commands (run a program, check a file) or imports (python modules); conda-forge requires tests",
        ));
    }
}

/// The span of the run requirement naming `name` in the recipe (top level, target tables, outputs).
fn run_span(recipe: &LoadedRecipe, rendered: &RenderedRecipe, name: &str) -> Span {
    let raw = &recipe.raw;
    let mut lists: Vec<&[Template]> = vec![&raw.requirements.run];
    lists.extend(raw.target.values().map(|t| t.requirements.run.as_slice()));
    lists.extend(
        raw.outputs
            .iter()
            .map(|o| o.get_ref().requirements.run.as_slice()),
    );
    lists
        .iter()
        .flat_map(|l| l.iter())
        .find(|t| t.get_ref().split_whitespace().next() == Some(name))
        .map(span_of)
        .or_else(|| rendered.requirement_spans.get(name).copied())
        .unwrap_or_else(|| anchor(recipe, "requirements"))
}

/// Run requirements without a version bound that are host requirements too, or that a host requirement's
/// run_exports name (conda-build adds the export's bounded spec anyway).
pub(super) fn unpinned_run(
    recipe: &LoadedRecipe,
    rendered: &RenderedRecipe,
    facts: &Facts,
    out: &mut Vec<Finding>,
) {
    let host: Vec<&str> = RenderedRecipe::package_specs(&rendered.requirements.host)
        .filter_map(|s| s.split_whitespace().next())
        .collect();
    let noarch = rendered.noarch != rattler_conda_types::NoArchType::none();
    let mut seen = std::collections::BTreeSet::new();
    for package in rendered.packages() {
        for spec in &package.run {
            let mut words = spec.split_whitespace();
            let Some(name) = words.next() else { continue };
            if words.next().is_some() || seen.contains(name) {
                continue;
            }
            // A host package whose run_exports name this one (itself first): the export would pin it.
            let exported_by = if noarch {
                None
            } else {
                std::iter::once(name)
                    .chain(host.iter().copied().filter(|h| *h != name))
                    .filter(|h| host.contains(h))
                    .find_map(|h| {
                        let exports = facts.run_exports.get(h)?;
                        exports
                            .iter()
                            .any(|e| e.split_whitespace().next() == Some(name))
                            .then_some((h, exports))
                    })
            };
            if exported_by.is_none() && !host.contains(&name) {
                continue;
            }
            seen.insert(name.to_string());
            let span = run_span(recipe, rendered, name);
            let (message, help) = match exported_by {
                Some((host_name, exports)) => (
                    format!(
                        "run requirement `{name}` has no version bound, but {host_name}'s run_exports (`{}`) pin it \
                         from host",
                        exports.join("`, `")
                    ),
                    format!("drop `{name}` from run (the run_export adds a bounded one), or bound it"),
                ),
                None => (
                    format!(
                        "run requirement `{name}` has no version bound but is a host requirement too: the package \
                         may be installed with a {name} other than the one it was built against"
                    ),
                    format!("bound it to what it was built with, e.g. `{name} >=X.Y`"),
                ),
            };
            out.push(Finding {
                code: Code::UnpinnedRunRequirement,
                message,
                span,
                help: Some(help),
            });
        }
    }
}

/// A noarch package whose build requirements name a compiler, or whose build script calls one.
pub(super) fn noarch_compiles(
    recipe: &LoadedRecipe,
    rendered: &RenderedRecipe,
    out: &mut Vec<Finding>,
) {
    if rendered.noarch == rattler_conda_types::NoArchType::none() {
        return;
    }
    let raw = &recipe.raw;
    let noarch_span = raw
        .build
        .noarch
        .as_ref()
        .map(span_of)
        .unwrap_or_else(|| anchor(recipe, "build"));
    let help = "a noarch package must not contain compiled files: drop noarch, or the compiler";
    let compiler = raw
        .requirements
        .build
        .iter()
        .find(|t| t.get_ref().contains("compiler("));
    let toolchain_compiler = rendered.requirements.build.iter().find_map(|r| match r {
        Requirement::Toolchain(k) if ["c", "cxx", "fortran", "rust"].contains(&k.as_str()) => {
            Some(k)
        }
        _ => None,
    });
    if let Some(template) = compiler {
        out.push(finding(
            Code::NoarchCompiles,
            span_of(template),
            format!(
                "the package is noarch but its build requires a compiler (`{}`)",
                template.get_ref()
            ),
            help,
        ));
        return;
    }
    if let Some(lang) = toolchain_compiler {
        out.push(finding(
            Code::NoarchCompiles,
            noarch_span,
            format!("the package is noarch but its build requires the `{lang}` compiler"),
            help,
        ));
        return;
    }
    let (script, span, source) = match &raw.build.script {
        Some(t) => (t.get_ref().clone(), span_of(t), "the build script"),
        None => match fs_err::read_to_string(recipe.dir.join("build.sh")) {
            Ok(text) => (text, noarch_span, "build.sh"),
            Err(_) => return,
        },
    };
    if let Some(word) = COMPILER_WORDS.iter().find(|w| script.contains(*w)) {
        out.push(finding(
            Code::NoarchCompiles,
            span,
            format!(
                "the package is noarch but {source} calls a compiler (`{}`)",
                word.trim()
            ),
            help,
        ));
    }
}

/// Sources whose sha256 differs from the file of that name the caller found, when the source cache does not
/// have the recipe's sha256.
pub(super) fn sources(
    recipe: &LoadedRecipe,
    rendered: &RenderedRecipe,
    facts: &Facts,
    out: &mut Vec<Finding>,
) {
    for (i, spec) in rendered.sources.iter().enumerate() {
        let (SourceOrigin::Url { sha256, .. } | SourceOrigin::File { sha256, .. }) = &spec.origin
        else {
            continue;
        };
        if (facts.cached)(sha256) {
            continue;
        }
        let name = spec.origin.file_name();
        let Some(found) = (facts.named_file)(&name) else {
            continue;
        };
        if found.sha256 == *sha256 {
            continue;
        }
        let span = recipe
            .raw
            .source
            .get(i)
            .and_then(|s| s.get_ref().sha256.as_ref().map(span_of))
            .unwrap_or_else(|| anchor(recipe, "source"));
        out.push(Finding {
            code: Code::SourceSha256Mismatch,
            message: format!(
                "source `{name}`: {} has sha256 {}, the recipe says {sha256}",
                found.path.display(),
                found.sha256
            ),
            span,
            help: Some(
                "the file changed upstream or the recipe's sha256 is wrong: check the file, then fix the sha256 \
                 (or remove the stale file and fetch it again)"
                    .into(),
            ),
        });
    }
}
