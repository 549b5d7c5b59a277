//! Crash recovery of a channel: the publish journal and the repair every locked writer runs first.
//!
//! [`super::publish`] is several writes (archive, `repodata.json`, `repodata.json.zst`, `channeldata.json`), each
//! atomic on its own. Before the first it writes the journal `<channel>/.archi-publish` naming the archive; after
//! the last it removes it. Whoever takes the channel lock next ([`super::publish`], [`super::index`],
//! [`repair`]) first runs [`repair_locked`], which finishes an interrupted publish and makes every subdir's index
//! list exactly the archives present. So, whatever moment archi dies:
//!
//! - at any time, every `repodata.json` parses (it is only ever replaced by rename) and lists only archives that
//!   are present (an archive is copied in before it is listed, and archi never deletes archives); a package whose
//!   publish was interrupted may be present but not yet listed, or listed with the record of the file it replaced;
//! - after the next archi command that takes the channel lock, every `repodata.json` lists exactly the archives
//!   present in its subdir with records made from their current bytes, `repodata.json.zst` decompresses to
//!   `repodata.json`, and `channeldata.json` is rebuilt from them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::repodata::{self, ArchiveKind, RepodataJson};
use super::{
    archives_in, channeldata, ensure_noarch, lock_channel, record_from_archive, subdir_names,
    write_atomic, ChannelError,
};
use crate::fsutil;

/// Name of the publish journal at the channel root.
pub const JOURNAL_FILE: &str = ".archi-publish";

/// The content of the publish journal: which archive a publish was writing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Journal {
    /// The subdir the archive goes into.
    pub(super) subdir: String,
    /// The archive's file name.
    pub(super) file: String,
}

impl Journal {
    /// Writes the journal atomically (synced), before the publish's first write.
    pub(super) fn write(&self, channel: &Path) -> Result<(), ChannelError> {
        let mut bytes = serde_json::to_vec(self).expect("a journal always serialises");
        bytes.push(b'\n');
        write_atomic(&channel.join(JOURNAL_FILE), &bytes)
    }

    /// Removes the journal (after the publish's last write) and syncs the channel directory.
    pub(super) fn clear(channel: &Path) -> Result<(), ChannelError> {
        let path = channel.join(JOURNAL_FILE);
        match fs_err::remove_file(&path) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => return Err(ChannelError::Write { path, source }),
        }
        fsutil::sync_dir(channel).map_err(|source| ChannelError::Write {
            path: channel.to_path_buf(),
            source,
        })
    }
}

/// What [`repair`] found and fixed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairSummary {
    /// The archive (`<subdir>/<file>`) of a publish that was interrupted, when a journal was left behind.
    pub interrupted: Option<String>,
    /// Archives present but unlisted (or listed with a stale record) that are now listed, as `<subdir>/<file>`.
    pub listed: Vec<String>,
    /// Records of archives no longer present that were dropped, as `<subdir>/<file>`.
    pub unlisted: Vec<String>,
    /// Subdirs whose `repodata.json` (or `.zst`) was rewritten.
    pub rewritten: Vec<String>,
    /// Stale `.archi-tmp-*` files removed.
    pub temp_files: usize,
}

impl RepairSummary {
    /// Whether the channel was already consistent.
    pub fn is_empty(&self) -> bool {
        self == &RepairSummary::default()
    }
}

/// Repairs `channel` after a crash under the channel lock: finishes or drops a publish its journal
/// (`<channel>/.archi-publish`) names, makes every subdir's `repodata.json` list exactly the archives present (records
/// made from their current bytes; an index that does not parse is rebuilt), rewrites a `repodata.json.zst` that does
/// not decompress to it, rebuilds `channeldata.json` when anything changed, and removes stale `.archi-tmp-*` files.
/// A consistent channel is left byte-identical. A channel directory that does not exist needs nothing and is not
/// created.
///
/// What holds whatever moment archi dies: at any time every `repodata.json` parses and lists only archives that
/// are present (an interrupted publish may leave its archive present but unlisted, or listed with the record of
/// the file it replaced); after the next [`repair`], [`super::publish`] or [`super::index`], every `repodata.json`
/// lists exactly the archives present and `channeldata.json` agrees with them.
///
/// Errors: the lock cannot be taken, a file cannot be read or written, or an archive present in a subdir cannot
/// be read (named in the error).
pub fn repair(channel: &Path) -> Result<RepairSummary, ChannelError> {
    if !channel.is_dir() {
        return Ok(RepairSummary::default());
    }
    let _lock = lock_channel(channel)?;
    repair_locked(channel)
}

