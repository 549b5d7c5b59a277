//! Tests of the source stage: cache, fetch (no network), extraction of every format, refusals, patches, prepare.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use miette::Diagnostic;

use super::*;

/// One entry of a test tar, with its name and link target written raw (so unsafe names can be built).
#[derive(Clone)]
enum E<'a> {
    Dir(&'a str),
    File(&'a str, &'a str, u32),
    Symlink(&'a str, &'a str),
    HardLink(&'a str, &'a str),
    GlobalHeader,
}

fn tar_bytes(entries: &[E<'_>]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        let mut header = tar::Header::new_ustar();
        let (name, link, data, ty, mode): (&str, &str, &[u8], _, u32) = match entry {
            E::Dir(n) => (n, "", b"", tar::EntryType::Directory, 0o755),
            E::File(n, content, mode) => {
                (n, "", content.as_bytes(), tar::EntryType::Regular, *mode)
            }
            E::Symlink(n, t) => (n, t, b"", tar::EntryType::Symlink, 0o777),
            E::HardLink(n, t) => (n, t, b"", tar::EntryType::Link, 0o644),
            E::GlobalHeader => (
                "pax_global_header",
                "",
                b"52 comment=0123456789abcdef0123456789abcdef01234567\n",
                tar::EntryType::XGlobalHeader,
                0o644,
            ),
        };
        let old = header.as_old_mut();
        old.name[..name.len()].copy_from_slice(name.as_bytes());
        old.linkname[..link.len()].copy_from_slice(link.as_bytes());
        header.set_entry_type(ty);
        header.set_mode(mode);
        header.set_size(data.len() as u64);
        header.set_mtime(1_600_000_000);
        header.set_cksum();
        builder.append(&header, data).unwrap();
    }
    builder.into_inner().unwrap()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn bz2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = xz2::write::XzEncoder::new(Vec::new(), 6);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zst(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).unwrap()
}

fn zip_bytes() -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default();
    w.add_directory("pkg-1.0/", opts).unwrap();
    w.add_directory("pkg-1.0/bin/", opts).unwrap();
    w.start_file("pkg-1.0/bin/run", opts.unix_permissions(0o755))
        .unwrap();
    w.write_all(b"#!/bin/sh\n").unwrap();
    w.start_file("pkg-1.0/README", opts.unix_permissions(0o644))
        .unwrap();
    w.write_all(b"hello\n").unwrap();
    w.add_symlink("pkg-1.0/link", "README", opts).unwrap();
    w.finish().unwrap().into_inner()
}

/// The tree every format test archives: one top-level directory, an executable, a file and a symlink.
fn pkg_tar() -> Vec<u8> {
    tar_bytes(&[
        E::GlobalHeader,
        E::Dir("pkg-1.0/"),
        E::Dir("pkg-1.0/bin/"),
        E::File("pkg-1.0/bin/run", "#!/bin/sh\n", 0o755),
        E::File("pkg-1.0/README", "hello\n", 0o644),
        E::Symlink("pkg-1.0/link", "README"),
    ])
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs_err::create_dir_all(path.parent().unwrap()).unwrap();
    fs_err::write(&path, bytes).unwrap();
    path
}

fn sha(bytes: &[u8]) -> String {
    hex(&rattler_digest::compute_bytes_digest::<Sha256>(bytes))
}

/// Every path under `dir`, relative, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .map(|e| {
            e.unwrap()
                .path()
                .strip_prefix(dir)
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    out.sort();
    out
}

#[test]
fn cache_add_get_and_idempotent_add() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write(tmp.path(), "in/x.tar.gz", b"some bytes");
    let cache = SourceCache::open(&tmp.path().join("cache"));
    assert_eq!(cache.get(&sha(b"some bytes")), None);
    let hex = cache.add(&file).unwrap();
    assert_eq!(hex, sha(b"some bytes"));
    assert_eq!(hex, sha256_file(&file).unwrap());
    let cached = cache.get(&hex).unwrap();
    assert_eq!(cached, tmp.path().join("cache/sha256").join(&hex));
    assert_eq!(fs_err::read(&cached).unwrap(), b"some bytes");
    assert_eq!(cache.add(&file).unwrap(), hex);
    assert_eq!(
        listing(&tmp.path().join("cache")),
        vec!["sha256".to_owned(), format!("sha256/{hex}")]
    );
    assert_eq!(cache.get("../../etc/passwd"), None);
    assert_eq!(cache.get(&hex.to_uppercase()), Some(cached));
}

