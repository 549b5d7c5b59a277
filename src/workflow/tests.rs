use std::collections::BTreeSet;

use super::*;

fn node(name: &str, subdir: &str, deps: &[usize]) -> WorkflowNode {
    let build_platform = if subdir == "linux-aarch64" {
        "linux-aarch64"
    } else {
        "linux-64"
    };
    WorkflowNode {
        name: name.into(),
        version: "1.0".into(),
        subdir: subdir.into(),
        target: if subdir == "noarch" {
            "linux-64".into()
        } else {
            subdir.into()
        },
        build_platform: build_platform.into(),
        recipe_dir: format!("recipes/{name}"),
        cargo_vendor: false,
        deps: deps.iter().copied().collect(),
    }
}

/// zlib (two platforms) ← python (two) ← pip (noarch, needs python linux-64).
fn graph() -> WorkflowGraph {
    WorkflowGraph {
        nodes: vec![
            node("python", "linux-aarch64", &[3, 1]),
            node("python", "linux-64", &[2]),
            node("zlib", "linux-64", &[]),
            node("zlib", "linux-aarch64", &[]),
            node("pip", "noarch", &[1]),
        ],
    }
    .sorted()
}

const OPTS: Options = Options {
    aarch64: Aarch64::Native,
    max_jobs: GITHUB_MAX_JOBS,
};

#[test]
fn sorted_keeps_edges() {
    let g = graph();
    let labels: Vec<String> = g.nodes.iter().map(WorkflowNode::label).collect();
    assert_eq!(
        labels,
        [
            "pip (noarch)",
            "python (linux-64)",
            "python (linux-aarch64)",
            "zlib (linux-64)",
            "zlib (linux-aarch64)"
        ]
    );
    assert_eq!(
        g.edges(),
        [
            ("pip (noarch)".to_string(), "python (linux-64)".to_string()),
            ("python (linux-64)".into(), "zlib (linux-64)".into()),
            ("python (linux-aarch64)".into(), "python (linux-64)".into()),
            (
                "python (linux-aarch64)".into(),
                "zlib (linux-aarch64)".into()
            ),
        ]
    );
}

#[test]
fn one_job_per_node_with_needs_from_edges() {
    let g = graph();
    let groups = groups(&g, &OPTS);
    let ids: Vec<&str> = groups.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "build-pip-noarch",
            "build-python-linux-64",
            "build-python-linux-aarch64",
            "build-zlib-linux-64",
            "build-zlib-linux-aarch64"
        ]
    );
    assert_eq!(groups[2].runner, Runner::Arm64);
    assert_eq!(groups[1].runner, Runner::X64);
    assert_eq!(groups[2].needs, BTreeSet::from([1, 4]));
    // pip needs python linux-64 and, through it, zlib linux-64.
    assert_eq!(needs_closure(&groups, 0), BTreeSet::from([1, 3]));
}

#[test]
fn waves_when_nodes_exceed_the_limit() {
    let g = graph();
    let opts = Options {
        aarch64: Aarch64::Native,
        max_jobs: 4,
    };
    let groups = groups(&g, &opts);
    let ids: Vec<&str> = groups.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "wave-001-x64",
            "wave-001-arm64",
            "wave-002-x64",
            "wave-003-x64",
            "wave-003-arm64"
        ]
    );
    // python (linux-aarch64) needs python (linux-64) in wave 2 x64 and zlib (linux-aarch64) in wave 1 arm64.
    assert_eq!(groups[4].members, [2]);
    assert_eq!(groups[4].needs, BTreeSet::from([1, 2]));
    assert_eq!(groups[3].needs, BTreeSet::from([2]));
}

#[test]
fn job_ids_are_valid_and_unique() {
    assert_eq!(
        job_id("build-ruamel.yaml-linux-64"),
        "build-ruamel_yaml-linux-64"
    );
    assert_eq!(job_id("7zip"), "_7zip");
    let mut g = graph();
    g.nodes.push(node("a.b", "linux-64", &[]));
    g.nodes.push(node("a_b", "linux-64", &[]));
    let groups = groups(&g, &OPTS);
    let ids: BTreeSet<&str> = groups.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(ids.len(), groups.len());
    assert!(ids.contains("build-a_b-linux-64-2"));
}

#[test]
fn checksum_covers_inputs_edges_and_options() {
    let g = graph();
    let base = checksum(&g, "inputs", &OPTS);
    assert_eq!(base, checksum(&g, "inputs", &OPTS));
    assert_ne!(base, checksum(&g, "other inputs", &OPTS));
    let cross = Options {
        aarch64: Aarch64::Cross,
        ..OPTS
    };
    assert_ne!(base, checksum(&g, "inputs", &cross));
    let mut fewer = g.clone();
    fewer.nodes[0].deps.clear();
    assert_ne!(base, checksum(&fewer, "inputs", &OPTS));
    assert_ne!(
        hash_files([("a", &b"xy"[..]), ("b", &b""[..])]),
        hash_files([("a", &b"x"[..]), ("b", &b"y"[..])])
    );
}

#[test]
fn header_round_trip() {
    let g = graph();
    let groups = groups(&g, &OPTS);
    let sum = checksum(&g, "inputs", &OPTS);
    let layout = github::Layout {
        workspace: "toolchain".into(),
        output: "toolchain/channels/local".into(),
        logs: "toolchain/channels/logs".into(),
    };
    let text = github::render(&g, &groups, &layout, &sum, &OPTS).unwrap();
    let header = read_header(&text).unwrap();
    assert_eq!(header.checksum, sum);
    assert_eq!(header.options, Some(OPTS));
    assert!(text.contains("runs-on: ubuntu-24.04-arm"), "{text}");
    assert!(text.contains("name: archi (toolchain)\n"), "{text}");
    assert!(text.contains("working-directory: toolchain\n"), "{text}");
    assert!(text.contains("path: toolchain/channels/local\n"), "{text}");
    assert_eq!(read_header("name: x\n"), None);
}
