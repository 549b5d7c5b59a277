//! Checks on rendered recipe values, applied before anything is planned, fetched or built: recipe paths stay
//! relative and inside their base, script variables archi owns stay archi's, and no value smuggles control
//! characters (a newline in a run spec would go into `index.json` as is). Pure functions returning the reason as a
//! sentence; the renderer turns it into a [`RecipeError`](crate::recipe::RecipeError) at the value's span.

use std::path::{Component, Path, PathBuf};

/// The most characters of a bad value quoted in an error message.
pub const EXCERPT_CHARS: usize = 60;

/// The most bytes one template may render to (1 MiB: a long inline build script fits many times over).
pub const MAX_TEMPLATE_OUTPUT: usize = 1 << 20;

/// The most minijinja instructions one template may run (its "fuel"): recipe templates run a few dozen; a loop
/// that would render for minutes stops here, in well under a second.
pub const TEMPLATE_FUEL: u64 = 1_000_000;

/// Script variables that archi sets and neither `[build] script_env` nor pins.toml's `[script_env]` may set: the
/// directories (a script told another `PREFIX` installs elsewhere), the package's identity, the platform, the
/// jobserver's and the reproducibility settings, as conda-build keeps them out of `script_env`'s reach. Compiler
/// flags (`CFLAGS`, `CMAKE_ARGS`, …) stay overridable: recipes legitimately tune them.
pub const OWNED_SCRIPT_VARS: &[&str] = &[
    "PREFIX",
    "BUILD_PREFIX",
    "SRC_DIR",
    "RECIPE_DIR",
    "HOME",
    "PATH",
    "PKG_NAME",
    "PKG_VERSION",
    "PKG_BUILDNUM",
    "PKG_BUILD_STRING",
    "PKG_HASH",
    "SUBDIR",
    "SHLIB_EXT",
    "CONDA_BUILD",
    "CONDA_BUILD_CROSS_COMPILATION",
    "target_platform",
    "host_platform",
    "build_platform",
    "HOST",
    "BUILD",
    "host_alias",
    "build_alias",
    "CONDA_TOOLCHAIN_HOST",
    "CONDA_TOOLCHAIN_BUILD",
    "SOURCE_DATE_EPOCH",
    "CPU_COUNT",
    "MAKEFLAGS",
    "MFLAGS",
    "CARGO_MAKEFLAGS",
    "CARGO_HOME",
    "CARGO_NET_OFFLINE",
    "PYTHON",
    "SP_DIR",
    "PY_VER",
    "STDLIB_DIR",
    "_PYTHON_SYSCONFIGDATA_NAME",
    "_PYTHON_HOST_PLATFORM",
    "PIP_PREFIX",
    "PIP_NO_INDEX",
    "PYO3_CROSS_LIB_DIR",
    "PYO3_CROSS_PYTHON_VERSION",
    "LANG",
    "LC_ALL",
    "TZ",
];

/// `value` quoted for an error message: at most [`EXCERPT_CHARS`] characters, control characters escaped, and
/// the total length when cut (`"xxxx…" (1048576 bytes)`).
pub fn excerpt(value: &str) -> String {
    let mut out = String::new();
    for (count, c) in value.chars().enumerate() {
        if count == EXCERPT_CHARS {
            return format!("`{out}…` ({} bytes)", value.len());
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    format!("`{out}`")
}

/// An error message from a parser, cut to 200 characters (parsers echo their input, which may be huge).
pub fn clip(text: &str) -> String {
    match text.char_indices().nth(200) {
        Some((at, _)) => format!("{}… ({} bytes)", &text[..at], text.len()),
        None => text.to_string(),
    }
}

/// The first control character in `value` and its byte offset; with `allow_layout`, newlines, tabs and
/// carriage returns are allowed (scripts, descriptions).
pub fn control_char(value: &str, allow_layout: bool) -> Option<(usize, char)> {
    value
        .char_indices()
        .find(|(_, c)| c.is_control() && !(allow_layout && matches!(c, '\n' | '\t' | '\r')))
}

/// Why `value` cannot be a one-line value (a name, version, match spec, URL, path), or `None` when it can.
pub fn single_line(value: &str) -> Option<String> {
    control_char(value, false).map(|(at, c)| {
        format!(
            "contains the control character {} at byte {at}",
            c.escape_default()
        )
    })
}

/// A path written in a recipe, checked lexically: not empty, relative, no `..`, no control characters. Returns
/// it normalised (`./a//b` → `a/b`). `base` names what it is relative to in the message ("the recipe directory").
///
/// Errors: the reason as a sentence.
pub fn relative_path(value: &str, base: &str) -> Result<PathBuf, String> {
    if let Some(reason) = single_line(value) {
        return Err(reason);
    }
    let mut out = PathBuf::new();
    for component in Path::new(value).components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!(
                    "is absolute: it must be relative to {base} and stay inside it"
                ))
            }
            Component::ParentDir => return Err(format!("leaves {base} (`..`)")),
        }
    }
    if out.as_os_str().is_empty() {
        return Err(format!("names no file inside {base}"));
    }
    Ok(out)
}