fn url_origin(urls: &[&str], sha256: &str) -> SourceOrigin {
    SourceOrigin::Url {
        url: urls.iter().map(|u| url::Url::parse(u).unwrap()).collect(),
        sha256: sha256.to_owned(),
        file_name: None,
    }
}

#[test]
fn fetch_of_cached_url_origin_never_touches_the_network() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = SourceCache::open(tmp.path());
    let hex = cache
        .add(&write(tmp.path(), "x.tar.gz", b"payload"))
        .unwrap();
    let origin = url_origin(&["http://127.0.0.1:9/x.tar.gz"], &hex);
    let path = cache
        .fetch(&origin, &FetchPolicy { offline: false })
        .unwrap();
    assert_eq!(fs_err::read(path).unwrap(), b"payload");
}

#[test]
fn fetch_of_missing_url_offline_names_file_sha_and_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = SourceCache::open(tmp.path());
    let hex = sha(b"never added");
    let origin = url_origin(&["http://127.0.0.1:9/zlib-1.3.tar.gz"], &hex);
    let err = cache
        .fetch(&origin, &FetchPolicy { offline: true })
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, SourceError::Missing { .. }), "{err:?}");
    assert!(
        msg.contains("zlib-1.3.tar.gz") && msg.contains(&hex),
        "{msg}"
    );
    assert!(msg.contains("archi source add zlib-1.3.tar.gz"), "{msg}");
    let help = err.help().unwrap().to_string();
    assert!(help.contains("archi source add zlib-1.3.tar.gz"), "{help}");
    assert!(!msg.contains("tried:"), "offline must not try URLs: {msg}");
}

#[test]
fn fetch_of_missing_file_origin_gives_the_recipe_note() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = SourceCache::open(tmp.path());
    let origin = SourceOrigin::File {
        file_name: "zlib_1.3.dfsg.orig.tar.bz2".to_owned(),
        sha256: sha(b"x"),
        note: Some("apt-get source --download-only zlib".to_owned()),
    };
    let err = cache
        .fetch(&origin, &FetchPolicy { offline: false })
        .unwrap_err();
    let help = err.help().unwrap().to_string();
    assert!(
        help.contains("archi source add zlib_1.3.dfsg.orig.tar.bz2"),
        "{help}"
    );
    assert!(
        help.contains("apt-get source --download-only zlib"),
        "{help}"
    );
    assert!(err.to_string().contains(&sha(b"x")));
}

#[test]
fn fetch_path_origin_is_not_cacheable() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = SourceCache::open(tmp.path());
    let origin = SourceOrigin::Path { path: "src".into() };
    let err = cache.fetch(&origin, &FetchPolicy::default()).unwrap_err();
    assert!(matches!(err, SourceError::NotCacheable { .. }), "{err:?}");
}

#[test]
fn fetch_tries_mirrors_in_order_and_lists_each_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let good = write(tmp.path(), "mirror/good.tar.gz", b"right bytes");
    let cache = SourceCache::open(&tmp.path().join("cache"));
    let missing = url::Url::from_file_path(tmp.path().join("nowhere/x.tar.gz")).unwrap();
    let good_url = url::Url::from_file_path(&good).unwrap();
    let origin = url_origin(&[missing.as_str(), good_url.as_str()], &sha(b"right bytes"));
    let path = cache.fetch(&origin, &FetchPolicy::default()).unwrap();
    assert_eq!(fs_err::read(path).unwrap(), b"right bytes");

    let origin = url_origin(&[missing.as_str()], &sha(b"other"));
    let err = cache.fetch(&origin, &FetchPolicy::default()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&format!("tried:\n  - {missing}: ")), "{msg}");
    assert!(msg.contains("archi source add x.tar.gz"), "{msg}");
}

