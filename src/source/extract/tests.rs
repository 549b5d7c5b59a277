//! Hostile archives: decompression bombs (bz2, gzip, zip), sparse entries, duplicate entries, interrupted
//! unpacks, and errors that name the source rather than its cache path. Every archive is crafted here.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::*;
use crate::source::{FetchPolicy, LimitOverrides, SourceCache, SourceOrigin};

const MIB: usize = 1 << 20;

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn bz2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A tar stream of one file `bomb/zeros` of `mib` MiB − 1 KiB of zeros (the two zero end blocks complete the
/// last MiB), compressed as concatenated streams (which the multi-stream decoders read as one): the header, then
/// the same compressed MiB of zeros `mib` times. A 1 GiB bomb costs one MiB of compression and a few KB.
fn zero_bomb(compress: fn(&[u8]) -> Vec<u8>, mib: usize) -> Vec<u8> {
    let mut header = tar::Header::new_ustar();
    header.set_path("bomb/zeros").unwrap();
    header.set_size((mib * MIB - 1024) as u64);
    header.set_mode(0o644);
    header.set_cksum();
    let mut out = compress(header.as_bytes());
    let zeros = compress(&vec![0u8; MIB]);
    for _ in 0..mib {
        out.extend_from_slice(&zeros);
    }
    out
}

/// A zip holding `pkg/zeros`: `mib` MiB of zeros, deflated.
fn zip_bomb(mib: usize) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    w.start_file("pkg/zeros", opts).unwrap();
    let chunk = vec![0u8; MIB];
    for _ in 0..mib {
        w.write_all(&chunk).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs_err::write(&path, bytes).unwrap();
    path
}

/// Total bytes of the regular files under `dir`.
fn bytes_under(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.metadata().unwrap().len())
        .sum()
}

fn names_under(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.path().strip_prefix(dir).unwrap().display().to_string())
        .collect();
    names.sort();
    names
}

/// Extracts with a bare [`Writer`] (no staging cleanup), so the test can weigh what was written before the error.
fn extract_raw(archive: &Path, root: &Path, limits: ArchiveLimits) -> (SourceError, u64) {
    fs_err::create_dir_all(root).unwrap();
    let label = format!("`{}`", archive.display());
    let format = detect(archive, &label).unwrap();
    let mut writer = Writer {
        label,
        root: root.to_path_buf(),
        budget: Budget::new(limits, fs_err::metadata(archive).unwrap().len()),
        seen: HashMap::new(),
    };
    let result = match format {
        Format::Tar(c) => extract_tar(archive, c, &mut writer),
        Format::Zip => extract_zip(archive, &mut writer),
        Format::Plain => panic!("not an archive"),
    };
    let err = match writer.budget.exceeded() {
        Some(e) => writer.cap_error(e),
        None => result.expect_err("the bomb was extracted"),
    };
    (err, bytes_under(root))
}

#[test]
fn a_1_gib_bz2_bomb_stops_at_the_ratio_floor() {
    let tmp = tempfile::tempdir().unwrap();
    let bytes = zero_bomb(bz2, 1024);
    assert!(bytes.len() < 100_000, "{} bytes", bytes.len());
    let archive = write(tmp.path(), "bomb.tar.bz2", &bytes);
    let (err, written) = extract_raw(&archive, &tmp.path().join("out"), ArchiveLimits::default());
    assert!(
        matches!(err, SourceError::ExpansionRatio { ratio: 200, .. }),
        "{err:?}"
    );
    assert!(written <= RATIO_FLOOR, "{written} bytes written");
    // Through the public entry point nothing at all is left.
    let dest = tmp.path().join("dest");
    let err = extract_archive(&archive, &dest, &ArchiveLimits::default()).unwrap_err();
    assert!(err.to_string().contains("bomb.tar.bz2"), "{err}");
    assert!(names_under(&dest).is_empty(), "{:?}", names_under(&dest));
}

