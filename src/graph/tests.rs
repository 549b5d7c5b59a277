use super::*;

/// (name, noarch, requirements) of one fixture recipe.
type Fixture<'a> = (&'a str, bool, &'a [(DepKind, &'a str)]);

/// (name, noarch, requires) per recipe; describe renders the same for every target.
fn recipes(list: &[Fixture]) -> (BTreeMap<String, usize>, Vec<NodeSpec>) {
    let specs: Vec<NodeSpec> = list
        .iter()
        .map(|(name, noarch, reqs)| NodeSpec {
            name: name.to_string(),
            version: "1".into(),
            noarch: *noarch,
            requires: reqs.iter().map(|(k, n)| (*k, n.to_string())).collect(),
            run_exports: if *name == "python" {
                vec!["python_abi".into(), "python".into()]
            } else {
                vec![]
            },
            provides: vec![name.to_string()],
            strong_run_exports: vec![],
        })
        .collect();
    let providers = specs
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.clone(), i))
        .collect();
    (providers, specs)
}

fn expand(list: &[Fixture], roots: &[(usize, Subdir)]) -> Graph {
    let (providers, specs) = recipes(list);
    Graph::expand::<()>(roots, &providers, Subdir::Linux64, |r, _| {
        Ok(Some(specs[r].clone()))
    })
    .unwrap()
}

fn named_waves(graph: &Graph) -> Vec<Vec<String>> {
    graph
        .waves()
        .unwrap()
        .iter()
        .map(|w| w.iter().map(|&n| graph.nodes[n].label()).collect())
        .collect()
}

#[test]
fn orders_the_bootstrap_libraries_in_waves() {
    use DepKind::*;
    let list: &[Fixture] = &[
        ("readline", false, &[(Host, "ncurses")]),
        ("zlib", false, &[]),
        (
            "python",
            false,
            &[(Host, "zlib"), (Host, "readline"), (Host, "openssl")],
        ),
        ("ncurses", false, &[]),
        (
            "openssl",
            false,
            &[(Host, "zlib"), (Run, "ca-certificates")],
        ),
    ];
    let roots: Vec<(usize, Subdir)> = (0..list.len()).map(|i| (i, Subdir::Linux64)).collect();
    let graph = expand(list, &roots);
    assert_eq!(
        named_waves(&graph),
        vec![
            vec!["ncurses (linux-64)", "zlib (linux-64)"],
            vec!["openssl (linux-64)", "readline (linux-64)"],
            vec!["python (linux-64)"],
        ]
    );
    assert_eq!(graph.external.len(), 1);
    assert_eq!(graph.external[0].name, "ca-certificates");
}

#[test]
fn a_cross_build_pulls_in_its_build_requirement_for_the_build_platform() {
    use DepKind::*;
    let list: &[Fixture] = &[
        ("gen", false, &[]),
        ("lib", false, &[(Build, "gen"), (Host, "zlib")]),
        ("zlib", false, &[]),
    ];
    let graph = expand(list, &[(1, Subdir::LinuxAarch64)]);
    assert_eq!(
        named_waves(&graph),
        vec![
            vec!["gen (linux-64)", "zlib (linux-aarch64)"],
            vec!["lib (linux-aarch64)"],
        ]
    );
}

#[test]
fn a_noarch_output_is_one_node_for_every_target() {
    use DepKind::*;
    let list: &[Fixture] = &[("pure", true, &[]), ("app", false, &[(Run, "pure")])];
    let graph = expand(
        list,
        &[
            (1, Subdir::Linux64),
            (1, Subdir::LinuxAarch64),
            (0, Subdir::LinuxAarch64),
        ],
    );
    assert_eq!(
        named_waves(&graph),
        vec![
            vec!["pure (noarch)"],
            vec!["app (linux-64)", "app (linux-aarch64)"],
        ]
    );
    // Asked for by linux-aarch64 only, it is still rendered and built for the build platform.
    let graph = expand(list, &[(0, Subdir::LinuxAarch64)]);
    assert_eq!(graph.nodes.len(), 1);
    assert_eq!(
        (graph.nodes[0].target, graph.nodes[0].subdir),
        (Subdir::Linux64, Subdir::NoArch)
    );
}

#[test]
fn a_cycle_names_every_member_and_edge() {
    use DepKind::*;
    let list: &[Fixture] = &[
        ("a", false, &[(Host, "b")]),
        ("b", false, &[(Host, "c")]),
        ("c", false, &[(Run, "a")]),
        ("d", false, &[(Host, "d")]),
    ];
    let roots: Vec<(usize, Subdir)> = (0..4).map(|i| (i, Subdir::Linux64)).collect();
    let err = expand(list, &roots).waves().unwrap_err();
    assert_eq!(
        err.members,
        ["a (linux-64)", "b (linux-64)", "c (linux-64)"]
    );
    assert_eq!(
        err.edges,
        [
            "a (linux-64) → b (linux-64)",
            "b (linux-64) → c (linux-64)",
            "c (linux-64) → a (linux-64)"
        ]
    );
}

#[test]
fn a_skipped_recipe_leaves_its_requirement_to_channels() {
    let (providers, specs) = recipes(&[("a", false, &[(DepKind::Host, "b")]), ("b", false, &[])]);
    let graph = Graph::expand::<()>(
        &[(0, Subdir::Linux64)],
        &providers,
        Subdir::Linux64,
        |r, _| Ok((r == 0).then(|| specs[r].clone())),
    )
    .unwrap();
    assert_eq!(graph.nodes.len(), 1);
    assert_eq!(graph.external[0].name, "b");
}

