//! A publish interrupted at each of its steps, simulated by doing the steps by hand, is repaired by the next
//! locked writer: the index then equals the one `index` makes from scratch.

use super::super::tests::{
    build_package, index_files, published_channel, Pkg, BZIP2, ZLIB, ZLIB_AARCH64_OLD,
};
use super::*;
use crate::channel::{index, publish, read_repodata};

const ZLIB_NEXT: Pkg<'static> = Pkg {
    name: "zlib",
    version: "1.3.2",
    subdir: "linux-64",
    depends: &[],
    timestamp_ms: 1_700_000_300_000,
    tar_bz2: false,
};

/// The index files `index` writes for a copy of `channel` (archives only, nothing else carried over).
fn index_from_scratch(channel: &Path, scratch: &Path) -> BTreeMap<String, Vec<u8>> {
    for entry in walkdir::WalkDir::new(channel) {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy();
        if entry.file_type().is_file() && (name.ends_with(".conda") || name.ends_with(".tar.bz2")) {
            let rel = entry.path().strip_prefix(channel).unwrap();
            fs_err::create_dir_all(scratch.join(rel).parent().unwrap()).unwrap();
            fs_err::copy(entry.path(), scratch.join(rel)).unwrap();
        }
    }
    index(scratch).unwrap();
    index_files(scratch)
}

/// Every subdir's repodata lists exactly its archives, the bytes equal a fresh index's, no journal is left.
fn assert_consistent(channel: &Path, scratch: &Path) {
    assert_eq!(index_files(channel), index_from_scratch(channel, scratch));
    assert!(!journal_path(channel).exists(), "journal left behind");
    for subdir in subdir_names(channel).unwrap() {
        let present: BTreeSet<String> = archives_in(&channel.join(&subdir))
            .unwrap()
            .into_iter()
            .map(|(file, _)| file)
            .collect();
        let repodata = repodata::read_or_empty(&channel.join(&subdir), &subdir).unwrap();
        let listed: BTreeSet<String> = repodata.file_names();
        assert_eq!(present, listed, "{subdir}");
    }
}

#[test]
fn copied_archive_without_a_record_is_listed_by_the_next_publish() {
    let tmp = tempfile::tempdir().unwrap();
    let (channel, _) = published_channel(tmp.path());
    let next = build_package(
        &tmp.path().join("work"),
        &tmp.path().join("built"),
        &ZLIB_NEXT,
    );
    // Killed after the journal and the copy, before the index update.
    Journal {
        subdir: "linux-64".into(),
        file: ZLIB_NEXT.file_name(),
    }
    .write(&channel)
    .unwrap();
    fs_err::copy(&next, channel.join("linux-64").join(ZLIB_NEXT.file_name())).unwrap();
    assert!(!read_repodata(&channel, "linux-64")
        .unwrap()
        .conda_packages
        .keys()
        .any(|f| f.to_string() == ZLIB_NEXT.file_name()));

    // The next writer publishes something else and repairs first.
    let bzip2 = build_package(&tmp.path().join("work"), &tmp.path().join("built"), &BZIP2);
    publish(&channel, &bzip2).unwrap();
    assert_consistent(&channel, &tmp.path().join("scratch"));
}

#[test]
fn copied_archive_without_a_journal_is_listed_by_repair() {
    let tmp = tempfile::tempdir().unwrap();
    let (channel, _) = published_channel(tmp.path());
    let next = build_package(
        &tmp.path().join("work"),
        &tmp.path().join("built"),
        &ZLIB_NEXT,
    );
    fs_err::copy(&next, channel.join("linux-64").join(ZLIB_NEXT.file_name())).unwrap();
    let summary = repair(&channel).unwrap();
    assert_eq!(summary.interrupted, None);
    assert_eq!(
        summary.listed,
        vec![format!("linux-64/{}", ZLIB_NEXT.file_name())]
    );
    assert_eq!(summary.rewritten, vec!["linux-64".to_string()]);
    assert_consistent(&channel, &tmp.path().join("scratch"));
    // A consistent channel is left as it is.
    let before = index_files(&channel);
    assert!(repair(&channel).unwrap().is_empty());
    assert_eq!(index_files(&channel), before);
}

#[test]
fn journal_written_before_the_copy_is_dropped_without_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let (channel, _) = published_channel(tmp.path());
    let before = index_files(&channel);
    Journal {
        subdir: "linux-64".into(),
        file: ZLIB_NEXT.file_name(),
    }
    .write(&channel)
    .unwrap();
    let summary = repair(&channel).unwrap();
    assert_eq!(
        summary.interrupted,
        Some(format!("linux-64/{}", ZLIB_NEXT.file_name()))
    );
    assert!(summary.listed.is_empty() && summary.rewritten.is_empty());
    assert_eq!(index_files(&channel), before);
    assert_consistent(&channel, &tmp.path().join("scratch"));
}

