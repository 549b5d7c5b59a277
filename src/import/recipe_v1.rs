//! rattler-build's v1 `recipe.yaml` for one platform: YAML first (so every node has its line), then `context:`
//! evaluated in order, `${{ … }}` rendered with minijinja and `if:`/`then:`/`else:` list items resolved, then
//! archi's terms. The format: <https://rattler.build/latest/reference/recipe_file/>.

use std::collections::BTreeMap;

use marked_yaml::Node;
use minijinja::value::Value;

use super::jinja;
use super::meta_yaml::{about_section, generated_script, merge_build_host, source_of, test_script};
use super::model::{Item, Model, Output, Reqs, Test};
use super::tree::Tree;
use super::ImportError;

struct Renderer {
    env: minijinja::Environment<'static>,
    ns: BTreeMap<String, Value>,
    file: String,
}

impl Renderer {
    fn render(&self, text: &str, line: usize, m: &mut Model) -> Result<String, ImportError> {
        if !text.contains("${{") {
            return Ok(text.to_string());
        }
        let source = text.replace("${{", "{{");
        match jinja::render(&self.env, &source, &self.ns) {
            Ok(s) => Ok(s),
            Err(e) if e.kind() == minijinja::ErrorKind::UndefinedError => {
                m.note(
                    line,
                    format!("undefined variable in `{text}`; rendered empty"),
                );
                let lenient = jinja::environment(false);
                jinja::render(&lenient, &source, &self.ns).map_err(|e| self.error(line, e))
            }
            Err(e) => Err(self.error(line, e)),
        }
    }

    fn error(&self, line: usize, e: minijinja::Error) -> ImportError {
        ImportError::Jinja {
            file: self.file.clone(),
            line,
            message: e.to_string(),
        }
    }

    /// Convert a node, rendering scalars and resolving `if:` items of sequences.
    fn tree(&self, node: &Node, m: &mut Model) -> Result<Tree, ImportError> {
        let line = node.span().start().map(|s| s.line()).unwrap_or(1);
        Ok(match node {
            Node::Scalar(s) => Tree::Str(self.render(s.as_str(), line, m)?, line),
            Node::Mapping(map) => {
                let mut entries = Vec::new();
                for (k, v) in map.iter() {
                    let value = if k.as_str() == "skip" {
                        self.skip(v, m)
                    } else {
                        self.tree(v, m)?
                    };
                    entries.push((k.as_str().to_string(), value));
                }
                Tree::Map(entries, line)
            }
            Node::Sequence(items) => {
                let mut out = Vec::new();
                for item in items.iter() {
                    self.push_item(item, m, &mut out)?;
                }
                Tree::Seq(out, line)
            }
        })
    }

    /// `skip:` holds conditions (`[win, osx]`, `match(python, "<3.10")`): evaluated, `true` when any holds.
    fn skip(&self, node: &Node, m: &mut Model) -> Tree {
        let line = node.span().start().map(|s| s.line()).unwrap_or(1);
        let exprs: Vec<&str> = match node {
            Node::Scalar(s) => vec![s.as_str()],
            Node::Sequence(items) => items
                .iter()
                .filter_map(|i| i.as_scalar())
                .map(|s| s.as_str())
                .collect(),
            Node::Mapping(_) => Vec::new(),
        };
        let mut any = false;
        for expr in exprs {
            let expr = expr.trim().trim_start_matches("${{").trim_end_matches("}}");
            match jinja::condition(&self.env, expr, &self.ns) {
                Ok(v) => any |= v,
                Err(err) => m.note(
                    line,
                    format!("skip condition `{expr}` does not evaluate ({err}); taken as false"),
                ),
            }
        }
        Tree::Str(any.to_string(), line)
    }

    fn push_item(
        &self,
        item: &Node,
        m: &mut Model,
        out: &mut Vec<Tree>,
    ) -> Result<(), ImportError> {
        let Some(cond) = item.as_mapping().and_then(|map| map.get_scalar("if")) else {
            out.push(self.tree(item, m)?);
            return Ok(());
        };
        let map = item.as_mapping().expect("checked above");
        let line = cond.span().start().map(|s| s.line()).unwrap_or(1);
        let expr = cond
            .as_str()
            .trim()
            .trim_start_matches("${{")
            .trim_end_matches("}}");
        let taken = match jinja::condition(&self.env, expr, &self.ns) {
            Ok(true) => map.get_node("then"),
            Ok(false) => map.get_node("else"),
            Err(err) => {
                m.note(
                    line,
                    format!("`if: {expr}` does not evaluate ({err}); both branches are left out"),
                );
                None
            }
        };
        match taken {
            Some(Node::Sequence(items)) => {
                for i in items.iter() {
                    self.push_item(i, m, out)?;
                }
            }
            Some(node) => out.push(self.tree(node, m)?),
            None => {}
        }
        Ok(())
    }
}

