//! Channels that are plain storage: a directory on this machine (`file://`) and an S3-compatible bucket
//! (`s3://bucket/prefix`, through the `object_store` crate).
//!
//! A directory channel is written exactly as archi's local channel is ([`crate::channel::publish`]): under its
//! lock file, archive and index files written to temp files and renamed, a journal that the next writer uses to
//! finish a publish a crash interrupted. So a failed copy (a full disk) leaves the channel as it was.
//!
//! A bucket has no lock: the archive is put first, then the subdir's `repodata.json` is read, the archive's record
//! (index.json plus md5, sha256 and size, as conda-index writes it) inserted and the file put back, with an empty
//! `noarch/repodata.json` put when missing. Object stores replace an object whole on put, so a reader sees the old
//! or the new index; two concurrent writers to one bucket can lose one another's record (run one upload at a
//! time, or re-index).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ::object_store::path::Path as ObjectPath;
use ::object_store::ObjectStore;
use url::Url;

use super::{Artifact, Outcome, UploadError, Uploader};
use crate::channel;

/// A channel directory on this machine.
#[derive(Debug, Clone)]
pub struct DirChannel {
    dir: PathBuf,
    force: bool,
}

impl DirChannel {
    /// The channel at `dir` (created on the first upload).
    pub fn new(dir: &Path, force: bool) -> DirChannel {
        DirChannel {
            dir: dir.to_path_buf(),
            force,
        }
    }

    fn channel_error(&self, source: channel::ChannelError) -> UploadError {
        UploadError::Channel {
            dir: self.dir.clone(),
            source,
        }
    }
}

impl Uploader for DirChannel {
    fn upload(&self, artifact: &Artifact) -> Result<Outcome, UploadError> {
        let dest = self.dir.join(&artifact.subdir).join(&artifact.file_name);
        if dest.is_file() {
            let remote = crate::source::sha256_file(&dest).map_err(|e| UploadError::Archive {
                path: dest.clone(),
                reason: e.to_string(),
            })?;
            let listed = channel::read_repodata(&self.dir, &artifact.subdir)
                .map(|r| {
                    r.conda_packages
                        .keys()
                        .chain(r.packages.keys())
                        .any(|f| f.to_string() == artifact.file_name)
                })
                .unwrap_or(false);
            if remote == artifact.sha256 && listed {
                return Ok(Outcome::Skipped);
            }
            if remote != artifact.sha256 && !self.force {
                return Err(UploadError::Conflict {
                    server: self.describe(),
                    file: artifact.file_name.clone(),
                    local: artifact.sha256.clone(),
                    remote,
                });
            }
        }
        channel::publish(&self.dir, &artifact.path).map_err(|e| self.channel_error(e))?;
        Ok(Outcome::Uploaded)
    }

    fn describe(&self) -> String {
        format!("channel directory {}", self.dir.display())
    }
}

/// A channel in an S3-compatible bucket.
#[derive(Debug)]
pub struct S3Channel {
    store: StoreChannel,
}

impl S3Channel {
    /// The channel at `url` (`s3://bucket/prefix`); region, endpoint (`AWS_ENDPOINT`, `AWS_ALLOW_HTTP` for a local
    /// server) and credentials come from the `AWS_*` environment variables as object_store reads them.
    ///
    /// Errors: [`UploadError::ObjectStore`] when the URL or configuration is not usable.
    pub fn new(url: &Url, force: bool) -> Result<S3Channel, UploadError> {
        let bucket_url = format!("s3://{}", url.host_str().unwrap_or_default());
        let s3 = ::object_store::aws::AmazonS3Builder::from_env()
            .with_url(bucket_url)
            .build()
            .map_err(|e| UploadError::ObjectStore {
                url: url.to_string(),
                what: "configuring the bucket".into(),
                reason: e.to_string(),
            })?;
        Ok(S3Channel {
            store: StoreChannel::new(Arc::new(s3), url.path(), url.as_str(), force),
        })
    }
}

impl Uploader for S3Channel {
    fn upload(&self, artifact: &Artifact) -> Result<Outcome, UploadError> {
        self.store.upload(artifact)
    }

    fn describe(&self) -> String {
        self.store.describe()
    }
}

/// A channel in any object store under a prefix: the logic behind [`S3Channel`], testable on an in-memory store.
pub struct StoreChannel {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    label: String,
    force: bool,
}

impl std::fmt::Debug for StoreChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreChannel")
            .field("label", &self.label)
            .field("force", &self.force)
            .finish()
    }
}