#[test]
fn download_with_wrong_hash_is_an_error_and_caches_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = write(tmp.path(), "mirror/x.tar.gz", b"tampered");
    let cache = SourceCache::open(&tmp.path().join("cache"));
    let url = url::Url::from_file_path(&bad).unwrap();
    let expected = sha(b"original");
    let err = cache
        .fetch(
            &url_origin(&[url.as_str()], &expected),
            &FetchPolicy::default(),
        )
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, SourceError::HashMismatch { .. }), "{err:?}");
    assert!(
        msg.contains(&expected) && msg.contains(&sha(b"tampered")) && msg.contains(url.as_str()),
        "{msg}"
    );
    assert_eq!(listing(&tmp.path().join("cache")), vec!["sha256"]);

    // The same through the internal verify-then-persist step.
    let dir = cache.ensure_dir().unwrap();
    let mut file = tempfile::NamedTempFile::new_in(&dir).unwrap();
    file.write_all(b"tampered").unwrap();
    let err = cache
        .verify_and_persist(
            file,
            &sha(b"tampered"),
            &expected,
            "x.tar.gz",
            "http://127.0.0.1:9/x.tar.gz",
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("http://127.0.0.1:9/x.tar.gz"),
        "{err}"
    );
    assert_eq!(listing(&tmp.path().join("cache")), vec!["sha256"]);
}

fn check_pkg_tree(dest: &Path) {
    assert_eq!(listing(dest), vec!["README", "bin", "bin/run", "link"]);
    assert_eq!(fs_err::read(dest.join("README")).unwrap(), b"hello\n");
    let mode = fs_err::metadata(dest.join("bin/run"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o111, 0o111, "executable bit lost: {mode:o}");
    let mode = fs_err::metadata(dest.join("README"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o111, 0, "{mode:o}");
    assert_eq!(
        fs_err::read_link(dest.join("link")).unwrap(),
        Path::new("README")
    );
}

#[test]
fn extracts_every_format_by_magic_and_strips_the_top_directory() {
    let tar = pkg_tar();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("plain.tar", tar.clone()),
        ("gz.tar.gz", gz(&tar)),
        ("bz2.tar.bz2", bz2(&tar)),
        ("xz.tar.xz", xz(&tar)),
        ("zst.tar.zst", zst(&tar)),
        ("pkg.zip", zip_bytes()),
        // Named wrongly on purpose: detection is by content.
        ("misnamed.zip", gz(&tar)),
    ];
    for (name, bytes) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let archive = write(tmp.path(), name, &bytes);
        let dest = tmp.path().join("dest");
        extract_archive(&archive, &dest, &ArchiveLimits::default())
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        check_pkg_tree(&dest);
    }
}

#[test]
fn tar_mtimes_are_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = write(tmp.path(), "a.tar", &pkg_tar());
    extract_archive(&archive, &tmp.path().join("d"), &ArchiveLimits::default()).unwrap();
    let mtime = fs_err::metadata(tmp.path().join("d/README"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(
        mtime,
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000)
    );
}

#[test]
fn two_top_level_entries_are_not_stripped() {
    let tmp = tempfile::tempdir().unwrap();
    let bytes = tar_bytes(&[E::File("a/x", "1", 0o644), E::File("b", "2", 0o644)]);
    let archive = write(tmp.path(), "t.tar.gz", &gz(&bytes));
    let dest = tmp.path().join("dest");
    extract_archive(&archive, &dest, &ArchiveLimits::default()).unwrap();
    assert_eq!(listing(&dest), vec!["a", "a/x", "b"]);
}

#[test]
fn non_archives_are_copied_under_their_name() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("dest");
    let plain = write(tmp.path(), "notes.txt", b"just text");
    extract_archive(&plain, &dest, &ArchiveLimits::default()).unwrap();
    let gzipped = write(tmp.path(), "data.gz", &gz(b"compressed, but not a tar"));
    extract_archive(&gzipped, &dest, &ArchiveLimits::default()).unwrap();
    assert_eq!(listing(&dest), vec!["data.gz", "notes.txt"]);
    assert_eq!(fs_err::read(dest.join("notes.txt")).unwrap(), b"just text");
}

/// Extracts `entries` (as a .tar.gz) into `<tmp>/out/dest` and returns the error, checking that nothing was
/// written anywhere in `<tmp>/out` except the empty `dest`.
fn refused(tmp: &Path, entries: &[E<'_>]) -> SourceError {
    let archive = write(tmp, "evil.tar.gz", &gz(&tar_bytes(entries)));
    let out = tmp.join("out");
    let dest = out.join("dest");
    let err = extract_archive(&archive, &dest, &ArchiveLimits::default()).unwrap_err();
    assert_eq!(listing(&out), vec!["dest"], "something was left behind");
    let msg = err.to_string();
    assert!(msg.contains("evil.tar.gz"), "{msg}");
    err
}

fn entry_of(err: &SourceError) -> &str {
    match err {
        SourceError::UnsafeEntry { entry, .. } => entry,
        other => panic!("expected UnsafeEntry, got {other:?}"),
    }
}

#[test]
fn refuses_parent_dir_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let err = refused(tmp.path(), &[E::File("../evil", "x", 0o644)]);
    assert_eq!(entry_of(&err), "../evil");
    assert!(!tmp.path().join("out/evil").exists());
    let err = refused(tmp.path(), &[E::File("pkg/../../evil", "x", 0o644)]);
    assert_eq!(entry_of(&err), "pkg/../../evil");
}

