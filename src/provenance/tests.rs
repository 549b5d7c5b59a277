use serde_json::{json, Value};

use super::verify::{check, differences, PackageFacts, Problem};
use super::*;

const SRC: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const PATCH: &str = "2222222222222222222222222222222222222222222222222222222222222222";
const FILE_SHA: &str = "3333333333333333333333333333333333333333333333333333333333333333";
const FILE: &str = "demo-1.0-h0123456_0.conda";

fn hash_input() -> Value {
    json!({
        "format": 2,
        "recipe": {
            "name": "demo",
            "version": "1.0",
            "sources": [
                {"origin": {"url": {"url": ["https://example.invalid/dl/demo-1.0.tar.gz"], "sha256": SRC,
                                    "file_name": null}},
                 "patches": ["fix.patch"], "target_directory": null},
            ],
        },
        "recipe_files": {"fix.patch": "aa", "recipe.toml": "bb"},
        "sources": [SRC, PATCH],
        "build_env": [{"name": "make", "version": "4.3", "build": "h1_0", "sha256": "cc"}],
        "host_env": [{"name": "zlib", "version": "1.3", "build": "h2_0", "sha256": "dd"}],
        "target_platform": "linux-64",
        "build_platform": "linux-64",
        "toolchain": {
            "tools": {"c": {"program": "gcc", "path": "/usr/bin/gcc-12", "version": "gcc 12.2.0", "blake3": "ee"}},
            "binutils": {"AR": {"program": "ar", "path": "/usr/bin/ar", "version": "GNU ar 2.40", "blake3": "ff"}},
            "rust": {"cargo": {"program": "cargo", "path": "/r/bin/cargo", "version": "cargo 1.95.0", "blake3": "99"},
                     "target": "x86_64-unknown-linux-gnu", "sysroot": "/r"},
        },
        "test_toolchain": {
            "tools": {"c": {"program": "gcc", "path": "/usr/bin/gcc-12", "version": "gcc 12.2.0", "blake3": "ee"}},
            "binutils": {},
        },
        "build_machine_toolchain": {"tools": {}, "binutils": {}},
        "script_env": {"CC": "gcc", "PREFIX": "${PREFIX}"},
    })
}

fn index() -> Value {
    json!({"name": "demo", "version": "1.0", "build": "h0123456_0", "subdir": "linux-64"})
}

fn inner_for(h: &Value, store_key: &str, output: Option<&str>, name: &str) -> Value {
    statement(&StatementInput {
        file_name: FILE,
        name,
        version: "1.0",
        build: "h0123456_0",
        subdir: "linux-64",
        output,
        hash_input: h,
        store_key,
        builder_version: "0.1.0",
    })
}

fn inner(h: &Value) -> Value {
    inner_for(h, store::compute_key(h).as_str(), None, "demo")
}

fn facts<'a>(
    outer: Option<&'a Value>,
    inner: Option<&'a Value>,
    index: &'a Value,
    h: &'a Value,
) -> PackageFacts<'a> {
    PackageFacts {
        file_name: FILE,
        sha256: FILE_SHA,
        outer,
        inner,
        index,
        hash_input: h,
    }
}

#[test]
fn statement_is_in_toto_v1_with_slsa_v1_and_the_same_bytes_every_time() {
    let h = hash_input();
    let s = inner(&h);
    assert_eq!(s["_type"], STATEMENT_TYPE);
    assert_eq!(s["predicateType"], PREDICATE_TYPE);
    assert_eq!(s["subject"], json!([{"name": FILE, "digest": {}}]));
    let def = &s["predicate"]["buildDefinition"];
    assert_eq!(def["buildType"], BUILD_TYPE);
    assert_eq!(
        def["internalParameters"]["buildKey"],
        store::compute_key(&h).as_str()
    );
    let run = &s["predicate"]["runDetails"];
    assert_eq!(run["builder"]["id"], BUILDER_ID);
    assert_eq!(run["builder"]["version"]["archi"], "0.1.0");
    assert_eq!(
        run["metadata"],
        json!({"invocationId": store::compute_key(&h).as_str()})
    );

    // No clock, no host: the bytes depend on the input only, and keys are sorted.
    let bytes = to_bytes(&s);
    assert_eq!(bytes, to_bytes(&inner(&hash_input())));
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with("{\"_type\":"), "{text}");
    assert!(text.ends_with("}\n"));
    assert!(!text.contains("startedOn") && !text.contains("finishedOn"));
}

#[test]
fn resolved_dependencies_name_sources_patches_recipe_files_records_and_tools_in_order() {
    let s = inner(&hash_input());
    let deps = s["predicate"]["buildDefinition"]["resolvedDependencies"]
        .as_array()
        .unwrap();
    let kinds: Vec<&str> = deps
        .iter()
        .map(|d| d["annotations"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "source",
            "patch",
            "recipe-file",
            "recipe-file",
            "build-env",
            "host-env",
            "toolchain",
            "toolchain",
            "toolchain",
            "test-toolchain"
        ]
    );
    assert_eq!(deps[0]["name"], "demo-1.0.tar.gz");
    assert_eq!(deps[0]["uri"], "https://example.invalid/dl/demo-1.0.tar.gz");
    assert_eq!(deps[0]["digest"], json!({"sha256": SRC}));
    assert_eq!(deps[1]["name"], "recipe/fix.patch");
    assert_eq!(deps[1]["digest"], json!({"sha256": PATCH}));
    assert_eq!(deps[3]["name"], "recipe/recipe.toml");
    assert_eq!(deps[3]["digest"], json!({"blake3": "bb"}));
    assert_eq!(deps[4]["uri"], "pkg:conda/make@4.3?build=h1_0");
    assert_eq!(deps[4]["digest"], json!({"sha256": "cc"}));
    assert_eq!(deps[6]["name"], "toolchain/c");
    assert_eq!(deps[6]["uri"], "file:///usr/bin/gcc-12");
    assert_eq!(deps[7]["name"], "toolchain/binutils/AR");
    assert_eq!(deps[8]["name"], "toolchain/rust/cargo");
    assert_eq!(deps[8]["digest"], json!({"blake3": "99"}));
    assert_eq!(deps[9]["name"], "test-toolchain/c");
    assert_eq!(source_digests(&s), [SRC, PATCH]);
}

