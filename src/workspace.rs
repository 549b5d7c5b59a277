//! The workspace: the nearest directory with an `archi.toml`, naming recipe roots, the pins file, upstream channels
//! and the output channel; and `pins.toml`, which plays the part of conda-forge's `conda_build_config.yaml`
//! (variant values per platform) and says where each toolchain program comes from.
//!
//! Both files are parsed with serde + toml; their JSON Schemas (`schemas/archi.schema.json`,
//! `schemas/pins.schema.json`) are generated from these types.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::recipe::{RecipeError, SourceFile};

/// The workspace file name.
pub const WORKSPACE_FILE: &str = "archi.toml";

/// `archi.toml`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceFile {
    /// `[workspace]`.
    #[serde(default)]
    pub workspace: WorkspaceSection,
    /// `[[substituter]]`: remote binary caches asked, in order, for a package before it is built (Nix's
    /// `substituters`; see [`crate::substitute`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub substituter: Vec<SubstituterConfig>,
}

/// One `[[substituter]]` of `archi.toml`: a binary cache.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SubstituterConfig {
    /// Where the cache is: `http://` or `https://` (GET to read, PUT to write: a WebDAV server), `file:///dir`,
    /// or `s3://bucket/prefix` (credentials from the `AWS_*` environment variables).
    pub url: String,
    /// Upload what this workspace builds to the cache, signed with `--signing-key` / `ARCHI_SIGNING_KEY_FILE`.
    #[serde(default)]
    pub push: bool,
}

/// `[workspace]` of `archi.toml`. Paths are relative to the workspace directory.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceSection {
    /// Directories holding one recipe directory each (default `["recipes"]`).
    #[serde(default = "default_recipe_roots")]
    pub recipes: Vec<PathBuf>,
    /// The pins file (default `pins.toml`).
    #[serde(default = "default_pins")]
    pub pins: PathBuf,
    /// The channel archi publishes to (default `channels/local`).
    #[serde(default = "default_output")]
    pub output: PathBuf,
    /// Upstream channels solved after the output channel, in priority order (directories or URLs).
    #[serde(default)]
    pub channels: Vec<String>,
    /// Public keys (`NAME:BASE64`, as `archi key generate` prints them) whose signatures on a substituter's
    /// entries are accepted (Nix's `trusted-public-keys`); entries signed otherwise are refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_keys: Vec<String>,
    /// Where the toolchain of every platform's builds comes from, overriding each `[platform.<subdir>]
    /// toolchain_from` of the pins file: `archi` makes a stage-2 workspace (the chain rebuilt with archi's own
    /// compilers, pins.toml's `archi_toolchain` tables) that shares its pins file with the stage-0 workspace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toolchain_from: Option<ToolchainFrom>,
}

impl Default for WorkspaceSection {
    fn default() -> Self {
        Self {
            recipes: default_recipe_roots(),
            pins: default_pins(),
            output: default_output(),
            channels: Vec::new(),
            trusted_keys: Vec::new(),
            toolchain_from: None,
        }
    }
}

fn default_recipe_roots() -> Vec<PathBuf> {
    vec![PathBuf::from("recipes")]
}
fn default_pins() -> PathBuf {
    PathBuf::from("pins.toml")
}
fn default_output() -> PathBuf {
    PathBuf::from("channels/local")
}

/// `pins.toml`: variant values and toolchain programs, for every platform and per platform.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PinsFile {
    /// Variant values for every platform (`openssl = "3"`); usable in templates and applied to bare host
    /// requirements of the same name.
    #[serde(default)]
    pub pins: BTreeMap<String, String>,
    /// Toolchain programs for every platform, by requirement name (`make`, `perl`).
    #[serde(default)]
    pub toolchain: BTreeMap<String, ToolSpec>,
    /// Variables every build script sees (`CMAKE_ARGS = "…"` replaces archi's default); they are part of the
    /// store key. A recipe's own `[build] script_env` overrides them.
    #[serde(default)]
    pub script_env: BTreeMap<String, String>,
    /// Per-platform sections keyed by conda subdir (`linux-64`, `linux-aarch64`).
    #[serde(default)]
    pub platform: BTreeMap<String, PlatformSection>,
}

