//! Remote binary caches ("substituters", as Nix's): before a node is built, each cache of `archi.toml`'s
//! `[[substituter]]` list is asked for the node's store keys; a hit whose signed entry verifies against
//! `[workspace] trusted_keys` and whose artifact matches the entry's size, sha256 and blake3 is put into the local
//! store through [`Store::insert`] (the same atomic path a build takes), and nothing is built. After a build,
//! caches with `push = true` get the artifact and then its signed entry.
//!
//! Layout of a cache (any of the [`backend`] URLs):
//!
//! ```text
//! <url>/<key>.entry.json     an [`entry::Entry`]: artifact name, size, sha256, blake3, manifest, sig
//! <url>/<key>/<artifact>     the package archive (.conda)
//! ```
//!
//! The artifact is uploaded before its entry, so a reader that finds an entry finds its artifact. A download
//! goes to a `.archi-tmp-*` file in the store root ([`crate::fsutil::temp_file`]), removed when it is refused or
//! the connection breaks, and cleaned by the next run if archi is killed; the store never sees half a file.
//!
//! This module never prints: refusals are returned to the caller and logged with `tracing::warn!`.

pub mod backend;
pub mod entry;
pub mod sign;

use std::io::{Seek, SeekFrom};
use std::path::Path;

use backend::{Backend, BackendError};
use entry::{Entry, EntryError};
use sign::{KeyError, PublicKey, SecretKey};

use crate::store::{NewEntry, Store, StoreEntry, StoreError, StoreKey};
use crate::workspace::{SubstituterConfig, Workspace, WORKSPACE_FILE};

/// Environment variable naming the secret key file a push signs with (as `--signing-key`).
pub const SIGNING_KEY_ENV: &str = "ARCHI_SIGNING_KEY_FILE";

/// File name of a key's entry on a cache: `<key>.entry.json`.
pub fn entry_name(key: &StoreKey) -> String {
    format!("{key}.entry.json")
}

/// Object name of an artifact on a cache: `<key>/<artifact>`.
pub fn artifact_name(key: &StoreKey, artifact: &str) -> String {
    format!("{key}/{artifact}")
}

/// A substituter setup that cannot be used.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ConfigError {
    /// A `trusted_keys` item is not a public key.
    #[error("{}: [workspace] trusted_keys: {source}", path.display())]
    #[diagnostic(help("a public key is NAME:BASE64, as `archi key generate NAME` prints it"))]
    TrustedKey {
        /// The workspace file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: KeyError,
    },
    /// A `[[substituter]]` URL cannot be opened.
    #[error("{}: [[substituter]]: {source}", path.display())]
    Url {
        /// The workspace file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: BackendError,
    },
    /// A cache has `push = true` but no signing key was given.
    #[error("{}: [[substituter]] {url} has push = true, but no signing key was given", path.display())]
    #[diagnostic(help(
        "pass --signing-key FILE or set {SIGNING_KEY_ENV} (a file written by `archi key generate`)"
    ))]
    NoSigningKey {
        /// The workspace file.
        path: std::path::PathBuf,
        /// The cache.
        url: String,
    },
    /// The signing key file cannot be read or parsed (its content is never shown).
    #[error("signing key {}: {reason}", path.display())]
    SigningKey {
        /// The key file.
        path: std::path::PathBuf,
        /// Why.
        reason: String,
    },
}

