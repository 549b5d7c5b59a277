//! Where finished packages go: a [`Sink`] the scheduler calls once per node, for built and for cached packages
//! alike (a cached package missing from the sink is published again). The local channel is the sink today;
//! remote servers (quetz, anaconda.org, object stores) are further sinks behind the same trait.
//!
//! Crash safety of the local channel: [`LocalChannel::open`] repairs what a killed run left (an archive copied in
//! but not listed, an index half rewritten) before the run publishes anything, so after any `archi build` every
//! `repodata.json` lists exactly the archives present, even when every node is cached and nothing is published.
//! See [`channel::repair`] for what holds while a publish is in flight.

use std::path::{Path, PathBuf};

use crate::channel::{self, ChannelError, RepairSummary};
use crate::store::StoreEntry;

/// A destination for packages. Must be safe to call from several builds at once.
pub trait Sink: Send + Sync {
    /// Make sure `entry`'s artifact is published (idempotent).
    ///
    /// Errors: the sink's own, naming the artifact and the destination.
    fn publish(&self, entry: &StoreEntry) -> Result<(), ChannelError>;

    /// A short description for messages (`channel /path/to/channels/local`).
    fn describe(&self) -> String;
}

/// A local conda channel directory, written under its lock with atomic index updates (see [`channel::publish`]).
#[derive(Debug, Clone)]
pub struct LocalChannel {
    dir: PathBuf,
}

impl LocalChannel {
    /// The channel at `dir` (created on first publish), as it is: no repair. Use [`LocalChannel::open`] at the
    /// start of a run.
    pub fn new(dir: &Path) -> LocalChannel {
        LocalChannel {
            dir: dir.to_path_buf(),
        }
    }

    /// The channel at `dir`, repaired under its lock when a crash left it inconsistent ([`channel::repair`]);
    /// returns what was repaired. A channel that does not exist yet is left uncreated.
    ///
    /// Errors: those of [`channel::repair`], naming the file.
    pub fn open(dir: &Path) -> Result<(LocalChannel, RepairSummary), ChannelError> {
        let repaired = channel::repair(dir)?;
        Ok((LocalChannel::new(dir), repaired))
    }
}

impl Sink for LocalChannel {
    fn publish(&self, entry: &StoreEntry) -> Result<(), ChannelError> {
        let published = self
            .dir
            .join(&entry.manifest.subdir)
            .join(&entry.manifest.artifact);
        // A package published before it had a statement beside it (or by a run that died in between) is
        // published again, which writes the statement.
        let statement = crate::provenance::outer_path(&published);
        if published.is_file() && statement.is_file() && repodata_lists(&self.dir, entry) {
            return Ok(());
        }
        channel::publish(&self.dir, &entry.artifact_path()).map(|_| ())
    }

    fn describe(&self) -> String {
        format!("channel {}", self.dir.display())
    }
}

/// Whether `<channel>/<subdir>/repodata.json` lists the entry's artifact (a file copied in by a run that died
/// before re-indexing is published again).
fn repodata_lists(dir: &Path, entry: &StoreEntry) -> bool {
    channel::read_repodata(dir, &entry.manifest.subdir)
        .map(|repodata| {
            repodata
                .conda_packages
                .keys()
                .chain(repodata.packages.keys())
                .any(|file| file.to_string() == entry.manifest.artifact)
        })
        .unwrap_or(false)
}

/// Two sinks in turn: the local channel first, then a further destination (`archi build --upload URL`). A package
/// the first refuses is not offered to the second.
pub struct Chain {
    /// Published to first.
    pub first: Box<dyn Sink>,
    /// Published to after `first` succeeded.
    pub then: Box<dyn Sink>,
}

impl Sink for Chain {
    fn publish(&self, entry: &StoreEntry) -> Result<(), ChannelError> {
        self.first.publish(entry)?;
        self.then.publish(entry)
    }

    fn describe(&self) -> String {
        format!("{} and {}", self.first.describe(), self.then.describe())
    }
}
