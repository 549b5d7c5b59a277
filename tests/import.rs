//! `archi import` on real conda-forge feedstocks (tests/data/feedstocks, see SOURCES.md there): every one imports,
//! every warning names a line of the recipe file and is also a comment in recipe.toml, every recipe.toml is a valid
//! archi recipe; five generated recipes are snapshots; the imports of zlib, xz and libffi render to what archi's own
//! recipes say (where comparable); the imported libffi builds and passes its tests with archi.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::{ok, run, Workspace};

fn feedstocks() -> Vec<PathBuf> {
    let root = common::repo().join("tests/data/feedstocks");
    let mut dirs: Vec<PathBuf> = fs_err::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn feedstock(name: &str) -> PathBuf {
    common::repo().join("tests/data/feedstocks").join(name)
}

/// `archi import <feedstock> --into <into>`: the recipe directory written and the warnings printed.
fn import(ws: &Workspace, feedstock: &Path, into: &Path) -> (PathBuf, Vec<String>) {
    let out = run(ws
        .archi()
        .arg("import")
        .arg(feedstock)
        .arg("--into")
        .arg(into));
    assert!(
        out.status.success(),
        "import of {} failed",
        feedstock.display()
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let dest = stdout
        .trim()
        .rsplit_once(" -> ")
        .and_then(|(_, rest)| rest.rsplit_once(" ("))
        .map(|(dir, _)| PathBuf::from(dir))
        .unwrap_or_else(|| panic!("no destination in {stdout:?}"));
    let warnings = String::from_utf8(out.stderr)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .map(str::to_string)
        .collect();
    (dest, warnings)
}

#[test]
fn every_feedstock_imports_into_a_valid_recipe_and_every_warning_names_a_line() {
    let ws = Workspace::new();
    let into = ws.path().join("imported");
    let all = feedstocks();
    assert!(all.len() >= 20, "{} feedstocks", all.len());
    let mut v1 = 0;
    let mut multi = 0;
    let mut total_warnings = 0;
    for fs in &all {
        let (dest, warnings) = import(&ws, fs, &into);
        let recipe_file = ["recipe/recipe.yaml", "recipe/meta.yaml"]
            .iter()
            .map(|r| fs.join(r))
            .find(|p| p.is_file())
            .unwrap();
        v1 += usize::from(recipe_file.ends_with("recipe.yaml"));
        let source_lines = fs_err::read_to_string(&recipe_file)
            .unwrap()
            .lines()
            .count();
        let toml = fs_err::read_to_string(dest.join("recipe.toml")).unwrap();
        for w in &warnings {
            // warning: <file>:<line>: <message>
            let rest = w.strip_prefix("warning: ").unwrap();
            let prefix = format!("{}:", recipe_file.display());
            let rest = rest
                .strip_prefix(&prefix)
                .unwrap_or_else(|| panic!("{w} does not name {}", recipe_file.display()));
            let (line, message) = rest.split_once(": ").unwrap();
            let line: usize = line.parse().unwrap_or_else(|_| panic!("no line in {w}"));
            assert!((1..=source_lines).contains(&line), "{w}: line out of range");
            let file_name = recipe_file.file_name().unwrap().to_string_lossy();
            assert!(
                toml.contains(&format!("#   {file_name}:{line}: {message}")),
                "{w} is not a comment in {}",
                dest.display()
            );
        }
        total_warnings += warnings.len();
        let loaded = archi::recipe::load(&dest).unwrap_or_else(|e| {
            panic!(
                "{}: not a valid archi recipe: {e:?}\n{toml}",
                dest.display()
            )
        });
        multi += usize::from(!loaded.raw.outputs.is_empty());
        // …and renders for linux-64 (templates, pins, paths; the environments need packages no channel here has).
        let rendered = run(ws
            .archi()
            .arg("render")
            .arg(&dest)
            .args(["--target-platform", "linux-64"]));
        assert!(
            rendered.status.success(),
            "{} does not render",
            dest.display()
        );
        // Files beside the recipe are copied (build.sh, patches, test files), the recipe file is not.
        for entry in fs_err::read_dir(recipe_file.parent().unwrap()).unwrap() {
            let name = entry.unwrap().file_name();
            let copied = dest.join(&name).exists();
            assert_eq!(copied, name != recipe_file.file_name().unwrap(), "{name:?}");
        }
    }
    assert!(v1 >= 1 && multi >= 3, "v1 {v1}, multi-output {multi}");
    eprintln!(
        "{} feedstocks, {v1} v1, {multi} multi-output, {total_warnings} warnings",
        all.len()
    );
}

#[test]
fn generated_recipes_match_their_snapshots() {
    for name in ["zlib", "xz", "libffi", "cryptography", "requests"] {
        let imported = archi::import::import(&feedstock(name)).unwrap();
        insta::assert_snapshot!(format!("import_{name}"), imported.recipe_toml);
    }
}

/// Requirement names per list (`build`, `host`, `run`, `run_exports_weak`, …) of a rendered recipe and its
/// outputs: toolchain entries by name, match specs by package name.
fn requirement_names(rendered: &serde_json::Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut add = |key: &str, list: &serde_json::Value| {
        for item in list.as_array().into_iter().flatten() {
            let name = match item {
                serde_json::Value::String(s) => {
                    s.split_whitespace().next().unwrap_or("").to_string()
                }
                // {"toolchain": "make"} or another kind: kind and name.
                other => other
                    .as_object()
                    .and_then(|o| {
                        o.iter()
                            .find_map(|(k, v)| Some(format!("{k}:{}", v.as_str()?)))
                    })
                    .unwrap_or_else(|| other.to_string()),
            };
            out.entry(key.to_string()).or_default().insert(name);
        }
    };
    let recipe = &rendered["recipe"];
    for (k, v) in recipe["requirements"].as_object().unwrap() {
        add(k, v);
    }
    for o in recipe["outputs"].as_array().into_iter().flatten() {
        for k in [
            "run",
            "run_constraints",
            "run_exports_weak",
            "run_exports_strong",
        ] {
            add(k, &o[k]);
        }
    }
    out
}

fn render(ws: &Workspace, recipe: &Path) -> serde_json::Value {
    let out = ok(ws
        .archi()
        .arg("render")
        .arg(recipe)
        .args(["--target-platform", "linux-64"]));
    serde_json::from_str(&out).unwrap()
}

fn sha256s(rendered: &serde_json::Value) -> Vec<String> {
    rendered["recipe"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| {
            let origin = &s["origin"];
            origin["url"]["sha256"]
                .as_str()
                .or(origin["file"]["sha256"].as_str())
                .map(str::to_string)
        })
        .collect()
}

#[test]
fn imports_of_shipped_recipes_render_like_archis_own() {
    let ws = Workspace::new();
    let into = ws.path().join("recipes");
    let mut report = String::new();
    for name in ["zlib", "xz", "libffi"] {
        let (dest, _) = import(&ws, &feedstock(name), &into);
        let imported = render(&ws, &dest);
        let shipped = render(&ws, &common::repo().join("recipes").join(name));
        assert_eq!(imported["version"], shipped["version"], "{name}");
        let (a, b) = (sha256s(&imported), sha256s(&shipped));
        match name {
            // The same release tarball (Debian's orig tarball is upstream's, byte for byte).
            "libffi" => assert_eq!(a, b),
            // conda-forge takes xz-5.4.1.tar.bz2, archi the .tar.xz; zlib: upstream's tarball vs Debian's dfsg repack.
            "xz" => assert_eq!(
                (a[0].as_str(), b[0].as_str()),
                (
                    "dd172acb53867a68012f94c17389401b2f274a1aa5ae8f84cbfb8b7e383ea8d3",
                    "5d9827aa1875b21c288f78864bb26d2650b436ea8d2cad364e4921eb6266a5a5"
                )
            ),
            _ => assert_eq!(
                (a[0].as_str(), b[0].as_str()),
                (
                    "b3a24de97a8fdbc835b9833169501030b8977031bcb54b3b3ac13740f846ab30",
                    "71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1"
                )
            ),
        }
        let (a, b) = (requirement_names(&imported), requirement_names(&shipped));
        // Everything archi's recipe requires, the import requires too (conda-forge's adds autotools, texinfo, …),
        // except where conda-forge's recipe is shaped differently: its zlib exports `libzlib`, the shared library
        // it splits into an output of its own, where archi's one package exports `zlib`.
        let known: [(&str, &str, &str, &str); 1] =
            [("zlib", "run_exports_weak", "zlib", "libzlib")];
        for (list, names) in &b {
            let got = a.get(list).cloned().unwrap_or_default();
            let missing: Vec<&String> = names.difference(&got).collect();
            for m in &missing {
                let documented = known.iter().any(|(r, l, archi_name, import_name)| {
                    *r == name && l == list && m == archi_name && got.contains(*import_name)
                });
                assert!(documented, "{name} {list}: archi {names:?}, import {got:?}");
            }
            let extra: Vec<&String> = got.difference(names).collect();
            report.push_str(&format!(
                "{name} {list}: archi {names:?}, import {got:?}, import adds {extra:?}\n"
            ));
        }
    }
    // The other feedstocks of packages archi ships (other versions than archi's): the import makes that package
    // (as the recipe or one of its outputs); how the run requirements differ is printed.
    for name in [
        "bzip2",
        "cffi",
        "cryptography",
        "expat",
        "ncurses",
        "openssl",
        "pip",
        "pycosat",
        "python",
        "readline",
        "requests",
        "setuptools",
        "sqlite",
        "tqdm",
        "zstd",
    ] {
        let (dest, _) = import(&ws, &feedstock(name), &into);
        let imported = render(&ws, &dest);
        let shipped = render(&ws, &common::repo().join("recipes").join(name));
        let recipe = &imported["recipe"];
        let output = recipe["outputs"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|o| o["name"] == name);
        assert!(
            output.is_some() || recipe["name"] == name,
            "the import of {name} does not make {name}"
        );
        let run = |list: &serde_json::Value| -> BTreeSet<String> {
            list.as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str()?.split_whitespace().next().map(str::to_string))
                .collect()
        };
        let import_run = run(output.map_or(&recipe["requirements"]["run"], |o| &o["run"]));
        let archi_run = run(&shipped["recipe"]["requirements"]["run"]);
        report.push_str(&format!(
            "{name}: conda-forge {} / archi {}, same source {}, run only in the import {:?}, only in archi's {:?}\n",
            imported["version"],
            shipped["version"],
            sha256s(&imported) == sha256s(&shipped),
            import_run.difference(&archi_run).collect::<Vec<_>>(),
            archi_run.difference(&import_run).collect::<Vec<_>>(),
        ));
    }
    eprintln!("{report}");
}

/// The sources of the three imports against a fresh store seeded (`scripts/seed-sources.sh --download-only`, then
/// `archi source add`) with Debian's tarballs of libffi and xz: libffi's tarball is
/// there (Debian's orig tarball has upstream's sha256), xz's .tar.bz2 and zlib's upstream tarball are not.
#[test]
fn imported_libffi_builds_and_passes_its_tests_xz_and_zlib_name_the_source_they_lack() {
    let ws = Workspace::new();
    // conda-forge's libffi needs texinfo (makeinfo) at build time: the machine's, as archi's other tools.
    let mut pins = fs_err::read_to_string(ws.path().join("pins.toml")).unwrap();
    pins.push_str("\n[toolchain.texinfo]\nprogram = \"makeinfo\"\napt = \"texinfo\"\n");
    fs_err::write(ws.path().join("pins.toml"), pins).unwrap();
    // Debian's orig tarballs through apt, as the other build tests fetch them (files already there are kept).
    let downloads = dirs::cache_dir().unwrap().join("archi/downloads");
    let seeded = run(std::process::Command::new("bash")
        .arg(common::repo().join("scripts/seed-sources.sh"))
        .arg("--download-only")
        .env("ARCHI_DOWNLOADS", &downloads));
    assert!(seeded.status.success(), "seed-sources.sh failed");
    ok(ws
        .archi()
        .args(["source", "add"])
        .arg(downloads.join("libffi_3.4.4.orig.tar.gz")));
    ok(ws
        .archi()
        .args(["source", "add"])
        .arg(downloads.join("xz-utils_5.4.1.orig.tar.xz")));
    let into = ws.path().join("recipes");
    let build = |recipe: &Path| {
        let out = run(ws
            .archi()
            .arg("build")
            .arg(recipe)
            .args(["--target-platform", "linux-64"]));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    for (name, sha256) in [
        (
            "xz",
            "dd172acb53867a68012f94c17389401b2f274a1aa5ae8f84cbfb8b7e383ea8d3",
        ),
        (
            "zlib",
            "b3a24de97a8fdbc835b9833169501030b8977031bcb54b3b3ac13740f846ab30",
        ),
    ] {
        let (dest, _) = import(&ws, &feedstock(name), &into);
        let (built, log) = build(&dest);
        assert!(!built && log.contains(sha256), "{name}: {log}");
    }
    let (dest, _) = import(&ws, &feedstock("libffi"), &into);
    // As imported: the feedstock's 0001 patch (Apple arm64 trampolines, written for libffi 3.4.2) does not apply to
    // 3.4.4 — GNU patch fails on it too (src/aarch64/ffi.c hunk 1, src/closures.c hunk 3).
    let (built, log) = build(&dest);
    assert!(
        !built && log.contains("0001-arm64-use-a-dedicated-dylib"),
        "{log}"
    );
    // Without the two Apple patches (a change made here, not by the import), the imported build.sh, requirements
    // and tests work as they are: autoreconf, configure, make check, make install, then the four test commands.
    let toml_path = dest.join("recipe.toml");
    let toml = fs_err::read_to_string(&toml_path).unwrap();
    let start = toml.find("patches = [").unwrap();
    let end = start + toml[start..].find("]\n").unwrap() + 2;
    fs_err::write(&toml_path, format!("{}{}", &toml[..start], &toml[end..])).unwrap();
    let (built, log) = build(&dest);
    assert!(built, "{log}");
    // The imported tests ran on the package (archi runs [test] after packaging).
    let logs = ws.path().join("logs/linux-64");
    let build_log = fs_err::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("libffi-3.4.4-")
        })
        .map(|p| fs_err::read_to_string(p).unwrap())
        .find(|text| text.contains("phase publish"))
        .expect("the log of the successful build");
    let tested = build_log.split("phase test").nth(1).unwrap_or_default();
    assert!(
        tested.contains("$ test -e $PREFIX/include/ffitarget.h"),
        "{build_log}"
    );
    let repodata: serde_json::Value =
        serde_json::from_slice(&fs_err::read(ws.channel().join("linux-64/repodata.json")).unwrap())
            .unwrap();
    let names: Vec<String> = repodata["packages.conda"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with("libffi-3.4.4-")),
        "{names:?}"
    );
}