fn context_value(s: &str) -> Value {
    match s {
        "true" | "True" => Value::from(true),
        "false" | "False" => Value::from(false),
        _ => s
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(s)),
    }
}

/// Load `recipe.yaml` for `subdir` into a [`Model`].
///
/// Errors: YAML that does not parse, a top level that is not a mapping, jinja that fails (not undefined
/// variables, which are notes), each with its line.
pub fn load(
    text: &str,
    subdir: &str,
    extra: &BTreeMap<String, Value>,
    file: &str,
) -> Result<Model, ImportError> {
    let node = marked_yaml::parse_yaml(0, text).map_err(|e| ImportError::Yaml {
        file: file.into(),
        line: 1,
        message: e.to_string(),
    })?;
    let mut m = Model::default();
    for line in jinja::python_min_lines(text) {
        m.note(line, jinja::PYTHON_MIN_NOTE);
    }
    let mut r = Renderer {
        env: jinja::environment(true),
        ns: jinja::namespace(subdir, extra),
        file: file.into(),
    };
    let map = node
        .as_mapping()
        .expect("parse_yaml requires a top-level mapping");
    if let Some(ctx) = map.get_mapping("context") {
        for (k, v) in ctx.iter() {
            let line = v.span().start().map(|s| s.line()).unwrap_or(1);
            let value = match v.as_scalar() {
                Some(s) => context_value(&r.render(s.as_str(), line, &mut m)?),
                None => {
                    m.note(
                        line,
                        format!("context `{}` is not a scalar; left out", k.as_str()),
                    );
                    continue;
                }
            };
            r.ns.insert(k.as_str().to_string(), value);
        }
    }
    let mut entries = Vec::new();
    for (k, v) in map.iter() {
        if k.as_str() != "context" {
            entries.push((k.as_str().to_string(), r.tree(v, &mut m)?));
        }
    }
    let tree = Tree::Map(entries, 1);
    extract(&tree, &mut m);
    Ok(m)
}

const KNOWN_TOP: [&str; 9] = [
    "schema_version",
    "package",
    "recipe",
    "source",
    "build",
    "requirements",
    "tests",
    "about",
    "outputs",
];

fn extract(tree: &Tree, m: &mut Model) {
    for (key, value) in tree.entries() {
        if key == "extra" {
            m.note(
                value.line(),
                "`extra:` (maintainers, feedstock name) is not part of archi's format",
            );
        } else if !KNOWN_TOP.contains(&key.as_str()) && !value.is_empty() {
            m.note(
                value.line(),
                format!("`{key}:` has no equivalent in archi's format"),
            );
        }
    }
    if let Some(pkg) = tree.get("package").or(tree.get("recipe")) {
        m.name = pkg.get("name").and_then(|t| m.item(t));
        m.version = pkg.get("version").and_then(|t| m.item(t));
    }
    if let Some(source) = tree.get("source") {
        for s in source.items() {
            if let Some(src) = source_of(s, m) {
                m.sources.push(src);
            }
        }
    }
    if let Some(build) = tree.get("build") {
        build_section(build, m);
    }
    if let Some(reqs) = tree.get("requirements") {
        m.reqs = requirements(reqs, m);
    }
    if let Some(tests) = tree.get("tests") {
        m.test = tests_section(tests, m);
    }
    if let Some(about) = tree.get("about") {
        m.about = about_section(about, m);
    }
    if let Some(outputs) = tree.get("outputs") {
        for o in outputs.items() {
            if let Some(out) = output(o, m) {
                m.outputs.push(out);
            }
        }
    }
}

/// `build.script`: a string, a list of lines, or `{file, content, env}`.
fn script_of(script: &Tree, m: &mut Model) -> Option<Item> {
    let line = script.line();
    match script {
        Tree::Map(..) => {
            if let Some(env) = script.get("env") {
                for (k, v) in env.entries() {
                    if let Some(item) = m.item(v) {
                        m.script_env.push((k.clone(), item));
                    }
                }
            }
            if let Some(file) = script.get("file").and_then(|t| m.item(t)) {
                let name = if file.text.ends_with(".sh") {
                    file.text
                } else {
                    format!("{}.sh", file.text)
                };
                return Some(Item {
                    text: format!("bash \"$RECIPE_DIR/{name}\""),
                    line,
                });
            }
            script.get("content").and_then(|c| script_of(c, m))
        }
        _ => {
            let lines: Vec<String> = script
                .items()
                .iter()
                .filter_map(|t| m.item(t))
                .map(|i| i.text)
                .collect();
            (!lines.is_empty()).then(|| Item {
                text: lines.join("\n"),
                line,
            })
        }
    }
}

