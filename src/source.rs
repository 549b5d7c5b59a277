//! (being written by the source helper; these are the agreed types)
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
/// Where a source comes from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum SourceOrigin {
    /// Downloadable.
    Url {
        url: Vec<url::Url>,
        sha256: String,
        file_name: Option<String>,
    },
    /// requireFile.
    File {
        file_name: String,
        sha256: String,
        note: Option<String>,
    },
    /// Local.
    Path { path: PathBuf },
}
/// A source.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SourceSpec {
    pub origin: SourceOrigin,
    pub patches: Vec<PathBuf>,
    pub target_directory: Option<PathBuf>,
}
