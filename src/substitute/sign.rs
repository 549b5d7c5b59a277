//! Signing keys in Nix's binary-cache format (`nix-store --generate-binary-cache-key`): a key pair is named, the
//! public key is written `NAME:BASE64(32-byte ed25519 public key)`, the secret key file holds
//! `NAME:BASE64(32-byte seed ‖ 32-byte public key)`, and a signature is `NAME:BASE64(64-byte ed25519 signature)`.
//! Pure: nothing here reads files or the network except [`SecretKey::generate`], which asks the OS for randomness.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

/// A key text that is not `NAME:BASE64` of the right length.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// No `:` separates a non-empty name from the base64 part.
    #[error("`{text}` is not NAME:BASE64 (Nix's key format)")]
    Format {
        /// The rejected text (for a secret key: only its name part, never the key).
        text: String,
    },
    /// The base64 part does not decode, or decodes to the wrong number of bytes.
    #[error("key `{name}`: {what} is not base64 of {expected} bytes")]
    Length {
        /// The key's name.
        name: String,
        /// `public key`, `secret key` or `signature`.
        what: &'static str,
        /// Bytes expected.
        expected: usize,
    },
    /// The 32 bytes are not a valid ed25519 public key, or a secret key's public half does not match its seed.
    #[error("key `{name}`: {reason}")]
    Invalid {
        /// The key's name.
        name: String,
        /// Why.
        reason: String,
    },
    /// The OS gave no randomness for a new key.
    #[error("no randomness from the OS for a new key: {0}")]
    Random(String),
}

/// Split `NAME:BASE64` and decode the base64 part to exactly `N` bytes.
fn split_decode<const N: usize>(
    text: &str,
    what: &'static str,
    secret: bool,
) -> Result<(String, [u8; N]), KeyError> {
    let text = text.trim();
    let Some((name, data)) = text
        .split_once(':')
        .filter(|(n, d)| !n.is_empty() && !d.is_empty())
    else {
        // A secret key's text is never echoed: only a name before a `:`, if there is one.
        let shown = match (secret, text.split_once(':')) {
            (false, _) => text.to_string(),
            (true, Some((name, _))) => format!("{name}:…"),
            (true, None) => "…".to_string(),
        };
        return Err(KeyError::Format { text: shown });
    };
    let length = || KeyError::Length {
        name: name.to_string(),
        what,
        expected: N,
    };
    let bytes = STANDARD.decode(data).map_err(|_| length())?;
    let array: [u8; N] = bytes.try_into().map_err(|_| length())?;
    Ok((name.to_string(), array))
}

/// A named ed25519 secret key (what `archi key generate` writes and a push signs with). Its `Debug` never shows
/// the key.
#[derive(Clone)]
pub struct SecretKey {
    name: String,
    key: SigningKey,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({}:…)", self.name)
    }
}

