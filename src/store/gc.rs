//! `archi store gc`: removing store entries nothing refers to, and trimming the package cache and the unpacked
//! sources to a size budget.
//!
//! What is kept (the "roots", as Nix calls them):
//!
//! - every entry whose artifact a channel publishes: the caller passes the `(subdir, file name)` of every archive
//!   in the channels that count (archi's CLI: the output channel and the workspace's local channels), as
//!   [`crate::channel::published_artifacts`] lists them;
//! - every entry whose key names a file in `<store>/roots/` (`touch <store>/roots/<key>` keeps it; the file's
//!   content is not read, a symlink counts by its own name).
//!
//! Everything else under `v1/` is removed: renamed into `v1/.tmp/` (one atomic step, so `archi store verify` never
//! sees half an entry, even if gc is killed), then deleted. The package cache (`pkgs/`, rattler's) and the
//! unpacked sources (`sources/unpacked/<sha256>`) are caches that builds refill; with a budget, their items are
//! removed oldest first (by the modification time of the item's top directory or files: when it was unpacked;
//! access times are not used, since measuring an item reads it) until their total size fits. The downloaded sources (`sources/sha256/`) are never removed: some can only come from the cache
//! (`archi source add`). Leftovers of dead runs and every work directory go too ([`super::clean`]).
//!
//! gc holds the store's use lock exclusively ([`Store::lock_for_gc`]): it waits for building runs to finish, and
//! runs that start meanwhile wait for it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::SystemTime;

use super::clean::{self, list_dir, remove_tree, tree_size, CleanMode, CleanSummary};
use super::{Store, StoreError, StoreKey, UseLock};

/// Proof that the holder has the store's use lock exclusively: no build runs while it lives.
#[derive(Debug)]
pub struct GcLock {
    _lock: UseLock,
}

impl Store {
    /// Takes the store's use lock exclusively (`<root>/v1/.use.lock`), blocking until every building run (which
    /// holds it shared, see [`Store::open_for_build`]) has finished. Released when dropped.
    ///
    /// Errors: [`StoreError::Lock`].
    pub fn lock_for_gc(&self) -> Result<GcLock, StoreError> {
        Ok(GcLock {
            _lock: self.lock_use(true)?,
        })
    }
}

/// What [`gc`] keeps and how far it trims.
#[derive(Debug, Clone, Default)]
pub struct GcOptions {
    /// `(subdir, archive file name)` of every package a channel publishes; the entries with these artifacts are
    /// kept.
    pub published: BTreeSet<(String, String)>,
    /// Size budget in bytes for the package cache plus the unpacked sources; `None` leaves both alone.
    pub cache_budget: Option<u64>,
    /// Report what would be removed without removing anything.
    pub dry_run: bool,
}

/// One store entry [`gc`] removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedEntry {
    /// Its key.
    pub key: StoreKey,
    /// Its subdir.
    pub subdir: String,
    /// Its artifact's file name.
    pub artifact: String,
    /// Bytes the entry directory held.
    pub bytes: u64,
}

/// What [`gc`] removed (or would remove, for a dry run).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcSummary {
    /// Whether this was a dry run (nothing removed).
    pub dry_run: bool,
    /// Removed entries, sorted by key.
    pub entries: Vec<RemovedEntry>,
    /// Entries kept because a channel publishes them or a root names them.
    pub kept_entries: usize,
    /// Removed cache items (package cache and unpacked sources) with their sizes in bytes, oldest first.
    pub cache_items: Vec<(PathBuf, u64)>,
    /// Size in bytes of the package cache plus unpacked sources before and after.
    pub cache_bytes: (u64, u64),
    /// Leftovers and work directories removed.
    pub leftovers: CleanSummary,
    /// Lock files (`v1/.locks/<key>.lock`) of keys with no entry, removed.
    pub lock_files: usize,
}

impl GcSummary {
    /// Bytes freed in all: entries, cache items and leftovers.
    pub fn freed_bytes(&self) -> u64 {
        self.entries.iter().map(|e| e.bytes).sum::<u64>()
            + self.cache_items.iter().map(|(_, b)| b).sum::<u64>()
            + self.leftovers.bytes
    }
}