impl StoreChannel {
    /// The channel under `prefix` (`/` separated, leading and trailing slashes ignored) of `store`, called `label`
    /// in messages.
    pub fn new(
        store: Arc<dyn ObjectStore>,
        prefix: &str,
        label: &str,
        force: bool,
    ) -> StoreChannel {
        StoreChannel {
            store,
            prefix: prefix.trim_matches('/').to_string(),
            label: label.to_string(),
            force,
        }
    }

    fn path(&self, subdir: &str, file: &str) -> ObjectPath {
        if self.prefix.is_empty() {
            ObjectPath::from(format!("{subdir}/{file}"))
        } else {
            ObjectPath::from(format!("{}/{subdir}/{file}", self.prefix))
        }
    }

    fn fail(&self, what: String, err: impl std::fmt::Display) -> UploadError {
        UploadError::ObjectStore {
            url: self.label.clone(),
            what,
            reason: err.to_string(),
        }
    }

    /// The subdir's repodata.json, or an empty one.
    async fn repodata(&self, subdir: &str) -> Result<serde_json::Value, UploadError> {
        let path = self.path(subdir, "repodata.json");
        match self.store.get(&path).await {
            Ok(found) => {
                let bytes = found
                    .bytes()
                    .await
                    .map_err(|e| self.fail(format!("reading {path}"), e))?;
                serde_json::from_slice(&bytes).map_err(|e| self.fail(format!("parsing {path}"), e))
            }
            Err(::object_store::Error::NotFound { .. }) => Ok(serde_json::json!({
                "info": {"subdir": subdir},
                "packages": {},
                "packages.conda": {},
                "removed": [],
                "repodata_version": 1,
            })),
            Err(e) => Err(self.fail(format!("reading {path}"), e)),
        }
    }

    async fn put_json(&self, subdir: &str, value: &serde_json::Value) -> Result<(), UploadError> {
        let path = self.path(subdir, "repodata.json");
        let bytes =
            serde_json::to_vec_pretty(value).map_err(|e| self.fail("encoding".into(), e))?;
        self.store
            .put(&path, bytes.into())
            .await
            .map_err(|e| self.fail(format!("writing {path}"), e))?;
        Ok(())
    }

    async fn upload_async(&self, artifact: &Artifact) -> Result<Outcome, UploadError> {
        let file = &artifact.file_name;
        let key = if file.ends_with(".conda") {
            "packages.conda"
        } else {
            "packages"
        };
        let mut repodata = self.repodata(&artifact.subdir).await?;
        let listed = repodata[key]
            .get(file)
            .and_then(|r| r.get("sha256"))
            .and_then(|s| s.as_str())
            .map(str::to_string);
        if let Some(outcome) =
            super::against_remote(artifact, listed, self.force, || self.describe())?
        {
            return Ok(outcome);
        }
        let record =
            channel::record_from_archive(&artifact.path).map_err(|e| UploadError::Archive {
                path: artifact.path.clone(),
                reason: e.to_string(),
            })?;
        let bytes = fs_err::read(&artifact.path).map_err(|e| UploadError::Archive {
            path: artifact.path.clone(),
            reason: e.to_string(),
        })?;
        let path = self.path(&artifact.subdir, file);
        self.store
            .put(&path, bytes.into())
            .await
            .map_err(|e| self.fail(format!("writing {path}"), e))?;
        let record = serde_json::to_value(&record).map_err(|e| self.fail("encoding".into(), e))?;
        repodata[key]
            .as_object_mut()
            .ok_or_else(|| self.fail(format!("updating {key}"), "not a JSON object"))?
            .insert(file.clone(), record);
        self.put_json(&artifact.subdir, &repodata).await?;
        if artifact.subdir != "noarch" {
            let noarch = self.path("noarch", "repodata.json");
            if let Err(::object_store::Error::NotFound { .. }) = self.store.head(&noarch).await {
                let empty = self.repodata("noarch").await?;
                self.put_json("noarch", &empty).await?;
            }
        }
        Ok(Outcome::Uploaded)
    }

    /// Put `artifact` and list it in its subdir's repodata.json (see the module docs).
    ///
    /// Errors: [`UploadError::Conflict`] for a listed file with another sha256 (without `force`),
    /// [`UploadError::ObjectStore`] naming the object that could not be read or written.
    pub fn upload(&self, artifact: &Artifact) -> Result<Outcome, UploadError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| self.fail("starting the I/O runtime".into(), e))?;
        runtime.block_on(self.upload_async(artifact))
    }

    /// The channel for messages.
    pub fn describe(&self) -> String {
        format!("object store channel {}", self.label)
    }
}
