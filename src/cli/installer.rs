//! `archi installer NAME... [--target-platform P] [--channel DIR]... [-o FILE]`: one self-contained shell
//! installer holding the solved environment of the NAMEs (from the workspace's output channel unless
//! `--channel` is given) and the installer engine for the target. Prints the installer's path, size and
//! packages.

use std::path::PathBuf;

use miette::IntoDiagnostic;
use rattler_conda_types::{MatchSpec, ParseStrictness, Subdir};

use super::settings::{self, ContextFlags, Global};
use crate::installer;
use crate::prefix::ChannelSource;

/// Arguments of `archi installer`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Packages (match specs: `zlib`, `"xz >=5"`) whose solved environment the installer holds.
    #[arg(required = true)]
    pub names: Vec<String>,
    /// The platform the installer is for (default: this machine's).
    #[arg(long = "target-platform")]
    pub target_platform: Option<Subdir>,
    /// Local channels to solve from, in priority order (default: the workspace's output channel).
    #[arg(long = "channel", short = 'c')]
    pub channels: Vec<PathBuf>,
    /// The installer file to write (default: `<first name>-<platform>.sh` in the current directory).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// Solve, pack and write the installer.
pub fn run(args: Args, global: &Global) -> miette::Result<()> {
    let Args {
        names,
        target_platform,
        channels,
        output,
    } = args;
    let cwd = std::env::current_dir().into_diagnostic()?;
    let ctx = settings::context(global, ContextFlags::default(), &cwd)?;
    let platform = target_platform.unwrap_or(ctx.build_platform);
    let specs = names
        .iter()
        .map(|name| {
            MatchSpec::from_str(name, ParseStrictness::Strict)
                .map_err(|e| miette::miette!("invalid package spec `{name}`: {e}"))
        })
        .collect::<miette::Result<Vec<_>>>()?;
    let channels = if channels.is_empty() {
        vec![ChannelSource::from_dir(&ctx.output_channel).into_diagnostic()?]
    } else {
        channels
            .iter()
            .map(|dir| ChannelSource::from_dir(&cwd.join(dir)).into_diagnostic())
            .collect::<miette::Result<Vec<_>>>()?
    };
    let first = specs
        .first()
        .and_then(|s| s.name.as_exact().map(|n| n.as_normalized().to_string()))
        .unwrap_or_else(|| "archi".into());
    let output = output.unwrap_or_else(|| cwd.join(format!("{first}-{platform}.sh")));
    let engine = installer::engine_for(platform, ctx.build_platform)?;
    let made = installer::make(&installer::Request {
        specs: &specs,
        platform,
        channels: &channels,
        glibc: ctx.glibc_for(platform),
        engine: &engine,
        output: &output,
    })?;
    settings::finish(&ctx);
    super::print_out(&format!(
        "{} ({} bytes: {}-byte header, engine {} bytes, payload sha256 {})\n{} packages for {platform}: {}",
        made.path.display(),
        made.size,
        made.header_size,
        made.engine_size,
        made.payload_sha256,
        made.packages.len(),
        made.packages.join(", ")
    ))
}
