//! `archi import`: conda-forge recipes (conda-build's `meta.yaml` or rattler-build's v1 `recipe.yaml`) → archi
//! recipes (`recipe.toml` plus the recipe directory's build scripts, patches and test files).
//!
//! Stages, each pure apart from [`read`] and [`write`]: [`meta_yaml`] / [`recipe_v1`] evaluate the recipe once per
//! platform archi builds ([`jinja::PLATFORMS`]) into a [`model::Model`]; [`model::merge`] keeps what both share
//! and turns differences into `[target.<subdir>]` tables or templates; [`emit`] writes `recipe.toml`. What archi's
//! format cannot express is never dropped silently: it is a comment in `recipe.toml` and a [`Warning`] naming the
//! source file and line, which the CLI prints.

pub mod emit;
pub mod jinja;
pub mod meta_yaml;
pub mod model;
pub mod recipe_v1;
pub mod tree;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use minijinja::value::Value;

use model::{Item, Merged, Model, Note};

/// Why an import failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ImportError {
    /// No `meta.yaml` or `recipe.yaml` in the directory nor in its `recipe/`.
    #[error("{0}: no recipe/meta.yaml, recipe/recipe.yaml, meta.yaml or recipe.yaml")]
    #[diagnostic(help("give a conda-forge feedstock directory or its recipe/ directory"))]
    NotFound(PathBuf),
    /// Reading or writing a file.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The jinja of the recipe does not render.
    #[error("{file}:{line}: the recipe's jinja does not render: {message}")]
    Jinja {
        file: String,
        line: usize,
        message: String,
    },
    /// The recipe is not YAML (after jinja and selectors).
    #[error("{file}:{line}: not valid YAML: {message}")]
    Yaml {
        file: String,
        line: usize,
        message: String,
    },
    /// The recipe names no package.
    #[error("{file}: no package name (package: name:, or recipe: name: in a v1 recipe)")]
    NoName {
        /// The recipe file.
        file: String,
    },
    /// The output directory exists.
    #[error("{0} exists; archi import does not overwrite a recipe")]
    #[diagnostic(help("remove it or import into another --into directory"))]
    Exists(PathBuf),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ImportError + '_ {
    move |source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Something the import could not express in archi's format, with where it is in the source recipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The recipe file (`…/recipe/meta.yaml`).
    pub file: PathBuf,
    /// Its 1-based line.
    pub line: usize,
    /// What was not expressed, and why.
    pub message: String,
}

/// An imported recipe, ready to be written.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The package name (for multi-output recipes, the build's name): the directory name under `--into`.
    pub name: String,
    /// The recipe directory that was imported.
    pub recipe_dir: PathBuf,
    /// The recipe file (`meta.yaml` or `recipe.yaml`) inside it.
    pub recipe_file: PathBuf,
    /// The `recipe.toml` text.
    pub recipe_toml: String,
    /// Files the import wrote besides those it copies (inline output scripts): name → content.
    pub generated: Vec<(String, String)>,
    /// What the import could not express, each also a comment in `recipe_toml`.
    pub warnings: Vec<Warning>,
}

/// The recipe file of `path`: a feedstock directory, its `recipe/`, or the file itself.
///
/// Errors: [`ImportError::NotFound`].
pub fn find_recipe(path: &Path) -> Result<PathBuf, ImportError> {
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    for rel in [
        "recipe/recipe.yaml",
        "recipe/meta.yaml",
        "recipe.yaml",
        "meta.yaml",
    ] {
        let candidate = path.join(rel);
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    Err(ImportError::NotFound(path.to_path_buf()))
}

/// Variant values from the recipe's `conda_build_config.yaml` (the first value of each key, after selectors):
/// conda-build renders the recipe with them.
fn variant_config(dir: &Path, subdir: &str) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let Ok(text) = fs_err::read_to_string(dir.join("conda_build_config.yaml")) else {
        return out;
    };
    let Ok(model) = meta_yaml::load_variants(&text, subdir) else {
        return out;
    };
    for (k, v) in model {
        out.insert(k, Value::from(v));
    }
    out
}

