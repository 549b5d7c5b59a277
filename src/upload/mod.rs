//! Publishing packages to a remote channel: `archi upload --to URL` and `archi build --upload URL`.
//!
//! Targets ([`Kind`]), chosen by the URL's scheme or `--kind`:
//! - **quetz** (mamba-org/quetz): `POST /api/channels/{channel}/upload/{file}?sha256=…&force=…` with the
//!   `X-API-Key` header; what the channel has is read from `/get/{channel}/{subdir}/repodata.json` ([`quetz`]).
//! - **anaconda** (anaconda.org's API as anaconda-client and rattler-build use it): package, release, stage,
//!   multipart POST of the file to the staged `post_url`, commit; `Authorization: token …` ([`anaconda`]).
//! - **dir** (`file://`): a channel directory on this machine, written under its lock with atomic writes and
//!   re-indexed as the local channel is ([`crate::channel::publish`]).
//! - **s3** (`s3://bucket/prefix`): an S3-compatible bucket through the `object_store` crate: the archive is put,
//!   then the subdir's `repodata.json` is read, updated and put back ([`object_store`]).
//!
//! Every target uploads an archive only when the channel lacks it: one with the same file name and sha256 is
//! skipped ([`Outcome::Skipped`]); one with the same name and another sha256 is refused unless `force`
//! ([`UploadError::Conflict`], naming the file and both digests). Requests are retried on connection errors and
//! 5xx answers ([`http::RetryPolicy`]); 401/403 ends the upload ([`UploadError::Unauthorized`]).
//!
//! Credentials ([`Secret`]) come from an environment variable or a file (`--auth-file`), never from the command
//! line; they are sent in headers only and never appear in messages or logs.

pub mod anaconda;
pub mod http;
pub mod object_store;
pub mod quetz;

mod artifact;
mod sink;
#[cfg(test)]
mod tests;

pub use artifact::{collect, Artifact};
pub use sink::UploadSink;

use std::path::{Path, PathBuf};

use url::Url;

/// Environment variable with the quetz API key.
pub const ARCHI_QUETZ_API_KEY: &str = "ARCHI_QUETZ_API_KEY";
/// Environment variable with the anaconda.org token.
pub const ARCHI_ANACONDA_TOKEN: &str = "ARCHI_ANACONDA_TOKEN";
/// Environment variable with a credential for any target, read when the target's own variable is unset.
pub const ARCHI_UPLOAD_TOKEN: &str = "ARCHI_UPLOAD_TOKEN";

/// The kind of server a channel URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// A quetz server (base URL of the server; `--channel` names the channel).
    Quetz,
    /// anaconda.org's API or a server speaking it (`--owner` names the user or organisation).
    Anaconda,
    /// A channel directory (`file://` URL).
    Dir,
    /// An S3-compatible bucket (`s3://bucket/prefix`; credentials and endpoint from the `AWS_*` variables).
    S3,
}

impl Kind {
    /// The kind a URL implies: `file` → dir, `s3` → s3, `http(s)` → anaconda for the host `api.anaconda.org`,
    /// quetz otherwise. `None` for other schemes.
    pub fn of_url(url: &Url) -> Option<Kind> {
        match url.scheme() {
            "file" => Some(Kind::Dir),
            "s3" => Some(Kind::S3),
            "http" | "https" if url.host_str() == Some("api.anaconda.org") => Some(Kind::Anaconda),
            "http" | "https" => Some(Kind::Quetz),
            _ => None,
        }
    }

    /// The environment variables read for this kind's credential, in order.
    pub fn credential_vars(self) -> &'static [&'static str] {
        match self {
            Kind::Quetz => &[ARCHI_QUETZ_API_KEY, ARCHI_UPLOAD_TOKEN],
            Kind::Anaconda => &[ARCHI_ANACONDA_TOKEN, ARCHI_UPLOAD_TOKEN],
            Kind::Dir | Kind::S3 => &[],
        }
    }
}

/// A credential (API key or token). Its `Debug` shows nothing of it, so it cannot leak into logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The credential's text, for a request header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Where and how to upload.
#[derive(Debug, Clone)]
pub struct Target {
    /// The kind of server.
    pub kind: Kind,
    /// The `--to` URL: a quetz server's base URL, anaconda's API URL, a `file://` directory or an `s3://` prefix.
    pub url: Url,
    /// quetz: the channel (required); anaconda: the label (default `main`).
    pub channel: Option<String>,
    /// anaconda: the user or organisation owning the packages (required).
    pub owner: Option<String>,
    /// Replace a file of the same name with other contents.
    pub force: bool,
    /// Retries of HTTP requests.
    pub retry: http::RetryPolicy,
}