#[test]
fn refuses_absolute_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("abs-evil");
    let name = outside.to_str().unwrap().to_owned();
    let err = refused(tmp.path(), &[E::File(&name, "x", 0o644)]);
    assert_eq!(entry_of(&err), name);
    assert!(!outside.exists());
}

#[test]
fn refuses_unsafe_zip_entries() {
    use zip::write::SimpleFileOptions;
    for (name, link) in [("../evil", None), ("pkg/link", Some("../../etc"))] {
        let tmp = tempfile::tempdir().unwrap();
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        match link {
            Some(target) => w
                .add_symlink(name, target, SimpleFileOptions::default())
                .unwrap(),
            None => {
                w.start_file(name, SimpleFileOptions::default()).unwrap();
                w.write_all(b"x").unwrap();
            }
        }
        let archive = write(tmp.path(), "evil.zip", &w.finish().unwrap().into_inner());
        let out = tmp.path().join("out");
        let err =
            extract_archive(&archive, &out.join("dest"), &ArchiveLimits::default()).unwrap_err();
        assert_eq!(entry_of(&err), name);
        assert!(err.to_string().contains("evil.zip"), "{err}");
        assert_eq!(listing(&out), vec!["dest"]);
    }
}

#[test]
fn refuses_symlink_pointing_outside() {
    let tmp = tempfile::tempdir().unwrap();
    let err = refused(
        tmp.path(),
        &[E::Dir("pkg/"), E::Symlink("pkg/link", "../../etc")],
    );
    assert_eq!(entry_of(&err), "pkg/link");
    assert!(err.to_string().contains("../../etc"));
}

#[test]
fn refuses_absolute_symlink_and_writing_through_it() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("victim");
    fs_err::create_dir(&target).unwrap();
    let link_target = target.to_str().unwrap().to_owned();
    let err = refused(
        tmp.path(),
        &[
            E::Symlink("a", &link_target),
            E::File("a/x", "owned", 0o644),
        ],
    );
    assert_eq!(entry_of(&err), "a");
    assert!(!target.join("x").exists());
}

#[test]
fn refuses_symlink_chains_that_leave_dest() {
    let tmp = tempfile::tempdir().unwrap();
    // d/l -> .. stays inside; y -> d/l/.. follows it and leaves.
    let err = refused(
        tmp.path(),
        &[
            E::Dir("d/"),
            E::Symlink("d/l", ".."),
            E::Symlink("y", "d/l/.."),
        ],
    );
    assert_eq!(entry_of(&err), "y");
    // A file written through a link that leaves (one level up from the archive root through d/l).
    let err = refused(
        tmp.path(),
        &[
            E::Dir("d/"),
            E::Symlink("d/l", ".."),
            E::File("d/l/../x", "x", 0o644),
        ],
    );
    assert_eq!(entry_of(&err), "d/l/../x");
}

#[test]
fn refuses_links_that_escape_only_after_a_later_entry() {
    let tmp = tempfile::tempdir().unwrap();
    // When `y` is written, `d/l` does not exist yet and `d/l/..` is `d`; once `d/l -> ..` exists, `y` leaves.
    let entries = [
        E::Dir("d/"),
        E::Symlink("y", "d/l/.."),
        E::Dir("e/"),
        E::Symlink("d/l", ".."),
    ];
    let err = refused(tmp.path(), &entries);
    assert_eq!(entry_of(&err), "y");
    let mut with_file = entries.to_vec();
    with_file.push(E::File("y/evil", "x", 0o644));
    let err = refused(tmp.path(), &with_file);
    assert_eq!(entry_of(&err), "y/evil");
    assert!(!tmp.path().join("evil").exists());
}

