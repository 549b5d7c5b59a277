//! The imported recipe for one platform ([`Model`], every value an archi template with its source line) and the
//! merge of the per-platform models into one recipe: what both platforms share goes to the top level, requirement
//! differences to `[target.<subdir>.requirements]`, other differences become `{% if target_platform … %}`
//! templates where archi's format allows them and notes where it does not.

use super::jinja::finish;
use super::tree::Tree;

/// A value (an archi template) with its 1-based line in the recipe file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The archi template text.
    pub text: String,
    /// The line in the source recipe.
    pub line: usize,
}

/// Something archi's format cannot express: written as a TOML comment and reported as a warning.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Note {
    /// The 1-based line in the source recipe file.
    pub line: usize,
    /// What was not expressed, and why.
    pub message: String,
}

/// Requirements of the build (`build`, `host`) and of a package (the rest).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reqs {
    /// Build-machine requirements and toolchain (`compiler('c')`, `make`).
    pub build: Vec<Item>,
    /// Target packages installed in `$PREFIX` while building.
    pub host: Vec<Item>,
    /// Run requirements (index.json `depends`).
    pub run: Vec<Item>,
    /// index.json `constrains` (conda-build's `run_constrained`).
    pub run_constraints: Vec<Item>,
    /// Names whose run_exports are not applied.
    pub ignore_run_exports: Vec<Item>,
    /// Weak run_exports.
    pub weak: Vec<Item>,
    /// Strong run_exports.
    pub strong: Vec<Item>,
}

impl Reqs {
    /// The lists with their archi keys (`run_exports` ones as `weak`/`strong`).
    pub fn lists(&self) -> [(&'static str, &Vec<Item>); 7] {
        [
            ("build", &self.build),
            ("host", &self.host),
            ("run", &self.run),
            ("run_constraints", &self.run_constraints),
            ("ignore_run_exports", &self.ignore_run_exports),
            ("weak", &self.weak),
            ("strong", &self.strong),
        ]
    }

    fn lists_mut(&mut self) -> [&mut Vec<Item>; 7] {
        [
            &mut self.build,
            &mut self.host,
            &mut self.run,
            &mut self.run_constraints,
            &mut self.ignore_run_exports,
            &mut self.weak,
            &mut self.strong,
        ]
    }

    /// No requirement at all.
    pub fn is_empty(&self) -> bool {
        self.lists().iter().all(|(_, l)| l.is_empty())
    }
}

/// `[test]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Test {
    /// Extra packages or toolchain of the test environment.
    pub requires: Vec<Item>,
    /// Files of the recipe directory copied into the test directory.
    pub files: Vec<Item>,
    /// Shell commands.
    pub commands: Vec<Item>,
    /// Python modules that must import.
    pub imports: Vec<Item>,
}

impl Test {
    /// No test at all.
    pub fn is_empty(&self) -> bool {
        self.requires.is_empty()
            && self.files.is_empty()
            && self.commands.is_empty()
            && self.imports.is_empty()
    }
}

/// `[[source]]`: `url` (with `file_name` as the download's name) or `path`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Source {
    /// The URL and its mirrors.
    pub url: Vec<Item>,
    /// 64 hex digits.
    pub sha256: Option<Item>,
    /// The name to give the download (conda-build's `fn`).
    pub file_name: Option<Item>,
    /// A path relative to the recipe directory.
    pub path: Option<Item>,
    /// Patch files of the recipe directory.
    pub patches: Vec<Item>,
    /// Where in `SRC_DIR` the source lands (conda-build's `folder`).
    pub target_directory: Option<Item>,
}

/// `[[outputs]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The package name.
    pub name: Item,
    /// Its version when not the recipe's.
    pub version: Option<Item>,
    /// Globs over `$PREFIX` that the package takes.
    pub files: Vec<Item>,
    /// A script file of the recipe directory (inline scripts are written to `build-<name>.sh`).
    pub script: Option<Item>,
    /// A template (`{{ target_platform != 'linux-64' }}`) or `true`, set by the merge.
    pub skip: Option<String>,
    /// Only run, run_constraints, ignore_run_exports and run_exports are used.
    pub reqs: Reqs,
    /// The package's test.
    pub test: Test,
    /// Overrides of the recipe's `[about]`.
    pub about: Vec<(&'static str, Item)>,
}

/// The recipe for one platform, in archi's terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Model {
    /// `[package] name`.
    pub name: Option<Item>,
    /// `[package] version`.
    pub version: Option<Item>,
    /// `[[source]]`s, in order.
    pub sources: Vec<Source>,
    /// The build number.
    pub number: Option<Item>,
    /// An inline build script (without it, build.sh runs).
    pub script: Option<Item>,
    /// `generic` or `python`.
    pub noarch: Option<Item>,
    /// Console scripts, `name = module:function`.
    pub entry_points: Vec<Item>,
    /// Variables for the build script.
    pub script_env: Vec<(String, Item)>,
    /// The recipe is skipped on this platform (`build: skip: true`).
    pub skipped: bool,
    /// Set by the merge: `[build] skip`.
    pub skip: Option<String>,
    /// Requirements and run_exports.
    pub reqs: Reqs,
    /// `[test]`.
    pub test: Test,
    /// `[about]` fields in archi's names; `license_file` may repeat.
    pub about: Vec<(&'static str, Item)>,
    /// `[[outputs]]`.
    pub outputs: Vec<Output>,
    /// Files the import writes into the recipe directory (inline output scripts), name → content.
    pub generated: Vec<(String, String)>,
    /// What cannot be expressed.
    pub notes: Vec<Note>,
}

