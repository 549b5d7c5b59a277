use super::*;
use serde_json::json;

fn new_entry(inputs: &serde_json::Value) -> NewEntry {
    NewEntry {
        name: "zlib".to_string(),
        version: "1.3.1".to_string(),
        build: "h0123456_0".to_string(),
        subdir: "linux-aarch64".to_string(),
        inputs: inputs.clone(),
    }
}

fn artifact(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs_err::write(&path, bytes).unwrap();
    path
}

#[test]
fn canonical_json_sorts_keys_recursively_without_whitespace() {
    let value = json!({"b": 1, "a": {"z": [3, {"y": true, "x": null}], "c": "s\"q"}, "n": 1.5});
    assert_eq!(
        canonical_json(&value),
        r#"{"a":{"c":"s\"q","z":[3,{"x":null,"y":true}]},"b":1,"n":1.5}"#
    );
}

#[test]
fn compute_key_is_stable_across_key_order_and_changes_with_any_value() {
    let a =
        json!({"recipe": {"name": "zlib", "version": "1.3.1"}, "sources": ["abc"], "format": 1});
    let b: serde_json::Value = serde_json::from_str(
        r#"{"format": 1, "sources": ["abc"], "recipe": {"version": "1.3.1", "name": "zlib"}}"#,
    )
    .unwrap();
    assert_eq!(compute_key(&a), compute_key(&b));
    assert_eq!(
        compute_key(&a).as_str(),
        blake3::hash(canonical_json(&a).as_bytes())
            .to_hex()
            .as_str()
    );

    let changed = [
        json!({"recipe": {"name": "zlib", "version": "1.3.2"}, "sources": ["abc"], "format": 1}),
        json!({"recipe": {"name": "zlib", "version": "1.3.1"}, "sources": ["abd"], "format": 1}),
        json!({"recipe": {"name": "zlib", "version": "1.3.1"}, "sources": ["abc"], "format": 2}),
        json!({"recipe": {"name": "zlib", "version": "1.3.1"}, "sources": ["abc", "abc"], "format": 1}),
    ];
    for other in &changed {
        assert_ne!(compute_key(&a), compute_key(other), "{other}");
    }
}

#[test]
fn store_key_parses_only_lowercase_hex_of_64() {
    let key = compute_key(&json!({}));
    assert_eq!(key.as_str().len(), 64);
    assert_eq!(key.short(), &key.as_str()[..7]);
    assert_eq!(key.to_string().parse::<StoreKey>().unwrap(), key);
    assert!(key.as_str().to_uppercase().parse::<StoreKey>().is_err());
    assert!(key.as_str()[..63].parse::<StoreKey>().is_err());
    assert!(format!("{}g", &key.as_str()[..63])
        .parse::<StoreKey>()
        .is_err());
    let json = serde_json::to_string(&key).unwrap();
    assert_eq!(json, format!("\"{key}\""));
    assert_eq!(serde_json::from_str::<StoreKey>(&json).unwrap(), key);
    assert!(serde_json::from_str::<StoreKey>("\"abc\"").is_err());
}

