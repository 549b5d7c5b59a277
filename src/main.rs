//! The `archi` binary: sets up diagnostics and hands over to [`archi::cli::run`].

fn main() -> std::process::ExitCode {
    archi::cli::main()
}
