//! `cargo_vendor` sources: the crates a Rust project's `Cargo.lock` names, fetched once through cargo's own client
//! (`cargo vendor`) and kept in the source cache as a canonical tar, named by its sha256 as Nix names a Rust
//! package's vendored dependencies by `cargoHash`.
//!
//! - [`vendor`] (`archi source vendor`, the only step that uses the network) puts the recipe's earlier sources in
//!   a temporary directory, runs `cargo vendor --locked --versioned-dirs` on the manifest, writes the tree as a
//!   canonical tar ([`write_canonical_tar`]) and files it in the cache.
//! - A build unpacks it like any cached archive (with the hostile-archive checks) into `SRC_DIR/<target_directory>`
//!   and [`write_cargo_config`] points cargo's source replacement at it, so `cargo build --offline` finds every
//!   crate there (cargo checks each file against the `.cargo-checksum.json` that `cargo vendor` wrote).

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use rattler_digest::{HashingWriter, Sha256};

use super::{
    io_err, prepare, safe_relative, FetchPolicy, SourceCache, SourceError, SourceOrigin, SourceSpec,
};

/// The single top-level directory of a canonical tar (stripped again when it is unpacked).
pub const TAR_ROOT: &str = "vendor";

/// Where a `cargo_vendor` source lands in `SRC_DIR` when the recipe gives no `target_directory`.
pub const DEFAULT_VENDOR_DIR: &str = "vendor";

/// The name cargo's source replacement gives the vendored directory (as `cargo vendor` prints it).
const VENDORED_SOURCE: &str = "vendored-sources";

/// Writes `tree` as a canonical tar to `out` and returns its sha256 (lowercase hex): one top-level directory
/// [`TAR_ROOT`] then every entry under `tree` in sorted path order (walkdir's file-name order, depth first), GNU
/// headers with mtime 0, uid/gid 0, no user or group names, modes 0755 for directories and for files with any
/// executable bit, 0644 for other files, 0777 for symlinks (their target as is). So the same tree gives the same
/// bytes whatever its mtimes, owners, umask or directory order; a change of any content, name, link or executable
/// bit changes the hash.
///
/// Errors: [`SourceError::Io`] naming the entry that cannot be read, or that is neither a file, a directory nor a
/// symlink (a fifo, a socket or a device has no place in a source tree).
pub fn write_canonical_tar(tree: &Path, out: impl Write) -> Result<String, SourceError> {
    let mut builder = tar::Builder::new(HashingWriter::<_, Sha256>::new(out));
    let tar_err = |path: &Path| io_err("write the tar entry for", path);
    let mut dir_header = header(tar::EntryType::Directory, 0o755, 0);
    builder
        .append_data(&mut dir_header, format!("{TAR_ROOT}/"), std::io::empty())
        .map_err(tar_err(tree))?;
    for entry in walkdir::WalkDir::new(tree)
        .min_depth(1)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| SourceError::Io {
            action: "walk",
            path: e.path().unwrap_or(tree).to_path_buf(),
            source: e.into(),
        })?;
        let path = entry.path();
        let rel = path.strip_prefix(tree).unwrap_or(path);
        let name = Path::new(TAR_ROOT).join(rel);
        let ft = entry.file_type();
        if ft.is_dir() {
            let mut h = header(tar::EntryType::Directory, 0o755, 0);
            builder
                .append_data(&mut h, &name, std::io::empty())
                .map_err(tar_err(path))?;
        } else if ft.is_symlink() {
            let target = fs_err::read_link(path).map_err(io_err("read the link", path))?;
            let mut h = header(tar::EntryType::Symlink, 0o777, 0);
            builder
                .append_link(&mut h, &name, &target)
                .map_err(tar_err(path))?;
        } else if ft.is_file() {
            let meta = fs_err::metadata(path).map_err(io_err("read", path))?;
            let mode = if meta.permissions().mode() & 0o111 != 0 {
                0o755
            } else {
                0o644
            };
            let file = fs_err::File::open(path).map_err(io_err("open", path))?;
            let mut h = header(tar::EntryType::Regular, mode, meta.len());
            builder
                .append_data(&mut h, &name, file)
                .map_err(tar_err(path))?;
        } else {
            return Err(SourceError::Io {
                action: "put into the vendored tree",
                path: path.to_path_buf(),
                source: std::io::Error::other("neither a file, a directory nor a symlink"),
            });
        }
    }
    let writer = builder.into_inner().map_err(tar_err(tree))?;
    let (mut out, hash) = writer.finalize();
    out.flush().map_err(io_err("write the tar of", tree))?;
    Ok(crate::digest::hex(&hash))
}