impl Model {
    /// Record a note.
    pub fn note(&mut self, line: usize, message: impl Into<String>) {
        self.notes.push(Note {
            line,
            message: message.into(),
        });
    }

    /// A scalar as an [`Item`]; what cannot be expressed becomes notes (and `None` when all of it cannot).
    pub fn item(&mut self, tree: &Tree) -> Option<Item> {
        let Some(text) = tree.as_str() else {
            self.note(
                tree.line(),
                "a mapping or list where a single value belongs; left out",
            );
            return None;
        };
        self.text_item(text, tree.line())
    }

    /// Like [`Model::item`], from rendered text.
    pub fn text_item(&mut self, text: &str, line: usize) -> Option<Item> {
        let finished = finish(text);
        for n in &finished.notes {
            self.note(line, n.clone());
        }
        if finished.dropped || finished.text.is_empty() {
            return None;
        }
        Some(Item {
            text: finished.text,
            line,
        })
    }

    /// The items of an optional list (a scalar counts as a one-item list).
    pub fn items(&mut self, tree: Option<&Tree>) -> Vec<Item> {
        let Some(tree) = tree else { return Vec::new() };
        tree.items()
            .into_iter()
            .filter_map(|t| self.item(t))
            .collect()
    }
}

/// The name a requirement is for: the name inside `{{ pin_subpackage('x', …) }}`, else the spec's first word.
pub fn spec_name(text: &str) -> &str {
    if let Some(rest) = text.strip_prefix("{{ pin_subpackage('") {
        return rest.split('\'').next().unwrap_or(rest);
    }
    text.split_whitespace().next().unwrap_or(text)
}

/// Append `item` unless an equal one is there.
pub fn push_unique(list: &mut Vec<Item>, item: Item) {
    if !list.iter().any(|i| i.text == item.text) {
        list.push(item);
    }
}

/// The template that is true on the platforms in `on` only (of `all`).
fn only_on(on: &[&str], all: &[&str]) -> String {
    if on.len() == 1 {
        format!("target_platform == '{}'", on[0])
    } else {
        let off: Vec<String> = all
            .iter()
            .filter(|p| !on.contains(p))
            .map(|p| format!("target_platform != '{p}'"))
            .collect();
        off.join(" and ")
    }
}

/// The recipe merged over platforms: the model of the first platform that builds, with requirement differences in
/// `targets` and notes for what differs elsewhere.
#[derive(Debug, Clone)]
pub struct Merged {
    /// The merged recipe (its notes are those of every platform).
    pub model: Model,
    /// `[target.<subdir>.requirements]`: requirements only that platform has.
    pub targets: Vec<(String, Reqs)>,
}

