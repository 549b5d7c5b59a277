//! Stage-0 toolchain: compilers and build tools taken from the build machine, found on `PATH` as `pins.toml` says,
//! each with an identity (resolved path, `--version` line, blake3 of the program) that goes into the store key, so
//! a different compiler means a different package.
//!
//! Also derives the conda-build compiler variables (`CC`, `CXX`, `AR`, `LD`, … as conda-forge's activation scripts
//! export them) from the compiler's binutils prefix, and cargo's for `compiler('rust')` ([`rust`]).

pub mod rust;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use serde::Serialize;

use crate::workspace::ToolSpec;

/// What identifies one toolchain program in the store key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolIdentity {
    /// The program as configured (`aarch64-linux-gnu-gcc`).
    pub program: String,
    /// Its resolved absolute path, symlinks followed.
    pub path: PathBuf,
    /// The first line of `<program> --version`.
    pub version: String,
    /// blake3 of the resolved program file, hex.
    pub blake3: String,
}

/// Toolchain programs resolved for one build, by requirement name (`c`, `make`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Toolchain {
    /// Resolved programs.
    pub tools: BTreeMap<String, ToolIdentity>,
    /// Binutils (`ar`, `ld`, …) of the C compiler, by variable name (`AR` → path).
    pub binutils: BTreeMap<String, ToolIdentity>,
    /// cargo, the target triple and the sysroot when `rust` is among the tools (rustc is `tools["rust"]`); left
    /// out of the key's JSON otherwise, so that other recipes keep their keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rust: Option<rust::RustToolchain>,
    /// Toolchain programs that come in packages of the build environment (`toolchain_from = "archi"`), by
    /// requirement name; their records are in the key with the build environment. Left out of the key's JSON when
    /// empty, so that stage-0 builds keep their keys.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub packaged: BTreeMap<String, crate::workspace::PackagedTool>,
}

/// A toolchain program that cannot be used.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ToolchainError {
    /// The recipe names a toolchain entry pins.toml does not define.
    #[error("toolchain requirement `{name}` is not defined for {platform} in pins.toml")]
    #[diagnostic(help(
        "defined: {known}; add [platform.{platform}.toolchain.{name}] (program, apt) to pins.toml"
    ))]
    Unknown {
        /// Requirement name.
        name: String,
        /// Target platform.
        platform: String,
        /// Defined names.
        known: String,
    },
    /// The program is not on PATH.
    #[error("toolchain program `{program}` (for `{name}`) is not installed")]
    #[diagnostic(help("install it: apt-get install {apt}"))]
    Missing {
        /// Requirement name.
        name: String,
        /// Program.
        program: String,
        /// Debian package.
        apt: String,
    },
    /// The Rust toolchain (`compiler('rust')`) is not usable: no rustc, no cargo beside it, or no standard
    /// library for the target.
    #[error("the Rust toolchain for {target} is not usable: {reason}")]
    Rust {
        /// The Rust target triple.
        target: String,
        /// What is wrong.
        reason: String,
        /// How to install what is missing (rustup).
        #[help]
        help: String,
    },
    /// The program exists but could not be read or run.
    #[error("cannot identify toolchain program {}", path.display())]
    Identify {
        /// Program path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

/// Binutils variables conda-forge's compiler activation exports, and the program suffix each names.
const BINUTILS: [(&str, &str); 7] = [
    ("AR", "ar"),
    ("AS", "as"),
    ("LD", "ld"),
    ("NM", "nm"),
    ("OBJDUMP", "objdump"),
    ("RANLIB", "ranlib"),
    ("STRIP", "strip"),
];

/// Resolve `names` against `tools` (pins.toml's toolchain for the target platform), searching `path_var`;
/// identities are memoised in `cache`.
///
/// `rust` brings `c` with it: cargo links with the target's C compiler (`CARGO_TARGET_<TRIPLE>_LINKER`), as
/// conda-forge's `rust` compiler package depends on its C compiler.
///
/// Errors: [`ToolchainError::Unknown`] for a name pins.toml does not define, [`ToolchainError::Missing`] (with the
/// apt package) for a program not on PATH, [`ToolchainError::Rust`] for an unusable Rust toolchain.
pub fn resolve<'a>(
    names: impl IntoIterator<Item = &'a str>,
    tools: &BTreeMap<String, ToolSpec>,
    platform: &str,
    path_var: &str,
    cache: &IdentityCache,
) -> Result<Toolchain, ToolchainError> {
    let mut toolchain = Toolchain::default();
    let mut names: Vec<&str> = names.into_iter().collect();
    if names.contains(&"rust") && !names.contains(&"c") {
        names.push("c");
    }
    for name in names {
        if toolchain.tools.contains_key(name) {
            continue;
        }
        let spec = tools.get(name).ok_or_else(|| ToolchainError::Unknown {
            name: name.to_string(),
            platform: platform.to_string(),
            known: tools.keys().cloned().collect::<Vec<_>>().join(", "),
        })?;
        if name == "rust" {
            let (rustc, rust) = rust::resolve(spec, path_var, cache)?;
            toolchain.tools.insert(name.to_string(), rustc);
            toolchain.rust = Some(rust);
            continue;
        }
        let identity = identify(name, &spec.program, &spec.apt, path_var, cache)?;
        if let (Some(prefix), "c") = (&spec.binutils_prefix, name) {
            let apt = format!(
                "binutils-{}",
                prefix.trim_end_matches('-').replace('_', "-")
            );
            for (var, tool) in BINUTILS {
                let program = format!("{prefix}{tool}");
                let id = identify(name, &program, &apt, path_var, cache)?;
                toolchain.binutils.insert(var.to_string(), id);
            }
        }
        toolchain.tools.insert(name.to_string(), identity);
    }
    Ok(toolchain)
}

