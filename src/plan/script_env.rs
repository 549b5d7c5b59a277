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
    if let (Some(wrappers), true) = (&dirs.wrappers, inputs.toolchain.tools.contains_key("make")) {
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
    if let Some(python) = inputs
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
    for (k, v) in inputs.pins_script_env.iter().chain(&r.script_env) {
        set(k, v.clone());
    }
    vars
}
