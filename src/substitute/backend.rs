//! Where a substituter's files live, through the `object_store` crate: `http(s)://` (GET to read, PUT to write,
//! as a WebDAV server such as nginx with `dav_methods PUT; create_full_put_path on;` serves them; connect timeout
//! 10 s, whole request 30 min, two retries), `file://` (a directory; writes are temp file + rename) and
//! `s3://bucket/prefix` (credentials and region from the `AWS_*` environment variables, as object_store's
//! `AmazonS3Builder::from_env`). Uploads are read into memory first (one PUT per file).

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};

/// A failed request or local write, naming the URL.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The substituter URL is not one archi can use.
    #[error("substituter `{url}`: {reason}")]
    Url {
        /// The URL as configured.
        url: String,
        /// Why.
        reason: String,
    },
    /// A GET or PUT failed (server error, connection lost, refused write).
    #[error("{url}: {source}")]
    Request {
        /// The object's URL.
        url: String,
        /// The cause.
        #[source]
        source: object_store::Error,
    },
    /// Writing the downloaded bytes into the local temp file failed.
    #[error("{url}: cannot write the download to {path}: {source}")]
    Local {
        /// The object's URL.
        url: String,
        /// The temp file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// One substituter's object store and the runtime its requests run on.
pub struct Backend {
    url: String,
    store: Arc<dyn ObjectStore>,
    runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Backend({})", self.url)
    }
}

/// Retries of a failed request: few and short, since a missing or broken cache only means building locally.
fn retry() -> object_store::RetryConfig {
    object_store::RetryConfig {
        max_retries: 2,
        retry_timeout: Duration::from_secs(10),
        backoff: object_store::BackoffConfig::default(),
    }
}

impl Backend {
    /// Open the store `url` names (`http://`, `https://`, `file:///abs/dir`, `s3://bucket[/prefix]`). Nothing is
    /// requested yet. Errors: [`BackendError::Url`] for another scheme, a relative file path or a bad S3 setup.
    pub fn open(url: &str) -> Result<Backend, BackendError> {
        let bad = |reason: String| BackendError::Url {
            url: url.to_string(),
            reason,
        };
        let parsed = url::Url::parse(url).map_err(|e| bad(e.to_string()))?;
        let store: Arc<dyn ObjectStore> = match parsed.scheme() {
            "http" | "https" => {
                let base = url.trim_end_matches('/');
                // A large package over a slow link takes long; a server that does not answer fails fast.
                let options = object_store::ClientOptions::new()
                    .with_allow_http(true)
                    .with_connect_timeout(Duration::from_secs(10))
                    .with_timeout(Duration::from_secs(30 * 60));
                Arc::new(
                    object_store::http::HttpBuilder::new()
                        .with_url(base)
                        .with_client_options(options)
                        .with_retry(retry())
                        .build()
                        .map_err(|e| bad(e.to_string()))?,
                )
            }
            "file" => {
                let dir = parsed
                    .to_file_path()
                    .map_err(|()| bad("not an absolute local path".into()))?;
                fs_err::create_dir_all(&dir).map_err(|e| bad(e.to_string()))?;
                Arc::new(
                    object_store::local::LocalFileSystem::new_with_prefix(&dir)
                        .map_err(|e| bad(e.to_string()))?,
                )
            }
            "s3" => {
                let bucket = parsed
                    .host_str()
                    .ok_or_else(|| bad("no bucket".into()))?
                    .to_string();
                let s3 = object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_retry(retry())
                    .build()
                    .map_err(|e| bad(e.to_string()))?;
                let prefix = parsed.path().trim_matches('/');
                match prefix {
                    "" => Arc::new(s3),
                    prefix => Arc::new(object_store::prefix::PrefixStore::new(
                        s3,
                        ObjectPath::from(prefix),
                    )),
                }
            }
            other => {
                return Err(bad(format!(
                    "unknown scheme `{other}` (http, https, file, s3)"
                )))
            }
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("archi-substitute")
            .enable_all()
            .build()
            .map_err(|e| bad(format!("cannot start its I/O runtime: {e}")))?;
        Ok(Backend {
            url: url.trim_end_matches('/').to_string(),
            store,
            runtime,
        })
    }

    /// The URL as configured (without a trailing `/`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `<url>/<name>`, for messages.
    pub fn object_url(&self, name: &str) -> String {
        format!("{}/{name}", self.url)
    }

    fn path(&self, name: &str) -> Result<ObjectPath, BackendError> {
        ObjectPath::parse(name).map_err(|e| BackendError::Url {
            url: self.object_url(name),
            reason: e.to_string(),
        })
    }

    fn request(&self, name: &str) -> impl Fn(object_store::Error) -> BackendError + '_ {
        let url = self.object_url(name);
        move |source| BackendError::Request {
            url: url.clone(),
            source,
        }
    }