fn build_section(build: &Tree, m: &mut Model) {
    for (key, value) in build.entries() {
        match key.as_str() {
            "number" => m.number = m.item(value),
            "script" => m.script = script_of(value, m),
            "noarch" => m.noarch = m.item(value),
            "python" => m.entry_points = m.items(value.get("entry_points")),
            "skip" => {
                m.skipped = value.items().iter().any(|t| {
                    t.as_str()
                        .is_some_and(|s| matches!(s.trim(), "true" | "True"))
                })
            }
            _ if value.is_empty() => {}
            other => m.note(
                value.line(),
                format!("build `{other}:` has no equivalent in archi's format"),
            ),
        }
    }
}

fn requirements(reqs: &Tree, m: &mut Model) -> Reqs {
    let mut r = Reqs {
        build: m.items(reqs.get("build")),
        host: m.items(reqs.get("host")),
        run: m.items(reqs.get("run")),
        run_constraints: m.items(reqs.get("run_constraints")),
        ..Reqs::default()
    };
    if let Some(re) = reqs.get("run_exports") {
        match re {
            Tree::Map(..) => {
                r.weak = m.items(re.get("weak"));
                r.strong = m.items(re.get("strong"));
            }
            other => r.weak = m.items(Some(other)),
        }
    }
    if let Some(ignore) = reqs.get("ignore_run_exports") {
        r.ignore_run_exports = m.items(ignore.get("by_name"));
        if let Some(from) = ignore.get("from_package") {
            m.note(from.line(), "ignore_run_exports.from_package: archi ignores run_exports by the exported name only");
        }
    }
    for (k, v) in reqs.entries() {
        if !matches!(
            k.as_str(),
            "build" | "host" | "run" | "run_constraints" | "run_exports" | "ignore_run_exports"
        ) && !v.is_empty()
        {
            m.note(
                v.line(),
                format!("requirements `{k}:` has no equivalent in archi's format"),
            );
        }
    }
    r
}

fn tests_section(tests: &Tree, m: &mut Model) -> Test {
    let mut test = Test::default();
    for t in tests.items() {
        if let Some(script) = t.get("script") {
            match script {
                Tree::Map(..) => {
                    if let Some(file) = script.get("file").and_then(|f| m.item(f)) {
                        test_script(&mut test, file);
                    }
                }
                // One script, run as one shell (a `cd` holds for the lines after it).
                other => {
                    let lines = m.items(Some(other));
                    if let Some(first) = lines.first() {
                        let text = lines
                            .iter()
                            .map(|i| i.text.as_str())
                            .collect::<Vec<_>>()
                            .join("\n");
                        test.commands.push(Item {
                            text,
                            line: first.line,
                        });
                    }
                }
            }
            if let Some(reqs) = t.get("requirements") {
                let run = m.items(reqs.get("run"));
                test.requires.extend(run);
            }
            if let Some(files) = t.get("files") {
                test.files.extend(m.items(files.get("recipe")));
                if let Some(src) = files.get("source") {
                    m.note(src.line(), "tests files: source: archi's tests get files from the recipe directory only; left out");
                }
            }
        } else if let Some(py) = t.get("python") {
            test.imports.extend(m.items(py.get("imports")));
            let pip_check = py
                .get("pip_check")
                .and_then(Tree::as_str)
                .is_none_or(|s| s.trim() != "false");
            if pip_check {
                test.commands.push(Item {
                    text: "python -m pip check".into(),
                    line: py.line(),
                });
                if !test.requires.iter().any(|r| r.text == "pip") {
                    test.requires.push(Item {
                        text: "pip".into(),
                        line: py.line(),
                    });
                }
            }
            if let Some(v) = py.get("python_version") {
                m.note(
                    v.line(),
                    "tests python_version: archi tests with the pinned python only",
                );
            }
        } else if let Some(pc) = t.get("package_contents") {
            package_contents(pc, m, &mut test);
        } else {
            m.note(
                t.line(),
                "a test kind archi has no equivalent for (downstream, perl, r, ruby); left out",
            );
        }
    }
    test
}

