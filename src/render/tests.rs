use std::collections::BTreeMap;
use std::path::Path;

use rattler_conda_types::Subdir;

use super::*;
use crate::recipe::{parse, LoadedRecipe, SourceFile};
use crate::source::SourceOrigin;

fn load(text: &str) -> LoadedRecipe {
    let path = Path::new("recipes/t/recipe.toml");
    LoadedRecipe {
        raw: parse(text, path).unwrap(),
        file: SourceFile::new(path, text),
        dir: "recipes/t".into(),
    }
}

fn tools() -> BTreeMap<String, ToolSpec> {
    let make = ToolSpec {
        program: "make".into(),
        apt: "make".into(),
        binutils_prefix: None,
        rust_target: None,
    };
    BTreeMap::from([("make".to_string(), make)])
}

fn render_for(
    text: &str,
    target: Subdir,
    pins: &BTreeMap<String, String>,
) -> Result<RenderedRecipe, RecipeError> {
    let toolchain = tools();
    let packaged = BTreeMap::new();
    let opts = RenderOptions {
        target_platform: target,
        build_platform: Subdir::Linux64,
        pins,
        toolchain: &toolchain,
        packaged: &packaged,
    };
    render(&load(text), &opts)
}

const RECIPE: &str = r#"
[context]
version = "1.2.13"
major = "{{ version.split('.')[0] }}"

[package]
name = "zlib"
version = "{{ version }}"

[build]
script = "make PREFIX=$PREFIX # {{ target_platform }}"

[requirements]
build = ["{{ compiler('c') }}", "make"]
host = ["ncurses", "openssl >=3"]

[requirements.run_exports]
weak = ["{{ pin_subpackage('zlib', max_pin='x.x') }}"]

[target.linux-aarch64.requirements]
host = ["libffi"]
"#;

#[test]
fn renders_context_compiler_pins_and_run_exports() {
    let pins = BTreeMap::from([("ncurses".to_string(), "6.4.*".to_string())]);
    let rendered = render_for(RECIPE, Subdir::Linux64, &pins).unwrap();
    assert_eq!(rendered.version, "1.2.13");
    assert_eq!(
        rendered.script.as_deref(),
        Some("make PREFIX=$PREFIX # linux-64")
    );
    assert_eq!(
        rendered.requirements.build,
        vec![
            Requirement::Toolchain("c".into()),
            Requirement::Toolchain("make".into())
        ]
    );
    assert_eq!(
        rendered.requirements.host,
        vec![
            Requirement::Package("ncurses 6.4.*".into()),
            Requirement::Package("openssl >=3".into())
        ]
    );
    assert_eq!(
        rendered.requirements.run_exports_weak,
        vec!["zlib >=1.2.13,<1.3.0a0".to_string()]
    );
    assert_eq!(
        rendered.variant.get("ncurses").map(String::as_str),
        Some("6.4.*")
    );
}

#[test]
fn target_tables_apply_only_to_their_platform() {
    let pins = BTreeMap::new();
    let native = render_for(RECIPE, Subdir::Linux64, &pins).unwrap();
    let cross = render_for(RECIPE, Subdir::LinuxAarch64, &pins).unwrap();
    assert_eq!(native.requirements.host.len(), 2);
    assert_eq!(cross.requirements.host.len(), 3);
    assert!(cross.script.unwrap().ends_with("linux-aarch64"));
}

