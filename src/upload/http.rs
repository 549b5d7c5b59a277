//! HTTP requests to a package server with bounded retries: connection errors, timeouts and 5xx answers are tried
//! again with exponential backoff ([`RetryPolicy`]); 401 and 403 end the upload at once
//! ([`UploadError::Unauthorized`]); any other status is handed back for the caller to interpret.
//!
//! Credentials travel only in request headers, never in URLs, so neither reqwest's errors (which name the URL) nor
//! archi's messages can show them.

use std::time::Duration;

use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::StatusCode;

use super::UploadError;

/// How often and how patiently a request is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (at least 1).
    pub attempts: u32,
    /// Pause before the second attempt; doubled before each further one.
    pub first_delay: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts, pauses of 0.5 s, 1 s and 2 s (3.5 s at most spent waiting).
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            first_delay: Duration::from_millis(500),
        }
    }
}

impl RetryPolicy {
    /// The pause before attempt `attempt` (1-based; none before the first).
    pub fn delay_before(&self, attempt: u32) -> Duration {
        if attempt <= 1 {
            return Duration::ZERO;
        }
        self.first_delay
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(2)))
    }
}

/// A blocking HTTP client for one server, with the retry policy.
#[derive(Debug, Clone)]
pub struct Http {
    client: Client,
    /// The server as named in messages (scheme, host, port and path of the `--to` URL).
    server: String,
    policy: RetryPolicy,
}

impl Http {
    /// A client for `server` (used in messages only) with a 10 s connect and 10 min request timeout.
    ///
    /// Errors: [`UploadError::Client`] when TLS cannot be set up.
    pub fn new(server: &str, policy: RetryPolicy) -> Result<Http, UploadError> {
        let client = Client::builder()
            .user_agent(concat!("archi/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(600))
            .build()
            .map_err(|source| UploadError::Client { source })?;
        Ok(Http {
            client,
            server: server.to_string(),
            policy,
        })
    }

    /// The underlying client, to build requests with.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The server as named in messages.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Send the request `make` builds (called again for each attempt), described as `what` in errors
    /// (`upload zlib-1.3-h0_0.conda`). Returns the first response that is neither 5xx nor 401/403.
    ///
    /// Errors: [`UploadError::Unauthorized`] on 401/403 (not retried); [`UploadError::Unreachable`] when every
    /// attempt failed to connect or timed out; [`UploadError::Server`] when the last attempt answered 5xx.
    pub fn send(
        &self,
        what: &str,
        make: impl Fn() -> RequestBuilder,
    ) -> Result<Response, UploadError> {
        let mut attempt = 1;
        loop {
            std::thread::sleep(self.policy.delay_before(attempt));
            let last = attempt >= self.policy.attempts.max(1);
            match make().send() {
                Ok(response) => {
                    let status = response.status();
                    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                        return Err(UploadError::Unauthorized {
                            server: self.server.clone(),
                            status: status.as_u16(),
                            what: what.to_string(),
                            detail: body_excerpt(response),
                        });
                    }
                    if status.is_server_error() {
                        if last {
                            return Err(UploadError::Server {
                                server: self.server.clone(),
                                what: what.to_string(),
                                status: status.as_u16(),
                                attempts: attempt,
                                detail: body_excerpt(response),
                            });
                        }
                        tracing::warn!(
                            "{what}: {} answered {status}; trying again (attempt {} of {})",
                            self.server,
                            attempt + 1,
                            self.policy.attempts
                        );
                    } else {
                        return Ok(response);
                    }
                }
                Err(err) => {
                    if last {
                        return Err(UploadError::Unreachable {
                            server: self.server.clone(),
                            what: what.to_string(),
                            attempts: attempt,
                            reason: error_chain(&err),
                        });
                    }
                    tracing::warn!(
                        "{what}: cannot reach {} ({}); trying again (attempt {} of {})",
                        self.server,
                        error_chain(&err),
                        attempt + 1,
                        self.policy.attempts
                    );
                }
            }
            attempt += 1;
        }
    }
}

/// The first 300 characters of a response body, for error messages (servers explain refusals there).
pub fn body_excerpt(response: Response) -> String {
    let text = response.text().unwrap_or_default();
    let text = text.trim();
    match text.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// The response body parsed as JSON; the error says why not.
pub fn json<T: serde::de::DeserializeOwned>(response: Response) -> Result<T, String> {
    let bytes = response.bytes().map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

/// A reqwest error and its causes on one line (its top-level message rarely says why).
fn error_chain(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Check that a response other than the expected success is reported: `Ok(response)` for a 2xx status, else
/// [`UploadError::Refused`] naming the server, what was asked and the status and body.
pub fn expect_success(
    http: &Http,
    what: &str,
    response: Response,
) -> Result<Response, UploadError> {
    if response.status().is_success() {
        return Ok(response);
    }
    let status = response.status().as_u16();
    Err(UploadError::Refused {
        server: http.server().to_string(),
        what: what.to_string(),
        status,
        detail: body_excerpt(response),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_bounded() {
        let policy = RetryPolicy::default();
        let delays: Vec<_> = (1..=policy.attempts)
            .map(|a| policy.delay_before(a).as_millis())
            .collect();
        assert_eq!(delays, [0, 500, 1000, 2000]);
    }
}
