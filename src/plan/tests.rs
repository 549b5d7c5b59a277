use std::collections::BTreeSet;

use super::*;
use crate::toolchain::IdentityCache;
use crate::workspace::Workspace;

/// A workspace in a temp dir with the repository's pins.toml plus `extra_pins`, and one recipe that uses the C
/// compiler and make.
fn setup(extra_pins: &str) -> (tempfile::TempDir, Context, LoadedRecipe) {
    let dir = tempfile::tempdir().unwrap();
    fs_err::write(dir.path().join("archi.toml"), "[workspace]\n").unwrap();
    let pins = fs_err::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/pins.toml")).unwrap();
    fs_err::write(
        dir.path().join("pins.toml"),
        format!("{extra_pins}\n{pins}"),
    )
    .unwrap();
    let recipe = dir.path().join("recipes/demo");
    fs_err::create_dir_all(&recipe).unwrap();
    fs_err::write(
        recipe.join("recipe.toml"),
        "[package]\nname = \"demo\"\nversion = \"1.0\"\n[build]\nscript = \"make\"\n\
         [requirements]\nbuild = [\"{{ compiler('c') }}\", \"make\"]\n",
    )
    .unwrap();
    let ctx = Context {
        workspace: Workspace::load(dir.path()).unwrap(),
        build_platform: Subdir::Linux64,
        machine_path: std::env::var("PATH").unwrap_or_default(),
        output_channel: dir.path().join("channel"),
        channels: Vec::new(),
        identities: IdentityCache::default(),
    };
    let loaded = crate::recipe::load(&recipe).unwrap();
    (dir, ctx, loaded)
}

fn plan_for(ctx: &Context, recipe: &LoadedRecipe, target: Subdir) -> Plan {
    let rendered = ctx.render(recipe, target).unwrap();
    let request = PlanRequest {
        recipe,
        target,
        run_records: &RunRecords::new(),
    };
    plan(ctx, request, rendered).unwrap()
}

#[test]
fn every_variable_the_script_sees_is_in_the_key_input() {
    let (_dir, ctx, recipe) = setup("");
    for target in [Subdir::Linux64, Subdir::LinuxAarch64] {
        let plan = plan_for(&ctx, &recipe, target);
        let dirs = ScriptDirs {
            prefix: "/work/p".into(),
            build_prefix: "/work/b".into(),
            src: "/work/s".into(),
            recipe: "/recipes/demo".into(),
            home: "/work/h".into(),
            wrappers: Some("/work/w".into()),
            cross_python: "/work/x".into(),
        };
        let seen: BTreeSet<String> = crate::build::script_env(&plan, &dirs, 3)
            .into_keys()
            .filter(|k| !UNKEYED_SCRIPT_VARS.contains(&k.as_str()))
            .collect();
        let keyed: BTreeSet<String> = plan.inputs.script_env.keys().cloned().collect();
        assert_eq!(seen, keyed, "{target}");
        assert!(keyed.contains("CMAKE_ARGS") && keyed.contains("MESON_ARGS"));
        // The placeholders, not this build's directories, are hashed.
        assert!(plan.inputs.script_env["PREFIX"] == "${PREFIX}");
        assert!(plan.inputs.script_env["PATH"].starts_with("${ARCHI_WRAPPERS}:"));
        // Changing any one keyed variable changes the key.
        for var in &keyed {
            let mut changed = plan.inputs.clone();
            changed.script_env.get_mut(var).unwrap().push('x');
            assert_ne!(
                store::compute_key(&changed.to_json()),
                plan.key,
                "{var} is not in the key"
            );
        }
    }
}

#[test]
fn a_cmake_args_entry_in_pins_changes_the_key() {
    let (_a, ctx, recipe) = setup("");
    let (_b, ctx_pinned, recipe_pinned) = setup("[script_env]\nCMAKE_ARGS = \"-DFOO=1\"\n");
    let (_c, ctx_platform, recipe_platform) =
        setup("[platform.linux-64.script_env]\nCMAKE_ARGS = \"-DFOO=2\"\n");
    let plain = plan_for(&ctx, &recipe, Subdir::Linux64);
    let pinned = plan_for(&ctx_pinned, &recipe_pinned, Subdir::Linux64);
    let platform = plan_for(&ctx_platform, &recipe_platform, Subdir::Linux64);
    assert_eq!(pinned.inputs.script_env["CMAKE_ARGS"], "-DFOO=1");
    assert_ne!(plain.key, pinned.key);
    assert_ne!(pinned.key, platform.key);
    assert_ne!(plain.key, platform.key);
    // The same pins for another platform do not touch it.
    let other = plan_for(&ctx_platform, &recipe_platform, Subdir::LinuxAarch64);
    assert_ne!(other.inputs.script_env["CMAKE_ARGS"], "-DFOO=2");
}