#[test]
fn refuses_hard_link_to_outside() {
    let tmp = tempfile::tempdir().unwrap();
    let err = refused(
        tmp.path(),
        &[
            E::File("pkg/a", "x", 0o644),
            E::HardLink("pkg/h", "../etc/passwd"),
        ],
    );
    assert_eq!(entry_of(&err), "pkg/h");
    let err = refused(tmp.path(), &[E::HardLink("h", "/etc/passwd")]);
    assert_eq!(entry_of(&err), "h");
}

#[test]
fn refuses_link_that_escapes_once_the_top_directory_is_stripped() {
    let tmp = tempfile::tempdir().unwrap();
    let err = refused(tmp.path(), &[E::Dir("top/"), E::Symlink("top/x", "../y")]);
    assert_eq!(entry_of(&err), "top/x");
}

#[test]
fn allows_links_inside_and_writes_through_them_inside() {
    let tmp = tempfile::tempdir().unwrap();
    let bytes = tar_bytes(&[
        E::Dir("p/sub/"),
        E::File("p/sub/f", "data", 0o644),
        E::Symlink("p/s", "sub"),
        E::File("p/s/g", "via link", 0o644),
        E::HardLink("p/h", "p/sub/f"),
    ]);
    let archive = write(tmp.path(), "ok.tar", &bytes);
    let dest = tmp.path().join("dest");
    extract_archive(&archive, &dest, &ArchiveLimits::default()).unwrap();
    assert_eq!(listing(&dest), vec!["h", "s", "sub", "sub/f", "sub/g"]);
    assert_eq!(fs_err::read(dest.join("sub/g")).unwrap(), b"via link");
    assert_eq!(fs_err::read(dest.join("h")).unwrap(), b"data");
}

const PATCH: &str = "\
From: someone
Subject: fix things

diff -ru a/src/main.c b/src/main.c
--- a/src/main.c\t2024-01-01 00:00:00
+++ b/src/main.c\t2024-01-01 00:00:00
@@ -1,3 +1,3 @@
 int main(void) {
--- comment that starts with dashes
+    return 0;
 }
--- /dev/null
+++ b/NEWS
@@ -0,0 +1 @@
+new file
-- 
2.43.0
";

fn patch_tree(tmp: &Path) -> PathBuf {
    let dir = tmp.join("src");
    write(
        &dir,
        "src/main.c",
        b"int main(void) {\n-- comment that starts with dashes\n}\n",
    );
    let patch = write(tmp, "fix.patch", PATCH.as_bytes());
    fs_err::set_permissions(
        dir.join("src/main.c"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    patch
}

#[test]
fn applies_multi_file_patch_with_strip_one() {
    let tmp = tempfile::tempdir().unwrap();
    let patch = patch_tree(tmp.path());
    let dir = tmp.path().join("src");
    apply_patch(&patch, &dir).unwrap();
    assert_eq!(
        fs_err::read_to_string(dir.join("src/main.c")).unwrap(),
        "int main(void) {\n    return 0;\n}\n"
    );
    assert_eq!(
        fs_err::read_to_string(dir.join("NEWS")).unwrap(),
        "new file\n"
    );
    let mode = fs_err::metadata(dir.join("src/main.c"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o755);
}

#[test]
fn failing_patch_names_file_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let patch = patch_tree(tmp.path());
    let dir = tmp.path().join("src");
    fs_err::write(dir.join("src/main.c"), "something else\n").unwrap();
    let err = apply_patch(&patch, &dir).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("fix.patch") && msg.contains("src/main.c"),
        "{msg}"
    );
    assert!(!dir.join("NEWS").exists());
}

#[test]
fn patch_paths_with_parent_dirs_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("src");
    fs_err::create_dir(&dir).unwrap();
    let patch = write(
        tmp.path(),
        "evil.patch",
        b"--- /dev/null\n+++ b/../evil\n@@ -0,0 +1 @@\n+x\n",
    );
    let err = apply_patch(&patch, &dir).unwrap_err();
    assert!(err.to_string().contains(".."), "{err}");
    assert!(!tmp.path().join("evil").exists());
}

