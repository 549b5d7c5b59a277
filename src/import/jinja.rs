//! The jinja side of an import: conda-build's template functions and selector namespace, evaluated with minijinja
//! for one target platform.
//!
//! Functions that have an archi equivalent (`compiler('c')`, `pin_subpackage`) render to sentinel-wrapped archi
//! templates that [`finish`] turns into `{{ … }}` of archi's own template language after escaping everything else;
//! functions without one (`stdlib`, `cdt`, `pin_compatible`) render to sentinels that [`finish`] turns into notes
//! (a TOML comment plus a warning), so nothing is dropped silently.

use std::collections::BTreeMap;

use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};

/// The platforms an import evaluates selectors for (conda subdirs), in the order the output lists them.
pub const PLATFORMS: [&str; 2] = ["linux-64", "linux-aarch64"];

const TEMPLATE_OPEN: char = '\u{E000}';
const TEMPLATE_CLOSE: char = '\u{E001}';
const DROP_OPEN: char = '\u{E002}';
const DROP_CLOSE: char = '\u{E003}';
const NOTE_OPEN: char = '\u{E004}';
const NOTE_CLOSE: char = '\u{E005}';

// Sentinel contents are hex-encoded: the rendered text is parsed as YAML afterwards, where a `: ` or a quote in
// a message would change the document's structure.
fn encode(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode(hex: &str) -> String {
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn template(inner: &str) -> String {
    format!("{TEMPLATE_OPEN}{}{TEMPLATE_CLOSE}", encode(inner))
}

fn drop_item(message: &str) -> String {
    format!("{DROP_OPEN}{}{DROP_CLOSE}", encode(message))
}

fn note(message: &str) -> String {
    format!("{NOTE_OPEN}{}{NOTE_CLOSE}", encode(message))
}

/// A rendered string turned into archi's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// The value as an archi template (`{{ compiler('c') }}`, other jinja syntax escaped with `{% raw %}`).
    pub text: String,
    /// Why parts of the value cannot be expressed (each becomes a comment and a warning).
    pub notes: Vec<String>,
    /// The whole value cannot be expressed (e.g. `stdlib('c')`): it is left out, kept as a comment.
    pub dropped: bool,
}

/// Turn a rendered value holding sentinels into an archi template: literal text is escaped (`{{` in a test command
/// stays literal), template sentinels become `{{ … }}`, note sentinels are removed and reported.
pub fn finish(rendered: &str) -> Finished {
    let mut text = String::new();
    let mut literal = String::new();
    let mut notes = Vec::new();
    let mut dropped = false;
    let mut chars = rendered.chars();
    let flush = |literal: &mut String, text: &mut String| {
        if literal.contains("{{") || literal.contains("{%") || literal.contains("{#") {
            text.push_str("{% raw %}");
            text.push_str(literal);
            text.push_str("{% endraw %}");
        } else {
            text.push_str(literal);
        }
        literal.clear();
    };
    while let Some(c) = chars.next() {
        let close = match c {
            TEMPLATE_OPEN => TEMPLATE_CLOSE,
            DROP_OPEN => DROP_CLOSE,
            NOTE_OPEN => NOTE_CLOSE,
            _ => {
                literal.push(c);
                continue;
            }
        };
        let hex: String = chars.by_ref().take_while(|x| *x != close).collect();
        let inner = decode(&hex);
        match c {
            TEMPLATE_OPEN => {
                flush(&mut literal, &mut text);
                text.push_str("{{ ");
                text.push_str(&inner);
                text.push_str(" }}");
            }
            DROP_OPEN => {
                dropped = true;
                notes.push(inner);
            }
            _ => notes.push(inner),
        }
    }
    flush(&mut literal, &mut text);
    Finished {
        text: text.trim().to_string(),
        notes,
        dropped,
    }
}

/// conda-build's selector and jinja namespace for `subdir` (its `ns_cfg`): `linux`, `aarch64`, `x86_64`, `unix`,
/// `win`, `osx`, `py` (311), `target_platform`, …, plus the variant values archi pins (`python` 3.11) and neutral
/// values for the conda-forge variant keys recipes test (`cuda_compiler_version` "None", `is_freethreading`
/// false, `python_min` 3.9 as conda-forge-pinning sets it). `extra` (from the recipe's conda_build_config.yaml)
/// wins over the defaults.
pub fn namespace(subdir: &str, extra: &BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    let aarch64 = subdir == "linux-aarch64";
    let mut ns: BTreeMap<String, Value> = BTreeMap::new();
    let mut set = |k: &str, v: Value| {
        ns.insert(k.to_string(), v);
    };
    for (k, v) in [
        ("linux", true),
        ("unix", true),
        ("win", false),
        ("win32", false),
        ("win64", false),
        ("osx", false),
        ("arm64", false),
        ("linux32", false),
        ("linux64", !aarch64),
        ("x86", !aarch64),
        ("x86_64", !aarch64),
        ("aarch64", aarch64),
        ("ppc64le", false),
        ("s390x", false),
        ("armv6l", false),
        ("armv7l", false),
        ("py3k", true),
        ("py2k", false),
        ("py27", false),
        ("is_freethreading", false),
        ("is_python_min", false),
        ("is_abi3", false),
        ("build_noarch_python", false),
    ] {
        set(k, Value::from(v));
    }
    set("py", Value::from(311));
    set("np", Value::from(126));
    set("vc", Value::from(14));
    for (k, v) in [
        ("target_platform", subdir),
        ("host_platform", subdir),
        ("build_platform", "linux-64"),
        ("python", "3.11"),
        ("python_min", "3.9"),
        ("py_ver", "3.11"),
        ("cuda_compiler_version", "None"),
        ("cuda_compiler", "None"),
        ("mpi", "nompi"),
        ("blas_impl", "openblas"),
        ("c_compiler", "gcc"),
        ("cxx_compiler", "gxx"),
        ("c_stdlib", "sysroot"),
        ("c_stdlib_version", "2.17"),
        ("channel_targets", "conda-forge main"),
        ("PYTHON", "$PYTHON"),
        ("PREFIX", "$PREFIX"),
        ("SP_DIR", "$SP_DIR"),
        ("SRC_DIR", "$SRC_DIR"),
        ("RECIPE_DIR", "$RECIPE_DIR"),
        ("PY_VER", "3.11"),
        ("SHLIB_EXT", ".so"),
    ] {
        set(k, Value::from(v));
    }
    set("environ", Value::from(BTreeMap::<String, String>::new()));
    let os: BTreeMap<String, Value> = [(
        "environ".to_string(),
        Value::from(BTreeMap::<String, String>::new()),
    )]
    .into_iter()
    .collect();
    set("os", Value::from(os));
    for (k, v) in extra {
        ns.insert(k.clone(), v.clone());
    }
    ns
}

/// A minijinja environment with conda-build's and rattler-build's recipe functions. `strict` makes undefined
/// variables errors (used first, to report them); otherwise they render empty, as conda-build's lenient mode does.
pub fn environment(strict: bool) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_keep_trailing_newline(true);
    env.set_fuel(Some(1_000_000));
    env.set_undefined_behavior(if strict {
        UndefinedBehavior::Strict
    } else {
        UndefinedBehavior::Chainable
    });
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    minijinja_contrib::add_to_environment(&mut env);
    env.add_function("compiler", |lang: String| -> String {
        match lang.as_str() {
            "c" | "cxx" | "fortran" | "rust" => template(&format!("compiler('{lang}')")),
            _ => drop_item(&format!(
                "compiler('{lang}'): archi's toolchain has compilers for c, cxx, fortran and rust only"
            )),
        }
    });
    env.add_function("stdlib", |lang: String| -> String {
        drop_item(&format!(
            "stdlib('{lang}') (conda-forge's sysroot package): archi builds against the build machine's C library"
        ))
    });
    env.add_function("cdt", |name: String| -> String {
        drop_item(&format!(
            "cdt('{name}') (a CentOS system package): archi has no CDT packages"
        ))
    });
    env.add_function("pin_subpackage", pin_subpackage);
    env.add_function(
        "pin_compatible",
        |name: String, _a: Option<Value>, _b: Option<Value>, _kw: Kwargs| -> String {
            format!(
                "{name}{}",
                note(&format!(
                    "pin_compatible('{name}', …): archi's templates have no pin_compatible; the bare name is kept"
                ))
            )
        },
    );
    for loader in [
        "load_setup_py_data",
        "load_file_data",
        "load_file_regex",
        "load_str_data",
    ] {
        env.add_function(loader, |_args: minijinja::value::Rest<Value>| -> Value {
            Value::from(BTreeMap::<String, String>::new())
        });
    }
    env.add_function("match", version_match);
    env.add_function("pyformat", pyformat);
    env
}

