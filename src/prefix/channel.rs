//! Channels to solve from and the repodata records they offer.
//!
//! Local channels (a directory or a `file://` URL) are read directly from `<dir>/<subdir>/repodata.json`, so a
//! channel re-indexed between two solves is always seen and a missing subdir, or a missing channel directory, is
//! an empty channel. Remote channels (`http://`, `https://`) go through a fresh `rattler_repodata_gateway::Gateway`
//! per solve, which fetches only the records reachable from the requested names.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use rattler_conda_types::{Channel, MatchSpec, PackageName, RepoData, RepoDataRecord, Subdir};
use rattler_repodata_gateway::{ChannelRelationsMode, Gateway};
use url::Url;

use super::PrefixError;

/// A channel to solve from: a local directory or a URL (`file://`, `http://` or `https://`).
///
/// Wraps a `rattler_conda_types::Channel`; records read from it carry the channel's base URL (with a trailing
/// slash) as `RepoDataRecord::channel`, which is what strict channel priority compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSource(Channel);

impl ChannelSource {
    /// The channel rooted at directory `path` (made absolute against the current directory, not canonicalised).
    /// The directory need not exist yet: a missing channel is solved as an empty one.
    ///
    /// Errors: [`PrefixError::ChannelPath`] when the path cannot be made absolute or turned into a `file://` URL.
    pub fn from_dir(path: &Path) -> Result<Self, PrefixError> {
        let absolute = std::path::absolute(path).map_err(|source| PrefixError::ChannelPath {
            path: path.to_path_buf(),
            source: Some(source),
        })?;
        let url = Url::from_directory_path(&absolute).map_err(|()| PrefixError::ChannelPath {
            path: absolute.clone(),
            source: None,
        })?;
        Ok(Self(Channel::from_url(url)))
    }

    /// Parses a channel as given on the command line: a `file://`, `http://` or `https://` URL, or else a
    /// directory path (relative paths are resolved against `cwd`; the directory need not exist).
    ///
    /// Errors: [`PrefixError::InvalidChannel`] for a string with another URL scheme (`s3://…`) or a malformed
    /// URL; [`PrefixError::ChannelPath`] as for [`ChannelSource::from_dir`].
    pub fn parse(s: &str, cwd: &Path) -> Result<Self, PrefixError> {
        if let Some((scheme, _)) = s.split_once("://") {
            if !matches!(scheme, "file" | "http" | "https") {
                return Err(PrefixError::InvalidChannel {
                    input: s.to_string(),
                    reason: format!(
                        "unsupported URL scheme `{scheme}` (use file, http, https or a directory)"
                    ),
                });
            }
            let mut url = Url::parse(s).map_err(|err| PrefixError::InvalidChannel {
                input: s.to_string(),
                reason: err.to_string(),
            })?;
            if !url.path().ends_with('/') {
                let path = format!("{}/", url.path());
                url.set_path(&path);
            }
            return Ok(Self(Channel::from_url(url)));
        }
        Self::from_dir(&cwd.join(s))
    }

    /// The wrapped rattler channel.
    pub fn channel(&self) -> &Channel {
        &self.0
    }

    /// The channel's base URL, always ending in `/`; equal to `RepoDataRecord::channel` of its records.
    pub fn base_url(&self) -> &str {
        self.0.base_url.as_str()
    }

    /// The directory of a local (`file://`) channel, `None` for a remote one.
    pub fn local_dir(&self) -> Option<PathBuf> {
        let url = self.0.base_url.url();
        if url.scheme() == "file" {
            url.to_file_path().ok()
        } else {
            None
        }
    }
}

impl fmt::Display for ChannelSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.base_url())
    }
}

/// The subdirs a solve for `platform` reads: the platform's own, then `noarch` (once if they are the same).
pub(super) fn subdirs(platform: Subdir) -> Vec<Subdir> {
    if platform == Subdir::NoArch {
        vec![Subdir::NoArch]
    } else {
        vec![platform, Subdir::NoArch]
    }
}

/// All records of local channel `channel` (directory `dir`) for `platform` and `noarch`, in that order.
/// A missing directory or a missing `<subdir>/repodata.json` contributes no records.
///
/// Errors: [`PrefixError::ReadRepodata`] / [`PrefixError::ParseRepodata`] naming the `repodata.json`.
pub(super) fn read_local(
    channel: &ChannelSource,
    dir: &Path,
    platform: Subdir,
) -> Result<Vec<RepoDataRecord>, PrefixError> {
    let mut records = Vec::new();
    for subdir in subdirs(platform) {
        let path = dir.join(subdir.as_str()).join("repodata.json");
        if !path.is_file() {
            tracing::debug!(path = %path.display(), "no repodata.json, subdir treated as empty");
            continue;
        }
        let bytes = fs_err::read(&path).map_err(|source| PrefixError::ReadRepodata {
            path: path.clone(),
            source,
        })?;
        let repodata: RepoData =
            serde_json::from_slice(&bytes).map_err(|source| PrefixError::ParseRepodata {
                path: path.clone(),
                source,
            })?;
        records.extend(repodata.into_repo_data_records(channel.channel()));
    }
    Ok(records)
}

/// The names a remote query must start from: every spec's name plus every dependency name of the local records
/// (a local package may depend on a package only a remote channel has). Sorted, virtual packages left out.
pub(super) fn remote_seed_names(
    specs: &[MatchSpec],
    local: &[Vec<RepoDataRecord>],
) -> BTreeSet<PackageName> {
    let spec_names = specs
        .iter()
        .filter_map(|spec| spec.name.as_exact().cloned());
    let dep_names = local.iter().flatten().flat_map(|record| {
        record
            .package_record
            .depends
            .iter()
            .filter_map(|dep| dep.split_whitespace().next())
            .filter_map(|name| PackageName::try_from(name).ok())
    });
    spec_names
        .chain(dep_names)
        .filter(|name| !name.as_normalized().starts_with("__"))
        .collect()
}

/// Fetches, through a fresh gateway, the records of the remote `channels` for `platform` and `noarch` reachable
/// from `names` (recursively). Returns one record list per channel, in the order of `channels`, plus a last
/// list of records no channel could be matched to.
///
/// Errors: [`PrefixError::Gateway`] naming the channels.
pub(super) async fn query_remote(
    channels: &[&ChannelSource],
    platform: Subdir,
    names: BTreeSet<PackageName>,
) -> Result<Vec<Vec<RepoDataRecord>>, PrefixError> {
    let gateway = Gateway::builder().finish();
    let output = gateway
        .query(
            channels.iter().map(|c| c.channel().clone()),
            subdirs(platform),
            names.into_iter().map(MatchSpec::from),
        )
        .recursive(true)
        .channel_relations(ChannelRelationsMode::Disabled)
        .execute()
        .await
        .map_err(|source| PrefixError::Gateway {
            channels: channels
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            source,
        })?;
    // The gateway names a record's channel by its redacted base URL (`Channel::canonical_name`). Records it
    // cannot attribute (none are expected with channel relations disabled) go last, below every channel.
    let names: Vec<String> = channels
        .iter()
        .map(|c| c.channel().canonical_name())
        .collect();
    let mut per_channel = vec![Vec::new(); channels.len() + 1];
    for repodata in output.repodata.iter() {
        for record in repodata.iter() {
            let position = names
                .iter()
                .position(|name| record.channel.as_deref() == Some(name.as_str()))
                .unwrap_or(channels.len());
            per_channel[position].push(record.clone());
        }
    }
    Ok(per_channel)
}
