//! One GNU make jobserver for a whole run, as cargo shares one with rustc and build scripts: a pipe holding
//! `CPU_COUNT` tokens in all. Every build script gets it through `MAKEFLAGS` (`-j --jobserver-auth=R,W`), so
//! make, ninja forks with jobserver support, cargo and rustc take part; a running build script holds one token
//! itself (its implicit job), so N concurrent builds never run more than `CPU_COUNT` jobs together.
//!
//! GNU make leaves a jobserver when its command line says `-jN` ("-jN forced in submake: resetting jobserver
//! mode"), and conda-forge's recipes all say `make -j${CPU_COUNT}`; [`MAKE_WRAPPER`] is the `make` archi puts
//! first on a build's `PATH` so that such recipes stay in the shared jobserver without edits.

use std::process::Command;

/// The shared jobserver of a run.
#[derive(Debug, Clone)]
pub struct Jobserver {
    client: jobserver::Client,
    tokens: usize,
}

/// A held token; given back when dropped.
#[derive(Debug)]
pub struct Token(#[allow(dead_code)] jobserver::Acquired);

impl Jobserver {
    /// A jobserver holding `tokens` tokens (at least one).
    ///
    /// Errors: the pipe cannot be created.
    pub fn new(tokens: usize) -> std::io::Result<Jobserver> {
        let tokens = tokens.max(1);
        Ok(Jobserver {
            client: jobserver::Client::new(tokens)?,
            tokens,
        })
    }

    /// How many tokens it holds in all (`CPU_COUNT`).
    pub fn tokens(&self) -> usize {
        self.tokens
    }

    /// Take one token, blocking until one is free: the implicit job of a build script.
    ///
    /// Errors: reading the pipe failed.
    pub fn acquire(&self) -> std::io::Result<Token> {
        self.client.acquire().map(Token)
    }

    /// Let `cmd` inherit the jobserver: sets `MAKEFLAGS`, `MFLAGS` and `CARGO_MAKEFLAGS` to
    /// `-j --jobserver-fds=R,W --jobserver-auth=R,W` and keeps both descriptors open across exec. Call after
    /// `env_clear`.
    pub fn configure(&self, cmd: &mut Command) {
        self.client.configure_make(cmd);
    }
}

/// The `make` wrapper (POSIX sh) placed first on a build's `PATH` when the recipe asks for `make`: with a
/// jobserver in `MAKEFLAGS` it drops an explicit `-jN`, `-j N`, `--jobs=N` or `--jobs N` from the command line
/// and runs the real make (its path substituted for `@MAKE@`), which then joins the shared jobserver.
pub const MAKE_WRAPPER: &str = r#"#!/bin/sh
# archi: keep make in the run's shared jobserver (an explicit -jN would make it leave it).
real='@MAKE@'
case " $MAKEFLAGS " in
  *--jobserver-auth=*) ;;
  *) exec "$real" "$@" ;;
esac
n=$#
while [ "$n" -gt 0 ]; do
  a=$1; shift; n=$((n - 1))
  case $a in
    -j|--jobs)
      case ${1-} in
        [0-9]*) if [ "$n" -gt 0 ]; then shift; n=$((n - 1)); fi ;;
      esac
      continue ;;
    -j[0-9]*|--jobs=*) continue ;;
  esac
  set -- "$@" "$a"
done
exec "$real" "$@"
"#;

/// [`MAKE_WRAPPER`] for the real make at `make`.
pub fn make_wrapper(make: &std::path::Path) -> String {
    MAKE_WRAPPER.replace("@MAKE@", &make.display().to_string().replace('\'', r"'\''"))
}
