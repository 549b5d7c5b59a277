//! conda-build's `meta.yaml` for one platform: selectors, then jinja, then YAML, then archi's terms.
//!
//! As conda-build's `select_lines`, comment-only lines are dropped and a line ending in `# [expr]` stays only when
//! `expr` is true (without the comment). The whole text is then rendered with minijinja in conda-build's
//! namespace ([`super::jinja`]). Every line keeps its number: dropped lines become empty and each line carries a
//! marker through the renderer, so a YAML node's line maps back to the line in `meta.yaml`.

use std::collections::BTreeMap;

use minijinja::value::Value;

use super::jinja;
use super::model::{Item, Model, Output, Reqs, Source, Test};
use super::tree::{from_node, Tree};
use super::ImportError;

const MARK_OPEN: char = '\u{E010}';
const MARK_CLOSE: char = '\u{E011}';

/// `# [expr]` at the end of a line: the text before the comment and the expression.
fn selector(line: &str) -> Option<(&str, &str)> {
    let trimmed = line.trim_end();
    let body = trimmed.strip_suffix(']')?;
    let open = body.rfind('[')?;
    let expr = &body[open + 1..];
    let before = &body[..open];
    let hash = before.rfind('#')?;
    if before[hash + 1..].contains(['[', ']']) || expr.contains(['[', ']']) {
        return None;
    }
    Some((&before[..hash], expr))
}

/// Apply selectors and add line markers. Returns the text to render and notes for selectors that fail to evaluate.
fn preprocess(
    text: &str,
    env: &minijinja::Environment<'static>,
    ns: &BTreeMap<String, Value>,
    model: &mut Model,
) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut open_tags = 0i32;
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        let mut line = raw.trim_end().to_string();
        if line.trim_start().starts_with('#') {
            line.clear();
        } else if let Some((before, expr)) = selector(&line) {
            match jinja::condition(env, expr, ns) {
                Ok(true) => line = before.trim_end().to_string(),
                Ok(false) => line.clear(),
                Err(err) => {
                    model.note(
                        number,
                        format!(
                            "selector [{expr}] does not evaluate ({err}); the line is left out"
                        ),
                    );
                    line.clear();
                }
            }
        }
        let jinja = line.contains("{{") || line.contains("{%");
        for needle in [
            "load_setup_py_data(",
            "load_file_data(",
            "load_file_regex(",
            "environ.",
            "environ[",
        ] {
            if jinja && line.contains(needle) {
                let needle = needle.trim_end_matches(['(', '.', '[']);
                model.note(
                    number,
                    format!("`{needle}` reads the build machine at render time; the import evaluates it empty"),
                );
            }
        }
        let opens =
            line.matches("{%").count() + line.matches("{{").count() + line.matches("{#").count();
        let closes =
            line.matches("%}").count() + line.matches("}}").count() + line.matches("#}").count();
        out.push_str(&line);
        if open_tags == 0 && opens <= closes {
            out.push(MARK_OPEN);
            out.push_str(&number.to_string());
            out.push(MARK_CLOSE);
        }
        open_tags += opens as i32 - closes as i32;
        out.push('\n');
    }
    out
}

/// Strip markers: the clean text and, per line of it, the source line.
fn strip_markers(rendered: &str) -> (String, Vec<usize>) {
    let mut text = String::with_capacity(rendered.len());
    let mut lines = Vec::new();
    let mut last = 1;
    for line in rendered.split('\n') {
        let mut first: Option<usize> = None;
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            if c == MARK_OPEN {
                let n: String = chars.by_ref().take_while(|x| *x != MARK_CLOSE).collect();
                if first.is_none() {
                    first = n.parse().ok();
                }
            } else {
                text.push(c);
            }
        }
        text.push('\n');
        last = first.unwrap_or(last);
        lines.push(last);
    }
    (text, lines)
}