/// `[platform.<subdir>]` of `pins.toml`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformSection {
    /// Variant values for this platform; they override `[pins]`.
    #[serde(default)]
    pub pins: BTreeMap<String, String>,
    /// Toolchain programs when this platform is the target; they override `[toolchain]`. A compiler is named
    /// `c`, `cxx` or `fortran` (`compiler('c')` in a recipe).
    #[serde(default)]
    pub toolchain: BTreeMap<String, ToolSpec>,
    /// Script variables for builds whose target is this platform; they override `[script_env]`.
    #[serde(default)]
    pub script_env: BTreeMap<String, String>,
    /// The glibc version packages built for this platform require (`__glibc >=` it). Without it, the build
    /// machine's glibc is used when the platform is the build machine's own.
    pub glibc: Option<String>,
    /// Root of the target's libraries for running its binaries under emulation (`qemu-aarch64 -L <sysroot>`).
    pub sysroot: Option<PathBuf>,
    /// The emulator program that runs this platform's binaries on the build machine (`qemu-aarch64`).
    pub emulator: Option<String>,
    /// The apt package that provides the emulator (`qemu-user`).
    pub emulator_apt: Option<String>,
    /// Where the build toolchain of packages for this platform comes from: `machine` (stage 0, the default: the
    /// programs of `[…toolchain]`, found on `PATH`) or `archi` (stage 1: the packages of `archi_toolchain`,
    /// built by archi, installed into `$BUILD_PREFIX`).
    pub toolchain_from: Option<ToolchainFrom>,
    /// archi's own toolchain packages for this target, by requirement name (`c`, `cxx`), used when
    /// `toolchain_from = "archi"`.
    #[serde(default)]
    pub archi_toolchain: BTreeMap<String, PackagedTool>,
}

/// `toolchain_from` of a `[platform.<subdir>]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ToolchainFrom {
    /// The build machine's programs (stage 0).
    #[default]
    Machine,
    /// archi's own packages (stage 1 and after).
    Archi,
}

/// One toolchain program that comes in a conda package (conda-forge's `gcc_linux-aarch64`, which `compiler('c')`
/// names for that target): the package is solved into the build environment, from the run's own recipes first,
/// and the program is run from `$BUILD_PREFIX/bin`. Its package record, not a program identity, enters the key.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PackagedTool {
    /// The match spec of the package (`gcc_linux-aarch64`, `gcc_linux-64 12.*`).
    pub package: String,
    /// The program in `$BUILD_PREFIX/bin` (`aarch64-conda-linux-gnu-gcc`).
    pub program: String,
    /// For compilers: the prefix of the matching binutils in `$BUILD_PREFIX/bin` (`aarch64-conda-linux-gnu-`).
    pub binutils_prefix: Option<String>,
}

/// One toolchain program taken from the build machine.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ToolSpec {
    /// Program name looked up on `PATH` (or an absolute path).
    pub program: String,
    /// The Debian package that provides it, named in the error when it is missing; empty for a program Debian
    /// does not provide in a usable version (Rust: rustup installs it).
    #[serde(default)]
    pub apt: String,
    /// For compilers: the prefix of the matching binutils (`aarch64-linux-gnu-`), used for AR, LD, NM, RANLIB,
    /// STRIP, OBJDUMP.
    pub binutils_prefix: Option<String>,
    /// For `rust` (`compiler('rust')`): the Rust target triple the compiler builds for (`CARGO_BUILD_TARGET`,
    /// `aarch64-unknown-linux-gnu`); its standard library must be installed (`rustup target add <it>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust_target: Option<String>,
}

/// A loaded workspace: its directory and both files, resolved.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The directory holding `archi.toml` (absolute).
    pub root: PathBuf,
    /// `archi.toml`.
    pub file: WorkspaceFile,
    /// `pins.toml` (empty if the file does not exist).
    pub pins: PinsFile,
}