/// Import the recipe at `path` (see [`find_recipe`]). Reads the recipe file, its `conda_build_config.yaml` and the
/// listing of its directory; writes nothing.
///
/// Errors: no recipe, unreadable files, jinja or YAML that does not parse (with file and line), no package name.
pub fn import(path: &Path) -> Result<Imported, ImportError> {
    let recipe_file = find_recipe(path)?;
    let dir = recipe_file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let text = fs_err::read_to_string(&recipe_file).map_err(io(&recipe_file))?;
    let file_name = recipe_file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let v1 = file_name == "recipe.yaml";
    let mut models = Vec::new();
    for platform in jinja::PLATFORMS {
        let extra = variant_config(&dir, platform);
        let shown = recipe_file.display().to_string();
        let model = if v1 {
            recipe_v1::load(&text, platform, &extra, &shown)?
        } else {
            meta_yaml::load(&text, platform, &extra, &shown)?
        };
        models.push((platform, finish_model(model, &dir, v1)));
    }
    let merged = model::merge(models);
    let name = merged
        .model
        .name
        .as_ref()
        .map(|n| n.text.clone())
        .filter(|n| !n.is_empty() && !n.contains(['/', '{']))
        .ok_or(ImportError::NoName {
            file: recipe_file.display().to_string(),
        })?;
    let recipe_toml = emit::recipe_toml(&merged, &file_name, &text);
    let warnings = merged
        .model
        .notes
        .iter()
        .map(|n| Warning {
            file: recipe_file.clone(),
            line: n.line,
            message: n.message.clone(),
        })
        .collect();
    let Merged { model, .. } = merged;
    Ok(Imported {
        name,
        recipe_dir: dir,
        recipe_file,
        recipe_toml,
        generated: model.generated,
        warnings,
    })
}

/// What conda-build does implicitly, made explicit: the recipe directory's `run_test.*` scripts, a build without
/// a script of its own in a multi-output recipe; and what archi refuses with outputs (package fields at the top
/// level) moved into notes.
fn finish_model(mut m: Model, dir: &Path, v1: bool) -> Model {
    if !v1 {
        for script in ["run_test.py", "run_test.sh", "run_test.pl"] {
            if dir.join(script).is_file() {
                let item = Item {
                    text: script.into(),
                    line: 1,
                };
                if m.outputs.is_empty() {
                    meta_yaml::test_script(&mut m.test, item);
                } else if let Some(o) = m
                    .outputs
                    .iter_mut()
                    .find(|o| Some(&o.name.text) == m.name.as_ref().map(|n| &n.text))
                {
                    meta_yaml::test_script(&mut o.test, item);
                }
            }
        }
    }
    // conda-forge's cross-python activation: archi sets up the same for a cross build with python in host.
    let cross: Vec<Item> = m
        .reqs
        .build
        .iter()
        .filter(|i| model::spec_name(&i.text).starts_with("cross-python_"))
        .cloned()
        .collect();
    for item in cross {
        m.reqs.build.retain(|i| i != &item);
        m.note(
            item.line,
            format!("`{}`: archi sets up cross-python itself for a cross build with python in host; left out", item.text),
        );
    }
    let files = recipe_files(dir);
    let mut notes = Vec::new();
    expand_test_files(&mut m.test.files, &files, &mut notes);
    for o in &mut m.outputs {
        expand_test_files(&mut o.test.files, &files, &mut notes);
    }
    m.notes.extend(notes);
    let has_build_sh = dir.join("build.sh").is_file();
    if m.script.is_none() && !has_build_sh {
        if m.outputs.is_empty() {
            m.note(
                1,
                "no build script (no build.sh, no build.script): archi needs one",
            );
        } else {
            m.script = Some(Item {
                text: "# conda-build runs no build script here: the outputs' scripts build".into(),
                line: 1,
            });
        }
    }
    if !m.outputs.is_empty() {
        let top: Vec<(&str, Vec<Item>)> = vec![
            ("requirements.run", std::mem::take(&mut m.reqs.run)),
            (
                "requirements.run_constrained",
                std::mem::take(&mut m.reqs.run_constraints),
            ),
            ("run_exports", std::mem::take(&mut m.reqs.weak)),
            ("run_exports (strong)", std::mem::take(&mut m.reqs.strong)),
            ("test.commands", std::mem::take(&mut m.test.commands)),
            ("test.imports", std::mem::take(&mut m.test.imports)),
            ("test.requires", std::mem::take(&mut m.test.requires)),
            ("test.files", std::mem::take(&mut m.test.files)),
            ("build.entry_points", std::mem::take(&mut m.entry_points)),
        ];
        for (what, items) in top {
            for item in items {
                m.notes.push(Note {
                    line: item.line,
                    message: format!(
                        "top-level {what} `{}` of a multi-output recipe belongs to no package in archi",
                        item.text
                    ),
                });
            }
        }
    }
    m
}