/// Render `meta.yaml` for `subdir` and convert it to a [`Model`].
///
/// Errors: jinja that fails to render (other than undefined variables, which are notes) and YAML that does not
/// parse, each with the meta.yaml line.
pub fn load(
    text: &str,
    subdir: &str,
    extra: &BTreeMap<String, Value>,
    file: &str,
) -> Result<Model, ImportError> {
    let mut model = Model::default();
    let ns = jinja::namespace(subdir, extra);
    let lenient = jinja::environment(false);
    let pre = jinja::rewrite_percent_format(&preprocess(text, &lenient, &ns, &mut model));
    let rendered = match jinja::render(&jinja::environment(true), &pre, &ns) {
        Ok(r) => r,
        Err(err) if err.kind() == minijinja::ErrorKind::UndefinedError => {
            model.note(
                err.line().unwrap_or(1),
                format!("undefined jinja variable ({}); rendered empty as conda-build's lenient mode does, and so is every other undefined one", err.detail().unwrap_or("a variable no namespace defines")),
            );
            jinja::render(&lenient, &pre, &ns).map_err(|e| ImportError::Jinja {
                file: file.into(),
                line: e.line().unwrap_or(1),
                message: e.to_string(),
            })?
        }
        Err(e) => {
            return Err(ImportError::Jinja {
                file: file.into(),
                line: e.line().unwrap_or(1),
                message: e.to_string(),
            })
        }
    };
    for line in jinja::python_min_lines(text) {
        model.note(line, jinja::PYTHON_MIN_NOTE);
    }
    let (clean, lines) = strip_markers(&rendered);
    let line_of = |l: usize| lines.get(l.saturating_sub(1)).copied().unwrap_or(l);
    let node = marked_yaml::parse_yaml(0, &clean).map_err(|e| ImportError::Yaml {
        file: file.into(),
        line: yaml_error_line(&e).map(line_of).unwrap_or(1),
        message: e.to_string(),
    })?;
    let tree = from_node(&node, &line_of);
    extract(&tree, &mut model);
    Ok(model)
}

fn yaml_error_line(e: &marked_yaml::LoadError) -> Option<usize> {
    use marked_yaml::LoadError::*;
    #[allow(deprecated)]
    match e {
        TopLevelMustBeMapping(m)
        | TopLevelMustBeSequence(m)
        | UnexpectedAnchor(m)
        | MappingKeyMustBeScalar(m)
        | UnexpectedTag(m)
        | ScanError(m, _) => Some(m.line()),
        _ => None,
    }
}

const KNOWN_TOP: [&str; 8] = [
    "package",
    "source",
    "build",
    "requirements",
    "test",
    "about",
    "outputs",
    "extra",
];

