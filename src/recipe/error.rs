//! Recipe errors as miette diagnostics: the file, the span, what is wrong and how to fix it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{Diagnostic, NamedSource, SourceSpan};

use super::Span;

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

    /// An [`RecipeError::Invalid`] pointing at `span` of this file.
    pub fn invalid(
        &self,
        span: Span,
        message: impl Into<String>,
        help: Option<&str>,
    ) -> RecipeError {
        RecipeError::Invalid {
            src: self.named(),
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