#[test]
fn a_gzip_bomb_stops_at_the_ratio_and_at_a_lowered_size_cap() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = write(tmp.path(), "bomb.tar.gz", &zero_bomb(gz, 64));
    let (err, written) = extract_raw(&archive, &tmp.path().join("a"), ArchiveLimits::default());
    assert!(matches!(err, SourceError::ExpansionRatio { .. }), "{err:?}");
    assert!(written <= RATIO_FLOOR, "{written}");
    // With the ratio raised out of the way, the size cap stops it.
    let limits = ArchiveLimits {
        max_unpacked_size: 3 * MIB as u64,
        max_expansion_ratio: 1_000_000,
        ..ArchiveLimits::default()
    };
    let (err, written) = extract_raw(&archive, &tmp.path().join("b"), limits);
    assert!(
        matches!(err, SourceError::UnpackedTooLarge { limit, .. } if limit == 3 * MIB as u64),
        "{err:?}"
    );
    assert!(written <= 3 * MIB as u64, "{written}");
    assert!(
        err.to_string()
            .contains("more than 3 MiB (max_unpacked_size)"),
        "{err}"
    );
    // Raised enough, the same archive extracts.
    let limits = ArchiveLimits {
        max_unpacked_size: 65 * MIB as u64,
        max_expansion_ratio: 1_000_000,
        ..ArchiveLimits::default()
    };
    let dest = tmp.path().join("c");
    extract_archive(&archive, &dest, &limits).unwrap();
    assert_eq!(bytes_under(&dest), (64 * MIB - 1024) as u64);
}

#[test]
fn a_zip_bomb_stops_at_the_ratio_floor() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = write(tmp.path(), "bomb.zip", &zip_bomb(24));
    let (err, written) = extract_raw(&archive, &tmp.path().join("out"), ArchiveLimits::default());
    assert!(matches!(err, SourceError::ExpansionRatio { .. }), "{err:?}");
    assert!(written <= RATIO_FLOOR, "{written}");
}

#[test]
fn hard_links_count_as_the_bytes_a_copy_materialises() {
    let tmp = tempfile::tempdir().unwrap();
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_ustar();
    header.set_size(MIB as u64);
    header.set_mode(0o644);
    builder
        .append_data(&mut header, "pkg/big", &vec![7u8; MIB][..])
        .unwrap();
    for i in 0..8 {
        let mut link = tar::Header::new_ustar();
        link.set_entry_type(tar::EntryType::Link);
        link.set_size(0);
        builder
            .append_link(&mut link, format!("pkg/l{i}"), "pkg/big")
            .unwrap();
    }
    let archive = write(tmp.path(), "links.tar", &builder.into_inner().unwrap());
    let limits = ArchiveLimits {
        max_unpacked_size: 4 * MIB as u64,
        max_expansion_ratio: 1_000,
        ..ArchiveLimits::default()
    };
    let err = extract_archive(&archive, &tmp.path().join("d"), &limits).unwrap_err();
    assert!(
        matches!(err, SourceError::UnpackedTooLarge { .. }),
        "{err:?}"
    );
}

#[test]
fn gnu_sparse_entries_are_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let mut header = tar::Header::new_gnu();
    header.set_path("pkg/sparse").unwrap();
    header.set_entry_type(tar::EntryType::GNUSparse);
    header.set_size(512);
    header.set_mode(0o644);
    let gnu = header.as_gnu_mut().unwrap();
    gnu.set_real_size(5 << 30);
    gnu.sparse[0].set_offset((5 << 30) - 512);
    gnu.sparse[0].set_length(512);
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder.append(&header, &[1u8; 512][..]).unwrap();
    let archive = write(tmp.path(), "sparse.tar", &builder.into_inner().unwrap());
    let dest = tmp.path().join("d");
    let err = extract_archive(&archive, &dest, &ArchiveLimits::default()).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(&err, SourceError::UnsafeEntry { entry, .. } if entry == "pkg/sparse"),
        "{err:?}"
    );
    assert!(msg.contains("sparse file claiming 5 GiB"), "{msg}");
    assert!(names_under(&dest).is_empty());
}

