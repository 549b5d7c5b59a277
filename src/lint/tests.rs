use std::collections::BTreeMap;
use std::path::Path;

use rattler_conda_types::Subdir;

use super::*;
use crate::recipe::{parse, SourceFile};
use crate::render::{render, RenderOptions};

fn load(text: &str) -> LoadedRecipe {
    let path = Path::new("recipes/t/recipe.toml");
    LoadedRecipe {
        raw: parse(text, path).unwrap(),
        file: SourceFile::new(path, text),
        dir: "/nonexistent/recipes/t".into(),
    }
}

fn run_lint(
    text: &str,
    exports: &BTreeMap<String, Vec<String>>,
    file: Option<NamedFile>,
) -> Vec<Finding> {
    let recipe = load(text);
    let (pins, toolchain, packaged) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    let opts = RenderOptions {
        target_platform: Subdir::Linux64,
        build_platform: Subdir::Linux64,
        pins: &pins,
        toolchain: &toolchain,
        packaged: &packaged,
    };
    let rendered = render(&recipe, &opts).unwrap();
    let named = move |_: &str| file.clone();
    let facts = Facts {
        run_exports: exports,
        cached: &|_| false,
        named_file: &named,
    };
    lint(&recipe, &rendered, &facts)
}

const GOOD: &str = r#"[package]
name = "good"
version = "1.0"

[[source]]
url = "https://example.org/good-1.0.tar.gz"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"

[build]
number = 0
script = "make install"

[requirements]
host = ["zlib"]
run = ["zlib >=1.2"]

[test]
commands = ["true"]

[about]
homepage = "https://example.org"
license = "MIT"
license_file = "LICENSE"
summary = "good"
"#;

fn codes(findings: &[Finding]) -> Vec<Code> {
    findings.iter().map(|f| f.code).collect()
}

#[test]
fn a_complete_recipe_has_no_findings() {
    assert_eq!(run_lint(GOOD, &BTreeMap::new(), None), []);
}

#[test]
fn missing_about_fields_point_at_the_about_table() {
    let text = GOOD
        .replace("license = \"MIT\"\n", "")
        .replace("license_file = \"LICENSE\"\n", "")
        .replace("homepage = \"https://example.org\"\n", "");
    let findings = run_lint(&text, &BTreeMap::new(), None);
    assert_eq!(
        codes(&findings),
        [
            Code::MissingLicense,
            Code::MissingLicenseFile,
            Code::MissingHomepage
        ]
    );
    let (line, _) = line_col(&text, findings[0].span.start);
    assert_eq!(text.lines().nth(line - 1), Some("[about]"));
}

#[test]
fn unpinned_run_requirement_names_the_run_export() {
    let text = GOOD.replace("run = [\"zlib >=1.2\"]", "run = [\"zlib\"]");
    let exports = BTreeMap::from([(
        "zlib".to_string(),
        vec!["zlib >=1.2.13,<1.3.0a0".to_string()],
    )]);
    let findings = run_lint(&text, &exports, None);
    assert_eq!(codes(&findings), [Code::UnpinnedRunRequirement]);
    assert!(
        findings[0].message.contains("zlib >=1.2.13,<1.3.0a0"),
        "{}",
        findings[0].message
    );
    let at = findings[0].span.start;
    assert_eq!(&text[at..at + 6], "\"zlib\"");
    let findings = run_lint(&text, &BTreeMap::new(), None);
    assert!(findings[0].message.contains("is a host requirement too"));
}

#[test]
fn unpinned_run_requirement_another_host_package_exports() {
    let text = GOOD
        .replace("host = [\"zlib\"]", "host = [\"python\"]")
        .replace(
            "run = [\"zlib >=1.2\"]",
            "run = [\"python >=3.11\", \"python_abi\"]",
        );
    let exports = BTreeMap::from([(
        "python".to_string(),
        vec![
            "python_abi 3.11.* *_cp311".to_string(),
            "python >=3.11,<3.12.0a0".to_string(),
        ],
    )]);
    let findings = run_lint(&text, &exports, None);
    assert_eq!(codes(&findings), [Code::UnpinnedRunRequirement]);
    assert!(findings[0]
        .message
        .starts_with("run requirement `python_abi` has no version bound, but python's"));
    // Without the export and not in host: nothing to say.
    assert_eq!(run_lint(&text, &BTreeMap::new(), None), []);
}

#[test]
fn noarch_with_a_compiler_call() {
    let text = GOOD.replace(
        "script = \"make install\"",
        "noarch = \"generic\"\nscript = \"$CC -o x x.c\"",
    );
    let findings = run_lint(&text, &BTreeMap::new(), None);
    assert_eq!(codes(&findings), [Code::NoarchCompiles]);
    assert!(findings[0].message.contains("`$CC`"));
}

#[test]
fn source_sha256_differs_from_the_named_file() {
    let found = NamedFile {
        path: "/downloads/good-1.0.tar.gz".into(),
        sha256: "1".repeat(64),
    };
    let findings = run_lint(GOOD, &BTreeMap::new(), Some(found.clone()));
    assert_eq!(codes(&findings), [Code::SourceSha256Mismatch]);
    let (line, _) = line_col(GOOD, findings[0].span.start);
    assert_eq!(line, 7);
    let same = NamedFile {
        sha256: "0".repeat(64),
        ..found
    };
    assert_eq!(run_lint(GOOD, &BTreeMap::new(), Some(same)), []);
}

#[test]
fn line_col_is_one_based() {
    assert_eq!(line_col("a\nbc\n", 0), (1, 1));
    assert_eq!(line_col("a\nbc\n", 3), (2, 2));
}