#[test]
fn the_same_inputs_give_the_same_key_and_a_changed_recipe_file_names_itself() {
    let (_dir, ctx, recipe) = setup("");
    let first = plan_for(&ctx, &recipe, Subdir::Linux64);
    assert_eq!(first.key, plan_for(&ctx, &recipe, Subdir::Linux64).key);
    fs_err::write(recipe.dir.join("build.sh"), "make\n").unwrap();
    let second = plan_for(&ctx, &recipe, Subdir::Linux64);
    assert_ne!(first.key, second.key);
    assert_eq!(
        changed_inputs(&first.inputs.to_json(), &second.inputs.to_json()),
        ["recipe_files (build.sh)"]
    );
}

/// Every variable archi sets is either owned (script_env may not set it) or on the short list of tuning knobs a
/// recipe may override (compiler flags and tools, the CMake/Meson arguments, pkg-config's path, TERM).
#[test]
fn script_env_may_override_only_tuning_variables() {
    let (_dir, ctx, recipe) = setup("");
    for target in [Subdir::Linux64, Subdir::LinuxAarch64] {
        let plan = plan_for(&ctx, &recipe, target);
        let dirs = ScriptDirs::placeholders();
        let tools = plan.toolchain.env_vars();
        let overridable = |k: &str| {
            matches!(
                k,
                "CMAKE_ARGS"
                    | "MESON_ARGS"
                    | "PKG_CONFIG_PATH"
                    | "TERM"
                    | "CC_FOR_BUILD"
                    | "CXX_FOR_BUILD"
            ) || (k.ends_with("FLAGS") && !k.ends_with("MAKEFLAGS") && k != "MFLAGS")
                || tools.contains_key(k)
        };
        for key in crate::build::script_env(&plan, &dirs, 1).keys() {
            let owned = crate::render::checks::script_var(key).is_some();
            assert!(
                owned || overridable(key),
                "{key} is set by archi but neither owned nor a tuning variable"
            );
            assert!(
                !(owned && overridable(key)),
                "{key} is both owned and overridable"
            );
        }
    }
}

#[test]
fn compiler_rust_brings_cargo_its_target_linker_and_a_private_offline_cargo_home() {
    let (dir, ctx, _) = setup("");
    let recipe_dir = dir.path().join("recipes/demo");
    fs_err::write(
        recipe_dir.join("recipe.toml"),
        "[package]\nname = \"demo\"\nversion = \"1.0\"\n[build]\nscript = \"cargo build\"\n\
         [requirements]\nbuild = [\"{{ compiler('rust') }}\"]\n",
    )
    .unwrap();
    let recipe = crate::recipe::load(&recipe_dir).unwrap();
    for (target, triple, gcc) in [
        (
            Subdir::Linux64,
            "x86_64-unknown-linux-gnu",
            "x86_64-linux-gnu-gcc",
        ),
        (
            Subdir::LinuxAarch64,
            "aarch64-unknown-linux-gnu",
            "aarch64-linux-gnu-gcc",
        ),
    ] {
        let plan = plan_for(&ctx, &recipe, target);
        let dirs = ScriptDirs {
            prefix: "/work/p".into(),
            build_prefix: "/work/b".into(),
            src: "/work/s".into(),
            recipe: "/recipes/demo".into(),
            home: "/work/h".into(),
            wrappers: Some("/work/w".into()),
            cross_python: "/work/x".into(),
        };
        let vars = crate::build::script_env(&plan, &dirs, 3);
        assert_eq!(vars["CARGO_BUILD_TARGET"], triple);
        let linker = crate::toolchain::rust::linker_var(triple);
        assert!(vars[&linker].ends_with(gcc), "{linker}={}", vars[&linker]);
        assert_eq!(
            vars["CC"], vars[&linker],
            "the linker is the target's C compiler"
        );
        assert_eq!(vars["CARGO_HOME"], "/work/h/.cargo");
        if target == Subdir::LinuxAarch64 {
            // Build scripts and proc macros are the build machine's: linked and compiled by its own compiler.
            let host_linker = &vars["CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER"];
            assert!(
                host_linker.ends_with("x86_64-linux-gnu-gcc"),
                "{host_linker}"
            );
            assert_eq!(&vars["CC_x86_64_unknown_linux_gnu"], host_linker);
            assert_eq!(&vars["CC_FOR_BUILD"], host_linker);
        } else {
            assert!(!vars.contains_key("CC_x86_64_unknown_linux_gnu"));
        }
        assert_eq!(vars["CARGO_NET_OFFLINE"], "true");
        let rust = plan.toolchain.rust.as_ref().unwrap();
        assert_eq!(vars["CARGO"], rust.cargo.path.display().to_string());
        assert!(vars["PATH"].contains(&rust.sysroot.join("bin").display().to_string()));
        // rustc's and cargo's identities are in the key.
        let json = plan.inputs.to_json().to_string();
        assert!(
            json.contains(&plan.toolchain.tools["rust"].blake3),
            "{json}"
        );
        assert!(json.contains(&rust.cargo.blake3), "{json}");
        assert!(json.contains(&rust.cargo.version), "{json}");
    }
}