/// Errors while finding or reading the workspace.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum WorkspaceError {
    /// No `archi.toml` in the directory or any parent.
    #[error("no {WORKSPACE_FILE} found in {} or any parent directory", start.display())]
    #[diagnostic(help(
        "run archi inside a workspace, or create an archi.toml with a [workspace] table"
    ))]
    NotFound {
        /// Where the search started.
        start: PathBuf,
    },
    /// A workspace file is malformed (span and help inside).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(#[from] RecipeError),
    /// A platform named in a section is not a conda subdir.
    #[error("{}: `{name}` is not a conda subdir", path.display())]
    UnknownPlatform {
        /// The pins file.
        path: PathBuf,
        /// The key.
        name: String,
    },
    /// A `script_env` entry of the pins file sets a variable archi owns, is not a variable name, or holds a NUL.
    #[error("{}: {reason}", path.display())]
    ScriptEnv {
        /// The pins file.
        path: PathBuf,
        /// What is wrong, naming the key.
        reason: String,
    },
}

impl Workspace {
    /// Find the workspace from `start` upwards and load `archi.toml` and its pins file.
    ///
    /// Errors: [`WorkspaceError::NotFound`] when no directory up to `/` has an `archi.toml`; parse errors name
    /// the file, line and key.
    pub fn discover(start: &Path) -> Result<Workspace, WorkspaceError> {
        let start = fs_err::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
        let root = start
            .ancestors()
            .find(|dir| dir.join(WORKSPACE_FILE).is_file())
            .ok_or_else(|| WorkspaceError::NotFound {
                start: start.clone(),
            })?
            .to_path_buf();
        Self::load(&root)
    }

    /// Load the workspace whose `archi.toml` is in `root`.
    pub fn load(root: &Path) -> Result<Workspace, WorkspaceError> {
        let file: WorkspaceFile = read_toml(&root.join(WORKSPACE_FILE))?;
        let pins_path = root.join(&file.workspace.pins);
        let pins: PinsFile = if pins_path.is_file() {
            read_toml(&pins_path)?
        } else {
            PinsFile::default()
        };
        for name in pins.platform.keys() {
            if name.parse::<rattler_conda_types::Subdir>().is_err() {
                return Err(WorkspaceError::UnknownPlatform {
                    path: pins_path,
                    name: name.clone(),
                });
            }
        }
        let tables = std::iter::once(&pins.script_env)
            .chain(pins.platform.values().map(|section| &section.script_env));
        for (key, value) in tables.flatten() {
            let reason = crate::render::checks::script_var(key).or_else(|| {
                value
                    .contains('\0')
                    .then(|| format!("script_env `{key}` contains a NUL byte"))
            });
            if let Some(reason) = reason {
                return Err(WorkspaceError::ScriptEnv {
                    path: pins_path,
                    reason,
                });
            }
        }
        Ok(Workspace {
            root: root.to_path_buf(),
            file,
            pins,
        })
    }

    /// The output channel directory (absolute).
    pub fn output_channel(&self) -> PathBuf {
        self.root.join(&self.file.workspace.output)
    }

    /// Every recipe directory under the recipe roots (directories holding a `recipe.toml`), sorted.
    pub fn recipe_dirs(&self) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = self
            .file
            .workspace
            .recipes
            .iter()
            .filter_map(|root| fs_err::read_dir(self.root.join(root)).ok())
            .flatten()
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|dir| dir.join(crate::recipe::RECIPE_FILE).is_file())
            .collect();
        dirs.sort();
        dirs
    }

    /// The variant values for `platform`: `[pins]` overridden by `[platform.<subdir>.pins]`.
    pub fn pins_for(&self, platform: rattler_conda_types::Subdir) -> BTreeMap<String, String> {
        let mut pins = self.pins.pins.clone();
        if let Some(section) = self.pins.platform.get(platform.as_str()) {
            pins.extend(section.pins.clone());
        }
        pins
    }

    /// The toolchain programs usable when building for `target`: `[toolchain]` overridden by
    /// `[platform.<target>.toolchain]`.
    pub fn toolchain_for(&self, target: rattler_conda_types::Subdir) -> BTreeMap<String, ToolSpec> {
        let mut tools = self.pins.toolchain.clone();
        if let Some(section) = self.pins.platform.get(target.as_str()) {
            tools.extend(section.toolchain.clone());
        }
        tools
    }

    /// The toolchain packages that replace machine programs for builds targeting `target`: its
    /// `archi_toolchain` when `toolchain_from = "archi"` (archi.toml's `[workspace]` first, then the pins file's
    /// `[platform.<target>]`), else none.
    pub fn packaged_toolchain_for(
        &self,
        target: rattler_conda_types::Subdir,
    ) -> BTreeMap<String, PackagedTool> {
        let Some(section) = self.pins.platform.get(target.as_str()) else {
            return BTreeMap::new();
        };
        match self
            .file
            .workspace
            .toolchain_from
            .or(section.toolchain_from)
        {
            Some(ToolchainFrom::Archi) => section.archi_toolchain.clone(),
            _ => BTreeMap::new(),
        }
    }

    /// The script variables for builds targeting `target`: `[script_env]` overridden by
    /// `[platform.<target>.script_env]`.
    pub fn script_env_for(&self, target: rattler_conda_types::Subdir) -> BTreeMap<String, String> {
        let mut vars = self.pins.script_env.clone();
        if let Some(section) = self.pins.platform.get(target.as_str()) {
            vars.extend(section.script_env.clone());
        }
        vars
    }

    /// The `[platform.<subdir>]` section, if any.
    pub fn platform(&self, platform: rattler_conda_types::Subdir) -> Option<&PlatformSection> {
        self.pins.platform.get(platform.as_str())
    }
}