impl Toolchain {
    /// The compiler variables for a build or test environment: `CC`/`CXX`/`FC` from the compilers, the binutils
    /// variables, cargo's variables with `rust` ([`rust::env_vars`]). (`CC_FOR_BUILD` in cross builds comes from the build machine's own toolchain; see `build::env`.)
    pub fn env_vars(&self) -> BTreeMap<String, String> {
        let mut vars = BTreeMap::new();
        for (name, var) in [("c", "CC"), ("cxx", "CXX"), ("fortran", "FC")] {
            if let Some(tool) = self.tools.get(name) {
                vars.insert(var.to_string(), tool.path.display().to_string());
            }
        }
        if let Some(cpp) = self.tools.get("c") {
            vars.insert("CPP".into(), format!("{} -E", cpp.path.display()));
        }
        for (var, tool) in &self.binutils {
            vars.insert(var.clone(), tool.path.display().to_string());
        }
        if let (Some(rustc), Some(rust)) = (self.tools.get("rust"), &self.rust) {
            let linker = self.tools.get("c").map(|c| c.path.as_path());
            vars.extend(rust::env_vars(rustc, rust, linker));
        }
        vars
    }

    /// The compiler variables of the packaged tools, their programs in `build_prefix`/bin: `CC`, `CXX`, `FC`,
    /// `CPP` and the binutils variables (`AR`, `LD`, …) from the C compiler's `binutils_prefix`, as conda-forge's
    /// activation scripts set them; with `rust`, cargo's linker for the target (`CARGO_TARGET_<TRIPLE>_LINKER`) is
    /// the packaged C compiler too, so that a Rust extension is linked with archi's gcc (its start files and
    /// libgcc), not the machine's. They replace what [`Toolchain::env_vars`] gives for the same names.
    pub fn packaged_env_vars(&self, build_prefix: &str) -> BTreeMap<String, String> {
        let mut vars = BTreeMap::new();
        let bin = |program: &str| format!("{build_prefix}/bin/{program}");
        for (name, var) in [("c", "CC"), ("cxx", "CXX"), ("fortran", "FC")] {
            if let Some(tool) = self.packaged.get(name) {
                vars.insert(var.to_string(), bin(&tool.program));
            }
        }
        if let Some(c) = self.packaged.get("c") {
            vars.insert("CPP".into(), format!("{} -E", bin(&c.program)));
            if let Some(rust) = &self.rust {
                vars.insert(rust::linker_var(&rust.target), bin(&c.program));
            }
            if let Some(prefix) = &c.binutils_prefix {
                for (var, tool) in BINUTILS {
                    vars.insert(var.to_string(), bin(&format!("{prefix}{tool}")));
                }
            }
        }
        vars
    }

