//! The build script's environment, as conda-build sets it: a clean environment (nothing of the caller's leaks in)
//! plus PREFIX, BUILD_PREFIX, SRC_DIR, the platform variables, the toolchain's CC/AR/… and flags, conda-forge's
//! cross variables, pins.toml's `script_env` and the recipe's `script_env`.
//!
//! [`keyed`] computes every variable that can change the package; with [`ScriptDirs::placeholders`] it is what
//! the store key hashes, with the real directories it is what the script gets (plus [`UNKEYED_SCRIPT_VARS`]).

use std::collections::BTreeMap;

use rattler_conda_types::{RepoDataRecord, Subdir};

use crate::platform;
use crate::render::RenderedRecipe;
use crate::toolchain::{compiler_flags, Toolchain};

/// `SOURCE_DATE_EPOCH` for every build and the mtime of every archive entry (2023-01-01T00:00:00Z).
pub const SOURCE_DATE_EPOCH: u64 = 1_672_531_200;

/// Script variables outside the store key, with why: the build string and hash are derived from the key itself;
/// `CPU_COUNT`, `MAKEFLAGS`, `MFLAGS` and `CARGO_MAKEFLAGS` only say how many jobs run at once (and carry the
/// jobserver's file descriptors), as conda-build leaves them out of its hash.
pub const UNKEYED_SCRIPT_VARS: [&str; 6] = [
    "PKG_BUILD_STRING",
    "PKG_HASH",
    "CPU_COUNT",
    "MAKEFLAGS",
    "MFLAGS",
    "CARGO_MAKEFLAGS",
];

/// The directories a script sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptDirs {
    /// `PREFIX` (the padded host prefix).
    pub prefix: String,
    /// `BUILD_PREFIX`.
    pub build_prefix: String,
    /// `SRC_DIR`.
    pub src: String,
    /// `RECIPE_DIR`.
    pub recipe: String,
    /// `HOME`.
    pub home: String,
    /// archi's own wrappers (the jobserver-keeping `make`), first on `PATH`; `None` when the build has none.
    pub wrappers: Option<String>,
    /// In a cross build with python in host: the directory holding a copy of the target python's
    /// `_sysconfigdata_*.py` (and nothing else), put on the build python's `PYTHONPATH`.
    pub cross_python: String,
}

impl ScriptDirs {
    /// The directories as placeholders, for the store key: `${PREFIX}`, `${BUILD_PREFIX}`, `${SRC_DIR}`,
    /// `${RECIPE_DIR}`, `${HOME}`, `${ARCHI_WRAPPERS}`.
    pub fn placeholders() -> ScriptDirs {
        ScriptDirs {
            prefix: "${PREFIX}".into(),
            build_prefix: "${BUILD_PREFIX}".into(),
            src: "${SRC_DIR}".into(),
            recipe: "${RECIPE_DIR}".into(),
            home: "${HOME}".into(),
            wrappers: Some("${ARCHI_WRAPPERS}".into()),
            cross_python: "${ARCHI_CROSS_PYTHON}".into(),
        }
    }
}

/// What the environment is computed from, besides the directories.
#[derive(Debug, Clone, Copy)]
pub struct ScriptInputs<'a> {
    /// The rendered recipe.
    pub rendered: &'a RenderedRecipe,
    /// Target platform.
    pub target: Subdir,
    /// Build platform.
    pub build: Subdir,
    /// The build's toolchain.
    pub toolchain: &'a Toolchain,
    /// The build machine's compilers in a cross build.
    pub build_machine_toolchain: &'a Toolchain,
    /// The solved host environment (for PYTHON, SP_DIR, PY_VER).
    pub host_records: &'a [RepoDataRecord],
    /// The solved build environment (its python runs a cross build's pip).
    pub build_records: &'a [RepoDataRecord],
    /// pins.toml's script variables for the target.
    pub pins_script_env: &'a BTreeMap<String, String>,
}

