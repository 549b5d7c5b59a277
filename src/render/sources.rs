//! Rendering `[[source]]` tables: sha256, URLs, file names and paths checked, archive limits parsed.

use std::path::PathBuf;

use crate::recipe::{RecipeError, Span};
use crate::source::{SourceOrigin, SourceSpec};

use super::checks::{self, excerpt};
use super::Renderer;

impl Renderer<'_> {
    /// Render `[[source]]` number `index`, checking its sha256, URLs, file name and paths.
    pub(super) fn source(
        &mut self,
        index: usize,
        section: &toml::Spanned<crate::recipe::SourceSection>,
    ) -> Result<SourceSpec, RecipeError> {
        let s = section.get_ref();
        let field = format!("source[{index}]");
        let sha256 = match &s.sha256 {
            Some(t) => {
                let hash = self.render(t)?.to_ascii_lowercase();
                if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(self.invalid(
                        t,
                        format!("sha256 must be 64 hex digits, not {}", excerpt(&hash)),
                    ));
                }
                Some(hash)
            }
            None => None,
        };
        let file_name = match &s.file_name {
            Some(t) => {
                let name = self.render(t)?;
                let path = checks::relative_path(&name, "the source cache").map_err(|reason| {
                    self.invalid(t, format!("{field}.file_name {} {reason}", excerpt(&name)))
                })?;
                Some(path.display().to_string())
            }
            None => None,
        };
        let origin = if let Some(urls) = &s.url {
            let mut parsed = Vec::new();
            let span = Span::from(urls.span());
            if urls.get_ref().as_slice().is_empty() {
                return Err(self.recipe.file.invalid(
                    span,
                    format!("{field}.url lists no URL"),
                    Some("give the download URL (and mirrors after it): `url = \"https://…\"`"),
                ));
            }
            for template in urls.get_ref().as_slice() {
                let text = self.render_text(template, span)?;
                let invalid = |reason: String| {
                    self.recipe.file.invalid(
                        span,
                        format!("invalid URL {}: {reason}", excerpt(&text)),
                        None,
                    )
                };
                if let Some(reason) = checks::single_line(&text) {
                    return Err(invalid(reason));
                }
                let url = url::Url::parse(&text).map_err(|e| invalid(e.to_string()))?;
                parsed.push(url);
            }
            SourceOrigin::Url {
                url: parsed,
                sha256: sha256.unwrap_or_default(),
                file_name,
            }
        } else if let Some(file_name) = file_name {
            let note = s.note.as_ref().map(|t| self.render(t)).transpose()?;
            SourceOrigin::File {
                file_name,
                sha256: sha256.unwrap_or_default(),
                note,
            }
        } else if let Some(t) = &s.cargo_vendor {
            let text = self.render(t)?;
            let manifest =
                checks::relative_path(&text, "the source tree (SRC_DIR)").map_err(|reason| {
                    self.invalid(
                        t,
                        format!("{field}.cargo_vendor {} {reason}", excerpt(&text)),
                    )
                })?;
            if let Some(patch) = s.patches.first() {
                return Err(self.invalid(
                    patch,
                    format!("{field}: a cargo_vendor source takes no patches (cargo checks every vendored file against its checksum)"),
                ));
            }
            SourceOrigin::CargoVendor {
                manifest,
                sha256: sha256.unwrap_or_default(),
            }
        } else {
            let path =
                match &s.path {
                    Some(t) => self.recipe_path(t, &format!("{field}.path"))?,
                    None => return Err(self.recipe.file.invalid(
                        Span::from(section.span()),
                        "a [[source]] needs one of `url`, `file_name`, `path` or `cargo_vendor`",
                        None,
                    )),
                };
            SourceOrigin::Path { path }
        };
        let mut patches = Vec::new();
        for (i, t) in s.patches.iter().enumerate() {
            patches.push(self.recipe_path(t, &format!("{field}.patches[{i}]"))?);
        }
        let target_directory = match &s.target_directory {
            Some(t) => {
                let dir = self.render(t)?;
                let path = checks::relative_path(&dir, "SRC_DIR").map_err(|reason| {
                    self.invalid(
                        t,
                        format!("{field}.target_directory {} {reason}", excerpt(&dir)),
                    )
                })?;
                Some(path)
            }
            // The vendored crates never land in SRC_DIR itself, beside the project's own files.
            None if matches!(origin, SourceOrigin::CargoVendor { .. }) => {
                Some(PathBuf::from(crate::source::cargo::DEFAULT_VENDOR_DIR))
            }
            None => None,
        };
        Ok(SourceSpec {
            origin,
            patches,
            target_directory,
            limits: self.source_limits(s)?,
        })
    }

    /// A source's `max_unpacked_size` (a size with a unit) and `max_expansion_ratio` (more than 0).
    fn source_limits(
        &mut self,
        s: &crate::recipe::SourceSection,
    ) -> Result<crate::source::LimitOverrides, RecipeError> {
        let max_unpacked_size = match &s.max_unpacked_size {
            Some(t) => {
                let text = self.render(t)?;
                Some(
                    crate::source::parse_size(&text)
                        .map_err(|m| self.invalid(t, format!("max_unpacked_size must be {m}")))?,
                )
            }
            None => None,
        };
        let max_expansion_ratio = match &s.max_expansion_ratio {
            Some(n) if *n.get_ref() == 0 => {
                let span = Span::from(n.span());
                let message = "max_expansion_ratio must be more than 0";
                return Err(self.recipe.file.invalid(span, message, None));
            }
            Some(n) => Some(*n.get_ref()),
            None => None,
        };
        Ok(crate::source::LimitOverrides {
            max_unpacked_size,
            max_expansion_ratio,
        })
    }
}