fn extract(tree: &Tree, m: &mut Model) {
    for (key, value) in tree.entries() {
        if !KNOWN_TOP.contains(&key.as_str()) && !value.is_empty() {
            m.note(
                value.line(),
                format!("`{key}:` has no equivalent in archi's format"),
            );
        }
    }
    if let Some(pkg) = tree.get("package") {
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
    if let Some(build) = tree.get("build") {
        let (weak, strong, ignore) = run_exports(build, m);
        m.reqs.weak.extend(weak);
        m.reqs.strong.extend(strong);
        m.reqs.ignore_run_exports.extend(ignore);
    }
    m.test = tree.get("test").map(|t| test(t, m)).unwrap_or_default();
    if let Some(about) = tree.get("about") {
        m.about = about_section(about, m);
    }
    if let Some(extra) = tree.get("extra") {
        m.note(
            extra.line(),
            "`extra:` (maintainers, feedstock name) is not part of archi's format",
        );
    }
    if let Some(outputs) = tree.get("outputs") {
        for o in outputs.items() {
            if let Some(out) = output(o, m) {
                m.outputs.push(out);
            }
        }
    }
}

/// `source:` entry → [`Source`].
pub(super) fn source_of(s: &Tree, m: &mut Model) -> Option<Source> {
    let mut src = Source::default();
    for (key, value) in s.entries() {
        match key.as_str() {
            "url" => src.url = m.items(Some(value)),
            "sha256" => src.sha256 = m.item(value),
            "fn" | "file_name" => src.file_name = m.item(value),
            "path" => src.path = m.item(value),
            "patches" => src.patches = m.items(Some(value)),
            "folder" | "target_directory" => src.target_directory = m.item(value),
            _ if value.is_empty() => {}
            other => m.note(
                value.line(),
                format!("source `{other}:` has no equivalent in archi's format"),
            ),
        }
    }
    if src.url.is_empty() && src.path.is_none() {
        m.note(s.line(), "a source that is neither `url` nor `path` (git, hg, svn): archi cannot fetch it; left out");
        return None;
    }
    if !src.url.is_empty() && src.sha256.is_none() {
        m.note(
            s.line(),
            "a url source without sha256 (md5/sha1 only): archi verifies sha256; left out",
        );
        return None;
    }
    Some(src)
}

fn build_section(build: &Tree, m: &mut Model) {
    for (key, value) in build.entries() {
        match key.as_str() {
            "number" => m.number = m.item(value),
            "script" => {
                let lines: Vec<String> = value
                    .items()
                    .iter()
                    .filter_map(|t| m.item(t))
                    .map(|i| i.text)
                    .collect();
                if !lines.is_empty() {
                    m.script = Some(Item {
                        text: lines.join("\n"),
                        line: value.line(),
                    });
                }
            }
            "noarch" => m.noarch = m.item(value),
            "entry_points" => m.entry_points = m.items(Some(value)),
            "skip" => m.skipped = value.as_str().is_some_and(is_true),
            "script_env" => script_env(value, m),
            "run_exports" | "ignore_run_exports" => {}
            _ if value.is_empty() => {}
            "string" => m.note(
                value.line(),
                "build.string: archi's build string is h<store key>_<number>; left out",
            ),
            other => m.note(
                value.line(),
                format!("build `{other}:` has no equivalent in archi's format"),
            ),
        }
    }
}

fn script_env(value: &Tree, m: &mut Model) {
    for t in value.items() {
        match t.as_str().and_then(|s| s.split_once('=')) {
            Some((k, v)) => {
                if let Some(item) = m.text_item(v, t.line()) {
                    m.script_env.push((k.trim().to_string(), item));
                }
            }
            None => m.note(t.line(), "build.script_env passes a variable of the build machine through; archi's builds see none"),
        }
    }
}

fn is_true(s: &str) -> bool {
    matches!(s.trim(), "true" | "True" | "yes" | "1")
}

fn run_exports(build: &Tree, m: &mut Model) -> (Vec<Item>, Vec<Item>, Vec<Item>) {
    let (mut weak, mut strong) = (Vec::new(), Vec::new());
    if let Some(re) = build.get("run_exports") {
        match re {
            Tree::Map(..) => {
                weak = m.items(re.get("weak"));
                strong = m.items(re.get("strong"));
                for (k, v) in re.entries() {
                    if !matches!(k.as_str(), "weak" | "strong") && !v.is_empty() {
                        m.note(
                            v.line(),
                            format!("run_exports `{k}:` has no equivalent in archi's format"),
                        );
                    }
                }
            }
            other => weak = m.items(Some(other)),
        }
    }
    let ignore = m.items(build.get("ignore_run_exports"));
    if let Some(from) = build.get("ignore_run_exports_from") {
        m.note(
            from.line(),
            "build.ignore_run_exports_from: archi ignores run_exports by the exported name only",
        );
    }
    (weak, strong, ignore)
}

/// `requirements:` → [`Reqs`] (`run_constrained` → `run_constraints`); unknown keys become notes.
pub(super) fn requirements(reqs: &Tree, m: &mut Model) -> Reqs {
    let mut r = Reqs {
        build: m.items(reqs.get("build")),
        host: m.items(reqs.get("host")),
        run: m.items(reqs.get("run")),
        run_constraints: m.items(reqs.get("run_constrained").or(reqs.get("run_constraints"))),
        ..Reqs::default()
    };
    for (k, v) in reqs.entries() {
        if !matches!(
            k.as_str(),
            "build" | "host" | "run" | "run_constrained" | "run_constraints"
        ) && !v.is_empty()
        {
            m.note(
                v.line(),
                format!("requirements `{k}:` has no equivalent in archi's format"),
            );
        }
    }
    r.build.dedup();
    r
}

fn test(t: &Tree, m: &mut Model) -> Test {
    let commands = m.items(t.get("commands"));
    let mut test = Test {
        requires: m.items(t.get("requires")),
        files: m.items(t.get("files")),
        commands: join_if_stateful(commands),
        imports: m.items(t.get("imports")),
    };
    for (k, v) in t.entries() {
        match k.as_str() {
            "requires" | "files" | "commands" | "imports" => {}
            "script" => {
                if let Some(script) = m.item(v) {
                    test_script(&mut test, script);
                }
            }
            _ if v.is_empty() => {}
            "source_files" => m.note(
                v.line(),
                "test.source_files: archi's tests get files from the recipe directory only; left out",
            ),
            other => m.note(v.line(), format!("test `{other}:` has no equivalent in archi's format")),
        }
    }
    test
}

/// conda-build runs a recipe's test commands as one script, so a `cd`, `export` or assignment holds for the
/// commands after it; archi runs each command in its own shell. Commands that change the shell's state are
/// therefore joined into one command (one line each, still stopping at the first failure with `bash -e`).
pub(super) fn join_if_stateful(commands: Vec<Item>) -> Vec<Item> {
    let stateful = |c: &str| {
        let c = c.trim_start();
        [
            "cd ", "export ", "pushd ", "popd", "source ", ". ", "set ", "unset ", "shopt ",
        ]
        .iter()
        .any(|p| c.starts_with(p))
            || c.split_once('=').is_some_and(|(k, _)| {
                !k.is_empty() && k.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
            })
    };
    if commands.len() < 2 || !commands.iter().any(|c| stateful(&c.text)) {
        return commands;
    }
    let line = commands[0].line;
    let text = commands
        .iter()
        .map(|c| c.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    vec![Item { text, line }]
}

/// A test script file (`run_test.py`, `run_test.sh`): a file of the test and the command that runs it.
pub(super) fn test_script(test: &mut Test, script: Item) {
    let cmd = if script.text.ends_with(".py") {
        format!("python {}", script.text)
    } else if script.text.ends_with(".pl") {
        format!("perl {}", script.text)
    } else {
        format!("bash {}", script.text)
    };
    test.commands.push(Item {
        text: cmd,
        line: script.line,
    });
    test.files.push(script);
}

/// `about:` → archi's `[about]` fields (`home` → `homepage`, v1's `repository`/`documentation` → `dev_url`/
/// `doc_url`); unknown keys become notes.
pub(super) fn about_section(about: &Tree, m: &mut Model) -> Vec<(&'static str, Item)> {
    let mut out = Vec::new();
    for (key, value) in about.entries() {
        let archi: &'static str = match key.as_str() {
            "home" | "homepage" => "homepage",
            "license" => "license",
            "license_family" => "license_family",
            "summary" => "summary",
            "description" => "description",
            "dev_url" | "repository" => "dev_url",
            "doc_url" | "documentation" => "doc_url",
            "license_file" => {
                for item in m.items(Some(value)) {
                    out.push(("license_file", item));
                }
                continue;
            }
            _ if value.is_empty() => continue,
            other => {
                m.note(
                    value.line(),
                    format!("about `{other}:` has no equivalent in archi's format"),
                );
                continue;
            }
        };
        if let Some(item) = m.item(value) {
            out.push((archi, item));
        }
    }
    out
}

fn output(o: &Tree, m: &mut Model) -> Option<Output> {
    let name = o.get("name").and_then(|t| m.item(t))?;
    let mut out = Output {
        name: name.clone(),
        version: o.get("version").and_then(|t| m.item(t)),
        files: Vec::new(),
        script: None,
        skip: None,
        reqs: Reqs::default(),
        test: Test::default(),
        about: Vec::new(),
    };
    if let Some(files) = o.get("files") {
        match files {
            Tree::Map(..) => {
                out.files = m.items(files.get("include"));
                if let Some(ex) = files.get("exclude") {
                    m.note(ex.line(), "files: exclude: archi's outputs take globs only; the excludes are left out");
                }
            }
            other => out.files = m.items(Some(other)),
        }
    }
    if let Some(script) = o.get("script").and_then(|t| m.item(t)) {
        if script.text.ends_with(".bat") || script.text.ends_with(".ps1") {
            m.note(
                script.line,
                format!("output {}: a Windows script; left out", name.text),
            );
        } else if script.text.ends_with(".sh") || !script.text.contains(char::is_whitespace) {
            out.script = Some(script);
        } else {
            out.script = Some(generated_script(m, &name.text, &script.text, script.line));
        }
    }
    for (key, value) in o.entries() {
        let known = [
            "name",
            "version",
            "files",
            "script",
            "build",
            "requirements",
            "test",
            "about",
        ];
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
    let mut skipped = false;
    if let Some(build) = o.get("build") {
        for (key, value) in build.entries() {
            match key.as_str() {
                "skip" => skipped = value.as_str().is_some_and(is_true),
                "script" => {
                    let lines: Vec<String> = value.items().iter().filter_map(|t| m.item(t)).map(|i| i.text).collect();
                    if !lines.is_empty() {
                        out.script = Some(generated_script(m, &name.text, &lines.join("\n"), value.line()));
                    }
                }
                "run_exports" | "ignore_run_exports" | "ignore_run_exports_from" => {}
                "string" => m.note(value.line(), format!("output {}: build.string: archi's build string is h<store key>_<number>; left out", name.text)),
                "noarch" => m.note(value.line(), format!("output {}: a noarch output of an arch-specific build; archi's [build] noarch is the recipe's", name.text)),
                _ if value.is_empty() => {}
                other => m.note(value.line(), format!("output build `{other}:` has no equivalent in archi's format")),
            }
        }
        let (weak, strong, ignore) = run_exports(build, m);
        out.reqs.weak = weak;
        out.reqs.strong = strong;
        out.reqs.ignore_run_exports = ignore;
    }
    if skipped {
        m.note(
            name.line,
            format!(
                "output {} is skipped (build: skip); an output no platform makes is left out",
                name.text
            ),
        );
        return None;
    }
    if let Some(reqs) = o.get("requirements") {
        let r = match reqs {
            Tree::Seq(..) => Reqs {
                run: m.items(Some(reqs)),
                ..Reqs::default()
            },
            _ => requirements(reqs, m),
        };
        merge_build_host(m, r.build, r.host, &name.text);
        out.reqs.run = r.run;
        out.reqs.run_constraints = r.run_constraints;
    }
    if let Some(t) = o.get("test") {
        out.test = test(t, m);
    }
    if let Some(about) = o.get("about") {
        out.about = about_section(about, m);
    }
    Some(out)
}

/// An inline output script becomes a file of the recipe (archi's output `script` names a file).
pub(super) fn generated_script(m: &mut Model, output: &str, body: &str, line: usize) -> Item {
    let file = format!("build-{output}.sh");
    let content = format!("#!/bin/bash\n# The script of output {output}, written by `archi import` from the recipe.\nset -e\n{body}\n");
    m.generated.retain(|(f, _)| f != &file);
    m.generated.push((file.clone(), content));
    Item { text: file, line }
}

/// An output's build and host requirements join the recipe's (archi's build runs once); a pin of a sibling output
/// in host cannot (the build would need its own package) and becomes a note.
pub(super) fn merge_build_host(m: &mut Model, build: Vec<Item>, host: Vec<Item>, output: &str) {
    for item in build {
        super::model::push_unique(&mut m.reqs.build, item);
    }
    for item in host {
        let name = super::model::spec_name(&item.text).to_string();
        let own = m.name.as_ref().is_some_and(|n| n.text == name)
            || item.text.contains("pin_subpackage")
            || item.text.contains("{{ version }}");
        if own {
            m.note(item.line, format!("output {output}: host requirement `{}` is a package of this build; archi's one build cannot install it", item.text));
            continue;
        }
        if let Some(existing) = m
            .reqs
            .host
            .iter()
            .find(|h| super::model::spec_name(&h.text) == name && h.text != item.text)
        {
            let msg = format!("output {output}: host requirement `{}` differs from `{}` already in the build's host; left out", item.text, existing.text);
            m.note(item.line, msg);
            continue;
        }
        super::model::push_unique(&mut m.reqs.host, item);
    }
}

/// The first value of each key of a `conda_build_config.yaml` for `subdir`, after selectors (conda-build renders
/// the recipe once per variant; the import takes the first).
///
/// Errors: the file is not YAML once selected (the message).
pub fn load_variants(text: &str, subdir: &str) -> Result<Vec<(String, String)>, String> {
    let env = jinja::environment(false);
    let ns = jinja::namespace(subdir, &BTreeMap::new());
    let mut selected = String::new();
    for line in text.lines() {
        match selector(line) {
            Some((before, expr)) => {
                if jinja::condition(&env, expr, &ns).unwrap_or(false) {
                    selected.push_str(before);
                }
            }
            None => selected.push_str(line),
        }
        selected.push('\n');
    }
    let node = marked_yaml::parse_yaml(0, &selected).map_err(|e| e.to_string())?;
    let tree = from_node(&node, &|l| l);
    Ok(tree
        .entries()
        .iter()
        .filter_map(|(k, v)| {
            let first = v.items().into_iter().next()?.as_str()?.to_string();
            Some((k.clone(), first))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_drop_lines_and_lines_map_back() {
        let text = "{% set version = \"1.0\" %}\npackage:\n  name: demo\n  version: {{ version }}\n\nrequirements:\n  build:\n    - {{ compiler('c') }}\n    - {{ stdlib('c') }}\n    - make  # [unix]\n    - cmake  # [win]\n    - qemu  # [aarch64]\n";
        let m = load(text, "linux-64", &BTreeMap::new(), "meta.yaml").unwrap();
        let build: Vec<(&str, usize)> = m
            .reqs
            .build
            .iter()
            .map(|i| (i.text.as_str(), i.line))
            .collect();
        assert_eq!(build, [("{{ compiler('c') }}", 8), ("make", 10)]);
        assert_eq!(m.version.unwrap().text, "1.0");
        assert_eq!(m.notes.len(), 1);
        assert_eq!(m.notes[0].line, 9);
        let m = load(text, "linux-aarch64", &BTreeMap::new(), "meta.yaml").unwrap();
        assert_eq!(m.reqs.build.last().unwrap().text, "qemu");
    }

    #[test]
    fn a_false_if_block_keeps_later_lines_numbered() {
        let text =
            "package:\n  name: demo\n{% if win %}\n  x: 1\n  y: 2\n{% endif %}\n  version: 2\n";
        let m = load(text, "linux-64", &BTreeMap::new(), "meta.yaml").unwrap();
        assert_eq!(m.version.unwrap().line, 7);
    }
}

#[cfg(test)]
mod join_tests {
    use super::*;

    fn items(texts: &[&str]) -> Vec<Item> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| Item {
                text: t.to_string(),
                line: i + 10,
            })
            .collect()
    }

    #[test]
    fn commands_that_change_the_shell_are_joined() {
        let joined = join_if_stateful(items(&["cd tests", "FOO=1", "make check"]));
        assert_eq!(
            joined,
            [Item {
                text: "cd tests\nFOO=1\nmake check".into(),
                line: 10
            }]
        );
        let apart = join_if_stateful(items(&["xz --version", "test -f $PREFIX/lib/liblzma.so"]));
        assert_eq!(apart.len(), 2);
    }
}

#[cfg(test)]
mod environ_tests {
    use super::*;

    #[test]
    fn environ_lookups_are_noted_but_prose_is_not() {
        let text = "package:\n  name: demo\n  version: {{ environ.get('GIT_DESCRIBE_TAG', '1.0') }}\nabout:\n  description: set the environment variable X\n";
        let m = load(text, "linux-64", &BTreeMap::new(), "meta.yaml").unwrap();
        assert_eq!(m.version.unwrap().text, "1.0");
        let lines: Vec<usize> = m.notes.iter().map(|n| n.line).collect();
        assert_eq!(lines, [3]);
    }
}