    /// Directories a sandboxed script must be able to read besides the programs' own: the Rust sysroot.
    pub fn support_dirs(&self) -> Vec<PathBuf> {
        self.rust.iter().map(|r| r.sysroot.clone()).collect()
    }

    /// Directories holding the toolchain programs (for PATH), deduplicated, in name order.
    pub fn bin_dirs(&self) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = Vec::new();
        let cargo = self.rust.as_ref().map(|r| &r.cargo);
        for tool in self
            .tools
            .values()
            .chain(self.binutils.values())
            .chain(cargo)
        {
            if let Some(dir) = tool.path.parent() {
                if !dirs.iter().any(|d| d == dir) {
                    dirs.push(dir.to_path_buf());
                }
            }
        }
        dirs
    }
}

/// Memoised toolchain identities, keyed "<resolved path>|<size>|<mtime ns>|<inode>" → (`--version` line, blake3),
/// optionally persisted in a file (`<store>/toolchain-identities.json`) so that a run whose programs have not
/// changed (same path, size, mtime and inode, as make and Nix's content checks assume) spawns no `--version` and
/// hashes nothing. Shared by every build of one run (it is `Sync`); owned by the run's context, never global.
#[derive(Debug, Default)]
pub struct IdentityCache {
    inner: Mutex<IdentityEntries>,
}

#[derive(Debug, Default)]
struct IdentityEntries {
    entries: HashMap<String, (String, String)>,
    file: Option<PathBuf>,
    dirty: bool,
}