/// The files under the recipe directory, relative, sorted.
fn recipe_files(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            e.path()
                .strip_prefix(dir)
                .ok()
                .map(|p| p.to_string_lossy().into_owned())
        })
        .collect();
    out.sort();
    out
}

/// conda-build's test `files` may be globs (`tests/cmake/*`) or directories; archi's name files, so both are
/// expanded over the recipe directory (and a glob matching nothing becomes a note).
fn expand_test_files(items: &mut Vec<Item>, files: &[String], notes: &mut Vec<Note>) {
    let mut out = Vec::new();
    for item in items.drain(..) {
        let as_dir = format!("{}/", item.text.trim_end_matches('/'));
        let under: Vec<&String> = files.iter().filter(|f| f.starts_with(&as_dir)).collect();
        if !under.is_empty() {
            // A directory: archi's test files are files, so it is listed file by file.
            for f in under {
                out.push(Item {
                    text: f.clone(),
                    line: item.line,
                });
            }
            continue;
        }
        if !item.text.contains(['*', '?', '[']) {
            out.push(item);
            continue;
        }
        let matched: Vec<&String> = match globset::Glob::new(&item.text) {
            Ok(glob) => {
                let m = glob.compile_matcher();
                files.iter().filter(|f| m.is_match(f.as_str())).collect()
            }
            Err(_) => Vec::new(),
        };
        if matched.is_empty() {
            notes.push(Note {
                line: item.line,
                message: format!(
                    "test file glob `{}` matches no file of the recipe; left out",
                    item.text
                ),
            });
        }
        for f in matched {
            out.push(Item {
                text: f.clone(),
                line: item.line,
            });
        }
    }
    *items = out;
}

/// Write `imported` as `<into>/<name>/`: `recipe.toml`, the generated scripts, and every file of the source recipe
/// directory except the recipe file (build scripts, patches, test files; symlinks copied as their targets).
/// Written into a temporary directory under `into` and renamed, so a failed import leaves nothing.
///
/// Errors: [`ImportError::Exists`] when `<into>/<name>` exists; I/O errors naming the path.
pub fn write(imported: &Imported, into: &Path) -> Result<PathBuf, ImportError> {
    let dest = into.join(&imported.name);
    if dest.exists() {
        return Err(ImportError::Exists(dest));
    }
    fs_err::create_dir_all(into).map_err(io(into))?;
    let tmp = tempfile::Builder::new()
        .prefix(".archi-import-")
        .tempdir_in(into)
        .map_err(io(into))?;
    for entry in walkdir::WalkDir::new(&imported.recipe_dir).follow_links(true) {
        let entry = entry.map_err(|e| ImportError::Io {
            path: imported.recipe_dir.clone(),
            source: e.into(),
        })?;
        let rel = entry
            .path()
            .strip_prefix(&imported.recipe_dir)
            .unwrap_or(entry.path());
        if entry.path() == imported.recipe_file || rel.as_os_str().is_empty() {
            continue;
        }
        let target = tmp.path().join(rel);
        if entry.file_type().is_dir() {
            fs_err::create_dir_all(&target).map_err(io(&target))?;
        } else {
            fs_err::copy(entry.path(), &target).map_err(io(&target))?;
        }
    }
    for (name, content) in &imported.generated {
        let path = tmp.path().join(name);
        fs_err::write(&path, content).map_err(io(&path))?;
    }
    let toml_path = tmp.path().join(crate::recipe::RECIPE_FILE);
    fs_err::write(&toml_path, &imported.recipe_toml).map_err(io(&toml_path))?;
    let kept = tmp.keep();
    fs_err::rename(&kept, &dest).map_err(io(&dest))?;
    Ok(dest)
}