#[test]
fn prepare_fetches_extracts_patches_and_reports_hashes() {
    let tmp = tempfile::tempdir().unwrap();
    let recipe = tmp.path().join("recipe");
    let tarball = tar_bytes(&[E::File(
        "zlib-1.3/src/main.c",
        "int main(void) {\n-- comment that starts with dashes\n}\n",
        0o644,
    )]);
    let tarball = write(tmp.path(), "zlib-1.3.tar.gz", &gz(&tarball));
    let cache = SourceCache::open(&tmp.path().join("cache"));
    let hex = cache.add(&tarball).unwrap();
    write(&recipe, "fix.patch", PATCH.as_bytes());
    write(&recipe, "extra/data.txt", b"data");
    let specs = vec![
        SourceSpec {
            origin: url_origin(&["http://127.0.0.1:9/zlib-1.3.tar.gz"], &hex),
            patches: vec!["fix.patch".into()],
            target_directory: Some("zlib".into()),
            limits: LimitOverrides::default(),
        },
        SourceSpec {
            origin: SourceOrigin::Path {
                path: "extra".into(),
            },
            patches: vec![],
            target_directory: None,
            limits: LimitOverrides::default(),
        },
    ];
    let work = tmp.path().join("work");
    let hashes = prepare(
        &specs,
        &cache,
        &recipe,
        &work,
        &FetchPolicy { offline: true },
    )
    .unwrap();
    assert_eq!(hashes.len(), 3);
    assert_eq!(hashes[0], hex);
    assert_eq!(hashes[1], sha(PATCH.as_bytes()));
    assert_eq!(hashes, source_hashes(&specs, &recipe).unwrap());
    assert_eq!(
        listing(&work),
        vec![
            "data.txt",
            "zlib",
            "zlib/NEWS",
            "zlib/src",
            "zlib/src/main.c"
        ]
    );
    assert!(fs_err::read_to_string(work.join("zlib/src/main.c"))
        .unwrap()
        .contains("return 0;"));

    let bad = SourceSpec {
        origin: SourceOrigin::Path {
            path: "extra".into(),
        },
        patches: vec![],
        target_directory: Some("../out".into()),
        limits: LimitOverrides::default(),
    };
    let err = prepare(&[bad], &cache, &recipe, &work, &FetchPolicy::default()).unwrap_err();
    assert!(
        matches!(err, SourceError::UnsafeRecipePath { .. }),
        "{err:?}"
    );
}

#[test]
fn source_spec_round_trips_through_json() {
    let spec = SourceSpec {
        origin: url_origin(&["http://127.0.0.1:9/a.tar.gz"], &sha(b"a")),
        patches: vec!["p.patch".into()],
        target_directory: None,
        limits: LimitOverrides::default(),
    };
    let json = serde_json::to_string(&spec).unwrap();
    assert_eq!(serde_json::from_str::<SourceSpec>(&json).unwrap(), spec);
}

#[test]
fn an_archive_is_unpacked_once_and_copied_with_its_mtimes() {
    let tmp = tempfile::tempdir().unwrap();
    let tarball = tar_bytes(&[E::File("pkg-1.0/configure", "#!/bin/sh\n", 0o755)]);
    let tarball = write(tmp.path(), "pkg-1.0.tar.gz", &gz(&tarball));
    let cache = SourceCache::open(&tmp.path().join("cache"));
    let hex = cache.add(&tarball).unwrap();
    let specs = vec![SourceSpec {
        origin: url_origin(&["http://127.0.0.1:9/pkg-1.0.tar.gz"], &hex),
        patches: vec![],
        target_directory: None,
        limits: LimitOverrides::default(),
    }];
    let policy = FetchPolicy { offline: true };
    let first = tmp.path().join("work1");
    prepare(&specs, &cache, tmp.path(), &first, &policy).unwrap();
    let unpacked = tmp
        .path()
        .join("cache/unpacked")
        .join(&hex)
        .join("configure");
    let mtime = |p: &Path| fs_err::metadata(p).unwrap().modified().unwrap();
    assert_eq!(mtime(&first.join("configure")), mtime(&unpacked));
    // The archive itself is no longer needed: the second build copies the unpacked tree.
    fs_err::remove_file(cache.get(&hex).unwrap()).unwrap();
    fs_err::write(first.join("configure"), "changed by a build script").unwrap();
    let second = tmp.path().join("work2");
    prepare(&specs, &cache, tmp.path(), &second, &policy).unwrap();
    assert_eq!(
        fs_err::read_to_string(second.join("configure")).unwrap(),
        "#!/bin/sh\n"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = fs_err::metadata(second.join("configure"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o111, 0o111, "executable bit lost");
}
