//! The cache entry: what a substituter holds beside each artifact, as `<url>/<key>.entry.json` (archi's
//! counterpart of Nix's `.narinfo`). It names the artifact (`<url>/<key>/<artifact>`), its size, sha256 and
//! blake3, carries the store [`Manifest`], and is signed over a [`Entry::fingerprint`] of all of these. Pure.

use serde::{Deserialize, Serialize};

use super::sign::{self, PublicKey, SecretKey, SignatureError};
use crate::store::{canonical_json, Manifest, StoreKey};

/// Version of the entry format; the fingerprint starts with `archi-entry-<it>`.
pub const ENTRY_FORMAT: u32 = 1;

/// `<key>.entry.json` of a substituter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// [`ENTRY_FORMAT`].
    pub format: u32,
    /// The store key (64 hex); the entry's file name.
    pub key: StoreKey,
    /// File name of the artifact (`zlib-1.3.1-h1234567_0.conda`), stored at `<key>/<artifact>` on the server.
    pub artifact: String,
    /// Artifact size in bytes.
    pub size: u64,
    /// sha256 of the artifact, lowercase hex.
    pub sha256: String,
    /// blake3 of the artifact, lowercase hex.
    pub blake3: String,
    /// The pushing store's manifest of the entry (name, version, build, subdir, hash inputs).
    pub manifest: Manifest,
    /// `NAME:BASE64`: ed25519 signature over [`Entry::fingerprint`] by the key `NAME`.
    pub sig: String,
}

/// Why an entry was refused before its artifact was fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// The entry is not JSON of the expected shape.
    #[error("malformed cache entry: {0}")]
    Malformed(String),
    /// The entry's format is not [`ENTRY_FORMAT`].
    #[error("cache entry format {0}, this archi reads {ENTRY_FORMAT}")]
    Format(u32),
    /// The entry, or its manifest, is for another key, or its fields disagree with its manifest.
    #[error("cache entry is inconsistent: {0}")]
    Inconsistent(String),
    /// The signature is missing, malformed, by an untrusted key, or does not verify.
    #[error("signature refused: {0}")]
    Signature(#[from] SignatureError),
}

impl Entry {
    /// A signed entry for a store manifest: the artifact fields are the manifest's.
    pub fn signed(manifest: &Manifest, key: &SecretKey) -> Entry {
        let mut entry = Entry {
            format: ENTRY_FORMAT,
            key: manifest.key.clone(),
            artifact: manifest.artifact.clone(),
            size: manifest.size,
            sha256: manifest.sha256.clone(),
            blake3: manifest.blake3.clone(),
            manifest: manifest.clone(),
            sig: String::new(),
        };
        entry.sig = key.sign(entry.fingerprint().as_bytes());
        entry
    }

    /// The signed text: `archi-entry-1;<key>;<artifact>;<size>;<sha256>;<blake3>;<blake3 of the manifest's
    /// canonical JSON>` (the habit of Nix's narinfo fingerprint `1;<path>;<narHash>;<narSize>;<refs>`).
    pub fn fingerprint(&self) -> String {
        let manifest = serde_json::to_value(&self.manifest).expect("a manifest serialises");
        let manifest_hash = blake3::hash(canonical_json(&manifest).as_bytes()).to_hex();
        format!(
            "archi-entry-{};{};{};{};{};{};{}",
            self.format,
            self.key,
            self.artifact,
            self.size,
            self.sha256,
            self.blake3,
            manifest_hash
        )
    }