#[test]
fn insert_lookup_list_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("store")).unwrap();
    let inputs_a = json!({"name": "zlib", "n": 1});
    let inputs_b = json!({"name": "bzip2", "n": 2});
    let (key_a, key_b) = (compute_key(&inputs_a), compute_key(&inputs_b));
    assert_eq!(store.lookup(&key_a).unwrap(), None);

    let art_a = artifact(
        tmp.path(),
        "zlib-1.3.1-h0123456_0.conda",
        b"package a bytes",
    );
    let entry_a = {
        let _lock = store.lock(&key_a).unwrap();
        store.insert(&key_a, &art_a, new_entry(&inputs_a)).unwrap()
    };
    assert_eq!(entry_a.dir, store.root().join("v1").join(key_a.as_str()));
    assert_eq!(
        fs_err::read(entry_a.artifact_path()).unwrap(),
        b"package a bytes"
    );
    let m = &entry_a.manifest;
    assert_eq!(m.blake3, blake3::hash(b"package a bytes").to_hex().as_str());
    assert_eq!(
        m.sha256,
        hex(&rattler_digest::compute_bytes_digest::<
            rattler_digest::Sha256,
        >(b"package a bytes"))
    );
    assert_eq!(m.size, 15);
    assert_eq!(m.format_version, STORE_FORMAT_VERSION);
    assert_eq!(m.artifact, "zlib-1.3.1-h0123456_0.conda");
    assert_eq!(store.lookup(&key_a).unwrap(), Some(entry_a.clone()));

    let art_b = artifact(tmp.path(), "bzip2-1.0.8-h7654321_0.conda", b"package b");
    let mut fields_b = new_entry(&inputs_b);
    fields_b.name = "bzip2".to_string();
    let entry_b = store.insert(&key_b, &art_b, fields_b).unwrap();

    // The source cache beside v1/ and stray dot-dirs are not entries.
    fs_err::create_dir_all(store.root().join("sources").join("ab")).unwrap();
    let listed = store.list().unwrap();
    assert_eq!(listed, vec![entry_b, entry_a]);
    assert_no_leftovers_and_verified(&store);
}

#[test]
fn lookup_rejects_a_manifest_for_another_key() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let inputs = json!({"a": 1});
    let key = compute_key(&inputs);
    let entry = store
        .insert(
            &key,
            &artifact(tmp.path(), "p.conda", b"x"),
            new_entry(&inputs),
        )
        .unwrap();
    let other = compute_key(&json!({"a": 2}));
    fs_err::rename(&entry.dir, store.root().join("v1").join(other.as_str())).unwrap();
    assert!(matches!(
        store.lookup(&other),
        Err(StoreError::ManifestKey { .. })
    ));
}

#[test]
fn verify_detects_flipped_byte_edited_manifest_and_bad_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let inputs_a = json!({"a": 1});
    let inputs_b = json!({"b": 1});
    let entry_a = store
        .insert(
            &compute_key(&inputs_a),
            &artifact(tmp.path(), "a.conda", b"abcdef"),
            new_entry(&inputs_a),
        )
        .unwrap();
    let entry_b = store
        .insert(
            &compute_key(&inputs_b),
            &artifact(tmp.path(), "b.conda", b"uvwxyz"),
            new_entry(&inputs_b),
        )
        .unwrap();
    assert!(store.verify().unwrap().is_empty());

    // Flip one byte of a's artifact: blake3 and sha256 differ, size does not.
    let mut bytes = fs_err::read(entry_a.artifact_path()).unwrap();
    bytes[2] ^= 0x01;
    fs_err::write(entry_a.artifact_path(), &bytes).unwrap();
    // Edit b's inputs in its manifest: its key no longer matches.
    let manifest_b = entry_b.dir.join("manifest.json");
    let text = fs_err::read_to_string(&manifest_b)
        .unwrap()
        .replace("\"b\": 1", "\"b\": 2");
    fs_err::write(&manifest_b, text).unwrap();
    // A directory without a manifest.
    fs_err::create_dir_all(store.root().join("v1").join("not-a-key")).unwrap();

    let problems = store.verify().unwrap();
    let a_problems: Vec<_> = problems
        .iter()
        .filter(|p| matches!(p, VerifyProblem::Blake3Mismatch { path, .. } | VerifyProblem::Sha256Mismatch { path, .. } if path == &entry_a.artifact_path()))
        .collect();
    assert_eq!(a_problems.len(), 2, "{problems:#?}");
    assert!(problems
        .iter()
        .any(|p| matches!(p, VerifyProblem::InputsMismatch { key, .. } if key == &entry_b.key)));
    assert!(problems.iter().any(|p| matches!(p, VerifyProblem::Unreadable { path, .. } if path.starts_with(store.root().join("v1").join("not-a-key")))));
    assert_eq!(problems.len(), 4, "{problems:#?}");

    // A manifest moved under another key's directory.
    fs_err::remove_dir_all(store.root().join("v1").join("not-a-key")).unwrap();
    let moved = store
        .root()
        .join("v1")
        .join(compute_key(&json!({"c": 1})).as_str());
    fs_err::rename(&entry_b.dir, &moved).unwrap();
    let problems = store.verify().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| matches!(p, VerifyProblem::DirNameMismatch { dir, .. } if dir == &moved)),
        "{problems:#?}"
    );
}

