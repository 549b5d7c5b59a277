//! Uploads to anaconda.org (or a server speaking its API), the way anaconda-client (`binstar_client`) and
//! rattler-build's `upload anaconda` do it. For each archive, with `Authorization: token …` on every API call:
//!
//! 1. `GET /dist/{owner}/{name}/{version}/{subdir}/{file}`: 200 with the file's `sha256` when it is there
//!    (same digest: skipped; another: refused unless `force`, then `DELETE` of the same URL), 404 when not;
//! 2. `GET /package/{owner}/{name}`, and on 404 `POST` the same URL (`package_types: ["conda"]`, `public`,
//!    `summary`, `license`, `public_attrs`);
//! 3. `GET /release/{owner}/{name}/{version}`, and on 404 `POST` the same URL (`requirements`, `announce`,
//!    `description`);
//! 4. `POST /stage/{owner}/{name}/{version}/{subdir}/{file}` (`distribution_type: "conda"`, `attrs` =
//!    info/index.json, `channels` = [label], `sha256`), answered with `post_url`, `form_data` and `dist_id`;
//! 5. a multipart `POST` to `post_url` (an S3 bucket; no token) with the `form_data` fields, `Content-Length`,
//!    `Content-MD5` (base64 md5 of the file, which S3 checks) and the `file` part last;
//! 6. `POST /commit/{owner}/{name}/{version}/{subdir}/{file}` with `dist_id`.
//!
//! Bodies are JSON. Each request is retried on connection errors and 5xx ([`super::http`]).

use reqwest::blocking::multipart::{Form, Part};
use reqwest::StatusCode;
use url::Url;

use super::http::{expect_success, Http, RetryPolicy};
use super::{Artifact, Outcome, Secret, UploadError, Uploader};

/// An owner's packages on an anaconda.org-style server.
#[derive(Debug)]
pub struct Anaconda {
    http: Http,
    base: Url,
    owner: String,
    label: String,
    token: Secret,
    force: bool,
}

/// What `POST /stage/…` answers.
#[derive(Debug, serde::Deserialize)]
struct Staged {
    post_url: Url,
    form_data: serde_json::Map<String, serde_json::Value>,
    dist_id: String,
}

impl Anaconda {
    /// Packages of `owner` at the API root `base` (`https://api.anaconda.org`), under the label `label`.
    ///
    /// Errors: [`UploadError::Client`] when the HTTP client cannot be built.
    pub fn new(
        base: &Url,
        owner: &str,
        label: &str,
        token: Secret,
        force: bool,
        retry: RetryPolicy,
    ) -> Result<Anaconda, UploadError> {
        let mut base = base.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        Ok(Anaconda {
            http: Http::new(base.as_str().trim_end_matches('/'), retry)?,
            base,
            owner: owner.to_string(),
            label: label.to_string(),
            token,
            force,
        })
    }

    fn url(&self, path: &str) -> Result<Url, UploadError> {
        self.base.join(path).map_err(|e| UploadError::Usage {
            message: format!("cannot form a URL from {} and {path}: {e}", self.base),
        })
    }

    /// Send an API request (token header, JSON body if any); returns the response whatever its status below 500.
    fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
        what: &str,
    ) -> Result<reqwest::blocking::Response, UploadError> {
        let url = self.url(path)?;
        self.http.send(what, || {
            let mut request = self
                .http
                .client()
                .request(method.clone(), url.clone())
                .header("Authorization", format!("token {}", self.token.expose()))
                .header("Accept", "application/json");
            if let Some(body) = body {
                request = request
                    .header("Content-Type", "application/json")
                    .body(body.to_string());
            }
            request
        })
    }

    /// GET `path`, then POST `body` to it when it answered 404.
    fn ensure(&self, path: &str, body: serde_json::Value, what: &str) -> Result<(), UploadError> {
        let response = self.api(reqwest::Method::GET, path, None, what)?;
        if response.status() == StatusCode::NOT_FOUND {
            let created = self.api(reqwest::Method::POST, path, Some(&body), what)?;
            expect_success(&self.http, what, created)?;
            return Ok(());
        }
        expect_success(&self.http, what, response).map(|_| ())
    }

    fn protocol(&self, what: &str, detail: String) -> UploadError {
        UploadError::Protocol {
            server: self.http.server().to_string(),
            what: what.to_string(),
            detail,
        }
    }
}