#[test]
fn bad_input_fails_naming_the_file_and_line_and_writes_nothing() {
    let ws = Workspace::new();
    let into = ws.path().join("imported");
    // Not a recipe.
    let out = run(ws
        .archi()
        .arg("import")
        .arg(ws.path())
        .arg("--into")
        .arg(&into));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no recipe/meta.yaml"));
    // YAML broken after a selector-only line and a jinja block: the error names meta.yaml and the source line.
    let bad = ws.path().join("bad/recipe");
    fs_err::create_dir_all(&bad).unwrap();
    fs_err::write(
        bad.join("meta.yaml"),
        "{% set v = '1' %}\npackage:\n  name: bad  # [linux]\n{% if win %}\n  x: 1\n{% endif %}\n  version: [unclosed\n",
    )
    .unwrap();
    let out = run(ws
        .archi()
        .arg("import")
        .arg(bad.parent().unwrap())
        .arg("--into")
        .arg(&into));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad/recipe/meta.yaml:7: not valid YAML"),
        "{err}"
    );
    assert!(!into.exists() || fs_err::read_dir(&into).unwrap().next().is_none());
    // An existing recipe directory is not overwritten.
    let (dest, _) = import(&ws, &feedstock("bzip2"), &into);
    let before = fs_err::read_to_string(dest.join("recipe.toml")).unwrap();
    let out = run(ws
        .archi()
        .arg("import")
        .arg(feedstock("bzip2"))
        .arg("--into")
        .arg(&into));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists"));
    assert_eq!(
        fs_err::read_to_string(dest.join("recipe.toml")).unwrap(),
        before
    );
    let entries: Vec<_> = fs_err::read_dir(&into).unwrap().collect();
    assert_eq!(entries.len(), 1, "no temporary directory left behind");
}