#[test]
fn undefined_variable_points_into_the_string() {
    let text = RECIPE.replace("{{ target_platform }}", "{{ nope }}");
    let err = render_for(&text, Subdir::Linux64, &BTreeMap::new()).unwrap_err();
    let crate::recipe::RecipeError::Invalid { span, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(&text[span.offset()..span.offset() + span.len()], "nope");
}

#[test]
fn pin_subpackage_bounds_follow_conda_build() {
    let pin = |name: &str, version: &str, min: Option<&str>, max: Option<&str>| {
        let own = (name.to_string(), version.to_string());
        pin_subpackage(std::slice::from_ref(&own), name, Pins { min, max }, false)
    };
    let cases = [
        (
            "openssl",
            "3.0.22",
            None,
            Some("x"),
            "openssl >=3.0.22,<4.0a0",
        ),
        (
            "openssl",
            "3.0.22",
            None,
            Some("x.x"),
            "openssl >=3.0.22,<3.1.0a0",
        ),
        (
            "python",
            "3.11.2",
            Some("x.x"),
            Some("x.x"),
            "python >=3.11,<3.12.0a0",
        ),
        ("python", "3.11.2", Some("x"), None, "python >=3"),
        ("python", "3.11.2", None, None, "python >=3.11.2"),
    ];
    for (name, version, min, max, want) in cases {
        assert_eq!(pin(name, version, min, max).unwrap(), want);
    }
    let own = ("openssl".to_string(), "3.0.22".to_string());
    assert!(pin_subpackage(std::slice::from_ref(&own), "zlib", Pins::default(), false).is_err());
    let err = pin("python", "3.11.2", Some("x.y"), None).unwrap_err();
    assert!(err.to_string().contains("min_pin must look like"), "{err}");
}

#[test]
fn invalid_version_is_refused() {
    let text = RECIPE.replace("version = \"{{ version }}\"", "version = \"1.2..3\"");
    let err = render_for(&text, Subdir::Linux64, &BTreeMap::new()).unwrap_err();
    assert!(err.to_string().contains("invalid version"), "{err}");
}

/// Loops that would run for minutes stop on the fuel limit (or the output cap) at once; found by hand while
/// fuzzing `recipe_render` (11 s per input before the limits).
#[test]
fn runaway_templates_stop_quickly() {
    let pins = BTreeMap::new();
    for body in [
        "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
        "{% for a in range(100000) %}{% for b in range(100000) %}{% set c = a %}{% endfor %}{% endfor %}",
    ] {
        let text = format!("[package]\nname = \"t\"\nversion = \"1\"\n[build]\nscript = \"{body}\"\n");
        let err = render_for(&text, Subdir::Linux64, &pins).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("exceeds") || message.contains("fuel"),
            "{message}"
        );
    }
}

#[test]
fn build_string_and_imports_are_checked() {
    let with = |build: &str, imports: &str| {
        let text = RECIPE
            .replace("[build]\n", &format!("[build]\n{build}\n"))
            .replace(
                "[requirements]\n",
                &format!("[test]\nimports = {imports}\n\n[requirements]\n"),
            );
        render_for(&text, Subdir::Linux64, &BTreeMap::new())
    };
    let ok = with(
        "string = \"{{ build_number }}_cp311\"",
        "[\"ssl\", \"xml.etree.ElementTree\"]",
    )
    .unwrap();
    assert_eq!(ok.build_string.as_deref(), Some("0_cp311"));
    assert_eq!(ok.test.imports, ["ssl", "xml.etree.ElementTree"]);
    assert!(ok.test.commands.is_empty());

    let err = with("string = \"0-cp311\"", "[]").unwrap_err().to_string();
    assert!(err.contains("build string `0-cp311` holds '-'"), "{err}");
    for bad in ["os; import sys", "xml..etree", "1abc", ""] {
        let err = with("", &format!("[{bad:?}]")).unwrap_err().to_string();
        assert!(err.contains("is not a Python module name"), "{bad}: {err}");
    }
}

/// Optional fields added later stay out of the key's JSON when unused, so existing recipes keep their store keys.
#[test]
fn unused_optional_fields_leave_the_key_json_alone() {
    let rendered = render_for(RECIPE, Subdir::Linux64, &BTreeMap::new()).unwrap();
    let json = serde_json::to_value(&rendered).unwrap();
    assert!(json.get("build_string").is_none(), "{json}");
    assert!(json["test"].get("imports").is_none(), "{json}");
    assert!(json.get("cross_target").is_none(), "{json}");
}

