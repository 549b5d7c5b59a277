//! The `repodata.json` file of one subdir, as archi writes it.
//!
//! Serialised with serde over `BTreeMap`s, so keys come out sorted: `info`, `packages`, `packages.conda`,
//! `removed`, `repodata_version` at the top, file names sorted, and record fields sorted (rattler's
//! `PackageRecord` declares them in alphabetical order). Written pretty-printed with two-space indents and a final
//! newline, as conda-index does by default. `removed` is always written (empty), unlike rattler's `RepoData`
//! which omits it when empty.

use std::collections::BTreeMap;
use std::path::Path;

use rattler_conda_types::PackageRecord;
use serde::{Deserialize, Serialize};

use super::{write_atomic, ChannelError};

/// zstd level of a large `repodata.json.zst` (conda-index uses 16 as well). Compressed in one call with the size
/// known, so zstd sizes its tables to the file instead of allocating (and zeroing) tens of MB for an unknown stream.
const ZSTD_LEVEL: i32 = 16;
/// Below this many bytes of JSON (a local channel of a few hundred packages) repodata is compressed at
/// [`SMALL_ZSTD_LEVEL`]: it is rewritten on every publish, and at 16 zstd's optimal parser (btultra2 for small
/// inputs) was ~8 % of a trivial build's CPU in a run of fifty (benches/rattler_build.py, perf).
const SMALL_REPODATA_BYTES: usize = 1 << 20;
/// zstd level for repodata under [`SMALL_REPODATA_BYTES`].
const SMALL_ZSTD_LEVEL: i32 = 3;

/// Which repodata map an archive belongs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArchiveKind {
    /// `.tar.bz2`, listed under `packages`.
    TarBz2,
    /// `.conda`, listed under `packages.conda`.
    Conda,
}

impl ArchiveKind {
    /// The kind of archive `path` names, by its extension.
    pub(crate) fn of(path: &Path) -> Result<ArchiveKind, ChannelError> {
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default();
        if name.ends_with(".conda") {
            Ok(ArchiveKind::Conda)
        } else if name.ends_with(".tar.bz2") {
            Ok(ArchiveKind::TarBz2)
        } else {
            Err(ChannelError::UnsupportedArchive {
                path: path.to_path_buf(),
            })
        }
    }
}

/// `info` of a repodata file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RepodataInfo {
    pub(crate) subdir: String,
}

/// The whole `repodata.json` of one subdir.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RepodataJson {
    pub(crate) info: RepodataInfo,
    #[serde(default)]
    pub(crate) packages: BTreeMap<String, PackageRecord>,
    #[serde(default, rename = "packages.conda")]
    pub(crate) conda_packages: BTreeMap<String, PackageRecord>,
    #[serde(default)]
    pub(crate) removed: Vec<String>,
    pub(crate) repodata_version: u64,
}

impl RepodataJson {
    /// An index of `subdir` with no packages.
    pub(crate) fn empty(subdir: &str) -> RepodataJson {
        RepodataJson {
            info: RepodataInfo {
                subdir: subdir.to_string(),
            },
            packages: BTreeMap::new(),
            conda_packages: BTreeMap::new(),
            removed: Vec::new(),
            repodata_version: 1,
        }
    }

    /// Adds or replaces the record of archive `file_name`.
    pub(crate) fn insert(&mut self, kind: ArchiveKind, file_name: String, record: PackageRecord) {
        match kind {
            ArchiveKind::TarBz2 => self.packages.insert(file_name, record),
            ArchiveKind::Conda => self.conda_packages.insert(file_name, record),
        };
    }

    /// The archive file names listed in both maps.
    pub(crate) fn file_names(&self) -> std::collections::BTreeSet<String> {
        self.packages
            .keys()
            .chain(self.conda_packages.keys())
            .cloned()
            .collect()
    }

    /// Number of records in both maps.
    pub(crate) fn len(&self) -> usize {
        self.packages.len() + self.conda_packages.len()
    }

    /// The file's bytes: pretty JSON with sorted keys and a final newline.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("repodata always serialises");
        bytes.push(b'\n');
        bytes
    }
}

/// Reads `<dir>/repodata.json`, or an empty index of `subdir` when there is none yet.
pub(crate) fn read_or_empty(dir: &Path, subdir: &str) -> Result<RepodataJson, ChannelError> {
    let path = dir.join("repodata.json");
    match fs_err::read(&path) {
        Ok(bytes) => {
            let mut repodata: RepodataJson = serde_json::from_slice(&bytes)
                .map_err(|source| ChannelError::Json { path, source })?;
            repodata.info.subdir = subdir.to_string();
            Ok(repodata)
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(RepodataJson::empty(subdir)),
        Err(source) => Err(ChannelError::Read { path, source }),
    }
}

/// Writes `<dir>/repodata.json` and `<dir>/repodata.json.zst`, each atomically.
pub(crate) fn write(dir: &Path, repodata: &RepodataJson) -> Result<(), ChannelError> {
    let bytes = repodata.to_bytes();
    let zst_path = dir.join("repodata.json.zst");
    let level = match bytes.len() < SMALL_REPODATA_BYTES {
        true => SMALL_ZSTD_LEVEL,
        false => ZSTD_LEVEL,
    };
    let compressed =
        zstd::bulk::compress(bytes.as_slice(), level).map_err(|source| ChannelError::Write {
            path: zst_path.clone(),
            source,
        })?;
    write_atomic(&dir.join("repodata.json"), &bytes)?;
    write_atomic(&zst_path, &compressed)
}