impl Uploader for Anaconda {
    fn upload(&self, artifact: &Artifact) -> Result<Outcome, UploadError> {
        let file = &artifact.file_name;
        let (owner, name, version) = (&self.owner, &artifact.name, &artifact.version);
        let dist = format!("{owner}/{name}/{version}/{}/{file}", artifact.subdir);

        // 1. Is the file there already?
        let what = format!("lookup of {file}");
        let response = self.api(reqwest::Method::GET, &format!("dist/{dist}"), None, &what)?;
        if response.status() != StatusCode::NOT_FOUND {
            let existing: serde_json::Value =
                super::http::json(expect_success(&self.http, &what, response)?)
                    .map_err(|e| self.protocol(&what, format!("not JSON: {e}")))?;
            let remote = existing
                .get("sha256")
                .and_then(|s| s.as_str())
                .unwrap_or_default()
                .to_string();
            if let Some(outcome) =
                super::against_remote(artifact, Some(remote), self.force, || self.describe())?
            {
                return Ok(outcome);
            }
            let what = format!("removal of the old {file}");
            let removed = self.api(
                reqwest::Method::DELETE,
                &format!("dist/{dist}"),
                None,
                &what,
            )?;
            expect_success(&self.http, &what, removed)?;
        }

        // 2. and 3. The package and the release.
        self.ensure(
            &format!("package/{owner}/{name}"),
            serde_json::json!({
                "package_types": ["conda"],
                "public": true,
                "summary": artifact.summary,
                "license": artifact.license,
                "public_attrs": {"summary": artifact.summary, "license": artifact.license},
            }),
            &format!("creating package {name}"),
        )?;
        self.ensure(
            &format!("release/{owner}/{name}/{version}"),
            serde_json::json!({"requirements": [], "announce": false, "description": null}),
            &format!("creating release {name} {version}"),
        )?;

        // 4. Stage.
        let what = format!("staging of {file}");
        let staged = self.api(
            reqwest::Method::POST,
            &format!("stage/{dist}"),
            Some(&serde_json::json!({
                "distribution_type": "conda",
                "description": null,
                "attrs": artifact.index_json,
                "channels": [self.label],
                "sha256": artifact.sha256,
            })),
            &what,
        )?;
        if staged.status() == StatusCode::CONFLICT {
            return Err(UploadError::Conflict {
                server: self.describe(),
                file: file.clone(),
                local: artifact.sha256.clone(),
                remote: "(staging answered 409: the file exists)".into(),
            });
        }
        let staged: Staged = super::http::json(expect_success(&self.http, &what, staged)?)
            .map_err(|e| self.protocol(&what, format!("no post_url/form_data/dist_id: {e}")))?;

        // 5. The file to the storage URL, without the token.
        let what = format!("transfer of {file} to the storage URL");
        let storage = Http::new(staged.post_url.as_str(), RetryPolicy::default())?;
        let mut fields = Vec::new();
        for (key, value) in &staged.form_data {
            let value = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            fields.push((key.clone(), value));
        }
        artifact.check_readable()?;
        let response = storage.send(&what, || {
            let mut form = Form::new();
            for (key, value) in &fields {
                form = form.text(key.clone(), value.clone());
            }
            form = form
                .text("Content-Length", artifact.size.to_string())
                .text("Content-MD5", artifact.md5_base64.clone());
            let part = match fs_err::File::open(&artifact.path) {
                Ok(f) => Part::reader_with_length(f, artifact.size),
                Err(_) => Part::bytes(Vec::new()),
            };
            let part = part
                .file_name(file.clone())
                .mime_str("application/octet-stream")
                .unwrap_or_else(|_| Part::bytes(Vec::new()));
            storage
                .client()
                .post(staged.post_url.clone())
                .multipart(form.part("file", part))
        })?;
        expect_success(&storage, &what, response)?;

        // 6. Commit.
        let what = format!("commit of {file}");
        let committed = self.api(
            reqwest::Method::POST,
            &format!("commit/{dist}"),
            Some(&serde_json::json!({"dist_id": staged.dist_id})),
            &what,
        )?;
        expect_success(&self.http, &what, committed)?;
        Ok(Outcome::Uploaded)
    }

    fn describe(&self) -> String {
        format!(
            "anaconda owner {} (label {}) at {}",
            self.owner,
            self.label,
            self.http.server()
        )
    }
}
