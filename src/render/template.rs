//! Template helpers for rendering: conda-build's `pin_subpackage` and an output buffer with a size cap.

use super::checks;

/// A `Write` that keeps at most [`checks::MAX_TEMPLATE_OUTPUT`] bytes and fails beyond, so that a runaway
/// template stops instead of filling memory.
#[derive(Default)]
pub(super) struct CappedOutput {
    pub(super) bytes: Vec<u8>,
    pub(super) overflowed: bool,
}

impl std::io::Write for CappedOutput {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > checks::MAX_TEMPLATE_OUTPUT {
            self.overflowed = true;
            return Err(std::io::Error::other("template output too large"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `pin_subpackage(name, min_pin='x.x', max_pin='x.x')` for the recipe's own output: `name >=L,<U` where U bumps
/// the last of the first N version segments (N = number of `x` in max_pin) and appends `.0a0`, and L is the first
/// M segments (M = number of `x` in min_pin; the whole version without it), as conda-build's
/// `apply_pin_expressions` does (`zlib 1.2.13`, `x.x` → `zlib >=1.2.13,<1.3.0a0`; `python 3.11.2` with min_pin and
/// max_pin `x.x` → `python >=3.11,<3.12.0a0`). Without max_pin: `>=L`.
pub(super) fn pin_subpackage(
    own: &[(String, String)],
    name: &str,
    pins: Pins<'_>,
    exact: bool,
) -> Result<String, minijinja::Error> {
    let Some((_, version)) = own.iter().find(|(n, _)| n == name) else {
        let known: Vec<&str> = own.iter().map(|(n, _)| n.as_str()).collect();
        return Err(invalid(match known.is_empty() {
            true => "pin_subpackage used before [package] is known".into(),
            false => format!(
                "pin_subpackage: `{name}` is not an output of this recipe ({})",
                known.join(", ")
            ),
        }));
    };
    if exact {
        return Err(invalid(
            "pin_subpackage(exact=true) is not supported yet: use max_pin".into(),
        ));
    }
    let segments = |depth: usize| -> Vec<String> {
        version
            .split(['.', '_', '-'])
            .take(depth)
            .map(str::to_string)
            .collect()
    };
    let lower = match pins.min {
        Some(min_pin) => segments(pin_depth("min_pin", min_pin)?).join("."),
        None => version.clone(),
    };
    let Some(max_pin) = pins.max else {
        return Ok(format!("{name} >={lower}"));
    };
    let mut parts = segments(pin_depth("max_pin", max_pin)?);
    let last = parts
        .last_mut()
        .ok_or_else(|| invalid(format!("version `{version}` has no segments")))?;
    let bumped = last.parse::<u64>().map_err(|_| {
        invalid(format!(
            "cannot bump non-numeric version segment `{last}` of `{version}`"
        ))
    })? + 1;
    *last = bumped.to_string();
    Ok(format!("{name} >={lower},<{}.0a0", parts.join(".")))
}

/// The `min_pin` / `max_pin` arguments of `pin_subpackage` (`x.x` patterns).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Pins<'a> {
    /// How many leading segments form the lower bound.
    pub(super) min: Option<&'a str>,
    /// How many leading segments the upper bound keeps (the last one bumped).
    pub(super) max: Option<&'a str>,
}

/// Number of segments in a pin pattern (`x.x` → 2), or an error naming `arg`.
fn pin_depth(arg: &str, pin: &str) -> Result<usize, minijinja::Error> {
    if pin.split('.').any(|p| p != "x") {
        return Err(invalid(format!("{arg} must look like `x.x`, not `{pin}`")));
    }
    Ok(pin.split('.').count())
}

fn invalid(msg: String) -> minijinja::Error {
    minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, msg)
}