impl Target {
    /// The target named by `to` (a URL, or a directory path for a `file://` channel) and the options. A quetz URL
    /// may name the channel the way clients install from it, `http://host:port/get/CHANNEL`, instead of
    /// `channel`.
    ///
    /// Errors: [`UploadError::Usage`] for a URL whose kind cannot be told, or a channel given twice differently.
    pub fn parse(
        to: &str,
        kind: Option<Kind>,
        channel: Option<String>,
        owner: Option<String>,
        force: bool,
    ) -> Result<Target, UploadError> {
        let mut url = match Url::parse(to) {
            Ok(url) if url.scheme().len() > 1 => url,
            _ => {
                let path = std::path::absolute(to).map_err(|e| UploadError::Usage {
                    message: format!("{to} is neither a URL nor a usable path: {e}"),
                })?;
                Url::from_directory_path(&path).map_err(|()| UploadError::Usage {
                    message: format!("{to} is neither a URL nor a usable path"),
                })?
            }
        };
        let kind = kind
            .or_else(|| Kind::of_url(&url))
            .ok_or_else(|| UploadError::Usage {
                message: format!(
                    "cannot tell what kind of server {url} is; pass --kind quetz|anaconda|dir|s3"
                ),
            })?;
        let mut channel = channel;
        if kind == Kind::Quetz {
            let path = url.path().trim_end_matches('/').to_string();
            if let Some((base, name)) = path.rsplit_once("/get/") {
                if !name.is_empty() && !name.contains('/') {
                    if channel.as_deref().is_some_and(|c| c != name) {
                        return Err(UploadError::Usage {
                            message: format!(
                                "{to} names channel `{name}` but --channel says `{}`",
                                channel.unwrap_or_default()
                            ),
                        });
                    }
                    channel = Some(name.to_string());
                    url.set_path(&format!("{base}/"));
                }
            }
        }
        Ok(Target {
            kind,
            url,
            channel,
            owner,
            force,
            retry: http::RetryPolicy::default(),
        })
    }
}

/// What happened to one archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Sent to the channel.
    Uploaded,
    /// The channel already has a file of that name with the same sha256.
    Skipped,
}

/// The rule every destination applies to a file of `artifact`'s name already in the channel (`remote`: its
/// sha256, `None` when there is none): the same sha256 is [`Outcome::Skipped`]; another is
/// [`UploadError::Conflict`] (naming `server`, the file and both digests) unless `force`. `Ok(None)`: upload.
pub(crate) fn against_remote(
    artifact: &Artifact,
    remote: Option<String>,
    force: bool,
    server: impl FnOnce() -> String,
) -> Result<Option<Outcome>, UploadError> {
    match remote {
        Some(sha) if sha == artifact.sha256 => Ok(Some(Outcome::Skipped)),
        Some(sha) if !force => Err(UploadError::Conflict {
            server: server(),
            file: artifact.file_name.clone(),
            local: artifact.sha256.clone(),
            remote: sha,
        }),
        _ => Ok(None),
    }
}

/// A destination that takes archives one at a time. Implementations are safe to share between build threads.
pub trait Uploader: Send + Sync {
    /// Upload `artifact` unless the channel has it with the same sha256.
    ///
    /// Errors: [`UploadError`], naming the file and the server.
    fn upload(&self, artifact: &Artifact) -> Result<Outcome, UploadError>;

    /// The destination for messages (`quetz channel archi at http://127.0.0.1:8000`).
    fn describe(&self) -> String;
}

/// The uploader for `target`, with `secret` for the servers that need one.
///
/// Errors: [`UploadError::Usage`] when `--channel`/`--owner` is missing or the URL does not fit the kind;
/// [`UploadError::NoCredentials`] when quetz or anaconda has no credential.
pub fn uploader(target: &Target, secret: Option<Secret>) -> Result<Box<dyn Uploader>, UploadError> {
    let need_secret = || {
        secret.clone().ok_or_else(|| UploadError::NoCredentials {
            kind: format!("{:?}", target.kind).to_lowercase(),
            vars: target.kind.credential_vars().join(" or "),
        })
    };
    Ok(match target.kind {
        Kind::Quetz => {
            let channel = target.channel.clone().ok_or_else(|| UploadError::Usage {
                message: "a quetz upload needs --channel NAME".into(),
            })?;
            Box::new(quetz::Quetz::new(
                &target.url,
                &channel,
                need_secret()?,
                target.force,
                target.retry,
            )?)
        }
        Kind::Anaconda => {
            let owner = target.owner.clone().ok_or_else(|| UploadError::Usage {
                message: "an anaconda upload needs --owner NAME (the user or organisation)".into(),
            })?;
            let label = target.channel.clone().unwrap_or_else(|| "main".into());
            Box::new(anaconda::Anaconda::new(
                &target.url,
                &owner,
                &label,
                need_secret()?,
                target.force,
                target.retry,
            )?)
        }
        Kind::Dir => {
            let dir = target.url.to_file_path().map_err(|()| UploadError::Usage {
                message: format!("{} is not a local directory URL", target.url),
            })?;
            Box::new(object_store::DirChannel::new(&dir, target.force))
        }
        Kind::S3 => Box::new(object_store::S3Channel::new(&target.url, target.force)?),
    })
}

