//! Confinement of a recipe's files, checked against the file system before anything is fetched or built: archi
//! reads only inside the recipe directory. Render has already refused absolute paths and `..`
//! ([`checks::relative_path`](crate::render::checks::relative_path)); this stage follows symlinks. Every recipe
//! file (hashed for the store key, copied to `info/recipe/`), every `path` source, patch and test file must
//! resolve inside the recipe directory, and a symlink inside a `path` source must resolve inside that source (it is
//! recreated in `SRC_DIR`, where a later source's `target_directory` could otherwise write through it).

use std::path::{Path, PathBuf};

use crate::recipe::{LoadedRecipe, RecipeError};
use crate::render::checks::excerpt;
use crate::render::RenderedRecipe;

/// A recipe path that leaves where archi may read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ConfineError {
    /// A recipe field names a path that is missing or resolves outside the recipe directory; the span points at
    /// the field.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Field(#[from] RecipeError),
    /// A file in the recipe directory is a symlink leading outside it (or nowhere).
    #[error("{}: recipe file `{}` is a symlink to `{}`, {reason}", recipe.display(), file.display(), target.display())]
    #[diagnostic(
        code(archi::recipe::symlink),
        help("archi reads only inside the recipe directory (it is hashed for the store key and copied into \
              info/recipe/): copy the file in instead of linking it")
    )]
    RecipeSymlink {
        /// The recipe file (`recipe.toml`).
        recipe: PathBuf,
        /// The symlink, relative to the recipe directory.
        file: PathBuf,
        /// Where it points.
        target: PathBuf,
        /// `outside the recipe directory` or `which does not exist`.
        reason: &'static str,
    },
    /// The recipe directory cannot be read.
    #[error("{}: cannot read {}", recipe.display(), path.display())]
    Io {
        /// The recipe file.
        recipe: PathBuf,
        /// What could not be read.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

/// Check every path of `recipe` (rendered as `rendered`) against the file system.
///
/// Errors: [`ConfineError::RecipeSymlink`] for a symlink in the recipe directory that leads outside it or
/// nowhere; [`ConfineError::Field`] (with the field's span) for a `path` source, patch or test file that is
/// missing or resolves outside the recipe directory, or a `path` source holding a symlink that leaves it.
pub fn check(recipe: &LoadedRecipe, rendered: &RenderedRecipe) -> Result<(), ConfineError> {
    let root = fs_err::canonicalize(&recipe.dir).map_err(|source| ConfineError::Io {
        recipe: recipe.file.path.clone(),
        path: recipe.dir.clone(),
        source,
    })?;
    let symlink = |link: PathBuf, target, reason| ConfineError::RecipeSymlink {
        recipe: recipe.file.path.clone(),
        file: link.strip_prefix(&root).unwrap_or(&link).to_path_buf(),
        target,
        reason,
    };
    check_tree_links(&root, &root).map_err(|found| match found {
        LinkProblem::Escapes { link, target } => {
            symlink(link, target, "outside the recipe directory")
        }
        LinkProblem::Dangling { link, target } => symlink(link, target, "which does not exist"),
        LinkProblem::Io { path, source } => ConfineError::Io {
            recipe: recipe.file.path.clone(),
            path,
            source,
        },
    })?;

    let mut fields: Vec<(String, PathBuf)> = Vec::new();
    for (i, source) in rendered.sources.iter().enumerate() {
        if let crate::source::SourceOrigin::Path { path } = &source.origin {
            fields.push((format!("source[{i}].path"), path.clone()));
        }
        for (j, patch) in source.patches.iter().enumerate() {
            fields.push((format!("source[{i}].patches[{j}]"), patch.clone()));
        }
    }
    for (i, file) in rendered.test.files.iter().enumerate() {
        fields.push((format!("test.files[{i}]"), file.clone()));
    }
    for output in &rendered.outputs {
        let at = format!("outputs[{}]", output.index);
        if let Some(script) = &output.script {
            fields.push((format!("{at}.script"), script.clone()));
        }
        for (i, file) in output.test.files.iter().enumerate() {
            fields.push((format!("{at}.test.files[{i}]"), file.clone()));
        }
    }
    for (field, rel) in fields {
        let span = rendered.path_spans.get(&field).copied().unwrap_or_default();
        let invalid = |message: String| {
            ConfineError::Field(recipe.file.invalid(
                span,
                message,
                Some("recipe paths are relative to the recipe directory and must stay inside it"),
            ))
        };
        let shown = excerpt(&rel.display().to_string());
        let resolved = match fs_err::canonicalize(root.join(&rel)) {
            Ok(resolved) => resolved,
            Err(_) => {
                return Err(invalid(format!(
                    "{field} {shown} does not exist in the recipe directory"
                )))
            }
        };
        if !resolved.starts_with(&root) {
            return Err(invalid(format!(
                "{field} {shown} leads outside the recipe directory (to {})",
                excerpt(&resolved.display().to_string())
            )));
        }
        if field.ends_with(".path") && resolved.is_dir() {
            check_tree_links(&resolved, &resolved).map_err(|found| match found {
                LinkProblem::Escapes { link, target } | LinkProblem::Dangling { link, target } => {
                    invalid(format!(
                        "{field} {shown} holds the symlink `{}` → {}, which leads outside the source",
                        link.strip_prefix(&resolved).unwrap_or(&link).display(),
                        excerpt(&target.display().to_string())
                    ))
                }
                LinkProblem::Io { path, source } => ConfineError::Io {
                    recipe: recipe.file.path.clone(),
                    path,
                    source,
                },
            })?;
        }
    }
    Ok(())
}

enum LinkProblem {
    Escapes {
        link: PathBuf,
        target: PathBuf,
    },
    Dangling {
        link: PathBuf,
        target: PathBuf,
    },
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Walk `dir` (not following symlinks) and check that every symlink resolves to a path inside `root`.
fn check_tree_links(root: &Path, dir: &Path) -> Result<(), LinkProblem> {
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| LinkProblem::Io {
            path: e.path().unwrap_or(dir).to_path_buf(),
            source: e.into(),
        })?;
        if !entry.path_is_symlink() {
            continue;
        }
        let link = entry.path().to_path_buf();
        let target = fs_err::read_link(&link).map_err(|source| LinkProblem::Io {
            path: link.clone(),
            source,
        })?;
        match fs_err::canonicalize(&link) {
            Ok(resolved) if resolved.starts_with(root) => {}
            Ok(_) => return Err(LinkProblem::Escapes { link, target }),
            Err(_) => return Err(LinkProblem::Dangling { link, target }),
        }
    }
    Ok(())
}
