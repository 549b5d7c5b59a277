//! Caps on what extracting one archive may write: total unpacked bytes and expansion ratio, counted while the
//! archive streams so extraction stops at the cap rather than after the disk is full.

use std::cell::Cell;
use std::io::Read;
use std::rc::Rc;

use serde::{Deserialize, Serialize};

/// One gibibyte (2³⁰ bytes).
const GIB: u64 = 1 << 30;

/// Below this many unpacked bytes the expansion ratio is not checked: a small archive may well hold a few MB of
/// zeros or of a repetitive test file, and an expansion that small harms nothing.
pub const RATIO_FLOOR: u64 = 16 << 20;

/// The most entries (files, directories, links) one archive may create: 1,000,000. The largest real source trees
/// hold a few hundred thousand (llvm-project ~150k, the Linux kernel ~90k); a tar of empty files stays under the
/// size and ratio caps (512 bytes of header each, compressed well but not 200-fold) while creating an inode per
/// entry, and every entry costs archi memory for the duplicate check.
pub const MAX_ENTRIES: usize = 1_000_000;

/// Caps for extracting one archive.
///
/// Defaults, and why: real sources stay far below both. The largest tarballs a conda packager meets (gcc, llvm,
/// qt, boost) unpack to 1–3 GiB at ratios of 5–12 (gcc 14: 90 MB of xz → ~1 GiB, ratio ~11), and text-heavy
/// sources compressed with xz or zstd at high levels reach about 20–30. So [`ArchiveLimits::default`] allows
/// 8 GiB (a few times the biggest real tree, still far below what a build machine's disk holds twice: the cache
/// and a work-dir copy) and a ratio of 200 (an order of magnitude above any real source; a decompression bomb sits
/// at 1,000–1,000,000). A recipe that really needs more sets `max_unpacked_size` / `max_expansion_ratio` in its
/// `[[source]]`.
///
/// What counts: for a tar, every byte of the decompressed tar stream (headers, padding and skipped entries
/// included, so nothing decompresses unboundedly), plus the size of each hard link (a work-dir copy
/// materialises it); for a zip, every byte of entry data written. The ratio is unpacked bytes ÷ archive file
/// bytes, checked from [`RATIO_FLOOR`] unpacked bytes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveLimits {
    /// The most bytes one archive may unpack to.
    pub max_unpacked_size: u64,
    /// The most unpacked bytes per archive byte.
    pub max_expansion_ratio: u64,
    /// The most entries the archive may create ([`MAX_ENTRIES`]; not a recipe setting).
    pub max_entries: usize,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        ArchiveLimits {
            max_unpacked_size: 8 * GIB,
            max_expansion_ratio: 200,
            max_entries: MAX_ENTRIES,
        }
    }
}

/// A recipe's per-source overrides of [`ArchiveLimits`] (`max_unpacked_size`, `max_expansion_ratio` in a
/// `[[source]]`); `None` keeps the default. Serialised only when set, so store keys of recipes without overrides
/// do not change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitOverrides {
    /// Bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unpacked_size: Option<u64>,
    /// Unpacked bytes per archive byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_expansion_ratio: Option<u64>,
}

impl LimitOverrides {
    /// True when nothing is overridden.
    pub fn is_empty(&self) -> bool {
        *self == LimitOverrides::default()
    }

    /// The defaults with these overrides applied.
    pub fn apply(&self) -> ArchiveLimits {
        let default = ArchiveLimits::default();
        ArchiveLimits {
            max_unpacked_size: self.max_unpacked_size.unwrap_or(default.max_unpacked_size),
            max_expansion_ratio: self
                .max_expansion_ratio
                .unwrap_or(default.max_expansion_ratio),
            max_entries: default.max_entries,
        }
    }
}

/// Parses a size as recipes write it: a whole number of bytes with an optional unit, `B`, `KB`/`MB`/`GB`/`TB`
/// (powers of 1000) or `KiB`/`MiB`/`GiB`/`TiB` (powers of 1024), case-insensitive, with optional spaces
/// (`"20 GiB"`, `"500MB"`, `"1048576"`). The message of an error says what is accepted.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let accepted = "a whole number of bytes with an optional unit: B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, \
                    GiB, TiB (powers of 1024), e.g. \"20 GiB\"";
    let number: u64 = digits.parse().map_err(|_| accepted.to_owned())?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        _ => return Err(accepted.to_owned()),
    };
    let bytes = number
        .checked_mul(factor)
        .ok_or_else(|| "the size does not fit in 64 bits".to_owned())?;
    if bytes == 0 {
        return Err("the size must be more than 0 bytes".to_owned());
    }
    Ok(bytes)
}