/// conda-build's `pin_subpackage(name, min_pin='x.x.x.x.x.x', max_pin='x', exact=False)` and rattler-build's
/// `pin_subpackage(name, lower_bound=…, upper_bound=…, exact=…)` as archi's `pin_subpackage(…)` template (which
/// takes min_pin/max_pin); `exact` becomes `name =={{ version }}`, with a note that the build string is not pinned.
fn pin_subpackage(
    name: String,
    min_pin: Option<Value>,
    max_pin: Option<Value>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let get = |key: &str| -> Result<Option<Value>, Error> { kwargs.get::<Option<Value>>(key) };
    let exact = get("exact")?.map(|v| v.is_true()).unwrap_or(false);
    let min = get("min_pin")?.or(min_pin).or(get("lower_bound")?);
    let max = match (get("max_pin")?, max_pin, get("upper_bound")?) {
        (Some(v), _, _) | (None, Some(v), _) | (None, None, Some(v)) => Some(v),
        (None, None, None) => Some(Value::from("x")),
    };
    if exact {
        return Ok(format!(
            "{name} =={}{}",
            template("version"),
            note(&format!(
                "pin_subpackage('{name}', exact=True) also pins the build string; archi's form pins the version only"
            ))
        ));
    }
    let pattern = |v: &Value| v.as_str().filter(|s| is_pin_pattern(s)).map(str::to_string);
    let mut args = format!("'{name}'");
    let mut notes = String::new();
    for (key, value) in [("min_pin", &min), ("max_pin", &max)] {
        match value {
            Some(v) if v.is_none() || v.is_undefined() => {}
            Some(v) => match pattern(v) {
                Some(p) => args.push_str(&format!(", {key}='{p}'")),
                None => notes.push_str(&note(&format!(
                    "pin_subpackage('{name}', {key}={v}): archi takes x.x patterns only; left out"
                ))),
            },
            None => {}
        }
    }
    Ok(format!(
        "{}{notes}",
        template(&format!("pin_subpackage({args})"))
    ))
}