/// Read a TOML file into `T`, with span-carrying errors.
fn read_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, RecipeError> {
    let text = fs_err::read_to_string(path).map_err(|source| RecipeError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let file = SourceFile::new(path, &text);
    toml::from_str(&text).map_err(|err| RecipeError::from_toml(&file, &err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_pins_override_global_ones() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(dir.path().join(WORKSPACE_FILE), "[workspace]\n").unwrap();
        fs_err::write(
            dir.path().join("pins.toml"),
            "[pins]\nzlib = \"1.2\"\nopenssl = \"3\"\n[platform.linux-aarch64.pins]\nzlib = \"1.3\"\n",
        )
        .unwrap();
        let ws = Workspace::discover(dir.path()).unwrap();
        let pins = ws.pins_for(rattler_conda_types::Subdir::LinuxAarch64);
        assert_eq!(pins["zlib"], "1.3");
        assert_eq!(pins["openssl"], "3");
        assert_eq!(
            ws.pins_for(rattler_conda_types::Subdir::Linux64)["zlib"],
            "1.2"
        );
    }

    #[test]
    fn unknown_platform_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(dir.path().join(WORKSPACE_FILE), "").unwrap();
        fs_err::write(dir.path().join("pins.toml"), "[platform.linux-sparc]\n").unwrap();
        assert!(matches!(
            Workspace::discover(dir.path()),
            Err(WorkspaceError::UnknownPlatform { .. })
        ));
    }

    #[test]
    fn the_workspace_toolchain_from_overrides_the_pins_platforms() {
        use rattler_conda_types::Subdir;
        let pins = "[platform.linux-64]\ntoolchain_from = \"machine\"\n\
                    [platform.linux-64.archi_toolchain.c]\npackage = \"gcc_linux-64\"\nprogram = \"x86_64-conda-linux-gnu-gcc\"\n\
                    [platform.linux-aarch64.archi_toolchain.c]\npackage = \"gcc_linux-aarch64\"\nprogram = \"aarch64-conda-linux-gnu-gcc\"\n";
        let load = |workspace: &str| {
            let dir = tempfile::tempdir().unwrap();
            fs_err::write(dir.path().join(WORKSPACE_FILE), workspace).unwrap();
            fs_err::write(dir.path().join("pins.toml"), pins).unwrap();
            Workspace::discover(dir.path()).unwrap()
        };
        let stage0 = load("[workspace]\n");
        assert!(stage0.packaged_toolchain_for(Subdir::Linux64).is_empty());
        assert!(stage0
            .packaged_toolchain_for(Subdir::LinuxAarch64)
            .is_empty());
        let stage2 = load("[workspace]\ntoolchain_from = \"archi\"\n");
        assert_eq!(
            stage2.packaged_toolchain_for(Subdir::Linux64)["c"].package,
            "gcc_linux-64"
        );
        assert_eq!(
            stage2.packaged_toolchain_for(Subdir::LinuxAarch64)["c"].program,
            "aarch64-conda-linux-gnu-gcc"
        );
        assert!(stage2
            .packaged_toolchain_for(Subdir::LinuxPpc64le)
            .is_empty());
    }
}