/// Merge per-platform models (in [`super::jinja::PLATFORMS`] order).
pub fn merge(models: Vec<(&'static str, Model)>) -> Merged {
    let all: Vec<&str> = models.iter().map(|(p, _)| *p).collect();
    let building: Vec<&str> = models
        .iter()
        .filter(|(_, m)| !m.skipped)
        .map(|(p, _)| *p)
        .collect();
    let base_index = models.iter().position(|(_, m)| !m.skipped).unwrap_or(0);
    let mut base = models[base_index].1.clone();
    let mut notes: Vec<Note> = Vec::new();
    if building.is_empty() {
        base.skip = Some("true".into());
        notes.push(Note {
            line: 1,
            message: "the recipe skips every platform archi builds (linux-64, linux-aarch64)"
                .into(),
        });
    } else if building.len() < all.len() {
        base.skip = Some(format!("{{{{ not ({}) }}}}", only_on(&building, &all)));
    }
    // Notes of every platform, marked with the platform when only some have them.
    for (platform, model) in &models {
        for n in &model.notes {
            let everywhere = models.iter().all(|(_, m)| m.notes.contains(n));
            let message = if everywhere {
                n.message.clone()
            } else {
                format!("({platform}) {}", n.message)
            };
            let note = Note {
                line: n.line,
                message,
            };
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
    }
    let others: Vec<(&str, &Model)> = models
        .iter()
        .filter(|(p, m)| !m.skipped && *p != all[base_index])
        .map(|(p, m)| (*p, m))
        .collect();
    let mut targets: Vec<(String, Reqs)> = Vec::new();
    if !others.is_empty() {
        let mut per: Vec<(&str, Reqs)> = vec![(all[base_index], Reqs::default())];
        per.extend(others.iter().map(|(p, _)| (*p, Reqs::default())));
        let models_reqs: Vec<&Reqs> = std::iter::once(&base.reqs)
            .chain(others.iter().map(|(_, m)| &m.reqs))
            .collect();
        let mut common = Reqs::default();
        for k in 0..7 {
            let lists: Vec<&Vec<Item>> = models_reqs.iter().map(|r| r.lists()[k].1).collect();
            for (i, list) in lists.iter().enumerate() {
                for item in list.iter() {
                    let everywhere = lists.iter().all(|l| l.iter().any(|x| x.text == item.text));
                    if everywhere {
                        push_unique(common.lists_mut()[k], item.clone());
                    } else {
                        push_unique(per[i].1.lists_mut()[k], item.clone());
                    }
                }
            }
        }
        base.reqs = common;
        targets = per
            .into_iter()
            .filter(|(_, r)| !r.is_empty())
            .map(|(p, r)| (p.to_string(), r))
            .collect();
        for (platform, other) in &others {
            diff_rest(&mut base, platform, other, &all, &mut notes);
        }
    }
    notes.sort();
    notes.dedup();
    base.notes = notes;
    Merged {
        model: base,
        targets,
    }
}

/// Differences besides the top-level requirements: outputs that only some platforms make get a `skip`; test
/// commands become conditional templates; the rest (sources, script, output requirements) keeps the base
/// platform's value with a note.
fn diff_rest(base: &mut Model, platform: &str, other: &Model, all: &[&str], notes: &mut Vec<Note>) {
    let base_platform = all
        .iter()
        .find(|p| **p != platform)
        .copied()
        .unwrap_or("linux-64");
    let mut differ = |line: usize, what: &str| {
        notes.push(Note {
            line,
            message: format!("{what} differs on {platform}; the {base_platform} value is kept"),
        });
    };
    if base.sources != other.sources {
        differ(
            other
                .sources
                .first()
                .and_then(|s| s.url.first())
                .map_or(1, |i| i.line),
            "the source",
        );
    }
    if base.script != other.script {
        differ(other.script.as_ref().map_or(1, |i| i.line), "build.script");
    }
    if base.about != other.about {
        differ(other.about.first().map_or(1, |(_, i)| i.line), "about");
    }
    if base.entry_points != other.entry_points || base.script_env != other.script_env {
        differ(
            other.entry_points.first().map_or(1, |i| i.line),
            "build.entry_points or script_env",
        );
    }
    if base.number != other.number || base.noarch != other.noarch {
        differ(
            other.number.as_ref().map_or(1, |i| i.line),
            "build.number or noarch",
        );
    }
    conditional_commands(
        &mut base.test.commands,
        &other.test.commands,
        platform,
        base_platform,
    );
    if base.test.requires != other.test.requires
        || base.test.imports != other.test.imports
        || base.test.files != other.test.files
    {
        differ(
            other.test.requires.first().map_or(1, |i| i.line),
            "test.requires, test.imports or test.files",
        );
    }
    let base_names: Vec<String> = base.outputs.iter().map(|o| o.name.text.clone()).collect();
    for out in &mut base.outputs {
        match other.outputs.iter().find(|o| o.name.text == out.name.text) {
            None if out.skip.is_none() => {
                out.skip = Some(format!("{{{{ target_platform != '{base_platform}' }}}}"));
            }
            None => {}
            Some(o) => {
                conditional_commands(
                    &mut out.test.commands,
                    &o.test.commands,
                    platform,
                    base_platform,
                );
                let tests_differ = o.test.requires != out.test.requires
                    || o.test.imports != out.test.imports
                    || o.test.files != out.test.files;
                if o.reqs != out.reqs
                    || o.files != out.files
                    || o.script != out.script
                    || tests_differ
                    || o.about != out.about
                {
                    notes.push(Note {
                        line: o.name.line,
                        message: format!(
                            "output {}: requirements, files, script, test requirements or about differ on {platform}; the {base_platform} \
                             ones are kept (archi's outputs have no per-platform tables)",
                            o.name.text
                        ),
                    });
                }
            }
        }
    }
    for o in &other.outputs {
        if !base_names.contains(&o.name.text) {
            let mut o = o.clone();
            o.skip = Some(format!("{{{{ target_platform != '{platform}' }}}}"));
            base.outputs.push(o);
        }
    }
}

/// Commands only one platform runs become `{% if target_platform == '…' %}cmd{% else %}true{% endif %}`.
fn conditional_commands(base: &mut Vec<Item>, other: &[Item], platform: &str, base_platform: &str) {
    let wrap = |item: &Item, on: &str| Item {
        text: format!(
            "{{% if target_platform == '{on}' %}}{}{{% else %}}true{{% endif %}}",
            item.text
        ),
        line: item.line,
    };
    let mut merged: Vec<Item> = Vec::new();
    for item in base.iter() {
        if other.iter().any(|o| o.text == item.text) {
            merged.push(item.clone());
        } else {
            merged.push(wrap(item, base_platform));
        }
    }
    for item in other {
        if !base.iter().any(|b| b.text == item.text) {
            merged.push(wrap(item, platform));
        }
    }
    *base = merged;
}