fn is_pin_pattern(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(|p| p == "x")
}

/// rattler-build's `match(value, spec)`: whether the version `value` matches the conda version spec `spec`.
fn version_match(value: Value, spec: String) -> Result<bool, Error> {
    use std::str::FromStr;
    let text = value.to_string();
    let version = rattler_conda_types::Version::from_str(text.trim_end_matches(".*"))
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))?;
    let spec = rattler_conda_types::VersionSpec::from_str(
        &spec,
        rattler_conda_types::ParseStrictness::Lenient,
    )
    .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))?;
    Ok(spec.matches(&version))
}

/// Lines (1-based) whose jinja uses `python_min`: conda-forge-pinning's oldest python (3.9 here), which a noarch
/// recipe builds and tests with; archi builds with pins.toml's python only, so each use is reported.
pub fn python_min_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            l.contains("{{") && l.contains("python_min") && !l.trim_start().starts_with('#')
        })
        .map(|(i, _)| i + 1)
        .collect()
}

/// The note for a [`python_min_lines`] line.
pub const PYTHON_MIN_NOTE: &str = "python_min is conda-forge-pinning's oldest python (3.9 here); archi builds with \
     pins.toml's python, so a `python 3.9.*` host or test requirement will not solve until it is changed";

/// Python's printf-style `"%03d" % minor` (minijinja has no `%` on strings), rewritten to the `pyformat("%03d",
/// minor)` function of [`environment`]. Only a quoted format followed by `%` and a name or a parenthesised tuple.
pub fn rewrite_percent_format(src: &str) -> String {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r#"("[^"{}]*%[^"{}]*"|'[^'{}]*%[^'{}]*')\s*%\s*([A-Za-z_][A-Za-z0-9_.]*|\([^(){}]*\))"#,
        )
        .expect("valid regex")
    });
    re.replace_all(src, "pyformat($1, $2)").into_owned()
}

