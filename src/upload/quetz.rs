//! Uploads to a quetz server (mamba-org/quetz, `quetz-server`), through its REST API:
//!
//! - `GET /api/channels/{channel}`: the channel exists (404 otherwise; channels are created by a server member
//!   with `POST /api/channels`, not by uploads);
//! - `GET /get/{channel}/{subdir}/repodata.json`: what the channel has, with each file's sha256 (404 when the
//!   subdir has no package yet);
//! - `POST /api/channels/{channel}/upload/{file}?sha256=…&force=…`: the archive as the raw request body; quetz
//!   checks the sha256 (406 on mismatch), answers 201, 409 for an existing file without `force`, and re-indexes
//!   the channel in the background.
//!
//! Every request carries the API key in the `X-API-Key` header (quetz's API-key authentication).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use reqwest::StatusCode;
use url::Url;

use super::http::{body_excerpt, expect_success, Http, RetryPolicy};
use super::{Artifact, Outcome, Secret, UploadError, Uploader};

/// A channel on a quetz server.
#[derive(Debug)]
pub struct Quetz {
    http: Http,
    base: Url,
    channel: String,
    key: Secret,
    force: bool,
    /// Subdir → file name → sha256, as read from the server (and updated by this run's uploads).
    listed: Mutex<HashMap<String, BTreeMap<String, String>>>,
    /// Whether the channel has been found on the server.
    checked: Mutex<bool>,
}

impl Quetz {
    /// The channel `channel` on the server at `base` (its root URL, e.g. `http://127.0.0.1:8000`).
    ///
    /// Errors: [`UploadError::Client`] when the HTTP client cannot be built.
    pub fn new(
        base: &Url,
        channel: &str,
        key: Secret,
        force: bool,
        retry: RetryPolicy,
    ) -> Result<Quetz, UploadError> {
        let mut base = base.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        Ok(Quetz {
            http: Http::new(base.as_str().trim_end_matches('/'), retry)?,
            base,
            channel: channel.to_string(),
            key,
            force,
            listed: Mutex::new(HashMap::new()),
            checked: Mutex::new(false),
        })
    }

    /// A GET of `url` with the API key, retried as every request is (`what` names it in errors).
    fn get(&self, what: &str, url: &Url) -> Result<reqwest::blocking::Response, UploadError> {
        self.http.send(what, || {
            self.http
                .client()
                .get(url.clone())
                .header("X-API-Key", self.key.expose())
        })
    }

    fn url(&self, path: &str) -> Result<Url, UploadError> {
        self.base.join(path).map_err(|e| UploadError::Usage {
            message: format!("cannot form a URL from {} and {path}: {e}", self.base),
        })
    }

    /// Make sure the channel exists (once per run).
    fn check_channel(&self) -> Result<(), UploadError> {
        let mut checked = self.checked.lock().unwrap_or_else(|e| e.into_inner());
        if *checked {
            return Ok(());
        }
        let url = self.url(&format!("api/channels/{}", self.channel))?;
        let what = format!("looking up channel {}", self.channel);
        let response = self.get(&what, &url)?;
        if response.status() == StatusCode::NOT_FOUND {
            return Err(UploadError::Refused {
                server: self.http.server().to_string(),
                what,
                status: 404,
                detail: format!(
                    "the server has no channel `{}`; create it first (quetz's web UI or POST /api/channels)",
                    self.channel
                ),
            });
        }
        expect_success(&self.http, &what, response)?;
        *checked = true;
        Ok(())
    }

    /// File name → sha256 of `subdir` on the server (read once, then kept up to date by this run).
    fn listed_sha256(&self, subdir: &str, file: &str) -> Result<Option<String>, UploadError> {
        let mut listed = self.listed.lock().unwrap_or_else(|e| e.into_inner());
        if !listed.contains_key(subdir) {
            let files = self.fetch_listing(subdir)?;
            listed.insert(subdir.to_string(), files);
        }
        Ok(listed[subdir].get(file).cloned())
    }

