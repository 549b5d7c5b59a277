//! `archi upload --to URL [--kind K] [--channel NAME] [--owner NAME] [--force] [--auth-file FILE] PATH...`: send
//! package archives (or every archive of channel directories) to a quetz server, anaconda.org, a channel directory
//! or an S3 bucket, skipping those the channel already has with the same sha256.

use std::path::PathBuf;

use crate::upload::{self, Kind, Outcome, Target};

/// Arguments of `archi upload`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// `.conda`/`.tar.bz2` files, or channel directories whose subdirs' archives are all uploaded.
    #[arg(required = true)]
    pub packages: Vec<PathBuf>,
    /// The destination: a quetz server (`http://host:port`, or its channel URL `http://host:port/get/CHANNEL`),
    /// an anaconda API URL, a `file://` URL or directory path, or `s3://bucket/prefix`.
    #[arg(long)]
    pub to: String,
    /// The kind of destination (default: from the URL; plain http(s) is quetz).
    #[arg(long, value_enum)]
    pub kind: Option<Kind>,
    /// quetz: the channel; anaconda: the label (default `main`).
    #[arg(long)]
    pub channel: Option<String>,
    /// anaconda: the user or organisation owning the packages.
    #[arg(long)]
    pub owner: Option<String>,
    /// Replace a file of the same name whose contents differ.
    #[arg(long)]
    pub force: bool,
    /// A file whose first line is the API key or token (default: ARCHI_QUETZ_API_KEY, ARCHI_ANACONDA_TOKEN or
    /// ARCHI_UPLOAD_TOKEN).
    #[arg(long)]
    pub auth_file: Option<PathBuf>,
}

/// Upload; prints `uploaded FILE` or `skipped FILE` per archive on stdout and a summary on stderr.
pub fn run(args: Args) -> miette::Result<()> {
    let target = Target::parse(&args.to, args.kind, args.channel, args.owner, args.force)?;
    let secret = upload::credential(target.kind, args.auth_file.as_deref())?;
    let uploader = upload::uploader(&target, secret)?;
    let artifacts = upload::collect(&args.packages)?;
    let mut printed = Ok(());
    let summary = upload::upload_all(uploader.as_ref(), &artifacts, &mut |artifact, outcome| {
        let word = match outcome {
            Outcome::Uploaded => "uploaded",
            Outcome::Skipped => "skipped",
        };
        if printed.is_ok() {
            printed = super::print_out(&format!(
                "{word} {}/{}",
                artifact.subdir, artifact.file_name
            ));
        }
    })?;
    printed?;
    eprintln!(
        "{} uploaded, {} already there (same sha256) at {}",
        summary.uploaded.len(),
        summary.skipped.len(),
        uploader.describe()
    );
    Ok(())
}