/// A GNU header with everything but the type, mode and size fixed (mtime 0, uid/gid 0, no names).
fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_mtime(0);
    h.set_uid(0);
    h.set_gid(0);
    h
}

/// Where the `cargo_vendor` sources of `specs` land in `src_dir` (their `target_directory`, default
/// [`DEFAULT_VENDOR_DIR`]); `None` when there are none.
///
/// Errors: [`SourceError::CargoVendor`] when two of them name different directories (cargo replaces the registry
/// by one directory; vendored trees made with `--versioned-dirs` can share it).
pub fn vendor_dir(specs: &[SourceSpec], src_dir: &Path) -> Result<Option<PathBuf>, SourceError> {
    let mut found: Option<(PathBuf, PathBuf)> = None;
    for spec in specs {
        let SourceOrigin::CargoVendor { manifest, .. } = &spec.origin else {
            continue;
        };
        let rel = spec
            .target_directory
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_VENDOR_DIR));
        let rel = safe_relative("target_directory", &rel)?;
        match &found {
            Some((dir, _)) if *dir != rel => {
                return Err(SourceError::CargoVendor {
                    manifest: manifest.clone(),
                    reason: format!(
                        "its target_directory `{}` differs from an earlier cargo_vendor source's `{}`; give \
                         them the same one",
                        rel.display(),
                        dir.display()
                    ),
                })
            }
            Some(_) => {}
            None => found = Some((rel, manifest.clone())),
        }
    }
    Ok(found.map(|(rel, _)| src_dir.join(rel)))
}

/// Writes `<cargo_home>/config.toml` replacing cargo's registry by the vendored crates of `specs` in `src_dir`
/// (`SRC_DIR` as the build script sees it: `build::BUILD_VIEW/src` in the sandbox; only written, never read)
/// (cargo's source replacement: `[source.crates-io] replace-with = "vendored-sources"`,
/// `[source.vendored-sources] directory = "<SRC_DIR>/vendor"`), with `[net] offline = true`. Does nothing and
/// returns `false` when `specs` has no `cargo_vendor` source.
///
/// Errors: as [`vendor_dir`]; [`SourceError::Io`] when the file cannot be written.
pub fn write_cargo_config(
    specs: &[SourceSpec],
    src_dir: &Path,
    cargo_home: &Path,
) -> Result<bool, SourceError> {
    let Some(dir) = vendor_dir(specs, src_dir)? else {
        return Ok(false);
    };
    let mut text = String::from(
        "# Written by archi: every crate comes from the vendored sources; nothing is fetched.\n\
         [net]\noffline = true\n\n[source.crates-io]\n",
    );
    text.push_str(&format!("replace-with = \"{VENDORED_SOURCE}\"\n\n"));
    text.push_str(&format!("[source.{VENDORED_SOURCE}]\n"));
    let directory = toml::Value::String(dir.display().to_string());
    text.push_str(&format!("directory = {directory}\n"));
    fs_err::create_dir_all(cargo_home).map_err(io_err("create", cargo_home))?;
    let file = cargo_home.join("config.toml");
    fs_err::write(&file, text).map_err(io_err("write", &file))?;
    Ok(true)
}

/// What [`vendor`] made for one `cargo_vendor` source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vendored {
    /// The manifest, relative to `SRC_DIR`.
    pub manifest: PathBuf,
    /// The sha256 of the canonical tar, now in the cache.
    pub sha256: String,
}

