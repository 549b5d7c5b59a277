//! JSON Schemas for `recipe.toml`, `pins.toml` and `archi.toml`, generated from the serde types with schemars.
//! The checked-in copies live in `schemas/`; `tests/schemas.rs` fails when they drift (regenerate with
//! `ARCHI_UPDATE_SCHEMAS=1 cargo test --test schemas`).

use schemars::schema_for;

/// `(file name in schemas/, pretty JSON with a trailing newline)` for every schema, sorted by file name.
pub fn all() -> Vec<(&'static str, String)> {
    let render = |schema: schemars::schema::RootSchema| {
        let mut text = serde_json::to_string_pretty(&schema).expect("schemas serialise");
        text.push('\n');
        text
    };
    vec![
        (
            "archi.schema.json",
            render(schema_for!(crate::workspace::WorkspaceFile)),
        ),
        (
            "pins.schema.json",
            render(schema_for!(crate::workspace::PinsFile)),
        ),
        (
            "recipe.schema.json",
            render(schema_for!(crate::recipe::RawRecipe)),
        ),
    ]
}