    fn fetch_listing(&self, subdir: &str) -> Result<BTreeMap<String, String>, UploadError> {
        let url = self.url(&format!("get/{}/{subdir}/repodata.json", self.channel))?;
        let what = format!("reading {}/{subdir}/repodata.json", self.channel);
        let response = self.get(&what, &url)?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(BTreeMap::new());
        }
        let response = expect_success(&self.http, &what, response)?;
        let repodata: serde_json::Value =
            super::http::json(response).map_err(|e| UploadError::Protocol {
                server: self.http.server().to_string(),
                what: what.clone(),
                detail: format!("repodata.json is not JSON: {e}"),
            })?;
        Ok(sha256_by_file(&repodata))
    }

    fn remember(&self, subdir: &str, file: &str, sha256: &str) {
        let mut listed = self.listed.lock().unwrap_or_else(|e| e.into_inner());
        listed
            .entry(subdir.to_string())
            .or_default()
            .insert(file.to_string(), sha256.to_string());
    }
}

/// File name → sha256 of a repodata.json's `packages` and `packages.conda` (records without sha256 get "").
pub fn sha256_by_file(repodata: &serde_json::Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for key in ["packages", "packages.conda"] {
        if let Some(records) = repodata.get(key).and_then(|v| v.as_object()) {
            for (file, record) in records {
                let sha = record
                    .get("sha256")
                    .and_then(|s| s.as_str())
                    .unwrap_or_default();
                out.insert(file.clone(), sha.to_string());
            }
        }
    }
    out
}

impl Uploader for Quetz {
    fn upload(&self, artifact: &Artifact) -> Result<Outcome, UploadError> {
        self.check_channel()?;
        let file = &artifact.file_name;
        let remote = self.listed_sha256(&artifact.subdir, file)?;
        if let Some(outcome) =
            super::against_remote(artifact, remote, self.force, || self.describe())?
        {
            return Ok(outcome);
        }
        let mut url = self.url(&format!("api/channels/{}/upload/{file}", self.channel))?;
        url.query_pairs_mut()
            .append_pair("sha256", &artifact.sha256)
            .append_pair("force", if self.force { "true" } else { "false" });
        let what = format!("upload of {file}");
        artifact.check_readable()?;
        let response = self.http.send(&what, || {
            // The body is the file itself, opened again for each attempt.
            let body = match fs_err::File::open(&artifact.path) {
                Ok(f) => reqwest::blocking::Body::sized(f, artifact.size),
                Err(_) => reqwest::blocking::Body::from(Vec::new()),
            };
            self.http
                .client()
                .post(url.clone())
                .header("X-API-Key", self.key.expose())
                .header("Content-Type", "application/octet-stream")
                .body(body)
        })?;
        match response.status() {
            StatusCode::CONFLICT => Err(UploadError::Conflict {
                server: self.describe(),
                file: file.clone(),
                local: artifact.sha256.clone(),
                remote: format!(
                    "(not yet in repodata.json; quetz: {})",
                    body_excerpt(response)
                ),
            }),
            _ => {
                expect_success(&self.http, &what, response)?;
                self.remember(&artifact.subdir, file, &artifact.sha256);
                Ok(Outcome::Uploaded)
            }
        }
    }

    fn describe(&self) -> String {
        format!("quetz channel {} at {}", self.channel, self.http.server())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_reads_both_package_maps() {
        let repodata = serde_json::json!({
            "info": {"subdir": "linux-64"},
            "packages": {"a-1-0.tar.bz2": {"sha256": "aa"}},
            "packages.conda": {"b-1-0.conda": {"sha256": "bb"}, "c-1-0.conda": {}},
        });
        let files = sha256_by_file(&repodata);
        assert_eq!(files["a-1-0.tar.bz2"], "aa");
        assert_eq!(files["b-1-0.conda"], "bb");
        assert_eq!(files["c-1-0.conda"], "");
    }
}