    /// The entry's JSON text (pretty, newline-terminated).
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("an entry serialises");
        text.push('\n');
        text
    }

    /// Parse an entry fetched for `key` and accept it only when it is consistent and its signature verifies
    /// against `trusted`: the format is known, the entry and its manifest name `key`, the artifact fields equal
    /// the manifest's, the artifact name is a plain file name, and `sig` verifies over [`Entry::fingerprint`].
    /// Returns the entry and the name of the key that signed it.
    ///
    /// Errors: [`EntryError`]; an untrusted signer is named ([`SignatureError::Untrusted`]).
    pub fn parse_trusted(
        bytes: &[u8],
        key: &StoreKey,
        trusted: &[PublicKey],
    ) -> Result<(Entry, String), EntryError> {
        let entry: Entry =
            serde_json::from_slice(bytes).map_err(|e| EntryError::Malformed(e.to_string()))?;
        if entry.format != ENTRY_FORMAT {
            return Err(EntryError::Format(entry.format));
        }
        let m = &entry.manifest;
        let mismatch = if &entry.key != key {
            Some(format!("entry is for key {}, asked for {key}", entry.key))
        } else if &m.key != key {
            Some(format!("manifest is for key {}, asked for {key}", m.key))
        } else if (&m.artifact, m.size, &m.sha256, &m.blake3)
            != (&entry.artifact, entry.size, &entry.sha256, &entry.blake3)
        {
            Some("artifact fields differ from the manifest's".to_string())
        } else if entry.artifact.contains('/')
            || entry.artifact.starts_with('.')
            || entry.artifact.is_empty()
        {
            Some(format!("artifact `{}` is not a file name", entry.artifact))
        } else {
            None
        };
        if let Some(reason) = mismatch {
            return Err(EntryError::Inconsistent(reason));
        }
        let signer = sign::verify(&entry.sig, entry.fingerprint().as_bytes(), trusted)?;
        Ok((entry, signer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::compute_key;

    fn manifest() -> Manifest {
        let inputs = serde_json::json!({"name": "zlib", "version": "1.3.1"});
        Manifest {
            format_version: crate::store::STORE_FORMAT_VERSION,
            key: compute_key(&inputs),
            name: "zlib".into(),
            version: "1.3.1".into(),
            build: "h1234567_0".into(),
            subdir: "linux-64".into(),
            artifact: "zlib-1.3.1-h1234567_0.conda".into(),
            blake3: "ab".repeat(32),
            sha256: "cd".repeat(32),
            size: 1234,
            inputs,
            created_ms: 1,
        }
    }

    #[test]
    fn a_signed_entry_is_accepted_and_every_altered_field_refused() {
        let secret = SecretKey::generate("test-1").unwrap();
        let trusted = [secret.public()];
        let m = manifest();
        let entry = Entry::signed(&m, &secret);
        let text = entry.to_json();
        let (parsed, signer) = Entry::parse_trusted(text.as_bytes(), &m.key, &trusted).unwrap();
        assert_eq!((parsed, signer.as_str()), (entry.clone(), "test-1"));

        // Both the artifact hash and the manifest's: consistent, but the signature no longer holds.
        let mut altered = entry.clone();
        altered.sha256 = "ef".repeat(32);
        altered.manifest.sha256 = "ef".repeat(32);
        let err = Entry::parse_trusted(altered.to_json().as_bytes(), &m.key, &trusted).unwrap_err();
        assert!(matches!(
            err,
            EntryError::Signature(SignatureError::Invalid { .. })
        ));
        // A manifest field only the fingerprint's manifest hash covers.
        let mut altered = entry.clone();
        altered.manifest.build = "h7654321_0".into();
        assert!(Entry::parse_trusted(altered.to_json().as_bytes(), &m.key, &trusted).is_err());
        // Only the entry's size: inconsistent with the manifest.
        let mut altered = entry.clone();
        altered.size += 1;
        assert!(matches!(
            Entry::parse_trusted(altered.to_json().as_bytes(), &m.key, &trusted),
            Err(EntryError::Inconsistent(_))
        ));
        // Asked for another key.
        let other = compute_key(&serde_json::json!({"other": 1}));
        assert!(matches!(
            Entry::parse_trusted(text.as_bytes(), &other, &trusted),
            Err(EntryError::Inconsistent(_))
        ));
        assert!(matches!(
            Entry::parse_trusted(b"{not json", &m.key, &trusted),
            Err(EntryError::Malformed(_))
        ));
    }

    #[test]
    fn an_entry_by_an_untrusted_key_names_the_key() {
        let stranger = SecretKey::generate("stranger-1").unwrap();
        let ours = SecretKey::generate("ours-1").unwrap();
        let m = manifest();
        let text = Entry::signed(&m, &stranger).to_json();
        let err = Entry::parse_trusted(text.as_bytes(), &m.key, &[ours.public()]).unwrap_err();
        assert!(err.to_string().contains("`stranger-1`"), "{err}");
    }

    #[test]
    fn a_path_as_artifact_name_is_refused() {
        let secret = SecretKey::generate("k").unwrap();
        let mut m = manifest();
        m.artifact = "../../etc/passwd".into();
        let text = Entry::signed(&m, &secret).to_json();
        assert!(matches!(
            Entry::parse_trusted(text.as_bytes(), &m.key, &[secret.public()]),
            Err(EntryError::Inconsistent(_))
        ));
    }
}