/// Why `value` cannot be a build string, or `None`: conda build strings are non-empty and made of ASCII letters,
/// digits, `_`, `.` and `+` (a `-` would split the file name `name-version-build.conda` wrongly).
pub fn build_string(value: &str) -> Option<String> {
    if value.is_empty() {
        return Some("the build string is empty".into());
    }
    let bad = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '+')));
    bad.map(|c| {
        format!(
            "build string {} holds {c:?}: only ASCII letters, digits, `_`, `.` and `+` are allowed",
            excerpt(value)
        )
    })
}

/// Why `value` cannot be a `[test] imports` entry, or `None`: a dotted Python module name
/// (`xml.etree.ElementTree`), each part an ASCII identifier, so it can go into a `python -c` command as is.
pub fn module_name(value: &str) -> Option<String> {
    let identifier = |part: &str| {
        let mut chars = part.chars();
        matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    (!value.split('.').all(identifier)).then(|| {
        format!(
            "{} is not a Python module name (dotted identifiers such as `xml.etree.ElementTree`)",
            excerpt(value)
        )
    })
}

/// Why `value` is not a console-script entry point, or `None`. The form is setuptools' `console_scripts`:
/// `name = module.path:function` (spaces around `=` optional), where name is a file name without `/` (letters,
/// digits, `_ - .`), module a dotted Python module name and function a dotted attribute path.
pub fn entry_point(value: &str) -> Option<String> {
    let bad = |why: &str| {
        Some(format!(
            "{} {why} (the form is `name = module:function`, as setuptools' console_scripts)",
            excerpt(value)
        ))
    };
    let Some((name, target)) = value.split_once('=') else {
        return bad("has no `=`");
    };
    let name = name.trim();
    let valid_name = !name.is_empty()
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !valid_name {
        return bad("does not start with a script name of letters, digits, `_`, `-` or `.`");
    }
    let Some((module, function)) = target.trim().split_once(':') else {
        return bad("has no `:` between module and function");
    };
    if module_name(module).is_some() || module_name(function).is_some() {
        return bad("does not name a dotted module and function");
    }
    None
}

/// Why `key` cannot be a `script_env` variable, or `None`: it must be a shell variable name
/// (`[A-Za-z_][A-Za-z0-9_]*`), not one of [`OWNED_SCRIPT_VARS`] and not `ARCHI_*`.
pub fn script_var(key: &str) -> Option<String> {
    let mut chars = key.chars();
    let valid = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Some(format!(
            "script_env key {} is not a variable name ([A-Za-z_][A-Za-z0-9_]*)",
            excerpt(key)
        ));
    }
    if OWNED_SCRIPT_VARS.contains(&key) || key.starts_with("ARCHI_") {
        return Some(format!(
            "script_env cannot set `{key}`: archi sets it for every build"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_cuts_long_values_and_escapes_controls() {
        assert_eq!(excerpt("a\nb"), "`a\\nb`");
        let long = "x".repeat(1 << 20);
        let quoted = excerpt(&long);
        assert!(quoted.len() < 100, "{quoted}");
        assert!(quoted.ends_with("(1048576 bytes)"), "{quoted}");
    }

    #[test]
    fn recipe_paths_stay_relative_and_inside() {
        assert_eq!(relative_path("./a//b", "x").unwrap(), PathBuf::from("a/b"));
        assert!(relative_path("/etc/passwd", "x")
            .unwrap_err()
            .contains("absolute"));
        assert!(relative_path("a/../../b", "x").unwrap_err().contains(".."));
        assert!(relative_path("", "x").is_err());
        assert!(relative_path(".", "x").is_err());
        assert!(relative_path("a\0b", "x").unwrap_err().contains("control"));
    }

    #[test]
    fn script_vars_archi_owns_are_refused() {
        assert!(script_var("PREFIX").unwrap().contains("archi sets it"));
        assert!(script_var("ARCHI_X").is_some());
        assert!(script_var("A\0B").unwrap().contains("not a variable name"));
        assert!(script_var("1X").is_some());
        assert_eq!(script_var("CMAKE_ARGS"), None);
        assert_eq!(script_var("_my_var2"), None);
    }

    #[test]
    fn control_characters_are_found() {
        assert_eq!(control_char("zlib\n>=1", false), Some((4, '\n')));
        assert_eq!(control_char("a\nb", true), None);
        assert_eq!(control_char("a\u{7f}", true), Some((1, '\u{7f}')));
        assert!(single_line("zlib >=1.2").is_none());
    }
}