#[test]
fn killed_between_repodata_and_zst_and_channeldata_is_finished() {
    let tmp = tempfile::tempdir().unwrap();
    let (channel, _) = published_channel(tmp.path());
    let old_zst = fs_err::read(channel.join("linux-64/repodata.json.zst")).unwrap();
    let old_channeldata = fs_err::read(channel.join("channeldata.json")).unwrap();
    let next = build_package(
        &tmp.path().join("work"),
        &tmp.path().join("built"),
        &ZLIB_NEXT,
    );
    publish(&channel, &next).unwrap();
    // Roll the files written after repodata.json back, and leave the journal: as if killed right after the
    // repodata.json rename.
    fs_err::write(channel.join("linux-64/repodata.json.zst"), old_zst).unwrap();
    fs_err::write(channel.join("channeldata.json"), &old_channeldata).unwrap();
    Journal {
        subdir: "linux-64".into(),
        file: ZLIB_NEXT.file_name(),
    }
    .write(&channel)
    .unwrap();
    let summary = repair(&channel).unwrap();
    assert_eq!(summary.rewritten, vec!["linux-64".to_string()]);
    assert_ne!(
        fs_err::read(channel.join("channeldata.json")).unwrap(),
        old_channeldata
    );
    assert_consistent(&channel, &tmp.path().join("scratch"));
}

#[test]
fn replaced_archive_gets_the_record_of_its_new_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let (channel, _) = published_channel(tmp.path());
    // Same file name, other bytes (a rebuild after gc carries a new timestamp), copied in before the index update.
    let rebuilt = Pkg {
        timestamp_ms: ZLIB.timestamp_ms + 1,
        ..ZLIB
    };
    let other = build_package(
        &tmp.path().join("work2"),
        &tmp.path().join("built2"),
        &rebuilt,
    );
    Journal {
        subdir: "linux-64".into(),
        file: ZLIB.file_name(),
    }
    .write(&channel)
    .unwrap();
    fs_err::copy(&other, channel.join("linux-64").join(ZLIB.file_name())).unwrap();
    let summary = repair(&channel).unwrap();
    assert_eq!(
        summary.listed,
        vec![format!("linux-64/{}", ZLIB.file_name())]
    );
    assert_consistent(&channel, &tmp.path().join("scratch"));
}

#[test]
fn missing_archive_is_unlisted_and_bad_index_rebuilt() {
    let tmp = tempfile::tempdir().unwrap();
    let (channel, _) = published_channel(tmp.path());
    fs_err::remove_file(
        channel
            .join("linux-aarch64")
            .join(ZLIB_AARCH64_OLD.file_name()),
    )
    .unwrap();
    fs_err::write(channel.join("noarch/repodata.json"), b"{\"info\": ").unwrap();
    let summary = repair(&channel).unwrap();
    assert_eq!(
        summary.unlisted,
        vec![format!("linux-aarch64/{}", ZLIB_AARCH64_OLD.file_name())]
    );
    assert!(summary.rewritten.contains(&"noarch".to_string()));
    assert_consistent(&channel, &tmp.path().join("scratch"));
}

#[test]
fn stale_temp_files_go_and_live_ones_stay() {
    let tmp = tempfile::tempdir().unwrap();
    let (channel, _) = published_channel(tmp.path());
    let stale = channel.join("linux-64").join(".archi-tmp-dead01");
    fs_err::write(&stale, b"half a package").unwrap();
    let live = fsutil::temp_file(&channel.join("linux-64"), 0o644).unwrap();
    let summary = repair(&channel).unwrap();
    assert_eq!(summary.temp_files, 1);
    assert!(!stale.exists());
    assert!(live.path().exists());
}

#[test]
fn published_artifacts_lists_listed_and_unlisted_archives() {
    let tmp = tempfile::tempdir().unwrap();
    let (channel, _) = published_channel(tmp.path());
    let next = build_package(
        &tmp.path().join("work"),
        &tmp.path().join("built"),
        &ZLIB_NEXT,
    );
    fs_err::copy(&next, channel.join("linux-64").join(ZLIB_NEXT.file_name())).unwrap();
    let published = published_artifacts(&channel).unwrap();
    assert!(published.contains(&("linux-64".to_string(), ZLIB_NEXT.file_name())));
    assert!(published.contains(&("linux-64".to_string(), ZLIB.file_name())));
    assert_eq!(published.len(), 5);
    assert!(published_artifacts(&tmp.path().join("none"))
        .unwrap()
        .is_empty());
}
