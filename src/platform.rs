//! Target platforms: conda subdirs and the facts a build needs about each (GNU triplet, shared library suffix).
//!
//! The names follow conda's subdirs (`linux-64`, `linux-aarch64`, …) as `rattler_conda_types::Platform` spells
//! them; the triplets are Debian's multiarch triplets, which is what Debian's cross toolchains are prefixed with.

use rattler_conda_types::Subdir as Platform;

/// The GNU triplet of a conda platform, as Debian's toolchains name it (`x86_64-linux-gnu`), or `None` for a
/// platform archi cannot build for yet.
pub fn gnu_triplet(platform: Platform) -> Option<&'static str> {
    match platform {
        Platform::Linux64 => Some("x86_64-linux-gnu"),
        Platform::LinuxAarch64 => Some("aarch64-linux-gnu"),
        Platform::LinuxPpc64le => Some("powerpc64le-linux-gnu"),
        Platform::LinuxS390X => Some("s390x-linux-gnu"),
        _ => None,
    }
}

/// The shared library suffix conda-build exports as `SHLIB_EXT` (`.so` on Linux, `.dylib` on macOS).
pub fn shlib_ext(platform: Platform) -> &'static str {
    if platform.is_osx() {
        ".dylib"
    } else if platform.is_windows() {
        ".dll"
    } else {
        ".so"
    }
}

/// The ELF machine number (`e_machine`) binaries for `platform` carry, used to check that a cross build produced
/// no binary of the build machine. `None` for non-ELF platforms.
pub fn elf_machine(platform: Platform) -> Option<u16> {
    match platform {
        Platform::Linux64 => Some(62),       // EM_X86_64
        Platform::LinuxAarch64 => Some(183), // EM_AARCH64
        Platform::LinuxPpc64le => Some(21),  // EM_PPC64
        Platform::LinuxS390X => Some(22),    // EM_S390
        _ => None,
    }
}

/// The binfmt_misc `magic` and `mask` (as the kernel's `\xHH` escapes) that match ELF executables of `platform`,
/// as Debian's qemu-user-binfmt registers them. `None` for platforms archi cannot emulate.
pub fn binfmt_magic(platform: Platform) -> Option<(&'static str, &'static str)> {
    match platform {
        Platform::LinuxAarch64 => Some((
            r"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00",
            r"\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff",
        )),
        Platform::LinuxPpc64le => Some((
            r"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x15\x00",
            r"\xff\xff\xff\xff\xff\xff\xff\xfc\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\x00",
        )),
        _ => None,
    }
}