/// rattler-build's `package_contents` checks as shell tests.
fn package_contents(pc: &Tree, m: &mut Model, test: &mut Test) {
    for (key, value) in pc.entries() {
        // `files: {exists: [...], not_exists: [...]}` (newer rattler-build) or a plain list.
        if key == "files" && matches!(value, Tree::Map(..)) {
            for (kind, negate) in [("exists", ""), ("not_exists", "! ")] {
                for item in m.items(value.get(kind)) {
                    let text = format!("{negate}compgen -G \"$PREFIX/{}\" > /dev/null", item.text);
                    test.commands.push(Item {
                        text,
                        line: item.line,
                    });
                }
            }
            continue;
        }
        let items = m.items(Some(value));
        for item in items {
            let n = &item.text;
            let cmd = match key.as_str() {
                "files" => format!("compgen -G \"$PREFIX/{n}\" > /dev/null"),
                "include" => format!("compgen -G \"$PREFIX/include/{n}\" > /dev/null"),
                "lib" => format!("compgen -G \"$PREFIX/lib/lib{n}.so*\" > /dev/null"),
                "bin" => format!("test -x \"$PREFIX/bin/{n}\""),
                "site_packages" => format!("python -c 'import {n}'"),
                other => {
                    m.note(
                        item.line,
                        format!("package_contents `{other}:` has no equivalent; left out"),
                    );
                    continue;
                }
            };
            test.commands.push(Item {
                text: cmd,
                line: item.line,
            });
        }
    }
}

fn output(o: &Tree, m: &mut Model) -> Option<Output> {
    let name = o
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|t| m.item(t))?;
    let mut out = Output {
        name: name.clone(),
        version: o
            .get("package")
            .and_then(|p| p.get("version"))
            .and_then(|t| m.item(t)),
        files: Vec::new(),
        script: None,
        skip: None,
        reqs: Reqs::default(),
        test: Test::default(),
        about: Vec::new(),
    };
    for (key, value) in o.entries() {
        let known = ["package", "build", "requirements", "tests", "about"];
        if !known.contains(&key.as_str()) && !value.is_empty() {
            m.note(
                value.line(),
                format!(
                    "output {}: `{key}:` has no equivalent in archi's format",
                    name.text
                ),
            );
        }
    }
    if let Some(build) = o.get("build") {
        for (key, value) in build.entries() {
            match key.as_str() {
                "skip" => {
                    if value
                        .items()
                        .iter()
                        .any(|t| t.as_str().is_some_and(|s| s.trim() == "true"))
                    {
                        m.note(
                            name.line,
                            format!(
                                "output {} is skipped (build: skip); an output no platform makes is left out",
                                name.text
                            ),
                        );
                        return None;
                    }
                }
                "script" => {
                    if let Some(s) = script_of(value, m) {
                        out.script = Some(generated_script(m, &name.text, &s.text, s.line));
                    }
                }
                "files" => match value {
                    Tree::Map(..) => out.files = m.items(value.get("include")),
                    other => out.files = m.items(Some(other)),
                },
                _ if value.is_empty() => {}
                other => m.note(
                    value.line(),
                    format!("output build `{other}:` has no equivalent in archi's format"),
                ),
            }
        }
    }
    if let Some(reqs) = o.get("requirements") {
        let r = requirements(reqs, m);
        merge_build_host(m, r.build, r.host, &name.text);
        out.reqs = Reqs {
            build: Vec::new(),
            host: Vec::new(),
            ..r
        };
    }
    if let Some(tests) = o.get("tests") {
        out.test = tests_section(tests, m);
    }
    if let Some(about) = o.get("about") {
        out.about = about_section(about, m);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::model::merge;

    const RECIPE: &str = r#"context:
  name: demo
  version: "1.2.3"
package:
  name: ${{ name }}
  version: ${{ version }}
build:
  number: 2
  skip:
    - win
requirements:
  build:
    - ${{ compiler('c') }}
    - if: aarch64
      then: qemu-user
      else:
        - nasm
  run_exports:
    - ${{ pin_subpackage(name, upper_bound='x.x') }}
tests:
  - script:
      - demo --version
"#;

    #[test]
    fn context_if_then_else_and_skip_per_platform() {
        let x86 = load(RECIPE, "linux-64", &BTreeMap::new(), "recipe.yaml").unwrap();
        assert_eq!(x86.name.as_ref().unwrap().text, "demo");
        assert!(!x86.skipped);
        let build: Vec<&str> = x86.reqs.build.iter().map(|i| i.text.as_str()).collect();
        assert_eq!(build, ["{{ compiler('c') }}", "nasm"]);
        assert_eq!(x86.reqs.build[1].line, 17);
        assert_eq!(
            x86.reqs.weak[0].text,
            "{{ pin_subpackage('demo', max_pin='x.x') }}"
        );
        let arm = load(RECIPE, "linux-aarch64", &BTreeMap::new(), "recipe.yaml").unwrap();
        // The merge keeps the shared compiler on top and each platform's own tool in its target table.
        let merged = merge(vec![("linux-64", x86), ("linux-aarch64", arm)]);
        assert_eq!(merged.model.reqs.build.len(), 1);
        let targets: Vec<(&str, &str)> = merged
            .targets
            .iter()
            .map(|(p, r)| (p.as_str(), r.build[0].text.as_str()))
            .collect();
        assert_eq!(
            targets,
            [("linux-64", "nasm"), ("linux-aarch64", "qemu-user")]
        );
    }
}
