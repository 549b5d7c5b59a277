//! The build script's environment, as conda-build sets it: a clean environment (nothing of the caller's leaks in)
//! plus PREFIX, BUILD_PREFIX, SRC_DIR, the platform variables, the toolchain's CC/AR/… and flags.

use std::collections::BTreeMap;

use super::{BuildSettings, Plan, WorkDir, SOURCE_DATE_EPOCH};
use crate::platform;

/// Variables for the build script, sorted by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptEnv {
    /// Name → value.
    pub vars: BTreeMap<String, String>,
}

impl ScriptEnv {
    /// The environment of `plan`'s script in `work`.
    pub fn new(plan: &Plan, settings: &BuildSettings, work: &WorkDir) -> ScriptEnv {
        let r = &plan.rendered;
        let target = settings.target_platform;
        let build = settings.build_platform;
        let prefix = work.host_prefix.display().to_string();
        let build_prefix = work.build_prefix.display().to_string();
        let mut vars = BTreeMap::new();
        let mut set = |k: &str, v: String| {
            vars.insert(k.to_string(), v);
        };
        set("PREFIX", prefix.clone());
        set("BUILD_PREFIX", build_prefix.clone());
        set("SRC_DIR", work.src.display().to_string());
        set("RECIPE_DIR", plan.recipe_dir.display().to_string());
        set("PKG_NAME", r.name.clone());
        set("PKG_VERSION", r.version.clone());
        set("PKG_BUILDNUM", r.build_number.to_string());
        set("PKG_BUILD_STRING", plan.build_string.clone());
        set("PKG_HASH", format!("h{}", plan.key.short()));
        set("CPU_COUNT", settings.cpu_count.to_string());
        set("MAKEFLAGS", format!("-j{}", settings.cpu_count));
        set("SHLIB_EXT", platform::shlib_ext(target).to_string());
        set("CONDA_BUILD", "1".into());
        set("SUBDIR", super::subdir_of(plan, settings).to_string());
        set("target_platform", target.to_string());
        set("host_platform", target.to_string());
        set("build_platform", build.to_string());
        if let Some(triplet) = platform::gnu_triplet(target) {
            set("HOST", triplet.to_string());
        }
        if let Some(triplet) = platform::gnu_triplet(build) {
            set("BUILD", triplet.to_string());
        }
        let host_triplet = platform::gnu_triplet(target).unwrap_or_default();
        let build_triplet = platform::gnu_triplet(build).unwrap_or_default();
        set("host_alias", host_triplet.to_string());
        set("build_alias", build_triplet.to_string());
        set("CONDA_TOOLCHAIN_HOST", host_triplet.to_string());
        set("CONDA_TOOLCHAIN_BUILD", build_triplet.to_string());
        set(
            "MESON_ARGS",
            format!("-Dbuildtype=release --prefix={prefix} -Dlibdir=lib"),
        );
        let mut cmake_args = format!(
            "-DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX={prefix} -DCMAKE_INSTALL_LIBDIR=lib \
             -DCMAKE_PROGRAM_PATH={build_prefix}/bin;{prefix}/bin"
        );
        if target != build {
            set("CONDA_BUILD_CROSS_COMPILATION", "1".into());
            // As conda-forge's cross activation: CMake and Meson learn the target and look for it in PREFIX only.
            let processor = host_triplet.split('-').next().unwrap_or_default();
            cmake_args.push_str(&format!(
                " -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR={processor} \
                 -DCMAKE_FIND_ROOT_PATH={prefix} -DCMAKE_FIND_ROOT_PATH_MODE_PROGRAM=NEVER \
                 -DCMAKE_FIND_ROOT_PATH_MODE_LIBRARY=ONLY -DCMAKE_FIND_ROOT_PATH_MODE_INCLUDE=ONLY"
            ));
        }
        set("CMAKE_ARGS", cmake_args);
        set("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH.to_string());
        set("HOME", work.home.display().to_string());
        set("LANG", "C.UTF-8".into());
        set("LC_ALL", "C.UTF-8".into());
        set("TZ", "UTC".into());
        set("TERM", "dumb".into());
        let mut path: Vec<String> = vec![format!("{build_prefix}/bin"), format!("{prefix}/bin")];
        path.extend(
            plan.toolchain
                .bin_dirs()
                .iter()
                .map(|d| d.display().to_string()),
        );
        path.extend(["/usr/local/bin", "/usr/bin", "/bin"].map(String::from));
        path.dedup();
        set("PATH", path.join(":"));
        set(
            "PKG_CONFIG_PATH",
            format!("{prefix}/lib/pkgconfig:{prefix}/share/pkgconfig"),
        );
        for (k, v) in plan.toolchain.env_vars() {
            set(&k, v);
        }
        for (name, var) in [("c", "CC_FOR_BUILD"), ("cxx", "CXX_FOR_BUILD")] {
            if let Some(tool) = plan.build_machine_toolchain.tools.get(name) {
                set(var, tool.path.display().to_string());
            }
        }
        let flags = compiler_flags(&prefix);
        for (k, v) in flags {
            set(k, v);
        }
        if let Some(python) = plan
            .host_records
            .iter()
            .find(|r| r.package_record.name.as_normalized() == "python")
        {
            let version = python.package_record.version.to_string();
            let py_ver: String = version.split('.').take(2).collect::<Vec<_>>().join(".");
            set("PYTHON", format!("{prefix}/bin/python"));
            set(
                "SP_DIR",
                format!("{prefix}/lib/python{py_ver}/site-packages"),
            );
            set("PY_VER", py_ver);
        }
        for (k, v) in &r.script_env {
            set(k, v.clone());
        }
        ScriptEnv { vars }
    }
}

/// CFLAGS, CXXFLAGS, CPPFLAGS and LDFLAGS for building against `prefix`, close to conda-forge's defaults: position
/// independent, optimised, headers and libraries from the prefix, and an RPATH into it (rewritten to `$ORIGIN`
/// when packaging).
pub fn compiler_flags(prefix: &str) -> [(&'static str, String); 4] {
    let cflags = "-O2 -pipe -fPIC -fstack-protector-strong".to_string();
    [
        ("CFLAGS", cflags.clone()),
        ("CXXFLAGS", cflags),
        ("CPPFLAGS", format!("-DNDEBUG -D_FORTIFY_SOURCE=2 -I{prefix}/include")),
        (
            "LDFLAGS",
            format!("-Wl,-O2 -Wl,--sort-common -Wl,-rpath,{prefix}/lib -Wl,-rpath-link,{prefix}/lib -L{prefix}/lib"),
        ),
    ]
}
