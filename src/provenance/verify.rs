//! `archi verify`: a package checked against its statements and its key input.
//!
//! For one archive, [`verify_package`] reads the file (sha256), the outer statement beside it
//! (`<file>.provenance.json`) and, in one pass over the info section, `info/provenance.json`, `info/index.json` and
//! `info/hash_input.json`; [`check`] then compares, without I/O:
//!
//! 1. the outer statement's subject: its name is the file's name, its digest the file's sha256;
//! 2. the inner statement is the outer one with an empty subject digest;
//! 3. `predicate.buildDefinition.internalParameters.buildKey` is blake3 of the canonical `info/hash_input.json`
//!    ([`store::compute_key`]), and the invocation id (the store key) is that build key or, for a later output of a
//!    multi-output build, [`store::output_key`] of it;
//! 4. the statement's source and patch digests are the `sources` of `info/hash_input.json`, in order;
//! 5. every other field is what [`super::statement`] makes from `info/hash_input.json` and `info/index.json`.
//!
//! The result is a list of [`Problem`]s per package; the caller decides how to report them.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{
    outer_path, parse_member, read_info, source_digests, statement, without_subject_digest,
    StatementInput, INFO_FILE, PREDICATE_TYPE, STATEMENT_TYPE,
};
use crate::store;

/// How many differing fields a problem lists before `…`.
const SHOWN_PATHS: usize = 5;

/// One way a package fails verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The archive, or a member verification needs, cannot be read.
    #[error("cannot read it: {reason}")]
    Unreadable {
        /// What failed.
        reason: String,
    },
    /// There is no outer statement beside the archive.
    #[error("no provenance statement beside it ({})", path.display())]
    NoStatement {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The archive has no `info/provenance.json`.
    #[error("no info/provenance.json inside it")]
    NoInnerStatement,
    /// A statement is not an in-toto Statement v1 with a SLSA Provenance v1 predicate.
    #[error("{which} is not an in-toto v1 statement of SLSA provenance v1: {reason}")]
    Malformed {
        /// `the statement beside it` or `info/provenance.json`.
        which: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The outer statement's subject names another file.
    #[error("its statement's subject is {statement:?}, not the file's name")]
    SubjectName {
        /// The subject's name.
        statement: String,
    },
    /// The file's sha256 is not the one its statement names.
    #[error("its sha256 is {actual}, its statement's subject says {statement}")]
    SubjectDigest {
        /// The subject's sha256 (empty when there is none).
        statement: String,
        /// The file's sha256.
        actual: String,
    },
    /// `info/provenance.json` is not the outer statement with an empty subject digest.
    #[error(
        "info/provenance.json differs from the statement beside it at {}",
        list(paths)
    )]
    InnerDiffers {
        /// The differing fields (`predicate.buildDefinition.resolvedDependencies[0].digest.sha256`).
        paths: Vec<String>,
    },
    /// The statement's build key is not the key of `info/hash_input.json`.
    #[error(
        "its statement's build key is {statement}, but info/hash_input.json hashes to {recomputed}"
    )]
    BuildKey {
        /// The statement's `buildKey`.
        statement: String,
        /// blake3 of the canonical `info/hash_input.json`.
        recomputed: String,
    },
    /// The statement's store key (invocation id) is neither the build key nor the output's key.
    #[error("its statement's store key is {statement}, expected {}", expected.join(" or "))]
    StoreKey {
        /// The statement's `invocationId`.
        statement: String,
        /// The keys it may be.
        expected: Vec<String>,
    },
    /// A source or patch digest differs from `info/hash_input.json`.
    #[error("its statement names source sha256 {statement} where info/hash_input.json has {hash_input} (source/patch {index})")]
    SourceDigest {
        /// Position among sources and patches.
        index: usize,
        /// The statement's sha256 (empty when it names fewer).
        statement: String,
        /// `info/hash_input.json`'s (empty when it names fewer).
        hash_input: String,
    },
    /// Other fields differ from what `info/hash_input.json` and `info/index.json` give.
    #[error(
        "its statement differs from what info/hash_input.json and info/index.json give at {}",
        list(paths)
    )]
    Differs {
        /// The differing fields.
        paths: Vec<String>,
    },
}

fn list(paths: &[String]) -> String {
    let mut shown: Vec<&str> = paths.iter().take(SHOWN_PATHS).map(String::as_str).collect();
    if paths.len() > SHOWN_PATHS {
        shown.push("…");
    }
    shown.join(", ")
}

/// One package's verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The archive.
    pub path: PathBuf,
    /// What is wrong; empty when the package is accepted.
    pub problems: Vec<Problem>,
}