/// [`repair`] for a caller that holds the channel lock.
pub(super) fn repair_locked(channel: &Path) -> Result<RepairSummary, ChannelError> {
    let mut summary = RepairSummary::default();
    let journal_path = channel.join(JOURNAL_FILE);
    let journal = match fs_err::read(&journal_path) {
        Ok(bytes) => Some(serde_json::from_slice::<Journal>(&bytes).ok()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(ChannelError::Read {
                path: journal_path,
                source,
            })
        }
    };
    // A journal that does not parse (it is written atomically, so only a foreign hand makes one) still says a
    // publish was interrupted; the subdir comparison below then does all the work.
    let interrupted = journal.clone().flatten();
    if let Some(journal) = &interrupted {
        summary.interrupted = Some(format!("{}/{}", journal.subdir, journal.file));
    }

    summary.temp_files += remove_temp_files(channel)?;
    for subdir in subdir_names(channel)? {
        let dir = channel.join(&subdir);
        summary.temp_files += remove_temp_files(&dir)?;
        let stale = interrupted
            .as_ref()
            .filter(|j| j.subdir == subdir)
            .map(|j| j.file.as_str());
        reconcile_subdir(&dir, &subdir, stale, &mut summary)?;
    }
    let changed =
        !summary.listed.is_empty() || !summary.unlisted.is_empty() || !summary.rewritten.is_empty();
    if changed || journal.is_some() {
        ensure_noarch(channel)?;
        channeldata::write(channel)?;
    }
    if journal.is_some() {
        Journal::clear(channel)?;
    }
    Ok(summary)
}

/// Makes `<dir>/repodata.json` list exactly the archives in `dir`: adds records for unlisted archives (and for
/// `stale`, the journal's archive, whose record may describe the file it replaced), drops records of missing
/// archives, rebuilds an index that does not parse, and rewrites `.zst` when it does not match.
fn reconcile_subdir(
    dir: &Path,
    subdir: &str,
    stale: Option<&str>,
    summary: &mut RepairSummary,
) -> Result<(), ChannelError> {
    let json_path = dir.join("repodata.json");
    let (mut repodata, mut dirty) = match repodata::read_or_empty(dir, subdir) {
        Ok(repodata) => (repodata, !json_path.is_file()),
        Err(ChannelError::Json { .. }) => (RepodataJson::empty(subdir), true),
        Err(err) => return Err(err),
    };
    let present: BTreeMap<String, ArchiveKind> = archives_in(dir)?.into_iter().collect();
    let listed: BTreeSet<String> = repodata.file_names();
    for file in listed.iter().filter(|f| !present.contains_key(*f)) {
        repodata.packages.remove(file);
        repodata.conda_packages.remove(file);
        summary.unlisted.push(format!("{subdir}/{file}"));
        dirty = true;
    }
    for (file, kind) in &present {
        if listed.contains(file) && stale != Some(file.as_str()) {
            continue;
        }
        let record = record_from_archive(&dir.join(file))?;
        let unchanged = match kind {
            ArchiveKind::Conda => repodata.conda_packages.get(file),
            ArchiveKind::TarBz2 => repodata.packages.get(file),
        }
        .is_some_and(|old| old == &record);
        if unchanged {
            continue;
        }
        repodata.insert(*kind, file.clone(), record);
        summary.listed.push(format!("{subdir}/{file}"));
        dirty = true;
    }
    if !dirty && zst_matches(dir, &repodata) {
        return Ok(());
    }
    repodata::write(dir, &repodata)?;
    summary.rewritten.push(subdir.to_string());
    Ok(())
}

/// Whether `<dir>/repodata.json` holds exactly `repodata`'s bytes and `repodata.json.zst` decompresses to them.
fn zst_matches(dir: &Path, repodata: &RepodataJson) -> bool {
    let bytes = repodata.to_bytes();
    let json_ok = fs_err::read(dir.join("repodata.json")).is_ok_and(|on_disk| on_disk == bytes);
    json_ok
        && fs_err::read(dir.join("repodata.json.zst"))
            .ok()
            .and_then(|zst| zstd::decode_all(zst.as_slice()).ok())
            .is_some_and(|decoded| decoded == bytes)
}

/// Removes the stale `.archi-tmp-*` files of `dir` (all writers of the channel hold its lock, and so does the
/// caller, but the temp files' own locks are checked all the same); returns how many.
fn remove_temp_files(dir: &Path) -> Result<usize, ChannelError> {
    fsutil::remove_stale_temp_files(dir)
        .map(|removed| removed.len())
        .map_err(|source| ChannelError::Write {
            path: dir.to_path_buf(),
            source,
        })
}

/// `(subdir, file name)` of every package archive in `channel`'s subdirs, whether listed yet or not (what
/// `archi store gc` keeps). A missing channel publishes nothing.
///
/// Errors: a directory of the channel cannot be listed.
pub fn published_artifacts(channel: &Path) -> Result<BTreeSet<(String, String)>, ChannelError> {
    let mut published = BTreeSet::new();
    if !channel.is_dir() {
        return Ok(published);
    }
    for subdir in subdir_names(channel)? {
        for (file, _) in archives_in(&channel.join(&subdir))? {
            published.insert((subdir.clone(), file));
        }
    }
    Ok(published)
}

/// The journal's path, for tests and messages.
pub fn journal_path(channel: &Path) -> PathBuf {
    channel.join(JOURNAL_FILE)
}

#[cfg(test)]
#[path = "repair_tests.rs"]
mod tests;
