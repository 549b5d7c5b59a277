//! `compiler('rust')`: rustc and cargo from the build machine (stage 0), as rustup installs them.
//!
//! `rustc` is found on `PATH` as pins.toml names it; that is usually rustup's proxy, which picks a toolchain by
//! the caller's directory and environment. So archi asks it once for its sysroot (`rustc --print sysroot`, run in
//! `/` with a clean environment) and takes the real programs from there, `<sysroot>/bin/rustc` and
//! `<sysroot>/bin/cargo`: those are what the store key identifies and what the build script runs, and the build
//! needs no rustup, no `~/.rustup` settings and no `RUSTUP_TOOLCHAIN`. The target's standard library must be in
//! the sysroot (`<sysroot>/lib/rustlib/<target>/lib`, put there by `rustup target add <target>`).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use super::{identify, IdentityCache, ToolIdentity, ToolchainError};
use crate::workspace::ToolSpec;

/// The Rust half of a toolchain: what `compiler('rust')` adds besides `rustc` itself (which is the `rust` entry
/// of [`Toolchain::tools`](super::Toolchain::tools)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RustToolchain {
    /// `cargo` from the same sysroot as rustc.
    pub cargo: ToolIdentity,
    /// The Rust target triple builds are for (`CARGO_BUILD_TARGET`), from pins.toml's `rust_target`.
    pub target: String,
    /// The toolchain's sysroot (`rustc --print sysroot`); a sandboxed script must be able to read all of it
    /// (rustc loads its driver library and the target's standard library from there).
    pub sysroot: PathBuf,
}

/// The help for a Rust toolchain that is not there.
fn install_help(target: &str) -> String {
    format!(
        "install Rust with rustup (scripts/install-deps.sh checks it), then `rustup target add {target}`"
    )
}

/// Resolve `compiler('rust')` from its pins.toml entry `spec`: the rustc on `path_var`, its sysroot, the real
/// rustc and cargo in it (identities memoised in `cache`) and the target's standard library.
///
/// Errors: [`ToolchainError::Rust`] when pins.toml gives no `rust_target`, rustc is not on PATH or does not
/// answer `--print sysroot`, the sysroot has no cargo, or the target's standard library is not installed (the
/// help says `rustup target add <target>`); [`ToolchainError::Identify`] when a program cannot be read.
pub fn resolve(
    spec: &ToolSpec,
    path_var: &str,
    cache: &IdentityCache,
) -> Result<(ToolIdentity, RustToolchain), ToolchainError> {
    let target = spec.rust_target.clone().ok_or_else(|| ToolchainError::Rust {
        target: "?".into(),
        reason: "pins.toml's `rust` toolchain entry has no `rust_target`".into(),
        help: "add rust_target = \"<triple>\" (x86_64-unknown-linux-gnu, aarch64-unknown-linux-gnu)".into(),
    })?;
    let fail = |reason: String| ToolchainError::Rust {
        target: target.clone(),
        reason,
        help: install_help(&target),
    };
    let proxy = super::find_program(&spec.program, path_var)
        .ok_or_else(|| fail(format!("`{}` is not on PATH", spec.program)))?;
    let sysroot = sysroot(&proxy, path_var).map_err(&fail)?;
    let program = |name: &str| -> Result<ToolIdentity, ToolchainError> {
        let path = sysroot.join("bin").join(name);
        if !path.is_file() {
            return Err(fail(format!("{} does not exist", path.display())));
        }
        let mut id = identify(
            "rust",
            &path.display().to_string(),
            &spec.apt,
            path_var,
            cache,
        )?;
        id.program = name.to_string();
        Ok(id)
    };
    let rustc = program("rustc")?;
    let cargo = program("cargo")?;
    let std_dir = sysroot.join("lib/rustlib").join(&target).join("lib");
    if !std_dir.is_dir() {
        return Err(fail(format!(
            "the standard library for {target} is not installed in {}",
            sysroot.display()
        )));
    }
    Ok((
        rustc,
        RustToolchain {
            cargo,
            target,
            sysroot,
        },
    ))
}