#[test]
fn the_remaining_path_follows_the_longest_chain_of_dependents() {
    use DepKind::*;
    let list: &[Fixture] = &[
        ("zlib", false, &[]),
        ("openssl", false, &[(Host, "zlib")]),
        ("python", false, &[(Host, "openssl"), (Host, "zlib")]),
        ("xz", false, &[]),
    ];
    let roots: Vec<(usize, Subdir)> = (0..list.len()).map(|i| (i, Subdir::Linux64)).collect();
    let graph = expand(list, &roots);
    let weight = |n: usize| match graph.nodes[n].name.as_str() {
        "openssl" => 10.0,
        "python" => 5.0,
        _ => 1.0,
    };
    let path = graph.remaining_path(weight);
    let of = |name: &str| path[graph.nodes.iter().position(|n| n.name == name).unwrap()];
    assert_eq!(
        (of("zlib"), of("openssl"), of("python"), of("xz")),
        (16.0, 15.0, 5.0, 1.0)
    );
}

#[test]
fn run_exports_of_a_host_dependency_are_edges_except_for_noarch() {
    use DepKind::*;
    let list: &[Fixture] = &[
        ("python", false, &[]),
        ("python_abi", false, &[]),
        ("ext", false, &[(Host, "python")]),
        ("pure", true, &[(Host, "python")]),
    ];
    let graph = expand(list, &[(2, Subdir::Linux64), (3, Subdir::Linux64)]);
    let label = |n: usize| graph.nodes[n].label();
    let deps = |name: &str| -> Vec<String> {
        let n = graph
            .nodes
            .iter()
            .position(|node| node.name == name)
            .unwrap();
        graph.deps[n].iter().map(|&d| label(d)).collect()
    };
    assert_eq!(deps("ext"), ["python (linux-64)", "python_abi (linux-64)"]);
    assert_eq!(deps("pure"), ["python (linux-64)"]);
}

#[test]
fn run_requirements_of_a_noarch_dependency_are_built_for_the_dependents_target() {
    use DepKind::*;
    let list: &[Fixture] = &[
        ("cryptography", false, &[]),
        ("pyopenssl", true, &[(Run, "cryptography")]),
        ("requests", true, &[(Run, "pyopenssl")]),
        ("conda", false, &[(Run, "requests")]),
    ];
    let graph = expand(list, &[(3, Subdir::LinuxAarch64)]);
    let conda = graph.nodes.iter().position(|n| n.name == "conda").unwrap();
    let deps: Vec<String> = graph.deps[conda]
        .iter()
        .map(|&d| graph.nodes[d].label())
        .collect();
    assert!(
        deps.contains(&"cryptography (linux-aarch64)".to_string()),
        "{deps:?}"
    );
    assert!(deps.contains(&"pyopenssl (noarch)".to_string()), "{deps:?}");
    let waves = named_waves(&graph);
    assert_eq!(
        waves.last().unwrap(),
        &vec!["conda (linux-aarch64)".to_string()]
    );
}

/// A multi-output build is one node that every one of its packages points to; a package it makes on one platform
/// only is left to channels on the others; the strong run_exports of a build dependency are edges for the target.
#[test]
fn outputs_of_one_build_are_one_node() {
    use DepKind::*;
    let gcc = |target: Subdir| NodeSpec {
        name: "gcc".into(),
        version: "12.2.0".into(),
        noarch: false,
        requires: vec![],
        run_exports: vec!["libgcc-ng".into()],
        strong_run_exports: vec!["libgcc-ng".into()],
        provides: match target {
            Subdir::Linux64 => vec!["libgcc-ng".into(), "gcc_impl_linux-aarch64".into()],
            _ => vec!["libgcc-ng".into()],
        },
    };
    let zlib = NodeSpec {
        name: "zlib".into(),
        version: "1".into(),
        noarch: false,
        // The cross compiler in build strong-exports the target's libgcc-ng: an edge to gcc for linux-aarch64.
        requires: vec![(Build, "gcc_impl_linux-aarch64".into())],
        run_exports: vec![],
        strong_run_exports: vec![],
        provides: vec!["zlib".into()],
    };
    let providers = BTreeMap::from([
        ("libgcc-ng".to_string(), 0),
        ("gcc_impl_linux-aarch64".to_string(), 0),
        ("zlib".to_string(), 1),
    ]);
    let graph = Graph::expand::<()>(
        &[(1, Subdir::LinuxAarch64)],
        &providers,
        Subdir::Linux64,
        |r, t| Ok(Some(if r == 0 { gcc(t) } else { zlib.clone() })),
    )
    .unwrap();
    let labels: Vec<String> = graph.nodes.iter().map(Node::label).collect();
    assert_eq!(
        labels,
        [
            "zlib (linux-aarch64)",
            "gcc (linux-64)",
            "gcc (linux-aarch64)"
        ]
    );
    assert_eq!(graph.deps[0], BTreeSet::from([1, 2]));
    assert!(graph.external.is_empty());

    // Asked for on linux-aarch64, where gcc does not make it: a channel must provide it.
    let wants = NodeSpec {
        requires: vec![(Host, "gcc_impl_linux-aarch64".into())],
        ..zlib.clone()
    };
    let graph = Graph::expand::<()>(
        &[(1, Subdir::LinuxAarch64)],
        &providers,
        Subdir::Linux64,
        |r, t| Ok(Some(if r == 0 { gcc(t) } else { wants.clone() })),
    )
    .unwrap();
    assert_eq!(graph.external.len(), 1);
    assert_eq!(graph.external[0].name, "gcc_impl_linux-aarch64");
    assert_eq!(
        graph.nodes.len(),
        1,
        "no node for a build that does not make the package"
    );
}