/// `bytes` for people: `8 GiB`, `1.5 MiB`, `512 B`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Which cap an extraction hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exceeded {
    /// More than `max_unpacked_size` bytes.
    Size,
    /// More than `max_expansion_ratio` × the archive's size (and more than [`RATIO_FLOOR`]).
    Ratio,
}

/// The running count of unpacked bytes of one extraction, shared between the counting reader and the writer.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    limits: ArchiveLimits,
    archive_bytes: u64,
    used: Rc<Cell<u64>>,
    exceeded: Rc<Cell<Option<Exceeded>>>,
}

impl Budget {
    pub(crate) fn new(limits: ArchiveLimits, archive_bytes: u64) -> Budget {
        Budget {
            limits,
            archive_bytes,
            used: Rc::new(Cell::new(0)),
            exceeded: Rc::new(Cell::new(None)),
        }
    }

    /// Counts `n` more unpacked bytes; an error (remembered, see [`Budget::exceeded`]) when a cap is passed.
    pub(crate) fn charge(&self, n: u64) -> Result<(), Exceeded> {
        if let Some(e) = self.exceeded.get() {
            return Err(e);
        }
        let used = self.used.get().saturating_add(n);
        self.used.set(used);
        let ratio_cap = self
            .archive_bytes
            .saturating_mul(self.limits.max_expansion_ratio)
            .max(RATIO_FLOOR);
        let exceeded = if used > self.limits.max_unpacked_size {
            Some(Exceeded::Size)
        } else if used > ratio_cap {
            Some(Exceeded::Ratio)
        } else {
            None
        };
        self.exceeded.set(exceeded);
        exceeded.map_or(Ok(()), Err)
    }

    /// The cap passed so far, if any.
    pub(crate) fn exceeded(&self) -> Option<Exceeded> {
        self.exceeded.get()
    }

    pub(crate) fn limits(&self) -> ArchiveLimits {
        self.limits
    }

    pub(crate) fn archive_bytes(&self) -> u64 {
        self.archive_bytes
    }
}

/// A reader that charges every byte it yields to a [`Budget`] and fails once a cap is passed (before handing out
/// the bytes that passed it).
pub(crate) struct Counted<R> {
    pub(crate) inner: R,
    pub(crate) budget: Budget,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.budget
            .charge(n as u64)
            .map_err(|_| std::io::Error::other("archive unpacks beyond its cap"))?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units_and_reject_the_rest() {
        assert_eq!(parse_size("20 GiB"), Ok(20 << 30));
        assert_eq!(parse_size("500MB"), Ok(500_000_000));
        assert_eq!(parse_size(" 1048576 "), Ok(1 << 20));
        assert_eq!(parse_size("3 kib"), Ok(3072));
        for bad in [
            "",
            "GiB",
            "1.5 GiB",
            "-3",
            "20 GB extra",
            "0",
            "99999999999 TiB",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn budget_stops_at_the_size_cap_and_at_the_ratio_past_the_floor() {
        let limits = ArchiveLimits {
            max_unpacked_size: 100 << 20,
            max_expansion_ratio: 10,
            ..ArchiveLimits::default()
        };
        let b = Budget::new(limits, 1000);
        // 1000 bytes × 10 is below the floor: the floor applies.
        assert_eq!(b.charge(RATIO_FLOOR), Ok(()));
        assert_eq!(b.charge(1), Err(Exceeded::Ratio));
        assert_eq!(b.exceeded(), Some(Exceeded::Ratio));
        let b = Budget::new(limits, 50 << 20);
        assert_eq!(b.charge(100 << 20), Ok(()));
        assert_eq!(b.charge(1), Err(Exceeded::Size));
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_size(8 << 30), "8 GiB");
        assert_eq!(human_size(1536 << 10), "1.5 MiB");
        assert_eq!(human_size(512), "512 B");
    }
}