impl Verdict {
    /// Whether the package passed.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// What [`check`] compares, read from one archive and the file beside it.
#[derive(Debug, Clone, Copy)]
pub struct PackageFacts<'a> {
    /// The archive's file name.
    pub file_name: &'a str,
    /// Its sha256, lowercase hex.
    pub sha256: &'a str,
    /// The outer statement, if there is one.
    pub outer: Option<&'a Value>,
    /// `info/provenance.json`, if there is one.
    pub inner: Option<&'a Value>,
    /// `info/index.json`.
    pub index: &'a Value,
    /// `info/hash_input.json`.
    pub hash_input: &'a Value,
}

/// Verifies the archive at `path` (a `.conda` or `.tar.bz2`); never fails, problems are in the verdict. When the
/// info section cannot be read (a changed byte may break it), the subject is still checked against the file.
pub fn verify_package(path: &Path) -> Verdict {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let problems = match read_outer(path) {
        Err(problem) => vec![problem],
        Ok((sha256, outer)) => match read_members(path) {
            Ok(m) => check(&PackageFacts {
                file_name: &file_name,
                sha256: &sha256,
                outer: outer.as_ref(),
                inner: m.inner.as_ref(),
                index: &m.index,
                hash_input: &m.hash_input,
            }),
            Err(problem) => {
                let mut problems = subject_problems(&file_name, &sha256, outer.as_ref());
                problems.push(problem);
                problems
            }
        },
    };
    Verdict {
        path: path.to_path_buf(),
        problems,
    }
}

fn unreadable(reason: String) -> Problem {
    Problem::Unreadable { reason }
}

