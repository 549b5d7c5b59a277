//! Fetch and push through a real `file://` cache and real stores: what a push writes, a hit stored and verified,
//! and every refusal leaving the store as it was.

use std::path::Path;

use super::*;
use crate::store::{compute_key, NewEntry, Store};

struct Fixture {
    dir: tempfile::TempDir,
    secret: SecretKey,
    key: StoreKey,
    wanted: Wanted,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        Fixture {
            secret: SecretKey::generate("test-cache-1").unwrap(),
            key: compute_key(&serde_json::json!({"name": "pkg", "n": 1})),
            wanted: Wanted {
                key: compute_key(&serde_json::json!({"name": "pkg", "n": 1})),
                name: "pkg".into(),
                build: "h0_0".into(),
                subdir: "linux-64".into(),
            },
            dir,
        }
    }

    fn cache_url(&self) -> String {
        url::Url::from_directory_path(self.dir.path().join("cache"))
            .unwrap()
            .to_string()
    }

    fn caches(&self, push: bool, trusted: &[PublicKey]) -> Substituters {
        let configs = [SubstituterConfig {
            url: self.cache_url(),
            push,
        }];
        let trusted: Vec<String> = trusted.iter().map(|k| k.to_string()).collect();
        Substituters::from_configs(
            Path::new("archi.toml"),
            &configs,
            &trusted,
            push.then(|| self.secret.clone()),
        )
        .unwrap()
        .unwrap()
    }

    fn store(&self, name: &str) -> Store {
        Store::open(&self.dir.path().join(name)).unwrap()
    }

    /// Store A with the package, pushed to the cache.
    fn push(&self) -> Vec<u8> {
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let artifact = self.dir.path().join("pkg-1.0-h0_0.conda");
        fs_err::write(&artifact, &bytes).unwrap();
        let store = self.store("a");
        let entry = store
            .insert(
                &self.key,
                &artifact,
                NewEntry {
                    name: "pkg".into(),
                    version: "1.0".into(),
                    build: "h0_0".into(),
                    subdir: "linux-64".into(),
                    inputs: serde_json::json!({"name": "pkg", "n": 1}),
                },
            )
            .unwrap();
        let failed = self.caches(true, &[self.secret.public()]).push(&[entry]);
        assert!(failed.is_empty(), "{failed:?}");
        bytes
    }

    fn cached_artifact(&self) -> std::path::PathBuf {
        self.dir
            .path()
            .join("cache")
            .join(self.key.as_str())
            .join("pkg-1.0-h0_0.conda")
    }
}

/// No entry, no temp file: the store is as it was.
fn untouched(store: &Store) {
    assert!(store.list().unwrap().is_empty());
    assert!(store.verify().unwrap().is_empty());
    let temps: Vec<_> = fs_err::read_dir(store.root())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".archi-tmp-"))
        .collect();
    assert!(temps.is_empty(), "{temps:?}");
}

#[test]
fn a_pushed_package_is_substituted_into_a_fresh_store() {
    let f = Fixture::new();
    let bytes = f.push();
    let cache = f.dir.path().join("cache");
    assert!(cache.join(format!("{}.entry.json", f.key)).is_file());
    assert_eq!(fs_err::read(f.cached_artifact()).unwrap(), bytes);

    let store = f.store("b");
    let result = f
        .caches(false, &[f.secret.public()])
        .substitute(&store, std::slice::from_ref(&f.wanted));
    assert!(result.refused.is_empty(), "{:?}", result.refused);
    let (entries, url) = result.hit.expect("a hit");
    assert_eq!(url, f.cache_url().trim_end_matches('/'));
    assert_eq!(entries.len(), 1);
    assert_eq!(fs_err::read(entries[0].artifact_path()).unwrap(), bytes);
    assert_eq!(entries[0].manifest.name, "pkg");
    assert!(store.verify().unwrap().is_empty());
}

#[test]
fn a_miss_is_no_refusal() {
    let f = Fixture::new();
    let store = f.store("b");
    let result = f
        .caches(false, &[f.secret.public()])
        .substitute(&store, std::slice::from_ref(&f.wanted));
    assert!(result.hit.is_none() && result.refused.is_empty());
    untouched(&store);
}

#[test]
fn altered_bytes_untrusted_keys_and_other_packages_are_refused() {
    let f = Fixture::new();
    let bytes = f.push();

    // Another build string than this build makes.
    let store = f.store("wrong");
    let mut wanted = f.wanted.clone();
    wanted.build = "h1_0".into();
    let result = f
        .caches(false, &[f.secret.public()])
        .substitute(&store, &[wanted]);
    assert!(result.hit.is_none());
    assert!(
        result.refused[0].contains("this build makes"),
        "{:?}",
        result.refused
    );
    untouched(&store);

    // A key that is not trusted.
    let store = f.store("untrusted");
    let other = SecretKey::generate("other-1").unwrap();
    let result = f
        .caches(false, &[other.public()])
        .substitute(&store, std::slice::from_ref(&f.wanted));
    assert!(result.hit.is_none());
    assert!(
        result.refused[0].contains("`test-cache-1`, which is not in trusted_keys [other-1]"),
        "{:?}",
        result.refused
    );
    untouched(&store);

    // One byte of the artifact changed on the server.
    let mut altered = bytes.clone();
    altered[1000] ^= 1;
    fs_err::write(f.cached_artifact(), &altered).unwrap();
    let store = f.store("altered");
    let result = f
        .caches(false, &[f.secret.public()])
        .substitute(&store, std::slice::from_ref(&f.wanted));
    assert!(result.hit.is_none());
    assert!(
        result.refused[0].contains("sha256 is")
            && result.refused[0].contains("the signed entry says"),
        "{:?}",
        result.refused
    );
    untouched(&store);

    // A shorter artifact: the size is named.
    fs_err::write(f.cached_artifact(), &bytes[..1000]).unwrap();
    let store = f.store("short");
    let result = f
        .caches(false, &[f.secret.public()])
        .substitute(&store, std::slice::from_ref(&f.wanted));
    assert!(
        result.refused[0].contains("size is 1000"),
        "{:?}",
        result.refused
    );
    untouched(&store);

    // The artifact gone: the entry alone is refused.
    fs_err::remove_file(f.cached_artifact()).unwrap();
    let store = f.store("gone");
    let result = f
        .caches(false, &[f.secret.public()])
        .substitute(&store, std::slice::from_ref(&f.wanted));
    assert!(
        result.refused[0].contains("no artifact"),
        "{:?}",
        result.refused
    );
    untouched(&store);
}

#[test]
fn a_push_cache_needs_a_signing_key_and_bad_trusted_keys_name_the_file() {
    let configs = [SubstituterConfig {
        url: "file:///nonexistent-archi-cache".into(),
        push: true,
    }];
    let err = Substituters::from_configs(Path::new("ws/archi.toml"), &configs, &[], None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ws/archi.toml") && err.contains("no signing key"),
        "{err}"
    );
    let reader = [SubstituterConfig {
        url: "http://127.0.0.1:1/c".into(),
        push: false,
    }];
    let err = Substituters::from_configs(
        Path::new("ws/archi.toml"),
        &reader,
        &["not-a-key".into()],
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("ws/archi.toml") && err.contains("trusted_keys"),
        "{err}"
    );
}