/// The credential for `kind`: the first line of `auth_file` when given, else the first set variable of
/// [`Kind::credential_vars`]. `None` when there is none (dir and s3 need none).
///
/// Errors: [`UploadError::AuthFile`] when the file cannot be read or is empty.
pub fn credential(kind: Kind, auth_file: Option<&Path>) -> Result<Option<Secret>, UploadError> {
    if let Some(path) = auth_file {
        let text = fs_err::read_to_string(path).map_err(|source| UploadError::AuthFile {
            path: path.to_path_buf(),
            reason: source.to_string(),
        })?;
        let token = text.lines().next().unwrap_or("").trim();
        if token.is_empty() {
            return Err(UploadError::AuthFile {
                path: path.to_path_buf(),
                reason: "the file is empty (expected the token on its first line)".into(),
            });
        }
        return Ok(Some(Secret(token.to_string())));
    }
    Ok(kind.credential_vars().iter().find_map(|var| {
        std::env::var(var)
            .ok()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .map(Secret)
    }))
}

/// Counts of an upload run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// File names uploaded, in order.
    pub uploaded: Vec<String>,
    /// File names the channel already had with the same sha256.
    pub skipped: Vec<String>,
}

/// Upload `artifacts` in order, calling `on_done` after each; stops at the first error (after a 401/403 nothing
/// further is sent).
///
/// Errors: the first [`UploadError`]; the files uploaded before it stay uploaded.
pub fn upload_all(
    uploader: &dyn Uploader,
    artifacts: &[Artifact],
    on_done: &mut dyn FnMut(&Artifact, Outcome),
) -> Result<Summary, UploadError> {
    let mut summary = Summary::default();
    for artifact in artifacts {
        let outcome = uploader.upload(artifact)?;
        match outcome {
            Outcome::Uploaded => summary.uploaded.push(artifact.file_name.clone()),
            Outcome::Skipped => summary.skipped.push(artifact.file_name.clone()),
        }
        on_done(artifact, outcome);
    }
    Ok(summary)
}

/// Errors of an upload; each names the file, the server or both. None contains a credential.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum UploadError {
    /// A command-line combination that cannot work.
    #[error("{message}")]
    Usage { message: String },
    /// A server that needs a credential has none.
    #[error("no credential for the {kind} upload: set {vars} or pass --auth-file FILE")]
    NoCredentials { kind: String, vars: String },
    /// The `--auth-file` cannot be used.
    #[error("cannot read the credential from {path}: {reason}")]
    AuthFile { path: PathBuf, reason: String },
    /// The HTTP client could not be built.
    #[error("cannot set up the HTTP client")]
    Client {
        #[source]
        source: reqwest::Error,
    },
    /// Every attempt to reach the server failed (connection refused, DNS, timeout).
    #[error("cannot reach {server} ({what}) after {attempts} attempts: {reason}")]
    Unreachable {
        server: String,
        what: String,
        attempts: u32,
        reason: String,
    },
    /// The server refused the credential (401) or the operation (403); nothing further is uploaded.
    #[error("{server} refused the credential (HTTP {status}) for {what}; nothing further is uploaded: {detail}")]
    #[diagnostic(help(
        "check the API key or token (its variable or --auth-file) and its rights on the channel"
    ))]
    Unauthorized {
        server: String,
        status: u16,
        what: String,
        detail: String,
    },
    /// The server kept answering 5xx.
    #[error("{server} failed {what} with HTTP {status} after {attempts} attempts: {detail}")]
    Server {
        server: String,
        what: String,
        status: u16,
        attempts: u32,
        detail: String,
    },
    /// The server answered with another unexpected status.
    #[error("{server} refused {what} with HTTP {status}: {detail}")]
    Refused {
        server: String,
        what: String,
        status: u16,
        detail: String,
    },
    /// The server's answer is not what its API documents.
    #[error("{server} answered {what} with something unexpected: {detail}")]
    Protocol {
        server: String,
        what: String,
        detail: String,
    },
    /// The channel has a different file of the same name.
    #[error(
        "{server} already has {file} with sha256 {remote}, but the local file has sha256 {local}; refusing to \
         overwrite it"
    )]
    #[diagnostic(help("pass --force to replace it"))]
    Conflict {
        server: String,
        file: String,
        local: String,
        remote: String,
    },
    /// A local archive cannot be read.
    #[error("cannot read the package {path}: {reason}")]
    Archive { path: PathBuf, reason: String },
    /// Writing a `file://` channel failed.
    #[error("cannot publish to the channel directory {dir}")]
    Channel {
        dir: PathBuf,
        #[source]
        source: crate::channel::ChannelError,
    },
    /// An object store operation failed.
    #[error("object store {url}: {what} failed: {reason}")]
    ObjectStore {
        url: String,
        what: String,
        reason: String,
    },
}
