//! Virtual packages (`__unix`, `__linux`, `__glibc`, `__archspec`, …) describing the machine an environment is
//! solved for, as conda and rattler detect them (conda's `conda.plugins.virtual_packages`).

use std::str::FromStr;

use rattler_conda_types::package::BuildString;
use rattler_conda_types::{GenericVirtualPackage, PackageName, Subdir, Version};

/// Kernel version assumed for `__linux` when the running kernel's cannot be read (e.g. when not on Linux).
pub const DEFAULT_LINUX_VERSION: &str = "5.10";

/// macOS version assumed for `__osx` (archi does not build for macOS; the value only keeps solves possible).
pub const DEFAULT_OSX_VERSION: &str = "11.0";

/// Files that hold this machine's glibc, first existing one wins: Debian's multiarch paths, then the
/// `lib64`/`lib` paths of other distributions.
const LIBC_CANDIDATES: &[&str] = &[
    "/lib/x86_64-linux-gnu/libc.so.6",
    "/lib/aarch64-linux-gnu/libc.so.6",
    "/lib/powerpc64le-linux-gnu/libc.so.6",
    "/lib/s390x-linux-gnu/libc.so.6",
    "/usr/lib64/libc.so.6",
    "/lib64/libc.so.6",
    "/usr/lib/libc.so.6",
    "/lib/libc.so.6",
];

/// The virtual packages of a machine for `platform`, sorted by name:
/// - `__unix` (version 0) on every non-Windows platform, `__win` (0) on Windows;
/// - `__linux=<kernel>` on Linux platforms: the running kernel's release from `/proc/sys/kernel/osrelease`
///   (its leading dotted numbers), else [`DEFAULT_LINUX_VERSION`];
/// - `__glibc=<glibc>` on Linux platforms when `glibc` is given (see [`host_glibc_version`]);
/// - `__osx=`[`DEFAULT_OSX_VERSION`] on macOS;
/// - `__archspec=1=<arch>` for platforms with an architecture (`x86_64`, `aarch64`, `ppc64le`, …), the generic
///   microarchitecture named like the platform's arch, as rattler reports it when no finer one is known.
///
/// `noarch` gets no virtual packages.
pub fn virtual_packages(platform: Subdir, glibc: Option<&Version>) -> Vec<GenericVirtualPackage> {
    let mut packages = Vec::new();
    if platform == Subdir::NoArch {
        return packages;
    }
    if platform.is_windows() {
        packages.push(virtual_package("__win", version("0"), "0"));
    } else {
        packages.push(virtual_package("__unix", version("0"), "0"));
    }
    if platform.is_linux() {
        packages.push(virtual_package("__linux", running_kernel_version(), "0"));
        if let Some(glibc) = glibc {
            packages.push(virtual_package("__glibc", glibc.clone(), "0"));
        }
    }
    if platform.is_osx() {
        packages.push(virtual_package("__osx", version(DEFAULT_OSX_VERSION), "0"));
    }
    if let Some(arch) = platform.arch() {
        packages.push(virtual_package("__archspec", version("1"), arch.as_str()));
    }
    packages.sort_by(|a, b| a.name.cmp(&b.name));
    packages
}

/// The glibc version of this machine, or `None` when no glibc is found (not Linux, musl, unreadable library).
///
/// Found without spawning a process: the first existing file of a fixed list of `libc.so.6` paths
/// (`/lib/<triplet>/libc.so.6`, `/usr/lib64/libc.so.6`, …) is read and its banner string
/// `GNU C Library (…) stable release version 2.36.` is parsed — the same text `ldd --version` and running
/// `libc.so.6` print.
pub fn host_glibc_version() -> Option<Version> {
    LIBC_CANDIDATES.iter().find_map(|path| {
        let bytes = fs_err::read(path).ok()?;
        glibc_version_from_banner(&bytes)
    })
}

/// Parses the version out of glibc's banner (`… release version 2.36.`) found anywhere in `bytes`.
pub(super) fn glibc_version_from_banner(bytes: &[u8]) -> Option<Version> {
    const MARKER: &[u8] = b"release version ";
    let library = memchr::memmem::find(bytes, b"GNU C Library")?;
    let start = library + memchr::memmem::find(&bytes[library..], MARKER)? + MARKER.len();
    let digits: Vec<u8> = bytes[start..]
        .iter()
        .take_while(|b| b.is_ascii_digit() || **b == b'.')
        .copied()
        .collect();
    let text = std::str::from_utf8(&digits).ok()?.trim_end_matches('.');
    if text.is_empty() {
        return None;
    }
    Version::from_str(text).ok()
}

/// The running kernel's version from `/proc/sys/kernel/osrelease` (`6.1.0-18-amd64` → `6.1.0`), or
/// [`DEFAULT_LINUX_VERSION`].
fn running_kernel_version() -> Version {
    fs_err::read_to_string("/proc/sys/kernel/osrelease")
        .ok()
        .and_then(|release| kernel_version_from_release(&release))
        .unwrap_or_else(|| version(DEFAULT_LINUX_VERSION))
}

/// The leading dotted numbers of a kernel release string, as a version.
pub(super) fn kernel_version_from_release(release: &str) -> Option<Version> {
    let numeric: String = release
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let numeric = numeric.trim_end_matches('.');
    if numeric.is_empty() {
        return None;
    }
    Version::from_str(numeric).ok()
}

fn version(text: &str) -> Version {
    Version::from_str(text).expect("constant versions parse")
}

fn virtual_package(name: &str, version: Version, build: &str) -> GenericVirtualPackage {
    GenericVirtualPackage {
        name: PackageName::new_unchecked(name),
        version,
        build_string: BuildString::new_unchecked(build),
    }
}
