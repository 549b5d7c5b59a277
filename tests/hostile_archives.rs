//! Hostile source archives through the real binary: `archi build --offline` on a recipe whose `file://` source is
//! a decompression bomb (bz2, gzip, zip), a GNU sparse file, or holds duplicate entries (tar, zip), or is bigger
//! than the recipe's own cap. Each must exit 1 with a message naming the source's file name and URL (snapshot,
//! temp paths normalised), leave nothing in the store, the channel or the unpacked-source cache, leave a canary
//! directory next to the workspace untouched, and remove the staging directory of an interrupted earlier unpack.

mod common;

use std::io::Write;
use std::path::PathBuf;

use common::{files_under, run, store_entries};

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

/// A tar of one file of `mib` MiB of zeros (less the end blocks) as concatenated compressed streams: the header,
/// then one compressed MiB of zeros repeated. `zero_bomb(bz2, 1024)` is a 1 GiB bomb of a few KB.
fn zero_bomb(compress: fn(&[u8]) -> Vec<u8>, mib: usize) -> Vec<u8> {
    let mut header = tar::Header::new_ustar();
    header.set_path("bomb-1.0/zeros").unwrap();
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

/// A tar with the (raw name, content) files given, in order.
fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        builder.append(&h, *data).unwrap();
    }
    builder.into_inner().unwrap()
}

fn zip_bomb(mib: usize) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    w.start_file("bomb-1.0/zeros", opts).unwrap();
    let chunk = vec![0u8; MIB];
    for _ in 0..mib {
        w.write_all(&chunk).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A zip with `bomb-1.0/one` twice: written as `one` and `two`, then the second renamed in the raw bytes (local
/// and central headers), since zip writers refuse a name twice.
fn zip_duplicate() -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in [("bomb-1.0/one", "good"), ("bomb-1.0/two", "evil")] {
        w.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data.as_bytes()).unwrap();
    }
    let mut bytes = w.finish().unwrap().into_inner();
    let (from, to) = (b"bomb-1.0/two", b"bomb-1.0/one");
    for i in 0..bytes.len() - from.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
        }
    }
    bytes
}

fn gnu_sparse() -> Vec<u8> {
    let mut header = tar::Header::new_gnu();
    header.set_path("bomb-1.0/disk.img").unwrap();
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
    builder.into_inner().unwrap()
}