#[test]
fn outer_is_inner_with_the_sha256_and_back() {
    let i = inner(&hash_input());
    let o = with_subject_digest(&i, FILE_SHA);
    assert_eq!(o["subject"][0]["digest"], json!({"sha256": FILE_SHA}));
    assert_eq!(without_subject_digest(&o), i);
    assert_eq!(differences(&o, &i), ["subject[0].digest.sha256"]);
    assert_eq!(
        outer_path(Path::new("/c/linux-64/a-1-h_0.conda")),
        Path::new("/c/linux-64/a-1-h_0.conda.provenance.json")
    );
}

#[test]
fn a_consistent_package_is_accepted() {
    let h = hash_input();
    let (i, idx) = (inner(&h), index());
    let o = with_subject_digest(&i, FILE_SHA);
    assert_eq!(
        check(&facts(Some(&o), Some(&i), &idx, &h)),
        Vec::<Problem>::new()
    );
}

#[test]
fn a_changed_byte_is_a_subject_digest_mismatch() {
    let h = hash_input();
    let (i, idx) = (inner(&h), index());
    let o = with_subject_digest(&i, FILE_SHA);
    let mut f = facts(Some(&o), Some(&i), &idx, &h);
    let other = "4".repeat(64);
    f.sha256 = &other;
    assert_eq!(
        check(&f),
        [Problem::SubjectDigest {
            statement: FILE_SHA.into(),
            actual: other.clone()
        }]
    );
}

#[test]
fn a_statement_naming_another_source_hash_is_rejected_and_says_which() {
    let h = hash_input();
    let (i, idx) = (inner(&h), index());
    let mut o = with_subject_digest(&i, FILE_SHA);
    let forged = "5".repeat(64);
    o["predicate"]["buildDefinition"]["resolvedDependencies"][0]["digest"]["sha256"] =
        Value::from(forged.clone());
    let problems = check(&facts(Some(&o), Some(&i), &idx, &h));
    assert_eq!(
        problems,
        [
            Problem::InnerDiffers {
                paths: vec![
                    "predicate.buildDefinition.resolvedDependencies[0].digest.sha256".into()
                ]
            },
            Problem::SourceDigest {
                index: 0,
                statement: forged.clone(),
                hash_input: SRC.into()
            },
        ]
    );
    let text = problems[1].to_string();
    assert!(text.contains(&forged) && text.contains(SRC), "{text}");

    // Both copies forged alike: still rejected against info/hash_input.json.
    let forged_inner = without_subject_digest(&o);
    let problems = check(&facts(Some(&o), Some(&forged_inner), &idx, &h));
    assert!(
        matches!(
            problems.as_slice(),
            [Problem::SourceDigest { index: 0, .. }]
        ),
        "{problems:?}"
    );
}

#[test]
fn a_changed_key_input_is_a_build_key_mismatch() {
    let h = hash_input();
    let (i, idx) = (inner(&h), index());
    let o = with_subject_digest(&i, FILE_SHA);
    let mut edited = h.clone();
    edited["script_env"]["CC"] = Value::from("evil-cc");
    let problems = check(&facts(Some(&o), Some(&i), &idx, &edited));
    assert!(
        matches!(problems.first(), Some(Problem::BuildKey { .. })),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| matches!(p, Problem::Differs { paths }
            if paths == &["predicate.buildDefinition.internalParameters.scriptEnv.CC"])),
        "{problems:?}"
    );
}

#[test]
fn a_later_output_has_the_output_key_and_any_other_key_is_rejected() {
    let h = hash_input();
    let build = store::compute_key(&h);
    let key = store::output_key(&build, "demo");
    let i = inner_for(&h, key.as_str(), Some("demo"), "demo");
    let o = with_subject_digest(&i, FILE_SHA);
    let idx = index();
    assert_eq!(
        check(&facts(Some(&o), Some(&i), &idx, &h)),
        Vec::<Problem>::new()
    );

    let wrong = inner_for(&h, &"6".repeat(64), Some("demo"), "demo");
    let o = with_subject_digest(&wrong, FILE_SHA);
    let problems = check(&facts(Some(&o), Some(&wrong), &idx, &h));
    assert!(
        matches!(problems.as_slice(), [Problem::StoreKey { expected, .. }] if expected.len() == 2),
        "{problems:?}"
    );
}

#[test]
fn missing_statements_are_named() {
    let h = hash_input();
    let (i, idx) = (inner(&h), index());
    let problems = check(&facts(None, Some(&i), &idx, &h));
    assert_eq!(
        problems,
        [Problem::NoStatement {
            path: format!("{FILE}.provenance.json").into()
        }]
    );
    let o = with_subject_digest(&i, FILE_SHA);
    assert_eq!(
        check(&facts(Some(&o), None, &idx, &h)),
        [Problem::NoInnerStatement]
    );
    let mut bad = o.clone();
    bad["predicateType"] = Value::from("https://slsa.dev/provenance/v0.2");
    let problems = check(&facts(Some(&bad), None, &idx, &h));
    assert!(
        matches!(problems.last(), Some(Problem::Malformed { .. })),
        "{problems:?}"
    );
}
