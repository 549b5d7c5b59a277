//! Every environment variable archi reads, in one place.

/// Overrides the store location (default: the user's cache dir, `~/.cache/archi`).
pub const ARCHI_STORE: &str = "ARCHI_STORE";
/// When set to `1`, archi never downloads a source: a source missing from the cache is an error.
pub const ARCHI_OFFLINE: &str = "ARCHI_OFFLINE";
/// Log filter for `tracing` (`info`, `archi=debug`, …).
pub const ARCHI_LOG: &str = "ARCHI_LOG";
/// The number of jobserver tokens and the `CPU_COUNT` of every build script (default: the machine's cores), as
/// conda-build reads it.
pub const CPU_COUNT: &str = "CPU_COUNT";
/// `ARCHI_INSTALLER_ENGINE_<SUBDIR>` (`ARCHI_INSTALLER_ENGINE_LINUX_AARCH64`): a prebuilt installer engine for that
/// platform, used by `archi installer` instead of building `installer/engine` with cargo.
pub const ARCHI_INSTALLER_ENGINE_PREFIX: &str = "ARCHI_INSTALLER_ENGINE_";