impl SecretKey {
    /// A new key named `name` from 32 random bytes of the OS (getrandom). Errors: [`KeyError::Format`] for an
    /// empty name or one with `:`, [`KeyError::Random`].
    pub fn generate(name: &str) -> Result<SecretKey, KeyError> {
        if name.is_empty() || name.contains(':') || name.contains(char::is_whitespace) {
            return Err(KeyError::Format {
                text: name.to_string(),
            });
        }
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(SecretKey {
            name: name.to_string(),
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// Parse a secret key file's text, `NAME:BASE64(seed ‖ public)` (surrounding whitespace ignored). Errors
    /// ([`KeyError`]) never contain the key bytes.
    pub fn parse(text: &str) -> Result<SecretKey, KeyError> {
        let (name, bytes) = split_decode::<64>(text, "secret key", true)?;
        let seed: [u8; 32] = bytes[..32].try_into().expect("32 bytes");
        let key = SigningKey::from_bytes(&seed);
        if key.verifying_key().to_bytes()[..] != bytes[32..] {
            return Err(KeyError::Invalid {
                name,
                reason: "the public half does not belong to the secret half".into(),
            });
        }
        Ok(SecretKey { name, key })
    }

    /// The key file's text: `NAME:BASE64(seed ‖ public)`, no newline.
    pub fn to_text(&self) -> String {
        let mut bytes = self.key.to_bytes().to_vec();
        bytes.extend_from_slice(&self.key.verifying_key().to_bytes());
        format!("{}:{}", self.name, STANDARD.encode(bytes))
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The matching public key.
    pub fn public(&self) -> PublicKey {
        PublicKey {
            name: self.name.clone(),
            key: self.key.verifying_key(),
        }
    }

    /// `NAME:BASE64(signature)`: the ed25519 signature of `message` (a fingerprint, see
    /// [`super::entry::Entry::fingerprint`]).
    pub fn sign(&self, message: &[u8]) -> String {
        let signature: Signature = self.key.sign(message);
        format!("{}:{}", self.name, STANDARD.encode(signature.to_bytes()))
    }
}

/// A named ed25519 public key, as `trusted_keys` lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    name: String,
    key: VerifyingKey,
}

impl PublicKey {
    /// Parse `NAME:BASE64(32 bytes)`. Errors: [`KeyError`].
    pub fn parse(text: &str) -> Result<PublicKey, KeyError> {
        let (name, bytes) = split_decode::<32>(text, "public key", false)?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|e| KeyError::Invalid {
            name: name.clone(),
            reason: e.to_string(),
        })?;
        Ok(PublicKey { name, key })
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl std::fmt::Display for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.name, STANDARD.encode(self.key.to_bytes()))
    }
}

/// Why a signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The signature is not `NAME:BASE64(64 bytes)`.
    #[error(transparent)]
    Malformed(#[from] KeyError),
    /// No trusted key has the signature's name.
    #[error("signed by `{name}`, which is not in trusted_keys [{}]", trusted.join(", "))]
    Untrusted {
        /// The signature's key name.
        name: String,
        /// The names of the trusted keys.
        trusted: Vec<String>,
    },
    /// The trusted key of that name does not verify the signature over the fingerprint.
    #[error("the signature by `{name}` does not verify (the entry was altered or signed by another key of that name)")]
    Invalid {
        /// The key name.
        name: String,
    },
}

/// Check `signature` (`NAME:BASE64`) over `message` against the key of that name among `trusted`, with ed25519's
/// strict verification. Returns the name of the key that verified it.
///
/// Errors: [`SignatureError::Malformed`], [`SignatureError::Untrusted`] (naming the key), [`SignatureError::Invalid`].
pub fn verify(
    signature: &str,
    message: &[u8],
    trusted: &[PublicKey],
) -> Result<String, SignatureError> {
    let (name, bytes) = split_decode::<64>(signature, "signature", false)?;
    let Some(key) = trusted.iter().find(|k| k.name == name) else {
        return Err(SignatureError::Untrusted {
            name,
            trusted: trusted.iter().map(|k| k.name.clone()).collect(),
        });
    };
    let signature = Signature::from_bytes(&bytes);
    key.key
        .verify_strict(message, &signature)
        .map_err(|_| SignatureError::Invalid { name: name.clone() })?;
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_round_trips_and_signs() {
        let secret = SecretKey::generate("cache-1").unwrap();
        let again = SecretKey::parse(&format!("{}\n", secret.to_text())).unwrap();
        assert_eq!(again.public(), secret.public());
        let public = PublicKey::parse(&secret.public().to_string()).unwrap();
        assert_eq!(public.name(), "cache-1");
        let sig = secret.sign(b"fingerprint");
        assert!(sig.starts_with("cache-1:"));
        assert_eq!(
            verify(&sig, b"fingerprint", std::slice::from_ref(&public)).unwrap(),
            "cache-1"
        );
        // Another message: refused.
        assert_eq!(
            verify(&sig, b"fingerprinT", std::slice::from_ref(&public)),
            Err(SignatureError::Invalid {
                name: "cache-1".into()
            })
        );
    }

    #[test]
    fn untrusted_and_impostor_keys_are_refused_by_name() {
        let ours = SecretKey::generate("ours").unwrap();
        let theirs = SecretKey::generate("theirs").unwrap();
        let trusted = [ours.public()];
        let err = verify(&theirs.sign(b"m"), b"m", &trusted).unwrap_err();
        assert_eq!(
            err,
            SignatureError::Untrusted {
                name: "theirs".into(),
                trusted: vec!["ours".into()]
            }
        );
        assert!(err.to_string().contains("`theirs`"), "{err}");
        // Same name, other key.
        let impostor = SecretKey::generate("ours").unwrap();
        assert!(matches!(
            verify(&impostor.sign(b"m"), b"m", &trusted),
            Err(SignatureError::Invalid { .. })
        ));
    }

    #[test]
    fn nix_format_keys_parse() {
        // The example public key of Nix's manual (cache.nixos.org-1).
        let key =
            PublicKey::parse("cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=")
                .unwrap();
        assert_eq!(key.name(), "cache.nixos.org-1");
        assert_eq!(
            key.to_string(),
            "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY="
        );
    }

    #[test]
    fn malformed_keys_are_refused_without_echoing_secrets() {
        assert!(matches!(
            PublicKey::parse("no-colon"),
            Err(KeyError::Format { .. })
        ));
        assert!(matches!(
            PublicKey::parse("name:AAAA"),
            Err(KeyError::Length { expected: 32, .. })
        ));
        let secret = SecretKey::generate("k").unwrap().to_text();
        let broken = secret.replace(':', "");
        let err = SecretKey::parse(&broken).unwrap_err().to_string();
        assert!(!err.contains(&broken[2..20]), "{err}");
        // Public half of another key.
        let other = SecretKey::generate("k").unwrap().to_text();
        let mixed = format!("{}{}", &secret[..2 + 43], &other[2 + 43..]);
        assert!(SecretKey::parse(&mixed).is_err());
        assert!(SecretKey::generate("a:b").is_err());
    }
}
