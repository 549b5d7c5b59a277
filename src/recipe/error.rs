//! Recipe errors as miette diagnostics: the file, the span, what is wrong and how to fix it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{Diagnostic, NamedSource, SourceSpan};

use super::Span;

/// The most characters of one line a report shows.
pub const MAX_SHOWN_LINE: usize = 200;

/// The text of a recipe file with its path, so an error can show the offending line.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path as given by the user (shown in errors).
    pub path: PathBuf,
    /// The whole file.
    pub text: Arc<str>,
}

impl SourceFile {
    /// A source file from its path and text.
    pub fn new(path: &Path, text: &str) -> Self {
        Self {
            path: path.to_path_buf(),
            text: Arc::from(text),
        }
    }

    fn named(&self) -> NamedSource<String> {
        NamedSource::new(self.path.display().to_string(), self.text.to_string())
    }

    /// The file's text with every line cut to [`MAX_SHOWN_LINE`] characters, and `span` moved to match (line
    /// and column numbers are unchanged), so that a report never echoes a huge value whole.
    fn shown(&self, span: Span) -> (NamedSource<String>, Span) {
        if self.text.lines().all(|line| line.len() <= MAX_SHOWN_LINE) {
            return (self.named(), span);
        }
        let mut text = String::with_capacity(self.text.len().min(1 << 16));
        let mut shown = span;
        let mut offset = 0;
        for line in self.text.split_inclusive('\n') {
            let body = line.trim_end_matches('\n');
            let cut = match body.char_indices().nth(MAX_SHOWN_LINE) {
                Some((at, _)) => at,
                None => body.len(),
            };
            let map = |pos: usize| text.len() + pos.saturating_sub(offset).min(cut);
            if (offset..offset + line.len()).contains(&span.start) {
                shown.start = map(span.start);
            }
            if (offset..=offset + line.len()).contains(&span.end) {
                shown.end = map(span.end).max(shown.start);
            }
            text.push_str(&body[..cut]);
            if cut < body.len() {
                text.push('…');
            }
            if line.ends_with('\n') {
                text.push('\n');
            }
            offset += line.len();
        }
        (
            NamedSource::new(self.path.display().to_string(), text),
            shown,
        )
    }

    /// An [`RecipeError::Invalid`] pointing at `span` of this file.
    pub fn invalid(
        &self,
        span: Span,
        message: impl Into<String>,
        help: Option<&str>,
    ) -> RecipeError {
        let (src, span) = self.shown(span);
        RecipeError::Invalid {
            src,
            span: span.into(),
            message: message.into(),
            help: help.map(str::to_string),
        }
    }
}

/// Everything that can be wrong with a recipe file, before or while rendering it.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum RecipeError {
    /// The recipe file could not be read.
    #[error("cannot read recipe {}", path.display())]
    #[diagnostic(code(archi::recipe::read))]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The recipe is malformed or a value in it is wrong: the span points at it.
    #[error("{message}")]
    #[diagnostic(code(archi::recipe::invalid))]
    Invalid {
        /// The recipe file.
        #[source_code]
        src: NamedSource<String>,
        /// Where in the file.
        #[label("here")]
        span: SourceSpan,
        /// What is wrong.
        message: String,
        /// How to fix it.
        #[help]
        help: Option<String>,
    },
}

impl RecipeError {
    /// Turn a `toml` deserialisation error into a diagnostic: syntax errors, wrong types and unknown keys, the
    /// latter with the valid keys as help (as cargo reports unknown manifest keys).
    pub fn from_toml(file: &SourceFile, err: &toml::de::Error) -> Self {
        let span = err.span().map(Span::from).unwrap_or_default();
        let message = err.message().trim().to_string();
        if let Some((unknown, expected)) = split_unknown_field(&message) {
            return file.invalid(
                span,
                format!("unknown key {unknown}"),
                Some(&format!("valid keys here: {expected}")),
            );
        }
        file.invalid(span, message, None)
    }

    /// The help text, if the error has one.
    pub fn help_text(&self) -> Option<String> {
        match self {
            RecipeError::Invalid { help, .. } => help.clone(),
            RecipeError::Read { .. } => None,
        }
    }
}

/// `unknown field `x`, expected one of `a`, `b`` → (`` `x` ``, "a, b").
fn split_unknown_field(message: &str) -> Option<(String, String)> {
    let rest = message.strip_prefix("unknown field ")?;
    let (unknown, expected) = rest.split_once(", expected ")?;
    let expected = expected.trim_start_matches("one of ").replace('`', "");
    Some((unknown.to_string(), expected))
}