/// The file's sha256 and the statement beside it, if any.
fn read_outer(path: &Path) -> Result<(String, Option<Value>), Problem> {
    let mut file = fs_err::File::open(path).map_err(|e| unreadable(e.to_string()))?;
    let sha256 = crate::digest::hash_stream(&mut file, None)
        .map_err(|e| unreadable(e.to_string()))?
        .sha256_hex();
    let outer_file = outer_path(path);
    let outer = match fs_err::read(&outer_file) {
        Ok(bytes) => Some(
            serde_json::from_slice(&bytes)
                .map_err(|e| unreadable(format!("{}: {e}", outer_file.display())))?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(unreadable(e.to_string())),
    };
    Ok((sha256, outer))
}

struct Members {
    inner: Option<Value>,
    index: Value,
    hash_input: Value,
}

/// `info/provenance.json` (optional), `info/index.json` and `info/hash_input.json` of the archive.
fn read_members(path: &Path) -> Result<Members, Problem> {
    let members = read_info(
        path,
        &[INFO_FILE, "info/index.json", "info/hash_input.json"],
    )
    .map_err(|e| unreadable(error_chain(&e)))?;
    let member = |name: &str| -> Result<Option<Value>, Problem> {
        members
            .get(name)
            .map(|bytes| parse_member(path, name, bytes).map_err(|e| unreadable(error_chain(&e))))
            .transpose()
    };
    let required = |name: &str| -> Result<Value, Problem> {
        member(name)?.ok_or_else(|| unreadable(format!("it has no {name}")))
    };
    Ok(Members {
        inner: member(INFO_FILE)?,
        index: required("info/index.json")?,
        hash_input: required("info/hash_input.json")?,
    })
}

/// The outer statement's subject against the file: its name and sha256; a missing statement is a problem.
fn subject_problems(file_name: &str, sha256: &str, outer: Option<&Value>) -> Vec<Problem> {
    let Some(outer) = outer else {
        return vec![Problem::NoStatement {
            path: PathBuf::from(format!("{file_name}{}", super::OUTER_SUFFIX)),
        }];
    };
    let mut problems = Vec::new();
    let subject = &outer["subject"][0];
    let name = subject["name"].as_str().unwrap_or_default();
    if name != file_name {
        problems.push(Problem::SubjectName {
            statement: name.to_string(),
        });
    }
    let digest = subject["digest"]["sha256"].as_str().unwrap_or_default();
    if digest != sha256 {
        problems.push(Problem::SubjectDigest {
            statement: digest.to_string(),
            actual: sha256.to_string(),
        });
    }
    problems
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The problems of one package (see the module docs for what is compared); empty when it is accepted.
pub fn check(facts: &PackageFacts) -> Vec<Problem> {
    let mut problems = subject_problems(facts.file_name, facts.sha256, facts.outer);
    match (facts.outer, facts.inner) {
        (_, None) => problems.push(Problem::NoInnerStatement),
        (Some(outer), Some(inner)) => {
            let paths = differences(&without_subject_digest(outer), inner);
            if !paths.is_empty() {
                problems.push(Problem::InnerDiffers { paths });
            }
        }
        (None, Some(_)) => {}
    }
    let (which, stmt) = match (facts.outer, facts.inner) {
        (Some(outer), _) => ("the statement beside it", outer),
        (None, Some(inner)) => ("info/provenance.json", inner),
        (None, None) => return problems,
    };
    if let Err(reason) = check_types(stmt) {
        problems.push(Problem::Malformed { which, reason });
        return problems;
    }
    let mut known = Vec::new();
    check_keys(facts, stmt, &mut problems, &mut known);
    check_sources(facts, stmt, &mut problems, &mut known);

    // Everything else: the statement as the package's own key input and index make it.
    let index_text = |key: &str| facts.index[key].as_str().unwrap_or_default().to_string();
    let external = &stmt["predicate"]["buildDefinition"]["externalParameters"];
    let run = &stmt["predicate"]["runDetails"];
    let (name, version, build, subdir) = (
        index_text("name"),
        index_text("version"),
        index_text("build"),
        index_text("subdir"),
    );
    let rebuilt = statement(&StatementInput {
        file_name: facts.file_name,
        name: &name,
        version: &version,
        build: &build,
        subdir: &subdir,
        output: external["output"].as_str(),
        hash_input: facts.hash_input,
        store_key: run["metadata"]["invocationId"].as_str().unwrap_or_default(),
        builder_version: run["builder"]["version"]["archi"]
            .as_str()
            .unwrap_or_default(),
    });
    let mut compared = stmt.clone();
    compared["subject"] = rebuilt["subject"].clone();
    let paths: Vec<String> = differences(&compared, &rebuilt)
        .into_iter()
        .filter(|p| !known.contains(p))
        .collect();
    if !paths.is_empty() {
        problems.push(Problem::Differs { paths });
    }
    problems
}

fn check_types(stmt: &Value) -> Result<(), String> {
    if stmt["_type"] != STATEMENT_TYPE {
        return Err(format!("_type is {}", stmt["_type"]));
    }
    if stmt["predicateType"] != PREDICATE_TYPE {
        return Err(format!("predicateType is {}", stmt["predicateType"]));
    }
    if stmt["subject"].as_array().is_none_or(|s| s.len() != 1) {
        return Err("it does not have exactly one subject".into());
    }
    Ok(())
}

const BUILD_KEY_PATH: &str = "predicate.buildDefinition.internalParameters.buildKey";
const STORE_KEY_PATH: &str = "predicate.runDetails.metadata.invocationId";

/// The build key and the store key against `info/hash_input.json` and the package name.
fn check_keys(
    facts: &PackageFacts,
    stmt: &Value,
    problems: &mut Vec<Problem>,
    known: &mut Vec<String>,
) {
    let build_key = store::compute_key(facts.hash_input);
    let stated = stmt["predicate"]["buildDefinition"]["internalParameters"]["buildKey"]
        .as_str()
        .unwrap_or_default();
    if stated != build_key.as_str() {
        problems.push(Problem::BuildKey {
            statement: stated.to_string(),
            recomputed: build_key.to_string(),
        });
        known.push(BUILD_KEY_PATH.into());
    }
    let name = facts.index["name"].as_str().unwrap_or_default();
    let expected = [
        build_key.to_string(),
        store::output_key(&build_key, name).to_string(),
    ];
    let store_key = stmt["predicate"]["runDetails"]["metadata"]["invocationId"]
        .as_str()
        .unwrap_or_default();
    if !expected.iter().any(|k| k == store_key) {
        problems.push(Problem::StoreKey {
            statement: store_key.to_string(),
            expected: expected.to_vec(),
        });
        known.push(STORE_KEY_PATH.into());
    }
}

/// The source and patch digests against `info/hash_input.json`'s `sources`.
fn check_sources(
    facts: &PackageFacts,
    stmt: &Value,
    problems: &mut Vec<Problem>,
    known: &mut Vec<String>,
) {
    let stated = source_digests(stmt);
    let keyed: Vec<String> = facts.hash_input["sources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect();
    // Sources come first among the dependencies, so a source's position is its index there.
    for index in 0..stated.len().max(keyed.len()) {
        let (s, k) = (stated.get(index), keyed.get(index));
        if s != k {
            problems.push(Problem::SourceDigest {
                index,
                statement: s.cloned().unwrap_or_default(),
                hash_input: k.cloned().unwrap_or_default(),
            });
            known.push(format!(
                "predicate.buildDefinition.resolvedDependencies[{index}].digest.sha256"
            ));
        }
    }
}

/// The paths (`a.b[2].c`) at which `a` and `b` differ, sorted; an object key present on one side only is a
/// difference at that key.
pub fn differences(a: &Value, b: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff_into(a, b, String::new(), &mut out);
    out
}

fn diff_into(a: &Value, b: &Value, path: String, out: &mut Vec<String>) {
    let join = |key: &str| match path.is_empty() {
        true => key.to_string(),
        false => format!("{path}.{key}"),
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                match (x.get(key), y.get(key)) {
                    (Some(u), Some(v)) => diff_into(u, v, join(key), out),
                    _ => out.push(join(key)),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                diff_into(u, v, format!("{path}[{i}]"), out);
            }
        }
        _ if a != b => out.push(if path.is_empty() {
            "(whole)".into()
        } else {
            path
        }),
        _ => {}
    }
}
