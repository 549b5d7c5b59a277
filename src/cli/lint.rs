//! `archi lint [NAME|DIR...] [--deny-warnings] [--json]`: conda-forge reviewer checks ([`crate::lint`]) on the
//! named recipes (default: every recipe of the workspace), printed as miette warnings on stderr with the line
//! they are about (or, with `--json`, one JSON object per finding on stdout). Exit 0 with warnings, 1 with
//! `--deny-warnings`, 1 when a recipe cannot be loaded or rendered (its error is printed).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use miette::{LabeledSpan, MietteDiagnostic, NamedSource, Severity};
use rattler_conda_types::Subdir;

use super::settings::{self, ContextFlags, Global};
use crate::lint::{self, Facts, Finding, NamedFile};
use crate::recipe::{self, LoadedRecipe};
use crate::source::SourceCache;

/// Arguments of `archi lint`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Recipe directories or package names of workspace recipes (default: every recipe of the workspace).
    pub recipes: Vec<String>,
    /// Exit 1 when there is any warning.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Print each finding as a JSON object on stdout (`recipe`, `code`, `message`, `line`, `column`, `help`).
    #[arg(long)]
    pub json: bool,
    /// Directory where source files are kept by name, compared with the recipes' sha256 (default:
    /// ~/.cache/archi/downloads, where scripts/seed-sources.sh and seed-pypi.sh put them).
    #[arg(long, env = "ARCHI_DOWNLOADS")]
    pub downloads: Option<PathBuf>,
    /// The platform recipes are rendered for (default: this machine's).
    #[arg(long = "target-platform")]
    pub target_platform: Option<Subdir>,
}

/// Lint the recipes and print the findings.
pub fn run(args: Args, global: &Global) -> miette::Result<()> {
    let Args {
        recipes,
        deny_warnings,
        json,
        downloads,
        target_platform,
    } = args;
    let (dirs, names) = super::split_roots(&recipes);
    let cwd = std::env::current_dir().map_err(|e| miette::miette!("{e}"))?;
    let start = dirs.first().cloned().unwrap_or(cwd);
    let ctx = settings::context(global, ContextFlags::default(), &start)?;
    let platform = target_platform.unwrap_or(ctx.build_platform);

    // Every workspace recipe, rendered: run_exports by package name, and which directory makes a name.
    let mut run_exports: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut providers: BTreeMap<String, PathBuf> = BTreeMap::new();
    for dir in ctx.workspace.recipe_dirs() {
        let Ok(loaded) = recipe::load(&dir) else {
            continue;
        };
        let Ok(rendered) = ctx.render(&loaded, platform) else {
            continue;
        };
        for package in rendered.packages() {
            let exports = package
                .run_exports_weak
                .iter()
                .chain(&package.run_exports_strong)
                .cloned()
                .collect();
            providers.insert(package.name.clone(), dir.clone());
            run_exports.insert(package.name, exports);
        }
    }
    let mut targets = dirs;
    for name in names {
        let dir = providers
            .get(&name)
            .cloned()
            .ok_or_else(|| miette::miette!("no recipe in the workspace produces `{name}`"))?;
        targets.push(dir);
    }
    if targets.is_empty() {
        targets = ctx.workspace.recipe_dirs();
    }

    let cache = SourceCache::open(&settings::store_root(global)?.join("sources"));
    let downloads =
        downloads.or_else(|| dirs::home_dir().map(|h| h.join(".cache/archi/downloads")));
    let hashed: RefCell<BTreeMap<String, Option<NamedFile>>> = RefCell::default();
    let named_file = |name: &str| -> Option<NamedFile> {
        if let Some(found) = hashed.borrow().get(name) {
            return found.clone();
        }
        let found = downloads
            .as_deref()
            .map(|d| d.join(name))
            .filter(|p| p.is_file() && Path::new(name).file_name().is_some_and(|f| f == name))
            .and_then(|path| {
                let sha256 = crate::source::sha256_file(&path).ok()?;
                Some(NamedFile { path, sha256 })
            });
        hashed.borrow_mut().insert(name.to_string(), found.clone());
        found
    };
    let cached = |sha256: &str| cache.has(sha256);
    let facts = Facts {
        run_exports: &run_exports,
        cached: &cached,
        named_file: &named_file,
    };

    let (mut warnings, mut errors, mut linted) = (0usize, 0usize, 0usize);
    for dir in &targets {
        let result = recipe::load(dir)
            .map_err(miette::Report::new)
            .and_then(|loaded| {
                let rendered = ctx.render(&loaded, platform).map_err(miette::Report::new)?;
                Ok((lint::lint(&loaded, &rendered, &facts), loaded))
            });
        match result {
            Ok((findings, loaded)) => {
                linted += 1;
                warnings += findings.len();
                for finding in &findings {
                    print_finding(&loaded, finding, json)?;
                }
            }
            Err(report) => {
                errors += 1;
                eprintln!("{report:?}");
            }
        }
    }
    settings::finish(&ctx);
    eprintln!(
        "lint: {warnings} warning(s) in {linted} recipe(s){}",
        match errors {
            0 => String::new(),
            n => format!(", {n} recipe(s) with errors"),
        }
    );
    if errors > 0 {
        return Err(miette::miette!("{errors} recipe(s) could not be linted"));
    }
    if deny_warnings && warnings > 0 {
        return Err(miette::miette!(
            "{warnings} lint warning(s) and --deny-warnings"
        ));
    }
    Ok(())
}

fn print_finding(recipe: &LoadedRecipe, finding: &Finding, json: bool) -> miette::Result<()> {
    let path = recipe.file.path.display().to_string();
    if json {
        let (line, column) = lint::line_col(&recipe.file.text, finding.span.start);
        let value = serde_json::json!({
            "recipe": path,
            "code": finding.code,
            "severity": "warning",
            "message": finding.message,
            "line": line,
            "column": column,
            "help": finding.help,
        });
        return super::print_out(&value.to_string());
    }
    let mut diagnostic = MietteDiagnostic::new(finding.message.clone())
        .with_code(format!("archi::lint::{}", finding.code.as_str()))
        .with_severity(Severity::Warning)
        .with_label(LabeledSpan::at(
            miette::SourceSpan::from(finding.span),
            "here",
        ));
    if let Some(help) = &finding.help {
        diagnostic = diagnostic.with_help(help.clone());
    }
    let report = miette::Report::new(diagnostic)
        .with_source_code(NamedSource::new(path, recipe.file.text.to_string()));
    eprintln!("{report:?}");
    Ok(())
}
