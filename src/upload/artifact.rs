//! The local archives an upload sends: read once for their index.json, about.json and digests.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use rattler_conda_types::package::{AboutJson, IndexJson};

use super::UploadError;

/// One `.conda` or `.tar.bz2` archive with what the servers are told about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// The file on disk.
    pub path: PathBuf,
    /// Its file name (`zlib-1.3-h1234_0.conda`), the name it has on the server.
    pub file_name: String,
    /// `name` of info/index.json.
    pub name: String,
    /// `version` of info/index.json.
    pub version: String,
    /// `subdir` of info/index.json (`linux-64`, `noarch`).
    pub subdir: String,
    /// sha256 of the file, lowercase hex.
    pub sha256: String,
    /// md5 of the file, lowercase hex.
    pub md5: String,
    /// md5 of the file, base64 (the `Content-MD5` form field S3 checks, RFC 1864).
    pub md5_base64: String,
    /// Size in bytes.
    pub size: u64,
    /// info/index.json as JSON (anaconda's `attrs`).
    pub index_json: serde_json::Value,
    /// `summary` of info/about.json, if any.
    pub summary: Option<String>,
    /// `license` of info/about.json, if any.
    pub license: Option<String>,
}

impl Artifact {
    /// Read `path`'s info/index.json and info/about.json and hash it.
    ///
    /// Errors: [`UploadError::Archive`] naming the file when it is not a `.conda`/`.tar.bz2`, cannot be read, or its
    /// index.json lacks a subdir.
    pub fn read(path: &Path) -> Result<Artifact, UploadError> {
        let fail = |reason: String| UploadError::Archive {
            path: path.to_path_buf(),
            reason,
        };
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| n.ends_with(".conda") || n.ends_with(".tar.bz2"))
            .ok_or_else(|| fail("not a .conda or .tar.bz2 file".into()))?
            .to_string();
        let index: IndexJson = rattler_package_streaming::seek::read_package_file(path)
            .map_err(|e| fail(format!("info/index.json: {e}")))?;
        let about: Option<AboutJson> =
            rattler_package_streaming::seek::read_package_file(path).ok();
        let subdir = index
            .subdir
            .clone()
            .ok_or_else(|| fail("info/index.json has no subdir".into()))?;
        let mut file = fs_err::File::open(path).map_err(|e| fail(e.to_string()))?;
        let digests =
            crate::digest::hash_stream(&mut file, None).map_err(|e| fail(e.to_string()))?;
        let index_json = serde_json::to_value(&index).map_err(|e| fail(e.to_string()))?;
        Ok(Artifact {
            path: path.to_path_buf(),
            file_name,
            name: index.name.as_normalized().to_string(),
            version: index.version.to_string(),
            subdir,
            sha256: digests.sha256_hex(),
            md5: crate::digest::hex(&digests.md5),
            md5_base64: base64::engine::general_purpose::STANDARD.encode(digests.md5),
            size: digests.size,
            index_json,
            summary: about.as_ref().and_then(|a| a.summary.clone()),
            license: about.as_ref().and_then(|a| a.license.clone()),
        })
    }
}

impl Artifact {
    /// Fails with [`UploadError::Archive`] when the file cannot be opened (checked before a request that streams
    /// it, whose body is opened again for each attempt).
    pub fn check_readable(&self) -> Result<(), UploadError> {
        fs_err::File::open(&self.path)
            .map(|_| ())
            .map_err(|e| UploadError::Archive {
                path: self.path.clone(),
                reason: e.to_string(),
            })
    }
}

/// The archives named by `paths`: each a `.conda`/`.tar.bz2` file, or a channel directory whose subdirs'
/// archives are all taken ([`crate::channel::archives`]). Sorted by subdir and file name, duplicates dropped.
///
/// Errors: [`UploadError::Archive`] for a path that is neither, a directory without archives, or an archive that
/// cannot be read.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<Artifact>, UploadError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let found = crate::channel::archives(path).map_err(|source| UploadError::Channel {
                dir: path.clone(),
                source,
            })?;
            if found.is_empty() {
                return Err(UploadError::Archive {
                    path: path.clone(),
                    reason: "the directory holds no package archives in subdir directories \
                             (linux-64/, noarch/, …)"
                        .into(),
                });
            }
            files.extend(found);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            return Err(UploadError::Archive {
                path: path.clone(),
                reason: "no such file or directory".into(),
            });
        }
    }
    let mut artifacts = files
        .iter()
        .map(|f| Artifact::read(f))
        .collect::<Result<Vec<_>, _>>()?;
    artifacts.sort_by(|a, b| (&a.subdir, &a.file_name).cmp(&(&b.subdir, &b.file_name)));
    artifacts.dedup_by(|a, b| a.subdir == b.subdir && a.file_name == b.file_name);
    Ok(artifacts)
}
