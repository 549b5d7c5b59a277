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

/// `pin_subpackage(name, max_pin='x.x')` for the recipe's own output: `name >=V,<U` where U bumps the last of the
/// first N version segments (N = number of `x` in max_pin) and appends `.0a0`, as conda-build's
/// `apply_pin_expressions` does (`zlib 1.2.13`, `x.x` → `zlib >=1.2.13,<1.3.0a0`). Without max_pin: `>=V`.
pub(super) fn pin_subpackage(
    own: Option<&(String, String)>,
    name: &str,
    max_pin: Option<&str>,
    exact: bool,
) -> Result<String, minijinja::Error> {
    let invalid = |msg: String| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, msg);
    let (own_name, version) =
        own.ok_or_else(|| invalid("pin_subpackage used before [package] is known".into()))?;
    if own_name != name {
        return Err(invalid(format!(
            "pin_subpackage: `{name}` is not an output of this recipe (`{own_name}`)"
        )));
    }
    if exact {
        return Err(invalid(
            "pin_subpackage(exact=true) is not supported yet: use max_pin".into(),
        ));
    }
    let Some(max_pin) = max_pin else {
        return Ok(format!("{name} >={version}"));
    };
    let depth = max_pin.split('.').count();
    if max_pin.split('.').any(|p| p != "x") {
        return Err(invalid(format!(
            "max_pin must look like `x.x`, not `{max_pin}`"
        )));
    }
    let mut parts: Vec<String> = version
        .split(['.', '_', '-'])
        .take(depth)
        .map(str::to_string)
        .collect();
    let last = parts
        .last_mut()
        .ok_or_else(|| invalid(format!("version `{version}` has no segments")))?;
    let bumped = last.parse::<u64>().map_err(|_| {
        invalid(format!(
            "cannot bump non-numeric version segment `{last}` of `{version}`"
        ))
    })? + 1;
    *last = bumped.to_string();
    Ok(format!("{name} >={version},<{}.0a0", parts.join(".")))
}
