//! archi builds conda packages from TOML recipes, keeps every output in a content-addressed store and serves them
//! from a local channel. Its first job is bringing up a conda distribution for linux-aarch64 from x86_64 machines.
//!
//! The pipeline, one module per stage (see `docs/architecture.md`):
//! `recipe` (TOML → [`recipe::RawRecipe`]) → `render` (templates, pins, variant → [`render::RenderedRecipe`]) →
//! `store` (key, lookup) → `source` (fetch, verify, extract) → `prefix` (solve + install build/host prefixes) →
//! `build` (run the script; the only stage that spawns build processes) → `package` (relocate, `info/`, `.conda`) →
//! `pkgtest` (tests in a fresh environment) → `store` (atomic insert) → `channel` (repodata, atomic publish).

// Recipe errors carry their source text (miette::NamedSource) so reports can show the line; they are large but
// only ever on the cold path of a failed command.
#![allow(clippy::result_large_err)]

pub mod build;
pub mod channel;
pub mod cli;
pub mod context;
pub mod digest;
pub mod emulate;
pub mod env_vars;
pub mod fsutil;
pub mod graph;
pub mod import;
pub mod installer;
pub mod jobserver;
pub mod lint;
pub mod package;
pub mod pkgtest;
pub mod plan;
pub mod platform;
pub mod prefix;
pub mod provenance;
pub mod publish;
pub mod recipe;
pub mod render;
pub mod sandbox;
pub mod schedule;
pub mod schema;
pub mod source;
pub mod store;
pub mod substitute;
pub mod toolchain;
pub mod upload;
pub mod workflow;
pub mod workspace;