#[test]
fn pax_sparse_entries_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut builder = tar::Builder::new(Vec::new());
    builder
        .append_pax_extensions([
            ("GNU.sparse.major", &b"1"[..]),
            ("GNU.sparse.minor", &b"0"[..]),
            ("GNU.sparse.name", &b"pkg/sparse"[..]),
            ("GNU.sparse.realsize", &b"5368709120"[..]),
        ])
        .unwrap();
    let mut header = tar::Header::new_ustar();
    header.set_size(3);
    header.set_mode(0o644);
    builder
        .append_data(&mut header, "pkg/GNUSparseFile.0/sparse", &b"1\n0"[..])
        .unwrap();
    let archive = write(tmp.path(), "pax-sparse.tar", &builder.into_inner().unwrap());
    let err =
        extract_archive(&archive, &tmp.path().join("d"), &ArchiveLimits::default()).unwrap_err();
    assert!(err.to_string().contains("sparse file"), "{err}");
}

fn tar_of(files: &[(&str, &str)], links: &[(&str, &str)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (target, name) in links {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        builder.append_link(&mut h, name, target).unwrap();
    }
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        // Raw name, so `./a` and `a//b` survive as written.
        h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        builder.append(&h, data.as_bytes()).unwrap();
    }
    builder.into_inner().unwrap()
}

