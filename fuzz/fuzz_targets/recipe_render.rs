//! Bytes → `archi::recipe::parse` → `archi::render::render` for linux-64 and linux-aarch64 with a small fixed pins
//! map and toolchain. Must never panic or hang; every error must render as a miette report (spans inside the text).
#![no_main]

use std::collections::BTreeMap;
use std::path::Path;

use archi::recipe::{LoadedRecipe, SourceFile};
use archi::render::{render, RenderOptions};
use archi::workspace::ToolSpec;
use libfuzzer_sys::fuzz_target;
use rattler_conda_types::Subdir;

fn tool(program: &str, prefix: Option<&str>) -> ToolSpec {
    ToolSpec {
        program: program.into(),
        apt: program.into(),
        binutils_prefix: prefix.map(str::to_owned),
    }
}

/// Reports as the CLI draws them (no colour, 80 columns): drawing checks every span against the text.
fn draw(err: &dyn miette::Diagnostic) {
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(80);
    let mut out = String::new();
    handler
        .render_report(&mut out, err)
        .expect("a report renders");
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("recipes/fuzz/recipe.toml");
    let raw = match archi::recipe::parse(text, path) {
        Ok(raw) => raw,
        Err(e) => return draw(&e),
    };
    let recipe = LoadedRecipe {
        raw,
        file: SourceFile::new(path, text),
        dir: "recipes/fuzz".into(),
    };
    let pins = BTreeMap::from([
        ("ncurses".to_owned(), "6.4.*".to_owned()),
        ("openssl".to_owned(), "3".to_owned()),
        ("zlib".to_owned(), "1.3".to_owned()),
    ]);
    for (target, triplet) in [
        (Subdir::Linux64, "x86_64-linux-gnu-"),
        (Subdir::LinuxAarch64, "aarch64-linux-gnu-"),
    ] {
        let toolchain = BTreeMap::from([
            ("make".to_owned(), tool("make", None)),
            (
                "c".to_owned(),
                tool(&format!("{triplet}gcc"), Some(triplet)),
            ),
            (
                "cxx".to_owned(),
                tool(&format!("{triplet}g++"), Some(triplet)),
            ),
        ]);
        let opts = RenderOptions {
            target_platform: target,
            build_platform: Subdir::Linux64,
            pins: &pins,
            toolchain: &toolchain,
        };
        if let Err(e) = render(&recipe, &opts) {
            draw(&e);
        }
    }
});