impl IdentityCache {
    /// A cache kept in `file`; a missing or unreadable file starts empty. Call [`IdentityCache::save`] at the end
    /// of a run.
    pub fn load(file: &Path) -> IdentityCache {
        let entries = fs_err::read_to_string(file)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        IdentityCache {
            inner: Mutex::new(IdentityEntries {
                entries,
                file: Some(file.to_path_buf()),
                dirty: false,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, IdentityEntries> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, stamp: &str) -> Option<(String, String)> {
        self.lock().entries.get(stamp).cloned()
    }

    fn insert(&self, stamp: String, value: (String, String)) {
        let mut inner = self.lock();
        inner.entries.insert(stamp, value);
        inner.dirty = true;
    }

    /// Write the cache back (temp file + rename) if this run added entries and it has a file.
    ///
    /// Errors: the file cannot be written (the cache is an optimisation: callers may ignore this).
    pub fn save(&self) -> std::io::Result<()> {
        let mut inner = self.lock();
        let (Some(file), true) = (inner.file.clone(), inner.dirty) else {
            return Ok(());
        };
        let dir = file.parent().unwrap_or(Path::new("."));
        fs_err::create_dir_all(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        std::io::Write::write_all(&mut tmp, serde_json::to_string(&inner.entries)?.as_bytes())?;
        tmp.persist(&file).map_err(|e| e.error)?;
        inner.dirty = false;
        Ok(())
    }
}

/// Find `program` on `path_var` and compute its identity; memoised per process by (path, size, mtime).
fn identify(
    name: &str,
    program: &str,
    apt: &str,
    path_var: &str,
    cache: &IdentityCache,
) -> Result<ToolIdentity, ToolchainError> {
    let found = find_program(program, path_var).ok_or_else(|| ToolchainError::Missing {
        name: name.to_string(),
        program: program.to_string(),
        apt: apt.to_string(),
    })?;
    let io_err = |source| ToolchainError::Identify {
        path: found.clone(),
        source,
    };
    let resolved = fs_err::canonicalize(&found).map_err(io_err)?;
    let meta = fs_err::metadata(&resolved).map_err(io_err)?;
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let stamp = format!(
        "{}|{}|{mtime_ns}|{}",
        resolved.display(),
        meta.len(),
        std::os::unix::fs::MetadataExt::ino(&meta)
    );
    if let Some((version, blake3)) = cache.get(&stamp) {
        return Ok(ToolIdentity {
            program: program.to_string(),
            path: found,
            version,
            blake3,
        });
    }
    let bytes = fs_err::read(&resolved).map_err(io_err)?;
    let blake3 = blake3::hash(&bytes).to_hex().to_string();
    let output = Command::new(&found)
        .arg("--version")
        .env_clear()
        .env("PATH", path_var)
        .env("LC_ALL", "C")
        .output()
        .map_err(io_err)?;
    let version = String::from_utf8_lossy(&output.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&output.stderr).lines())
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .trim()
        .to_string();
    cache.insert(stamp, (version.clone(), blake3.clone()));
    Ok(ToolIdentity {
        program: program.to_string(),
        path: found,
        version,
        blake3,
    })
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

/// The first executable `program` in the `:`-separated `path_var` (or `program` itself when it is a path).
pub fn find_program(program: &str, path_var: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let is_exe = |p: &Path| {
        fs_err::metadata(p)
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    };
    if program.contains('/') {
        let p = PathBuf::from(program);
        return is_exe(&p).then_some(p);
    }
    path_var
        .split(':')
        .filter(|d| !d.is_empty())
        .map(|dir| Path::new(dir).join(program))
        .find(|p| is_exe(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(program: &str, apt: &str) -> ToolSpec {
        ToolSpec {
            program: program.into(),
            apt: apt.into(),
            binutils_prefix: None,
            rust_target: None,
        }
    }

    #[test]
    fn a_packaged_c_compiler_is_cargos_linker_for_the_target() {
        let tool = |path: &str| ToolIdentity {
            program: path.rsplit('/').next().unwrap().into(),
            path: path.into(),
            version: String::new(),
            blake3: String::new(),
        };
        let mut tc = Toolchain {
            packaged: BTreeMap::from([(
                "c".to_string(),
                crate::workspace::PackagedTool {
                    package: "gcc_linux-aarch64".into(),
                    program: "aarch64-conda-linux-gnu-gcc".into(),
                    binutils_prefix: Some("aarch64-conda-linux-gnu-".into()),
                },
            )]),
            ..Toolchain::default()
        };
        let linker = "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER";
        assert!(!tc.packaged_env_vars("/b").contains_key(linker));
        tc.tools.insert("rust".into(), tool("/rust/bin/rustc"));
        tc.rust = Some(rust::RustToolchain {
            cargo: tool("/rust/bin/cargo"),
            target: "aarch64-unknown-linux-gnu".into(),
            sysroot: "/rust".into(),
        });
        let vars = tc.packaged_env_vars("/b");
        assert_eq!(vars[linker], "/b/bin/aarch64-conda-linux-gnu-gcc");
        assert_eq!(vars[linker], vars["CC"]);
        assert_eq!(vars["AR"], "/b/bin/aarch64-conda-linux-gnu-ar");
    }

    #[test]
    fn resolves_a_real_program_with_identity() {
        let tools = BTreeMap::from([("sh".to_string(), spec("sh", "dash"))]);
        let tc = resolve(
            ["sh"],
            &tools,
            "linux-64",
            "/usr/bin:/bin",
            &IdentityCache::default(),
        )
        .unwrap();
        let sh = &tc.tools["sh"];
        assert!(sh.path.is_absolute());
        assert_eq!(sh.blake3.len(), 64);
    }

    #[test]
    fn missing_program_names_the_apt_package() {
        let tools = BTreeMap::from([("c".to_string(), spec("no-such-cc-archi", "gcc-archi"))]);
        let err = resolve(
            ["c"],
            &tools,
            "linux-64",
            "/usr/bin:/bin",
            &IdentityCache::default(),
        )
        .unwrap_err();
        assert!(
            matches!(err, ToolchainError::Missing { ref apt, .. } if apt == "gcc-archi"),
            "{err}"
        );
    }

    #[test]
    fn unknown_requirement_lists_the_known_ones() {
        let tools = BTreeMap::from([("make".to_string(), spec("make", "make"))]);
        let err = resolve(
            ["cmake"],
            &tools,
            "linux-64",
            "/usr/bin",
            &IdentityCache::default(),
        )
        .unwrap_err();
        assert!(matches!(err, ToolchainError::Unknown { ref known, .. } if known == "make"));
    }
}