    /// The bytes of `name` (a small file: an entry), or `None` when the server does not have it.
    /// Errors: [`BackendError::Request`].
    pub fn get_bytes(&self, name: &str) -> Result<Option<Vec<u8>>, BackendError> {
        let path = self.path(name)?;
        self.runtime.block_on(async {
            match self.store.get(&path).await {
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(self.request(name)(e)),
                Ok(result) => Ok(Some(
                    result.bytes().await.map_err(self.request(name))?.to_vec(),
                )),
            }
        })
    }

    /// Stream `name` into `file` (a temp file the caller owns and removes on error); returns the bytes written,
    /// or `None` when the server does not have it. A connection lost mid-body is an error.
    /// Errors: [`BackendError::Request`], [`BackendError::Local`].
    pub fn get_to_file(
        &self,
        name: &str,
        file: &mut std::fs::File,
        file_path: &Path,
    ) -> Result<Option<u64>, BackendError> {
        let path = self.path(name)?;
        self.runtime.block_on(async {
            let result = match self.store.get(&path).await {
                Err(object_store::Error::NotFound { .. }) => return Ok(None),
                Err(e) => return Err(self.request(name)(e)),
                Ok(result) => result,
            };
            let mut stream = result.into_stream();
            let mut written = 0u64;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(self.request(name))?;
                file.write_all(&chunk)
                    .map_err(|source| BackendError::Local {
                        url: self.object_url(name),
                        path: file_path.to_path_buf(),
                        source,
                    })?;
                written += chunk.len() as u64;
            }
            Ok(Some(written))
        })
    }

    /// Upload `bytes` as `name` (PUT; on `file://` a temp file renamed into place).
    /// Errors: [`BackendError::Request`].
    pub fn put(&self, name: &str, bytes: Vec<u8>) -> Result<(), BackendError> {
        let path = self.path(name)?;
        self.runtime.block_on(async {
            self.store
                .put(&path, PutPayload::from(bytes))
                .await
                .map(|_| ())
                .map_err(self.request(name))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_url_cache_writes_reads_streams_and_misses() {
        let dir = tempfile::tempdir().unwrap();
        let url = url::Url::from_directory_path(dir.path().join("cache")).unwrap();
        let backend = Backend::open(url.as_str()).unwrap();
        assert_eq!(backend.get_bytes("missing.entry.json").unwrap(), None);
        backend
            .put("k/a.conda", b"artifact bytes".to_vec())
            .unwrap();
        backend.put("k.entry.json", b"{}".to_vec()).unwrap();
        assert_eq!(
            fs_err::read(dir.path().join("cache/k/a.conda")).unwrap(),
            b"artifact bytes"
        );
        assert_eq!(
            backend.get_bytes("k.entry.json").unwrap(),
            Some(b"{}".to_vec())
        );
        let out = dir.path().join("download");
        let mut file = fs_err::File::create(&out).unwrap().into_parts().0;
        assert_eq!(
            backend.get_to_file("k/a.conda", &mut file, &out).unwrap(),
            Some(14)
        );
        assert_eq!(fs_err::read(&out).unwrap(), b"artifact bytes");
        assert_eq!(
            backend
                .get_to_file("k/none.conda", &mut file, &out)
                .unwrap(),
            None
        );
    }

    #[test]
    fn unknown_schemes_and_relative_paths_are_refused_naming_the_url() {
        let err = Backend::open("ftp://host/cache").unwrap_err().to_string();
        assert!(
            err.contains("ftp://host/cache") && err.contains("unknown scheme"),
            "{err}"
        );
        assert!(Backend::open("cache/dir").is_err());
    }
}