/// Fetches the crates of the `cargo_vendor` source `specs[index]` with `cargo` (cargo's own client, with the
/// user's environment and network) and files their canonical tar in `cache`: the sources before it are prepared
/// (fetched per `policy`) in a temporary directory, then `cargo vendor --locked --versioned-dirs --manifest-path
/// <manifest> <dir>` runs in the manifest's directory. The tar is filed even when its sha256 differs from the
/// recipe's, so that fixing the recipe is all that is left.
///
/// Errors: [`SourceError::CargoVendor`] when the manifest is missing, cargo fails (its last lines of stderr), or
/// the lock file has git dependencies (not supported yet); [`SourceError::VendorHashMismatch`] when the tree's
/// sha256 is not the recipe's; errors of [`prepare`] for the earlier sources.
pub fn vendor(
    specs: &[SourceSpec],
    index: usize,
    cache: &SourceCache,
    recipe_dir: &Path,
    cargo: &Path,
    policy: &FetchPolicy,
) -> Result<Vendored, SourceError> {
    let SourceOrigin::CargoVendor { manifest, sha256 } = &specs[index].origin else {
        return Err(SourceError::CargoVendor {
            manifest: PathBuf::new(),
            reason: format!("source {index} is not a cargo_vendor source"),
        });
    };
    let fail = |reason: String| SourceError::CargoVendor {
        manifest: manifest.clone(),
        reason,
    };
    let tmp = tempfile::Builder::new()
        .prefix("archi-vendor-")
        .tempdir()
        .map_err(io_err("create a temp directory in", &std::env::temp_dir()))?;
    let src = tmp.path().join("src");
    fs_err::create_dir_all(&src).map_err(io_err("create", &src))?;
    prepare(&specs[..index], cache, recipe_dir, &src, policy)?;
    let manifest_path = src.join(safe_relative("cargo_vendor", manifest)?);
    if !manifest_path.is_file() {
        return Err(fail(
            "there is no such file in SRC_DIR once the earlier sources are unpacked".into(),
        ));
    }
    let out = tmp.path().join("vendor");
    let output = Command::new(cargo)
        .args(["vendor", "--locked", "--versioned-dirs", "--manifest-path"])
        .arg(&manifest_path)
        .arg(&out)
        .current_dir(manifest_path.parent().unwrap_or(&src))
        .env_remove("CARGO_NET_OFFLINE")
        .output()
        .map_err(|e| fail(format!("cannot run {}: {e}", cargo.display())))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n");
        return Err(fail(format!("{}:\n{tail}", output.status)));
    }
    // cargo prints the configuration to use; a git dependency needs a replacement of its own there.
    let printed = String::from_utf8_lossy(&output.stdout);
    if printed
        .lines()
        .any(|l| l.trim_start().starts_with("git = "))
    {
        return Err(fail(
            "Cargo.lock has git dependencies, which cargo_vendor sources do not support yet".into(),
        ));
    }
    if !out.is_dir() {
        fs_err::create_dir_all(&out).map_err(io_err("create", &out))?;
    }
    let tar_path = tmp.path().join("vendor.tar");
    let file = fs_err::File::create(&tar_path).map_err(io_err("create", &tar_path))?;
    write_canonical_tar(&out, std::io::BufWriter::new(file))?;
    let actual = cache.add(&tar_path)?;
    if !actual.eq_ignore_ascii_case(sha256) {
        return Err(SourceError::VendorHashMismatch {
            manifest: manifest.clone(),
            expected: sha256.clone(),
            actual,
        });
    }
    Ok(Vendored {
        manifest: manifest.clone(),
        sha256: actual,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A small crate-like tree, written in the order `order` gives, with every file's mtime set to `mtime`.
    fn tree(root: &Path, reversed: bool, mtime: u64) {
        let long = format!("{}/deep.rs", "d".repeat(120));
        let mut files = vec![
            ("itoa-1.0.19/Cargo.toml", "[package]\n", false),
            ("itoa-1.0.19/src/lib.rs", "pub fn f() {}\n", false),
            ("itoa-1.0.19/build.sh", "#!/bin/sh\n", true),
            ("zz-0.1.0/.cargo-checksum.json", "{}", false),
            (long.as_str(), "// long path\n", false),
        ];
        if reversed {
            files.reverse();
        }
        for (rel, text, exe) in files {
            let path = root.join(rel);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(&path, text).unwrap();
            let mode = if exe { 0o750 } else { 0o600 };
            fs_err::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime);
            fs_err::File::open(&path)
                .unwrap()
                .file()
                .set_modified(when)
                .unwrap();
        }
        symlink("src/lib.rs", root.join("itoa-1.0.19/lib-link.rs")).unwrap();
    }

    fn hash(root: &Path) -> (String, Vec<u8>) {
        let mut bytes = Vec::new();
        let sha = write_canonical_tar(root, &mut bytes).unwrap();
        (sha, bytes)
    }

    #[test]
    fn the_same_tree_gives_the_same_tar_whatever_its_mtimes_modes_and_creation_order() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        tree(a.path(), false, 1_000);
        tree(b.path(), true, 2_000_000_000);
        let (sha_a, bytes_a) = hash(a.path());
        let (sha_b, bytes_b) = hash(b.path());
        assert_eq!(sha_a, sha_b);
        assert_eq!(bytes_a, bytes_b);
        let mut check = HashingWriter::<_, Sha256>::new(std::io::sink());
        check.write_all(&bytes_a).unwrap();
        assert_eq!(crate::digest::hex(&check.finalize().1), sha_a);

        // Content, an executable bit, a name or a link target each change it.
        let lib = b.path().join("itoa-1.0.19/src/lib.rs");
        fs_err::write(&lib, "pub fn g() {}\n").unwrap();
        let (changed, _) = hash(b.path());
        assert_ne!(changed, sha_a);
        fs_err::write(&lib, "pub fn f() {}\n").unwrap();
        assert_eq!(hash(b.path()).0, sha_a);
        fs_err::set_permissions(&lib, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert_ne!(hash(b.path()).0, sha_a);
        fs_err::set_permissions(&lib, std::fs::Permissions::from_mode(0o644)).unwrap();
        let link = b.path().join("itoa-1.0.19/lib-link.rs");
        fs_err::remove_file(&link).unwrap();
        symlink("src/other.rs", &link).unwrap();
        assert_ne!(hash(b.path()).0, sha_a);
    }

    #[test]
    fn the_tar_unpacks_through_the_checked_extraction_to_the_same_tree() {
        let src = tempfile::tempdir().unwrap();
        tree(src.path(), false, 5);
        let work = tempfile::tempdir().unwrap();
        let tar = work.path().join("vendor.tar");
        let sha = write_canonical_tar(src.path(), fs_err::File::create(&tar).unwrap()).unwrap();
        let out = work.path().join("out");
        super::super::extract_archive(&tar, &out, &super::super::ArchiveLimits::default()).unwrap();
        // The single top-level `vendor/` is stripped: the crates land directly in the destination.
        assert!(out.join("itoa-1.0.19/src/lib.rs").is_file());
        assert_eq!(
            fs_err::read_link(out.join("itoa-1.0.19/lib-link.rs")).unwrap(),
            Path::new("src/lib.rs")
        );
        let exe = fs_err::metadata(out.join("itoa-1.0.19/build.sh")).unwrap();
        assert_eq!(exe.permissions().mode() & 0o777, 0o755);
        assert_eq!(
            hash(&out).0,
            sha,
            "unpacking and packing again is the identity"
        );
    }

    fn vendor_spec(target_directory: Option<&str>) -> SourceSpec {
        SourceSpec {
            origin: SourceOrigin::CargoVendor {
                manifest: "Cargo.toml".into(),
                sha256: "ab".repeat(32),
            },
            patches: Vec::new(),
            target_directory: target_directory.map(PathBuf::from),
            limits: Default::default(),
        }
    }

    #[test]
    fn cargo_config_replaces_the_registry_by_the_vendored_directory() {
        let home = tempfile::tempdir().unwrap();
        let cargo_home = home.path().join(".cargo");
        let src = Path::new("/work/src \"quoted\"");
        assert!(!write_cargo_config(&[], src, &cargo_home).unwrap());
        assert!(!cargo_home.exists());
        let specs = [vendor_spec(Some("third_party/vendor"))];
        assert!(write_cargo_config(&specs, src, &cargo_home).unwrap());
        let text = fs_err::read_to_string(cargo_home.join("config.toml")).unwrap();
        let config: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(config["net"]["offline"].as_bool(), Some(true));
        assert_eq!(
            config["source"]["crates-io"]["replace-with"].as_str(),
            Some(VENDORED_SOURCE)
        );
        assert_eq!(
            config["source"][VENDORED_SOURCE]["directory"].as_str(),
            Some("/work/src \"quoted\"/third_party/vendor")
        );
    }

    #[test]
    fn two_vendored_trees_must_share_their_directory() {
        let src = Path::new("/s");
        let same = [vendor_spec(None), vendor_spec(Some("vendor"))];
        assert_eq!(vendor_dir(&same, src).unwrap(), Some(src.join("vendor")));
        let apart = [vendor_spec(Some("a")), vendor_spec(Some("b"))];
        let err = vendor_dir(&apart, src).unwrap_err();
        assert!(err.to_string().contains("differs"), "{err}");
    }
}
