//! [`Merged`] → `recipe.toml` text in archi's format (docs/recipe-format.md), with the notes as TOML comments.

use std::fmt::Write;

use super::model::{Item, Merged, Output, Reqs, Test};

fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn array(out: &mut String, key: &str, items: &[Item]) {
    if items.is_empty() {
        return;
    }
    let one_line: Vec<String> = items.iter().map(|i| quote(&i.text)).collect();
    let joined = one_line.join(", ");
    if joined.len() + key.len() < 100 && !joined.contains('\n') {
        let _ = writeln!(out, "{key} = [{joined}]");
    } else {
        let _ = writeln!(out, "{key} = [");
        for i in one_line {
            let _ = writeln!(out, "    {i},");
        }
        let _ = writeln!(out, "]");
    }
}

fn scalar(out: &mut String, key: &str, item: &Option<Item>) {
    if let Some(i) = item {
        let _ = writeln!(out, "{key} = {}", quote(&i.text));
    }
}

fn requirements(out: &mut String, table: &str, r: &Reqs) {
    let [build, host, run, run_constraints, ignore, weak, strong] = r.lists();
    if [build, host, run, run_constraints, ignore]
        .iter()
        .any(|(_, l)| !l.is_empty())
    {
        let _ = writeln!(out, "\n[{table}]");
        for (key, list) in [build, host, run, run_constraints, ignore] {
            array(out, key, list);
        }
    }
    if !weak.1.is_empty() || !strong.1.is_empty() {
        let _ = writeln!(out, "\n[{table}.run_exports]");
        array(out, "weak", weak.1);
        array(out, "strong", strong.1);
    }
}

fn test(out: &mut String, table: &str, t: &Test) {
    if t.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n[{table}]");
    array(out, "requires", &t.requires);
    array(out, "files", &t.files);
    array(out, "imports", &t.imports);
    array(out, "commands", &t.commands);
}

fn about(out: &mut String, table: &str, fields: &[(&'static str, Item)]) {
    if fields.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n[{table}]");
    let license_files: Vec<Item> = fields
        .iter()
        .filter(|(k, _)| *k == "license_file")
        .map(|(_, i)| i.clone())
        .collect();
    let mut seen = Vec::new();
    for (key, item) in fields {
        if *key == "license_file" || seen.contains(key) {
            continue;
        }
        seen.push(*key);
        let _ = writeln!(out, "{key} = {}", quote(&item.text));
    }
    match license_files.as_slice() {
        [] => {}
        [one] => {
            let _ = writeln!(out, "license_file = {}", quote(&one.text));
        }
        many => array(out, "license_file", many),
    }
}

fn output(out: &mut String, o: &Output) {
    let _ = writeln!(out, "\n[[outputs]]");
    let _ = writeln!(out, "name = {}", quote(&o.name.text));
    scalar(out, "version", &o.version);
    array(out, "files", &o.files);
    scalar(out, "script", &o.script);
    if let Some(skip) = &o.skip {
        let _ = writeln!(
            out,
            "skip = {}",
            if skip == "true" {
                "true".into()
            } else {
                quote(skip)
            }
        );
    }
    requirements(
        out,
        "outputs.requirements",
        &Reqs {
            build: vec![],
            host: vec![],
            ..o.reqs.clone()
        },
    );
    test(out, "outputs.test", &o.test);
    about(out, "outputs.about", &o.about);
}

/// The `recipe.toml` text. `origin` names the imported file in the header (`meta.yaml`), `source_text` is its text
/// (each note quotes its line).
pub fn recipe_toml(merged: &Merged, origin: &str, source_text: &str) -> String {
    let m = &merged.model;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Imported by `archi import` from {origin}, evaluated for linux-64 and linux-aarch64."
    );
    if !m.notes.is_empty() {
        let _ = writeln!(
            out,
            "# Not expressed in archi's format (each also printed as a warning):"
        );
        let lines: Vec<&str> = source_text.lines().collect();
        for n in &m.notes {
            let _ = writeln!(
                out,
                "#   {origin}:{}: {}",
                n.line,
                n.message.replace('\n', " ")
            );
            if let Some(text) = lines
                .get(n.line.saturating_sub(1))
                .map(|l| l.trim())
                .filter(|l| !l.is_empty())
            {
                let _ = writeln!(out, "#     | {text}");
            }
        }
    }
    let _ = writeln!(out, "\n[package]");
    scalar(&mut out, "name", &m.name);
    scalar(&mut out, "version", &m.version);
    for s in &m.sources {
        let _ = writeln!(out, "\n[[source]]");
        array(&mut out, "url", &s.url);
        scalar(&mut out, "file_name", &s.file_name);
        scalar(&mut out, "path", &s.path);
        scalar(&mut out, "sha256", &s.sha256);
        array(&mut out, "patches", &s.patches);
        scalar(&mut out, "target_directory", &s.target_directory);
    }
    let _ = writeln!(out, "\n[build]");
    match &m.number {
        Some(n) if n.text.parse::<u64>().is_ok() => {
            let _ = writeln!(out, "number = {}", n.text);
        }
        _ => {
            let _ = writeln!(out, "number = 0");
        }
    }
    scalar(&mut out, "script", &m.script);
    scalar(&mut out, "noarch", &m.noarch);
    array(&mut out, "entry_points", &m.entry_points);
    if let Some(skip) = &m.skip {
        let _ = writeln!(
            out,
            "skip = {}",
            if skip == "true" {
                "true".into()
            } else {
                quote(skip)
            }
        );
    }
    if !m.script_env.is_empty() {
        let _ = writeln!(out, "\n[build.script_env]");
        for (k, v) in &m.script_env {
            let _ = writeln!(out, "{k} = {}", quote(&v.text));
        }
    }
    requirements(&mut out, "requirements", &m.reqs);
    for (platform, reqs) in &merged.targets {
        requirements(&mut out, &format!("target.{platform}.requirements"), reqs);
    }
    test(&mut out, "test", &m.test);
    about(&mut out, "about", &m.about);
    for o in &m.outputs {
        output(&mut out, o);
    }
    out
}