/// Collects the store as the module docs describe, under the exclusive use lock `_lock`. Entries whose manifest
/// cannot be read are left alone (`archi store verify` reports them).
///
/// Errors: a store directory cannot be listed, a key lock cannot be taken, or something cannot be removed; what
/// was removed before the error stays removed, and the store stays consistent.
pub fn gc(store: &Store, _lock: &GcLock, opts: &GcOptions) -> Result<GcSummary, StoreError> {
    let mut summary = GcSummary {
        dry_run: opts.dry_run,
        ..GcSummary::default()
    };
    let roots: BTreeSet<String> = list_dir(&store.roots_dir())?
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    for dir in store.entry_dirs()? {
        let Ok(Some(entry)) = dir
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.parse::<StoreKey>().ok())
            .map(|key| store.lookup(&key))
            .transpose()
            .map(Option::flatten)
        else {
            continue;
        };
        let m = &entry.manifest;
        if roots.contains(entry.key.as_str())
            || opts
                .published
                .contains(&(m.subdir.clone(), m.artifact.clone()))
        {
            summary.kept_entries += 1;
            continue;
        }
        let bytes = tree_size(&entry.dir);
        if !opts.dry_run {
            remove_entry(store, &entry.key, &entry.dir)?;
        }
        summary.entries.push(RemovedEntry {
            key: entry.key.clone(),
            subdir: m.subdir.clone(),
            artifact: m.artifact.clone(),
            bytes,
        });
    }
    summary.entries.sort_by(|a, b| a.key.cmp(&b.key));
    summary.lock_files = remove_orphan_locks(store, opts.dry_run)?;

    summary.leftovers = clean::clean(
        store,
        CleanMode {
            dry_run: opts.dry_run,
            include_kept: true,
        },
    )?;

    let items = cache_items(store)?;
    let total: u64 = items.iter().map(|item| item.bytes).sum();
    let mut left = total;
    if let Some(budget) = opts.cache_budget {
        for item in items {
            if left <= budget {
                break;
            }
            if !opts.dry_run {
                for path in &item.paths {
                    remove_tree(path)?;
                }
            }
            left -= item.bytes;
            summary.cache_items.push((item.name, item.bytes));
        }
    }
    summary.cache_bytes = (total, left);
    Ok(summary)
}

/// Removes the lock files of keys that have no entry (left by failed or removed builds; a build creates its lock
/// file again when it needs it). Safe only under the exclusive use lock: every other taker of a key lock (a build)
/// holds the use lock shared, so nobody holds or waits for these files. Returns how many were (or would be)
/// removed.
fn remove_orphan_locks(store: &Store, dry_run: bool) -> Result<usize, StoreError> {
    let mut removed = 0;
    for (name, path) in list_dir(&store.locks_dir())? {
        let Some(key) = name.strip_suffix(".lock") else {
            continue;
        };
        if store.layout_dir().join(key).exists() {
            continue;
        }
        if !dry_run {
            match fs_err::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => return Err(StoreError::Remove { path, source }),
            }
        }
        removed += 1;
    }
    Ok(removed)
}

/// Makes an entry disappear in one step (rename into `v1/.tmp/<key7>-gc-<pid>`, directory fsynced), then deletes
/// it, holding the key's lock.
fn remove_entry(store: &Store, key: &StoreKey, dir: &std::path::Path) -> Result<(), StoreError> {
    let _lock = store.lock(key)?;
    let aside = store
        .tmp_dir()
        .join(format!("{}-gc-{}", key.short(), std::process::id()));
    remove_tree(&aside)?;
    fs_err::rename(dir, &aside).map_err(|source| StoreError::Rename {
        from: dir.to_path_buf(),
        to: aside.clone(),
        source,
    })?;
    super::sync_dir(&store.layout_dir())?;
    remove_tree(&aside)
}

/// One removable unit of a cache: the paths that go together, their size and age.
#[derive(Debug)]
struct CacheItem {
    /// The item's name: the package directory or the unpacked source directory.
    name: PathBuf,
    paths: Vec<PathBuf>,
    bytes: u64,
    used: SystemTime,
}

/// The items of the package cache (each `<name>-<version>-<build>` directory with its `.lock` file and archive, as
/// rattler's cache lays them out) and of `sources/unpacked/` (each `<sha256>` directory; dot-entries, such as the
/// source stage's `.unpacking-*`, are not gc's), oldest first (path as tie-breaker).
fn cache_items(store: &Store) -> Result<Vec<CacheItem>, StoreError> {
    let mut groups: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    let pkgs = store.package_cache();
    for (name, path) in list_dir(&pkgs)? {
        if name.starts_with('.') {
            continue;
        }
        let stem = [".lock", ".conda", ".tar.bz2"]
            .iter()
            .find_map(|ext| name.strip_suffix(ext))
            .unwrap_or(&name);
        groups.entry(pkgs.join(stem)).or_default().push(path);
    }
    for (name, path) in list_dir(&store.sources_dir().join("unpacked"))? {
        if !name.starts_with('.') {
            groups.entry(path.clone()).or_default().push(path);
        }
    }
    let mut items: Vec<CacheItem> = groups
        .into_iter()
        .map(|(name, mut paths)| {
            paths.sort();
            let bytes = paths.iter().map(|p| tree_size(p)).sum();
            let used = paths
                .iter()
                .filter_map(|p| fs_err::metadata(p).ok())
                .filter_map(|m| m.modified().ok())
                .max()
                .unwrap_or(SystemTime::UNIX_EPOCH);
            CacheItem {
                name,
                paths,
                bytes,
                used,
            }
        })
        .collect();
    items.sort_by(|a, b| (a.used, &a.name).cmp(&(b.used, &b.name)));
    Ok(items)
}

#[cfg(test)]
#[path = "gc_tests.rs"]
mod tests;