/// Read a secret key file (`archi key generate`'s output). Errors: [`ConfigError::SigningKey`], without the key.
pub fn read_signing_key(path: &Path) -> Result<SecretKey, ConfigError> {
    let text = fs_err::read_to_string(path).map_err(|e| ConfigError::SigningKey {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    SecretKey::parse(&text).map_err(|e| ConfigError::SigningKey {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

struct Cache {
    backend: Backend,
    push: bool,
}

/// The caches of a workspace, the keys it trusts and the key pushes sign with.
pub struct Substituters {
    caches: Vec<Cache>,
    trusted: Vec<PublicKey>,
    signing: Option<SecretKey>,
}

impl std::fmt::Debug for Substituters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let urls: Vec<&str> = self.caches.iter().map(|c| c.backend.url()).collect();
        write!(f, "Substituters({urls:?})")
    }
}

/// What one package of a node must be to be substituted: its key and the names its manifest must carry.
#[derive(Debug, Clone)]
pub struct Wanted {
    /// The store key.
    pub key: StoreKey,
    /// Conda package name.
    pub name: String,
    /// Build string.
    pub build: String,
    /// Conda subdir.
    pub subdir: String,
}

/// The result of asking the caches for a node.
#[derive(Debug, Default)]
pub struct Substitution {
    /// The stored entries (in the order asked for) and the cache URL, when one cache had them all and they passed.
    pub hit: Option<(Vec<StoreEntry>, String)>,
    /// Why caches that had an entry were refused (`<url>: <key>: <reason>`), in the order tried.
    pub refused: Vec<String>,
}

/// Why one cache's copy of a node was not taken.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error("{0}")]
    Backend(#[from] BackendError),
    #[error(transparent)]
    Entry(#[from] EntryError),
    #[error("{artifact}: {what} is {actual}, the signed entry says {expected}")]
    Mismatch {
        artifact: String,
        what: &'static str,
        expected: String,
        actual: String,
    },
    #[error("{0}")]
    Wrong(String),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl Substituters {
    /// The caches of `workspace` (`[[substituter]]`, in order) and its `trusted_keys`; `signing` signs pushes.
    /// `None` when the workspace names no cache.
    ///
    /// Errors: [`ConfigError`] naming `archi.toml` (a bad trusted key, URL, or a push cache without a key).
    pub fn from_workspace(
        workspace: &Workspace,
        signing: Option<SecretKey>,
    ) -> Result<Option<Substituters>, ConfigError> {
        Substituters::from_configs(
            &workspace.root.join(WORKSPACE_FILE),
            &workspace.file.substituter,
            &workspace.file.workspace.trusted_keys,
            signing,
        )
    }

    /// As [`Substituters::from_workspace`], from the parts of a workspace file: `path` (named in errors), its
    /// `[[substituter]]` list and its `trusted_keys`.
    pub fn from_configs(
        path: &Path,
        configs: &[SubstituterConfig],
        trusted_keys: &[String],
        signing: Option<SecretKey>,
    ) -> Result<Option<Substituters>, ConfigError> {
        let path = path.to_path_buf();
        if configs.is_empty() {
            return Ok(None);
        }
        let trusted = trusted_keys
            .iter()
            .map(|k| PublicKey::parse(k))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| ConfigError::TrustedKey {
                path: path.clone(),
                source,
            })?;
        let mut caches = Vec::new();
        for config in configs {
            if config.push && signing.is_none() {
                return Err(ConfigError::NoSigningKey {
                    path,
                    url: config.url.clone(),
                });
            }
            let backend = Backend::open(&config.url).map_err(|source| ConfigError::Url {
                path: path.clone(),
                source,
            })?;
            caches.push(Cache {
                backend,
                push: config.push,
            });
        }
        Ok(Some(Substituters {
            caches,
            trusted,
            signing,
        }))
    }

    /// Ask each cache in turn for every package of a node and take the first cache that has them all and whose
    /// entries and artifacts pass (see the module docs); packages the store has already are kept. The packages
    /// are inserted last to first, so the first (whose key is the node's) appears when the node is complete.
    /// Never fails: a cache that is down, misses a package or is refused is recorded in
    /// [`Substitution::refused`] (misses are not) and the next one is tried.
    pub fn substitute(&self, store: &Store, wanted: &[Wanted]) -> Substitution {
        let mut result = Substitution::default();
        for cache in &self.caches {
            match self.fetch_all(cache, store, wanted) {
                Ok(Some(entries)) => {
                    result.hit = Some((entries, cache.backend.url().to_string()));
                    break;
                }
                Ok(None) => {}
                Err((key, refusal)) => {
                    let line = format!("{}: {key}: {refusal}", cache.backend.url());
                    tracing::warn!("substituter refused: {line}");
                    result.refused.push(line);
                }
            }
        }
        result
    }

    /// Every package of `wanted` from one cache: `Ok(None)` on a miss, `Err` naming the key on a refusal.
    fn fetch_all(
        &self,
        cache: &Cache,
        store: &Store,
        wanted: &[Wanted],
    ) -> Result<Option<Vec<StoreEntry>>, (StoreKey, Refusal)> {
        // Entries first: nothing is downloaded unless every package is there and signed.
        let mut found = Vec::new();
        for want in wanted {
            if store.lookup(&want.key).ok().flatten().is_some() {
                found.push(None);
                continue;
            }
            let refuse = |r: Refusal| (want.key.clone(), r);
            let Some(bytes) = cache
                .backend
                .get_bytes(&entry_name(&want.key))
                .map_err(|e| refuse(e.into()))?
            else {
                return Ok(None);
            };
            let (entry, _signer) = Entry::parse_trusted(&bytes, &want.key, &self.trusted)
                .map_err(|e| refuse(e.into()))?;
            let m = &entry.manifest;
            if (&m.name, &m.build, &m.subdir) != (&want.name, &want.build, &want.subdir) {
                return Err(refuse(Refusal::Wrong(format!(
                    "entry is for {} {} ({}), this build makes {} {} ({})",
                    m.name, m.build, m.subdir, want.name, want.build, want.subdir
                ))));
            }
            found.push(Some(entry));
        }
        let mut downloads = Vec::new();
        for (want, entry) in wanted.iter().zip(&found) {
            if let Some(entry) = entry {
                let file = self
                    .download(cache, store, entry)
                    .map_err(|r| (want.key.clone(), r))?;
                downloads.push(Some(file));
            } else {
                downloads.push(None);
            }
        }
        let mut stored = Vec::new();
        for ((want, entry), file) in wanted.iter().zip(&found).zip(&downloads).rev() {
            let refuse = |r: Refusal| (want.key.clone(), r);
            let stored_entry = match (entry, file) {
                (Some(entry), Some(file)) => insert(store, entry, file.path()).map_err(refuse)?,
                _ => match store.lookup(&want.key) {
                    Ok(Some(existing)) => existing,
                    Ok(None) => return Ok(None),
                    Err(e) => return Err(refuse(e.into())),
                },
            };
            stored.push(stored_entry);
        }
        stored.reverse();
        Ok(Some(stored))
    }

    /// Download `entry`'s artifact to a temp file in the store root and check its size, sha256 and blake3.
    fn download(
        &self,
        cache: &Cache,
        store: &Store,
        entry: &Entry,
    ) -> Result<tempfile::NamedTempFile, Refusal> {
        let name = artifact_name(&entry.key, &entry.artifact);
        let mut tmp = crate::fsutil::temp_file(store.root(), 0o644)?;
        let path = tmp.path().to_path_buf();
        let file = tmp.as_file_mut();
        let Some(_) = cache.backend.get_to_file(&name, file, &path)? else {
            return Err(Refusal::Wrong(format!(
                "{} has an entry but no artifact",
                cache.backend.object_url(&name)
            )));
        };
        file.sync_all()?;
        file.seek(SeekFrom::Start(0))?;
        let digests = crate::digest::hash_stream(file, None)?;
        let checks = [
            ("size", entry.size.to_string(), digests.size.to_string()),
            ("sha256", entry.sha256.clone(), digests.sha256_hex()),
            ("blake3", entry.blake3.clone(), digests.blake3.clone()),
        ];
        for (what, expected, actual) in checks {
            if expected != actual {
                return Err(Refusal::Mismatch {
                    artifact: cache.backend.object_url(&name),
                    what,
                    expected,
                    actual,
                });
            }
        }
        Ok(tmp)
    }

    /// Whether any cache has `push = true`.
    pub fn pushes(&self) -> bool {
        self.caches.iter().any(|c| c.push)
    }

    /// Upload `entries` (the packages of one build) to every cache with `push = true`: for each package the
    /// artifact (`<key>/<artifact>`) first, then its signed entry (`<key>.entry.json`); the first package (the
    /// node's key) last. Returns one line per failed upload (`<url>: <reason>`); an upload failure does not undo
    /// the build.
    pub fn push(&self, entries: &[StoreEntry]) -> Vec<String> {
        let Some(signing) = &self.signing else {
            return Vec::new();
        };
        let mut failed = Vec::new();
        for cache in self.caches.iter().filter(|c| c.push) {
            for stored in entries.iter().rev() {
                let entry = Entry::signed(&stored.manifest, signing);
                let artifact = artifact_name(&stored.key, &stored.manifest.artifact);
                let result = fs_err::read(stored.artifact_path())
                    .map_err(|e| e.to_string())
                    .and_then(|bytes| {
                        cache
                            .backend
                            .put(&artifact, bytes)
                            .map_err(|e| e.to_string())
                    })
                    .and_then(|()| {
                        cache
                            .backend
                            .put(&entry_name(&stored.key), entry.to_json().into_bytes())
                            .map_err(|e| e.to_string())
                    });
                if let Err(reason) = result {
                    let line = format!("{}: push of {}: {reason}", cache.backend.url(), stored.key);
                    tracing::warn!("{line}");
                    failed.push(line);
                    break;
                }
            }
        }
        failed
    }
}

/// Put a checked download into the store through [`Store::insert`] (which hashes it again while copying) and
/// check that the stored manifest has the entry's hashes.
fn insert(store: &Store, entry: &Entry, artifact: &Path) -> Result<StoreEntry, Refusal> {
    let m = &entry.manifest;
    let stored = store.insert_named(
        &entry.key,
        artifact,
        &entry.artifact,
        NewEntry {
            name: m.name.clone(),
            version: m.version.clone(),
            build: m.build.clone(),
            subdir: m.subdir.clone(),
            inputs: m.inputs.clone(),
        },
    )?;
    if stored.manifest.sha256 != entry.sha256 {
        return Err(Refusal::Mismatch {
            artifact: stored.artifact_path().display().to_string(),
            what: "sha256 in the store",
            expected: entry.sha256.clone(),
            actual: stored.manifest.sha256.clone(),
        });
    }
    Ok(stored)
}

#[cfg(test)]
mod tests;