#[test]
fn cross_target_is_a_conda_subdir() {
    let with = |value: &str| {
        let text = RECIPE.replace("[build]\n", &format!("[build]\ncross_target = {value:?}\n"));
        render_for(&text, Subdir::Linux64, &BTreeMap::new())
    };
    let ok =
        with("{{ 'linux-aarch64' if target_platform == 'linux-64' else 'linux-64' }}").unwrap();
    assert_eq!(ok.cross_target, vec![Subdir::LinuxAarch64]);
    let both = RECIPE.replace(
        "[build]\n",
        "[build]\ncross_target = [\"linux-64\", \"linux-aarch64\"]\n",
    );
    let both = render_for(&both, Subdir::Linux64, &BTreeMap::new()).unwrap();
    assert_eq!(
        both.cross_target,
        vec![Subdir::Linux64, Subdir::LinuxAarch64]
    );
    for bad in ["linux-arm64", "noarch", ""] {
        let err = with(bad).unwrap_err().to_string();
        assert!(
            err.contains("cross_target must be a conda subdir"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn cargo_vendor_sources_land_in_vendor_and_take_no_patches() {
    let recipe = |extra: &str| {
        format!(
            "[package]\nname = \"demo\"\nversion = \"1\"\n[[source]]\npath = \"src\"\n[[source]]\n\
             cargo_vendor = \"./rust//Cargo.toml\"\nsha256 = \"{}\"\n{extra}",
            "AB".repeat(32)
        )
    };
    let rendered = render_for(&recipe(""), Subdir::Linux64, &BTreeMap::new()).unwrap();
    let source = &rendered.sources[1];
    assert_eq!(
        source.origin,
        SourceOrigin::CargoVendor {
            manifest: "rust/Cargo.toml".into(),
            sha256: "ab".repeat(32),
        }
    );
    assert_eq!(source.target_directory, Some(PathBuf::from("vendor")));
    let err = render_for(
        &recipe("patches = [\"a.patch\"]\n"),
        Subdir::Linux64,
        &BTreeMap::new(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("takes no patches"), "{err}");
    let err = render_for(
        &recipe("").replace("./rust//Cargo.toml", "../Cargo.toml"),
        Subdir::Linux64,
        &BTreeMap::new(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("cargo_vendor"), "{err}");
}

const OUTPUTS: &str = r#"
[package]
name = "gcc"
version = "12.2.0"

[requirements]
build = ["make"]
host = ["ncurses"]

[[outputs]]
name = "libgcc-ng"
files = ["lib/libgcc_s.so*"]
[outputs.requirements.run_exports]
strong = ["{{ pin_subpackage('libgcc-ng', max_pin='x') }}"]

[[outputs]]
name = "gcc_impl_{{ target_platform }}"
files = ["bin/*"]
skip = "{{ target_platform == 'linux-aarch64' }}"
[outputs.requirements]
run = ["{{ pin_subpackage('libgcc-ng', min_pin='x.x.x', max_pin='x.x.x') }}"]
[outputs.test]
commands = ["gcc --version"]

[[outputs]]
name = "libgomp"
version = "1.0.{{ ncurses }}"
files = ["lib/libgomp.so*"]
skip = true
"#;

#[test]
fn outputs_render_with_pins_between_them_and_skips_per_platform() {
    let pins = BTreeMap::from([("ncurses".to_string(), "6.4.*".to_string())]);
    let r = render_for(OUTPUTS, Subdir::Linux64, &pins).unwrap();
    assert_eq!(r.package_names(), ["libgcc-ng", "gcc_impl_linux-64"]);
    assert_eq!(
        r.outputs[0].run_exports_strong,
        ["libgcc-ng >=12.2.0,<13.0a0"]
    );
    assert_eq!(r.outputs[1].run, ["libgcc-ng >=12.2.0,<12.2.1.0a0"]);
    assert_eq!(r.outputs[1].test.commands, ["gcc --version"]);
    assert_eq!(r.outputs[1].index, 1);
    // The build's requirements stay the recipe's; the key's JSON names every output.
    assert_eq!(
        r.requirements.host,
        [Requirement::Package("ncurses 6.4.*".into())]
    );
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["outputs"].as_array().unwrap().len(), 2);

    let aarch64 = render_for(OUTPUTS, Subdir::LinuxAarch64, &pins).unwrap();
    assert_eq!(aarch64.package_names(), ["libgcc-ng"]);
    assert!(!aarch64.skip);

    let all_skipped = OUTPUTS.replace(
        "[[outputs]]\nname = \"libgcc-ng\"",
        "[[outputs]]\nname = \"libgcc-ng\"\nskip = true",
    );
    assert!(
        render_for(&all_skipped, Subdir::LinuxAarch64, &pins)
            .unwrap()
            .skip
    );
}

#[test]
fn a_single_output_recipe_is_its_own_package_and_keeps_its_key_json() {
    let pins = BTreeMap::from([("ncurses".to_string(), "6.4.*".to_string())]);
    let r = render_for(RECIPE, Subdir::Linux64, &pins).unwrap();
    assert!(!r.is_multi_output());
    let packages = r.packages();
    assert_eq!(packages.len(), 1);
    assert_eq!(packages[0].name, "zlib");
    assert_eq!(
        packages[0].run_exports_weak,
        r.requirements.run_exports_weak
    );
    assert!(serde_json::to_value(&r).unwrap().get("outputs").is_none());
}
