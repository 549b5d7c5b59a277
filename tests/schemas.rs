//! The JSON Schemas in schemas/ are generated from the Rust types; this fails when they drift.
//! Regenerate with `ARCHI_UPDATE_SCHEMAS=1 cargo test --test schemas`.

use std::path::PathBuf;

#[test]
fn checked_in_schemas_match_the_types() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let update = std::env::var_os("ARCHI_UPDATE_SCHEMAS").is_some();
    let mut drifted = Vec::new();
    for (name, text) in archi::schema::all() {
        let path = dir.join(name);
        if update {
            fs_err::write(&path, &text).unwrap();
        } else if fs_err::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            drifted.push(name);
        }
    }
    assert!(drifted.is_empty(), "schemas drifted from the types: {drifted:?}; run ARCHI_UPDATE_SCHEMAS=1 cargo test --test schemas");
}

#[test]
fn shipped_recipes_and_workspace_files_parse() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let ws = archi::workspace::Workspace::discover(&repo).unwrap();
    let dirs = ws.recipe_dirs();
    assert!(dirs.len() >= 7, "{dirs:?}");
    for dir in dirs {
        archi::recipe::load(&dir).unwrap_or_else(|e| panic!("{}: {e:?}", dir.display()));
    }
}