/// A temp dir holding a workspace `ws/` (archi.toml, the repository's pins.toml, one recipe) and a canary
/// directory `canary/` next to it.
struct Setup {
    root: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        // Always `/tmp/.tmpXXXXXX`: the report wraps at 80 columns, so the path must have the same length on every
        // machine for the snapshot to wrap the same way.
        let root = tempfile::tempdir_in("/tmp").unwrap();
        let ws = root.path().join("ws");
        fs_err::create_dir_all(&ws).unwrap();
        fs_err::write(ws.join("archi.toml"), "[workspace]\noutput = \"channel\"\n").unwrap();
        fs_err::copy(common::repo().join("pins.toml"), ws.join("pins.toml")).unwrap();
        let canary = root.path().join("canary");
        fs_err::create_dir_all(canary.join("sub")).unwrap();
        fs_err::write(canary.join("keep.txt"), "canary\n").unwrap();
        fs_err::write(canary.join("sub/deep.txt"), "deep\n").unwrap();
        Setup { root }
    }

    fn ws(&self) -> PathBuf {
        self.root.path().join("ws")
    }

    fn store(&self) -> PathBuf {
        self.ws().join("store")
    }

    fn canary(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let dir = self.root.path().join("canary");
        walkdir::WalkDir::new(&dir)
            .sort_by_file_name()
            .into_iter()
            .map(|e| e.unwrap())
            .map(|e| {
                let data = if e.file_type().is_file() {
                    fs_err::read(e.path()).unwrap()
                } else {
                    Vec::new()
                };
                (e.path().strip_prefix(&dir).unwrap().to_path_buf(), data)
            })
            .collect()
    }

    /// Writes `archive` as `ws/<file_name>`, adds it to the source cache, writes a recipe with its file:// URL (plus `extra` lines in the
    /// `[[source]]`), plants a stale staging directory in the source cache, builds offline, and checks that the
    /// canary is untouched and the stale directory gone. Returns the exit code and stderr.
    fn build(&self, file_name: &str, archive: &[u8], extra: &str) -> (Option<i32>, String) {
        let path = self.ws().join(file_name);
        fs_err::write(&path, archive).unwrap();
        let sha = archi::source::sha256_file(&path).unwrap();
        let recipe = self.ws().join("recipes/bomb");
        fs_err::create_dir_all(&recipe).unwrap();
        fs_err::write(
            recipe.join("recipe.toml"),
            format!(
                "[package]\nname = \"bomb\"\nversion = \"1.0\"\n\n[[source]]\nurl = \"file://{}\"\nsha256 = \"{sha}\"\n\
                 {extra}\n[build]\nscript = \"mkdir -p $PREFIX/share && cp -r . $PREFIX/share/bomb\"\n",
                path.display()
            ),
        )
        .unwrap();
        // Offline, the file:// URL is not read: the archive enters the cache as `archi source add` puts it.
        common::ok(
            common::archi(&self.store())
                .args(["source", "add"])
                .arg(&path),
        );
        let stale = self.store().join("sources/unpacked/.unpacking-killed");
        fs_err::create_dir_all(stale.join("tree/bomb-1.0")).unwrap();
        fs_err::write(stale.join("lock"), "").unwrap();
        fs_err::write(stale.join("tree/bomb-1.0/zeros"), vec![0u8; 4096]).unwrap();

        let before = self.canary();
        let out = run(common::archi(&self.store())
            .current_dir(self.ws())
            .args(["build", "--offline"])
            .arg(&recipe));
        assert_eq!(self.canary(), before, "the canary changed");
        assert!(!stale.exists(), "the interrupted unpack was not removed");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), stderr)
    }

    /// The entries of the unpacked-source cache.
    fn unpacked(&self) -> Vec<String> {
        let mut names: Vec<_> = fs_err::read_dir(self.store().join("sources/unpacked"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// The report of the failed build (the block after `failed  bomb 1.0 linux-64:`, before the log excerpt), with
/// the temp dir's random part as `XXXXXX` (wrapped or not).
fn report(stderr: &str) -> String {
    let start = stderr
        .find("failed  bomb 1.0 linux-64:\n")
        .expect("a failure report");
    let block = &stderr[start..];
    let block = &block[..block.find("\nlog: ").unwrap_or(block.len())];
    let mut out = String::new();
    let mut rest = block;
    while let Some(i) = rest.find(".tmp") {
        out.push_str(&rest[..i + 4]);
        rest = &rest[i + 4..];
        if rest.len() >= 6 && rest[..6].bytes().all(|b| b.is_ascii_alphanumeric()) {
            out.push_str("XXXXXX");
            rest = &rest[6..];
        }
    }
    out.push_str(rest);
    out
}

/// Runs one case and snapshots its report under `name`.
fn case(name: &str, file_name: &str, archive: &[u8], extra: &str) {
    let setup = Setup::new();
    let (code, stderr) = setup.build(file_name, archive, extra);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(store_entries(&setup.store()).is_empty());
    assert!(files_under(&setup.ws().join("channel")).is_empty());
    // Nothing unpacked was kept.
    assert_eq!(setup.unpacked(), vec![".lock"]);
    // The log line is not wrapped: it must name the file and its URL, never the cache path.
    let url = format!("file://{}/ws/{file_name}", setup.root.path().display());
    assert!(
        stderr.contains(&format!("`{file_name}` ({url})")),
        "the source's file name and URL are not named:\n{stderr}"
    );
    assert!(!stderr.contains("sources/sha256"), "{stderr}");
    insta::assert_snapshot!(name, report(&stderr));
}

#[test]
fn a_1_gib_bz2_bomb_is_refused_at_the_ratio_cap() {
    let bomb = zero_bomb(bz2, 1024);
    case("bz2_bomb", "bomb-1.0.tar.bz2", &bomb, "");
}

#[test]
fn a_gzip_bomb_is_refused_at_the_ratio_cap() {
    case("gzip_bomb", "bomb-1.0.tar.gz", &zero_bomb(gz, 24), "");
}

#[test]
fn a_zip_bomb_is_refused_at_the_ratio_cap() {
    case("zip_bomb", "bomb-1.0.zip", &zip_bomb(24), "");
}

#[test]
fn a_source_over_its_recipe_size_cap_is_refused() {
    let big = tar_of(&[("bomb-1.0/data", &vec![7u8; 3 * MIB])]);
    case(
        "recipe_size_cap",
        "bomb-1.0.tar",
        &big,
        "max_unpacked_size = \"2 MiB\"\n",
    );
}

#[test]
fn a_gnu_sparse_entry_is_refused() {
    case("gnu_sparse", "bomb-1.0.tar", &gnu_sparse(), "");
}

#[test]
fn duplicate_tar_entries_are_refused() {
    let tar = tar_of(&[("bomb-1.0/one", b"good"), ("bomb-1.0/./one", b"evil")]);
    case("duplicate_tar", "bomb-1.0.tar.gz", &gz(&tar), "");
}

#[test]
fn duplicate_zip_entries_are_refused() {
    case("duplicate_zip", "bomb-1.0.zip", &zip_duplicate(), "");
}

#[test]
fn a_raised_ratio_cap_lets_a_compressible_source_build() {
    // 24 MiB of zeros in a gzip of a few KB passes the 16 MiB floor: refused by default (above), built with the
    // recipe's raised ratio.
    let setup = Setup::new();
    let (code, stderr) = setup.build(
        "bomb-1.0.tar.gz",
        &zero_bomb(gz, 24),
        "max_expansion_ratio = 100000\n",
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(store_entries(&setup.store()).len(), 1);
    assert_eq!(setup.unpacked().len(), 2, "{:?}", setup.unpacked());
}