/// `%s`, `%d`, `%0Nd`, `%Nd` and `%%` of Python's printf-style formatting.
fn pyformat(fmt: String, args: Value) -> Result<String, Error> {
    let values: Vec<Value> = if args.kind() == minijinja::value::ValueKind::Seq {
        args.try_iter()?.collect()
    } else {
        vec![args]
    };
    let mut values = values.into_iter();
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = String::new();
        while let Some(&d) = chars.peek() {
            if d.is_ascii_digit() {
                spec.push(d);
                chars.next();
            } else {
                break;
            }
        }
        let bad = || {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("unsupported format {fmt:?}"),
            )
        };
        match chars.next() {
            Some('%') => out.push('%'),
            Some(kind @ ('d' | 's')) => {
                let v = values.next().ok_or_else(bad)?;
                let text = if kind == 'd' {
                    i64::try_from(v.clone())
                        .map(|n| n.to_string())
                        .unwrap_or_else(|_| v.to_string())
                } else {
                    v.to_string()
                };
                let width: usize = spec.trim_start_matches('0').parse().unwrap_or(0);
                let fill = if spec.starts_with('0') { '0' } else { ' ' };
                for _ in text.chars().count()..width {
                    out.push(fill);
                }
                out.push_str(&text);
            }
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

/// Evaluate a selector or `if:` expression (python-like: `linux and aarch64`, `py>=38`, `not win`) in `ns`.
///
/// Errors: the expression does not parse or fails to evaluate (minijinja's message).
pub fn condition(
    env: &Environment<'static>,
    expr: &str,
    ns: &BTreeMap<String, Value>,
) -> Result<bool, String> {
    let compiled = env.compile_expression(expr).map_err(|e| e.to_string())?;
    let value = compiled
        .eval(Value::from_serialize(ns))
        .map_err(|e| e.to_string())?;
    Ok(value.is_true())
}

/// Render `source` (a whole meta.yaml, or one value of a recipe.yaml) in `ns`.
///
/// Errors: minijinja's error, whose `line()` is the line in `source`.
pub fn render(
    env: &Environment<'static>,
    source: &str,
    ns: &BTreeMap<String, Value>,
) -> Result<String, Error> {
    env.render_str(source, Value::from_serialize(ns))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns() -> BTreeMap<String, Value> {
        namespace("linux-aarch64", &BTreeMap::new())
    }

    #[test]
    fn compiler_and_pins_become_archi_templates() {
        let env = environment(true);
        let out = render(
            &env,
            "{{ compiler('c') }} {{ pin_subpackage('libffi', 'x.x') }}",
            &ns(),
        )
        .unwrap();
        let f = finish(&out);
        assert_eq!(
            f.text,
            "{{ compiler('c') }} {{ pin_subpackage('libffi', min_pin='x.x', max_pin='x') }}"
        );
        assert!(f.notes.is_empty() && !f.dropped);
    }

    #[test]
    fn stdlib_is_dropped_with_a_note_and_exact_pins_note_the_build_string() {
        let env = environment(true);
        let f = finish(&render(&env, "{{ stdlib('c') }}", &ns()).unwrap());
        assert!(f.dropped && f.notes[0].contains("stdlib('c')"), "{f:?}");
        let f = finish(&render(&env, "{{ pin_subpackage('xz', exact=True) }}", &ns()).unwrap());
        assert_eq!(f.text, "xz =={{ version }}");
        assert!(f.notes[0].contains("build string"), "{f:?}");
    }

    #[test]
    fn literal_braces_are_escaped_and_selectors_evaluate() {
        assert_eq!(finish("echo {{x}}").text, "{% raw %}echo {{x}}{% endraw %}");
        let env = environment(false);
        assert!(condition(&env, "linux and aarch64", &ns()).unwrap());
        assert!(!condition(&env, "x86_64 or win", &ns()).unwrap());
        assert!(condition(&env, "py>=38 and not (win and vc<14)", &ns()).unwrap());
        assert!(condition(&env, "match(python, '>=3.10')", &ns()).unwrap());
        let src = rewrite_percent_format(
            r#"{% set c = (("%03d" % minor)|string) ~ ('%s.%s' % (a, b)) %}{{ c }}"#,
        );
        let mut values = ns();
        values.insert("minor".into(), Value::from(40));
        values.insert("a".into(), Value::from("x"));
        values.insert("b".into(), Value::from(2));
        assert_eq!(render(&env, &src, &values).unwrap(), "040x.2");
    }
}