/// Every keyed script variable, sorted by name. `dirs.wrappers` is put first on `PATH` when the toolchain has
/// `make` (whose wrapper lives there).
pub fn keyed(inputs: &ScriptInputs, dirs: &ScriptDirs) -> BTreeMap<String, String> {
    let r = inputs.rendered;
    let target = inputs.target;
    let build = inputs.build;
    let prefix = dirs.prefix.as_str();
    let build_prefix = dirs.build_prefix.as_str();
    let mut vars = BTreeMap::new();
    let mut set = |k: &str, v: String| {
        vars.insert(k.to_string(), v);
    };
    set("PREFIX", prefix.to_string());
    set("BUILD_PREFIX", build_prefix.to_string());
    set("SRC_DIR", dirs.src.clone());
    set("RECIPE_DIR", dirs.recipe.clone());
    set("PKG_NAME", r.name.clone());
    set("PKG_VERSION", r.version.clone());
    set("PKG_BUILDNUM", r.build_number.to_string());
    set("SHLIB_EXT", platform::shlib_ext(target).to_string());
    set("CONDA_BUILD", "1".into());
    set("SUBDIR", super::subdir_for(r, target).to_string());
    set("target_platform", target.to_string());
    set("host_platform", target.to_string());
    set("build_platform", build.to_string());
    let host_triplet = platform::gnu_triplet(target).unwrap_or_default();
    let build_triplet = platform::gnu_triplet(build).unwrap_or_default();
    if !host_triplet.is_empty() {
        set("HOST", host_triplet.to_string());
    }
    if !build_triplet.is_empty() {
        set("BUILD", build_triplet.to_string());
    }
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
    set("HOME", dirs.home.clone());
    set("LANG", "C.UTF-8".into());
    set("LC_ALL", "C.UTF-8".into());
    set("TZ", "UTC".into());
    set("TERM", "dumb".into());
    let mut path: Vec<String> = Vec::new();
    let has_make = inputs.toolchain.tools.contains_key("make")
        || inputs.toolchain.packaged.contains_key("make");
    if let (Some(wrappers), true) = (&dirs.wrappers, has_make) {
        path.push(wrappers.clone());
    }
    path.push(format!("{build_prefix}/bin"));
    path.push(format!("{prefix}/bin"));
    path.extend(
        inputs
            .toolchain
            .bin_dirs()
            .iter()
            .map(|d| d.display().to_string()),
    );
    path.extend(["/usr/local/bin", "/usr/bin", "/bin"].map(String::from));
    let mut seen = std::collections::BTreeSet::new();
    path.retain(|dir| seen.insert(dir.clone()));
    set("PATH", path.join(":"));
    set(
        "PKG_CONFIG_PATH",
        format!("{prefix}/lib/pkgconfig:{prefix}/share/pkgconfig"),
    );
    for (k, v) in inputs.toolchain.env_vars() {
        set(&k, v);
    }
    for (k, v) in inputs.toolchain.packaged_env_vars(build_prefix) {
        set(&k, v);
    }
    if inputs.toolchain.rust.is_some() {
        // cargo's home in the work directory, never the user's: the source replacement to the vendored crates
        // is written there (crate::source::write_cargo_config), and nothing reaches the network.
        set("CARGO_HOME", format!("{}/.cargo", dirs.home));
        set("CARGO_NET_OFFLINE", "true".into());
        for (k, v) in crate::toolchain::rust::build_machine_vars(inputs.build_machine_toolchain) {
            set(&k, v);
        }
    }
    for (name, var) in [("c", "CC_FOR_BUILD"), ("cxx", "CXX_FOR_BUILD")] {
        if let Some(tool) = inputs.build_machine_toolchain.tools.get(name) {
            set(var, tool.path.display().to_string());
        }
    }
    for (k, v) in compiler_flags(prefix) {
        set(k, v);
    }
    for (k, v) in python_vars(inputs, dirs) {
        set(k, v);
    }
    for (k, v) in inputs.pins_script_env.iter().chain(&r.script_env) {
        set(k, v.clone());
    }
    vars
}

/// `major.minor` of the `python` among `records`, if any.
pub fn python_minor(records: &[RepoDataRecord]) -> Option<String> {
    let python = records
        .iter()
        .find(|r| r.package_record.name.as_normalized() == "python")?;
    let version = python.package_record.version.to_string();
    Some(version.split('.').take(2).collect::<Vec<_>>().join("."))
}

/// The name of CPython's build-time configuration module for `target` (`_sysconfigdata_{abiflags}_{platform}_
/// {multiarch}`, abiflags empty since 3.8): `_sysconfigdata__linux_aarch64-linux-gnu` for linux-aarch64.
pub fn sysconfigdata_name(target: Subdir) -> Option<String> {
    let triplet = platform::gnu_triplet(target)?;
    Some(format!("_sysconfigdata__linux_{triplet}"))
}

/// Whether the build is a cross build of a compiled python package: target differs from the build machine, the
/// host environment has python, and the package is not noarch (a noarch package is built once, natively).
pub fn is_cross_python(inputs: &ScriptInputs) -> bool {
    inputs.target != inputs.build
        && inputs.rendered.noarch.is_none()
        && python_minor(inputs.host_records).is_some()
}