#[test]
fn duplicate_tar_entries_are_refused_after_normalisation() {
    type Pairs<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Pairs, Pairs, &str); 3] = [
        (&[("pkg/a", "1"), ("pkg/a", "2")], &[], "pkg/a"),
        (&[("pkg/a", "1"), ("./pkg//a", "2")], &[], "./pkg//a"),
        // `pkg/l/a` is `pkg/a` through the symlink `pkg/l -> .`.
        (
            &[("pkg/a", "1"), ("pkg/l/a", "2")],
            &[(".", "pkg/l")],
            "pkg/l/a",
        ),
    ];
    for (files, links, second) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let archive = write(tmp.path(), "dup.tar.gz", &gz(&tar_of(files, links)));
        let dest = tmp.path().join("d");
        let err = extract_archive(&archive, &dest, &ArchiveLimits::default()).unwrap_err();
        match &err {
            SourceError::UnsafeEntry { entry, reason, .. } => {
                assert_eq!(entry, second);
                assert!(reason.contains("duplicate"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert!(names_under(&dest).is_empty());
    }
    // A directory listed twice replaces nothing and is accepted.
    let tmp = tempfile::tempdir().unwrap();
    let mut builder = tar::Builder::new(Vec::new());
    for _ in 0..2 {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_size(0);
        h.set_mode(0o755);
        builder
            .append_data(&mut h, "pkg/sub/", std::io::empty())
            .unwrap();
    }
    let archive = write(tmp.path(), "dirs.tar", &builder.into_inner().unwrap());
    extract_archive(&archive, &tmp.path().join("d"), &ArchiveLimits::default()).unwrap();
}

/// A zip with entries `names` (contents = name); `rename` then rewrites raw bytes (same length) in the finished
/// archive, local and central headers alike — the only way to give two entries one name.
fn zip_of(names: &[&str], rename: Option<(&str, &str)>) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for name in names {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(b"same").unwrap();
    }
    let mut bytes = w.finish().unwrap().into_inner();
    if let Some((from, to)) = rename {
        assert_eq!(from.len(), to.len());
        let mut i = 0;
        while i + from.len() <= bytes.len() {
            if &bytes[i..i + from.len()] == from.as_bytes() {
                bytes[i..i + from.len()].copy_from_slice(to.as_bytes());
            }
            i += 1;
        }
    }
    bytes
}

#[test]
fn duplicate_zip_entries_are_refused() {
    for (bytes, entry) in [
        (
            zip_of(&["pkg/one", "pkg/two"], Some(("pkg/two", "pkg/one"))),
            "pkg/one",
        ),
        (zip_of(&["pkg/one", "./pkg/one"], None), "./pkg/one"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let archive = write(tmp.path(), "dup.zip", &bytes);
        let dest = tmp.path().join("d");
        let err = extract_archive(&archive, &dest, &ArchiveLimits::default()).unwrap_err();
        match &err {
            SourceError::UnsafeEntry {
                entry: e, reason, ..
            } => {
                assert_eq!(e, entry);
                assert!(reason.contains("duplicate"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert!(names_under(&dest).is_empty());
    }
    // The raw reader agrees with the zip crate on a clean archive.
    let clean = zip_of(&["pkg/one", "pkg/two"], None);
    assert_eq!(
        zip_names::first_duplicate(&mut std::io::Cursor::new(clean)),
        None
    );
}

fn url_origin(url: &str, sha256: &str) -> SourceOrigin {
    SourceOrigin::Url {
        url: vec![url::Url::parse(url).unwrap()],
        sha256: sha256.to_owned(),
        file_name: None,
    }
}

#[test]
fn refusals_from_the_cache_name_the_file_and_url_not_the_cache_path() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = write(tmp.path(), "bomb-1.0.tar.bz2", &zero_bomb(bz2, 64));
    let cache = SourceCache::open(&tmp.path().join("cache"));
    let hex = cache.add(&archive).unwrap();
    let origin = url_origin("https://example.invalid/dl/bomb-1.0.tar.bz2", &hex);
    let policy = FetchPolicy { offline: true };
    let err = cache
        .unpacked(
            &origin,
            &hex,
            Path::new("bomb-1.0.tar.bz2"),
            &policy,
            &LimitOverrides::default().apply(),
        )
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with(
            "refusing to extract `bomb-1.0.tar.bz2` (https://example.invalid/dl/bomb-1.0.tar.bz2): it expands"
        ),
        "{msg}"
    );
    assert!(!msg.contains(&hex), "{msg}");
    // The failed unpack left nothing behind: no tree, no staging directory.
    assert_eq!(
        names_under(&tmp.path().join("cache/unpacked")),
        vec![".lock"]
    );
}

#[test]
fn interrupted_unpacks_are_removed_but_a_live_one_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = SourceCache::open(&tmp.path().join("cache"));
    assert_eq!(cache.remove_stale_staging().unwrap(), 0, "no unpacked/ yet");
    let unpacked = tmp.path().join("cache/unpacked");
    // Killed mid-extraction (lock file there, no holder), killed before locking (no lock file), and live.
    for name in [".unpacking-killed", ".unpacking-nolock", ".unpacking-live"] {
        fs_err::create_dir_all(unpacked.join(name).join("tree/pkg")).unwrap();
        fs_err::write(unpacked.join(name).join("tree/pkg/big"), "partial").unwrap();
    }
    fs_err::write(unpacked.join(".unpacking-killed/lock"), "").unwrap();
    let _live = crate::fsutil::lock_exclusive(&unpacked.join(".unpacking-live/lock")).unwrap();
    // A finished tree is never touched.
    let done = unpacked.join("0".repeat(64));
    fs_err::create_dir_all(&done).unwrap();
    assert_eq!(cache.remove_stale_staging().unwrap(), 2);
    let mut left = fs_err::read_dir(&unpacked)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect::<Vec<_>>();
    left.sort();
    assert_eq!(left, vec![".lock", ".unpacking-live", &"0".repeat(64)]);
}

/// An archive of more entries than the limit stops at the limit, whatever their size.
#[test]
fn too_many_entries_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("many.tar");
    let mut tar = tar::Builder::new(fs_err::File::create(&archive).unwrap());
    for i in 0..20 {
        let mut header = tar::Header::new_gnu();
        header.set_size(0);
        header.set_mode(0o644);
        tar.append_data(&mut header, format!("many/f{i}"), std::io::empty())
            .unwrap();
    }
    tar.into_inner().unwrap();
    let limits = ArchiveLimits {
        max_entries: 10,
        ..ArchiveLimits::default()
    };
    let dest = tmp.path().join("out");
    let err = extract_archive(&archive, &dest, &limits).unwrap_err();
    assert!(
        matches!(err, SourceError::TooManyEntries { limit: 10, .. }),
        "{err}"
    );
    assert!(names_under(&dest).is_empty(), "nothing is kept");
    let within = ArchiveLimits {
        max_entries: 21,
        ..ArchiveLimits::default()
    };
    extract_archive(&archive, &tmp.path().join("ok"), &within).unwrap();
}