#[test]
fn concurrent_inserts_of_one_key_yield_one_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("store")).unwrap();
    let inputs = json!({"same": "inputs"});
    let key = compute_key(&inputs);
    let arts: Vec<PathBuf> = (0..2)
        .map(|i| {
            artifact(
                tmp.path(),
                &format!("p{i}.conda"),
                format!("bytes {i}").as_bytes(),
            )
        })
        .collect();
    let results: Vec<StoreEntry> = std::thread::scope(|scope| {
        let handles: Vec<_> = arts
            .iter()
            .map(|art| {
                let (store, key, inputs) = (&store, &key, &inputs);
                scope.spawn(move || {
                    let _lock = store.lock(key).unwrap();
                    store.insert(key, art, new_entry(inputs)).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results[0], results[1]);
    assert_eq!(store.list().unwrap(), vec![results[0].clone()]);
    assert_no_leftovers_and_verified(&store);
}

#[test]
fn racing_inserts_without_the_lock_still_leave_one_complete_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let inputs = json!({"race": true});
    let key = compute_key(&inputs);
    let art = artifact(tmp.path(), "p.conda", &vec![7u8; 1 << 20]);
    let results: Vec<StoreEntry> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| store.insert(&key, &art, new_entry(&inputs)).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(results
        .iter()
        .all(|entry| entry.key == key && entry.manifest.size == 1 << 20));
    assert_eq!(store.list().unwrap().len(), 1);
    assert_no_leftovers_and_verified(&store);
}

#[test]
fn lock_blocks_a_second_holder_until_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let key = compute_key(&json!({"lock": 1}));
    let lock = store.lock(&key).unwrap();
    let path = store
        .root()
        .join("v1")
        .join(".locks")
        .join(format!("{key}.lock"));
    let other = fs_err::OpenOptions::new().write(true).open(&path).unwrap();
    assert!(!fs4::fs_std::FileExt::try_lock_exclusive(other.file()).unwrap());
    drop(lock);
    assert!(fs4::fs_std::FileExt::try_lock_exclusive(other.file()).unwrap());
}

/// Nothing half-written is left in `.tmp`, and every entry rehashes to its manifest.
fn assert_no_leftovers_and_verified(store: &Store) {
    let leftovers = fs_err::read_dir(store.root().join("v1").join(".tmp"))
        .unwrap()
        .count();
    assert_eq!(leftovers, 0, "entries left in .tmp");
    assert!(store.verify().unwrap().is_empty());
}

/// The packages of a multi-output build are stored as the build stores them (`build::run`): each manifest's inputs
/// are the build's plus `output`; the first under the build's key, the others under `output_key`. verify accepts
/// both and still refuses an edited one.
#[test]
fn verify_accepts_the_packages_of_a_multi_output_build() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let build_inputs = json!({"recipe": "gcc"});
    let build_key = compute_key(&build_inputs);
    let with_output = |name: &str| {
        let mut inputs = build_inputs.clone();
        inputs["output"] = json!(name);
        inputs
    };
    let second = store
        .insert(
            &output_key(&build_key, "gxx_impl"),
            &artifact(tmp.path(), "gxx.conda", b"gxx"),
            new_entry(&with_output("gxx_impl")),
        )
        .unwrap();
    store
        .insert(
            &build_key,
            &artifact(tmp.path(), "gcc.conda", b"gcc"),
            new_entry(&with_output("gcc_impl")),
        )
        .unwrap();
    assert!(store.verify().unwrap().is_empty());

    let manifest = second.dir.join("manifest.json");
    let text = fs_err::read_to_string(&manifest)
        .unwrap()
        .replace("\"gcc\"", "\"clang\"");
    fs_err::write(&manifest, text).unwrap();
    let problems = store.verify().unwrap();
    assert!(
        matches!(problems.as_slice(), [VerifyProblem::InputsMismatch { .. }]),
        "{problems:#?}"
    );
}