/// conda-build's python variables when the host environment has python: `PYTHON`, `PY_VER`, `SP_DIR`,
/// `STDLIB_DIR` (all of the host prefix's python). In a cross build ([`is_cross_python`]) `PYTHON` is the build
/// environment's python instead, set up the way conda-forge's cross-python does it: `_PYTHON_SYSCONFIGDATA_NAME`
/// names the target's `_sysconfigdata` (on `PYTHONPATH` from `dirs.cross_python`), so sysconfig, setuptools and
/// pip see the target's compiler, flags, include directory and `EXT_SUFFIX`; `_PYTHON_HOST_PLATFORM` makes the
/// platform tag `linux_aarch64`; `PIP_PREFIX` installs into `$PREFIX`; `PYO3_CROSS_LIB_DIR` and
/// `PYO3_CROSS_PYTHON_VERSION` tell PyO3 the target's interpreter.
fn python_vars(inputs: &ScriptInputs, dirs: &ScriptDirs) -> Vec<(&'static str, String)> {
    let Some(py_ver) = python_minor(inputs.host_records) else {
        return Vec::new();
    };
    let prefix = &dirs.prefix;
    let stdlib = format!("{prefix}/lib/python{py_ver}");
    let mut vars = vec![
        ("PYTHON", format!("{prefix}/bin/python")),
        ("SP_DIR", format!("{stdlib}/site-packages")),
        ("STDLIB_DIR", stdlib),
        ("PY_VER", py_ver.clone()),
        // pip is a client of an index; in a build it only ever installs the tree at hand.
        ("PIP_DISABLE_PIP_VERSION_CHECK", "1".into()),
        ("PIP_NO_INDEX", "1".into()),
        ("PYTHONNOUSERSITE", "1".into()),
    ];
    if !is_cross_python(inputs) {
        return vars;
    }
    let build_prefix = &dirs.build_prefix;
    vars[0].1 = format!("{build_prefix}/bin/python");
    if let Some(name) = sysconfigdata_name(inputs.target) {
        vars.push(("_PYTHON_SYSCONFIGDATA_NAME", name));
    }
    vars.push(("_PYTHON_HOST_PLATFORM", inputs.target.to_string()));
    vars.push(("PYTHONPATH", dirs.cross_python.clone()));
    vars.push(("PIP_PREFIX", prefix.clone()));
    vars.push(("PYO3_CROSS_LIB_DIR", format!("{prefix}/lib")));
    vars.push(("PYO3_CROSS_PYTHON_VERSION", py_ver));
    vars.push(("PYO3_CROSS_PYTHON_IMPLEMENTATION", "CPython".into()));
    vars
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use rattler_conda_types::package::BuildString;
    use rattler_conda_types::{NoArchType, PackageName, PackageRecord, Version};

    use super::*;

    fn python_record() -> RepoDataRecord {
        RepoDataRecord {
            package_record: PackageRecord::new(
                PackageName::new_unchecked("python"),
                Version::from_str("3.11.2").unwrap(),
                BuildString::new_unchecked("h1234567_0".to_string()),
            ),
            identifier: "python-3.11.2-h1234567_0.conda".parse().unwrap(),
            url: "https://example.invalid/python-3.11.2-h1234567_0.conda"
                .parse()
                .unwrap(),
            channel: None,
        }
    }

    fn vars(target: Subdir, noarch: NoArchType) -> BTreeMap<String, String> {
        let rendered = RenderedRecipe {
            noarch,
            ..RenderedRecipe::default()
        };
        let host = [python_record()];
        let toolchain = Toolchain::default();
        let inputs = ScriptInputs {
            rendered: &rendered,
            target,
            build: Subdir::Linux64,
            toolchain: &toolchain,
            build_machine_toolchain: &toolchain,
            host_records: &host,
            build_records: &host,
            pins_script_env: &BTreeMap::new(),
        };
        keyed(&inputs, &ScriptDirs::placeholders())
    }

    #[test]
    fn native_python_builds_run_the_host_python() {
        let v = vars(Subdir::Linux64, NoArchType::none());
        assert_eq!(v["PYTHON"], "${PREFIX}/bin/python");
        assert_eq!(v["SP_DIR"], "${PREFIX}/lib/python3.11/site-packages");
        assert_eq!(v["STDLIB_DIR"], "${PREFIX}/lib/python3.11");
        assert_eq!(v["PY_VER"], "3.11");
        assert_eq!(v["PIP_NO_INDEX"], "1");
        assert!(!v.contains_key("_PYTHON_SYSCONFIGDATA_NAME") && !v.contains_key("PIP_PREFIX"));
    }

    #[test]
    fn cross_python_builds_run_the_build_python_against_the_targets_sysconfigdata() {
        let v = vars(Subdir::LinuxAarch64, NoArchType::none());
        assert_eq!(v["PYTHON"], "${BUILD_PREFIX}/bin/python");
        assert_eq!(
            v["_PYTHON_SYSCONFIGDATA_NAME"],
            "_sysconfigdata__linux_aarch64-linux-gnu"
        );
        assert_eq!(v["_PYTHON_HOST_PLATFORM"], "linux-aarch64");
        assert_eq!(v["PYTHONPATH"], "${ARCHI_CROSS_PYTHON}");
        assert_eq!(v["PIP_PREFIX"], "${PREFIX}");
        assert_eq!(v["PYO3_CROSS_LIB_DIR"], "${PREFIX}/lib");
        assert_eq!(v["SP_DIR"], "${PREFIX}/lib/python3.11/site-packages");
        // A noarch package is built once, natively, whatever the target.
        let noarch = vars(Subdir::LinuxAarch64, NoArchType::python());
        assert_eq!(noarch["PYTHON"], "${PREFIX}/bin/python");
    }
}