/// `<rustc> --print sysroot`, run in `/` with only `PATH` (rustup's proxy finds its home through the password
/// database when `HOME` is unset), canonicalised. Errors: a sentence.
fn sysroot(rustc: &Path, path_var: &str) -> Result<PathBuf, String> {
    let output = Command::new(rustc)
        .args(["--print", "sysroot"])
        .current_dir("/")
        .env_clear()
        .env("PATH", path_var)
        .env("LC_ALL", "C")
        .output()
        .map_err(|e| format!("cannot run `{} --print sysroot`: {e}", rustc.display()))?;
    let text = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if !output.status.success() || text.is_empty() {
        return Err(format!(
            "`{} --print sysroot` failed ({}): {}",
            rustc.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    fs_err::canonicalize(&text).map_err(|e| format!("sysroot {text}: {e}"))
}

/// The variables cargo reads for a build with `rust` (cargo's `CARGO_*` environment configuration, as
/// conda-forge's rust activation sets them): `CARGO_BUILD_TARGET`, `CARGO_TARGET_<TRIPLE>_LINKER` = `linker` (the
/// target's C compiler) when there is one, `RUSTC` and `CARGO` (the sysroot's programs).
pub fn env_vars(
    rustc: &ToolIdentity,
    rust: &RustToolchain,
    linker: Option<&Path>,
) -> Vec<(String, String)> {
    let mut vars = vec![
        ("CARGO_BUILD_TARGET".to_string(), rust.target.clone()),
        ("RUSTC".to_string(), rustc.path.display().to_string()),
        ("CARGO".to_string(), rust.cargo.path.display().to_string()),
    ];
    if let Some(linker) = linker {
        vars.push((linker_var(&rust.target), linker.display().to_string()));
    }
    vars
}

/// In a cross build, what cargo and the `cc` crate need for the build machine's own artifacts (build scripts,
/// proc macros and the C they compile), from `build` (the build machine's toolchain, with `rust`):
/// `CARGO_TARGET_<BUILD TRIPLE>_LINKER` and the `cc` crate's `CC_<build_triple>` / `CXX_<build_triple>` (its
/// per-target spelling: `-` as `_`, lower case) = the build machine's compilers, so that `CC` (the target's) is
/// never used for them. Empty when `build` has no Rust toolchain (native builds).
pub fn build_machine_vars(build: &super::Toolchain) -> Vec<(String, String)> {
    let Some(rust) = &build.rust else {
        return Vec::new();
    };
    let mut vars = Vec::new();
    let cc_triple = rust.target.replace(['-', '.'], "_");
    if let Some(c) = build.tools.get("c") {
        vars.push((linker_var(&rust.target), c.path.display().to_string()));
        vars.push((format!("CC_{cc_triple}"), c.path.display().to_string()));
    }
    if let Some(cxx) = build.tools.get("cxx") {
        vars.push((format!("CXX_{cc_triple}"), cxx.path.display().to_string()));
    }
    vars
}

/// `CARGO_TARGET_<TRIPLE>_LINKER` for a target triple, as cargo spells the variable: upper case, `-` and `.` as
/// `_` (`aarch64-unknown-linux-gnu` → `CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER`).
pub fn linker_var(target: &str) -> String {
    let triple: String = target
        .chars()
        .map(|c| match c {
            '-' | '.' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    format!("CARGO_TARGET_{triple}_LINKER")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linker_variable_is_spelled_as_cargo_reads_it() {
        assert_eq!(
            linker_var("aarch64-unknown-linux-gnu"),
            "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER"
        );
        assert_eq!(
            linker_var("x86_64-unknown-linux-gnu"),
            "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER"
        );
    }

    fn id(path: &str) -> ToolIdentity {
        ToolIdentity {
            program: path.rsplit('/').next().unwrap_or(path).into(),
            path: path.into(),
            version: "x 1.0".into(),
            blake3: "0".repeat(64),
        }
    }

    #[test]
    fn cargo_variables_name_the_target_its_linker_and_the_sysroot_programs() {
        let rust = RustToolchain {
            cargo: id("/r/bin/cargo"),
            target: "aarch64-unknown-linux-gnu".into(),
            sysroot: "/r".into(),
        };
        let vars: std::collections::BTreeMap<String, String> = env_vars(
            &id("/r/bin/rustc"),
            &rust,
            Some(Path::new("/usr/bin/aarch64-linux-gnu-gcc")),
        )
        .into_iter()
        .collect();
        assert_eq!(vars["CARGO_BUILD_TARGET"], "aarch64-unknown-linux-gnu");
        assert_eq!(
            vars["CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER"],
            "/usr/bin/aarch64-linux-gnu-gcc"
        );
        assert_eq!(vars["RUSTC"], "/r/bin/rustc");
        assert_eq!(vars["CARGO"], "/r/bin/cargo");
        assert_eq!(vars.len(), 4);
    }

    #[test]
    fn missing_rustc_says_how_to_install_it() {
        let spec = ToolSpec {
            program: "no-such-rustc-archi".into(),
            apt: String::new(),
            binutils_prefix: None,
            rust_target: Some("aarch64-unknown-linux-gnu".into()),
        };
        let err = resolve(&spec, "/usr/bin:/bin", &IdentityCache::default()).unwrap_err();
        let ToolchainError::Rust { help, .. } = &err else {
            panic!("{err:?}")
        };
        assert!(
            help.contains("rustup target add aarch64-unknown-linux-gnu"),
            "{help}"
        );
    }

    #[test]
    fn resolves_the_machine_rustc_to_its_sysroot() {
        let path = std::env::var("PATH").unwrap_or_default();
        if super::super::find_program("rustc", &path).is_none() {
            // archi itself is built with cargo: a machine that runs these tests has rustc on PATH.
            panic!("rustc is not on PATH");
        }
        let spec = ToolSpec {
            program: "rustc".into(),
            apt: String::new(),
            binutils_prefix: None,
            rust_target: Some(format!("{}-unknown-linux-gnu", std::env::consts::ARCH)),
        };
        let (rustc, rust) = resolve(&spec, &path, &IdentityCache::default()).unwrap();
        assert_eq!(rustc.path, rust.sysroot.join("bin/rustc"));
        assert!(rustc.version.starts_with("rustc "), "{}", rustc.version);
        assert!(
            rust.cargo.version.starts_with("cargo "),
            "{}",
            rust.cargo.version
        );
        assert_eq!(rust.cargo.blake3.len(), 64);
    }
}
