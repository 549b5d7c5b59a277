//! Provenance (issue 12): every package of a channel has an in-toto statement with a SLSA v1 predicate beside it
//! and inside it; `archi verify` accepts them all, and rejects a package with a changed byte and one whose
//! statement names a different source hash, naming the file. py-rattler still installs the packages.

mod common;

use std::path::{Path, PathBuf};

use common::{check_channel, installed, ok, run, Workspace};

/// A tar.gz holding `<name>-1.0/README`.
fn tarball(path: &Path, name: &str) {
    let file = fs_err::File::create(path).unwrap();
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let data = format!("hello from {name}\n");
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(1_700_000_000);
    tar.append_data(&mut header, format!("{name}-1.0/README"), data.as_bytes())
        .unwrap();
    tar.into_inner().unwrap().finish().unwrap();
}

const PATCH: &str = "--- a/README\n+++ b/README\n@@ -1 +1,2 @@\n hello from alpha\n+patched\n";

/// Two recipes with real local tarballs (file:// URL + sha256), the first with a patch; returns their
/// directories and the tarballs' sha256.
fn recipes(ws: &Workspace) -> (Vec<PathBuf>, Vec<String>) {
    let mut dirs = Vec::new();
    let mut hashes = Vec::new();
    for name in ["alpha", "beta"] {
        let tgz = ws.path().join(format!("{name}-1.0.tar.gz"));
        tarball(&tgz, name);
        let sha256 = archi::source::sha256_file(&tgz).unwrap();
        let patches = if name == "alpha" {
            "patches = [\"fix.patch\"]\n"
        } else {
            ""
        };
        let dir = ws.recipe(
            name,
            &format!(
                "[package]\nname = \"{name}\"\nversion = \"1.0\"\n\n[[source]]\nurl = \"file://{}\"\n\
                 sha256 = \"{sha256}\"\n{patches}\n[build]\n\
                 script = \"install -D README $PREFIX/share/{name}/README\"\n\n[about]\nlicense = \"MIT\"\n",
                tgz.display()
            ),
        );
        if name == "alpha" {
            fs_err::write(dir.join("fix.patch"), PATCH).unwrap();
        }
        dirs.push(dir);
        hashes.push(sha256);
    }
    (dirs, hashes)
}

fn packages(channel: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs_err::read_dir(channel.join("linux-64"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "conda"))
        .collect();
    found.sort();
    found
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let dest = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            fs_err::create_dir_all(&dest).unwrap();
        } else {
            fs_err::copy(entry.path(), &dest).unwrap();
        }
    }
}

fn statement(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs_err::read(path).unwrap()).unwrap()
}

#[test]
fn verify_accepts_the_channel_and_rejects_a_changed_byte_and_a_forged_source_hash() {
    let ws = Workspace::new();
    let (dirs, hashes) = recipes(&ws);
    ok(ws.archi().arg("build").args(&dirs));
    let channel = ws.channel();
    let built = packages(&channel);
    assert_eq!(built.len(), 2, "{built:?}");

    // A statement beside each package: its subject is the file, its sources the tarball (and the patch).
    for (package, tarball_sha) in built.iter().zip(&hashes) {
        let outer = statement(&archi::provenance::outer_path(package));
        assert_eq!(outer["_type"], "https://in-toto.io/Statement/v1");
        assert_eq!(outer["predicateType"], "https://slsa.dev/provenance/v1");
        let name = package.file_name().unwrap().to_str().unwrap();
        assert_eq!(outer["subject"][0]["name"], name);
        assert_eq!(
            outer["subject"][0]["digest"]["sha256"],
            archi::source::sha256_file(package).unwrap()
        );
        let sources = archi::provenance::source_digests(&outer);
        assert_eq!(sources[0], *tarball_sha);
        assert_eq!(sources.len(), if name.starts_with("alpha") { 2 } else { 1 });
        // The inner copy is the same statement without the digest.
        let inner = archi::provenance::read_info(package, &["info/provenance.json"]).unwrap();
        let inner: serde_json::Value =
            serde_json::from_slice(&inner["info/provenance.json"]).unwrap();
        assert_eq!(
            inner,
            archi::provenance::without_subject_digest(&outer),
            "{name}"
        );
    }

    // Accepted: the channel, and one package alone.
    let out = ok(ws.archi().arg("verify").arg(&channel));
    assert!(out.contains("verify: 2 of 2 packages ok"), "{out}");
    let out = ok(ws.archi().arg("verify").arg(&built[0]));
    assert!(out.contains("verify: 1 of 1 packages ok"), "{out}");

    // One changed byte in a copy of the channel: rejected, naming the file and its sha256.
    let tampered = ws.path().join("tampered");
    copy_dir(&channel, &tampered);
    let victim = packages(&tampered)[1].clone();
    let mut bytes = fs_err::read(&victim).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    fs_err::write(&victim, &bytes).unwrap();
    let out = run(ws.archi().arg("verify").arg(&tampered));
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("verify: 1 of 2 packages ok"), "{stdout}");
    let victim_name = victim.file_name().unwrap().to_str().unwrap();
    assert!(
        stderr.contains(victim_name) && stderr.contains("sha256 is"),
        "{stderr}"
    );

    // A statement naming a different source hash: rejected, naming the file and both hashes.
    let forged = ws.path().join("forged");
    copy_dir(&channel, &forged);
    let victim = packages(&forged)[0].clone();
    let statement_path = archi::provenance::outer_path(&victim);
    let text = fs_err::read_to_string(&statement_path).unwrap();
    let other = "0".repeat(64);
    assert!(text.contains(&hashes[0]));
    fs_err::write(&statement_path, text.replace(&hashes[0], &other)).unwrap();
    let out = run(ws.archi().arg("verify").arg(&forged));
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("verify: 1 of 2 packages ok"), "{stdout}");
    let victim_name = victim.file_name().unwrap().to_str().unwrap();
    assert!(
        stderr.contains(victim_name)
            && stderr.contains(&format!("names source sha256 {other}"))
            && stderr.contains(&hashes[0]),
        "{stderr}"
    );

    // Real clients: conda-package-handling extracts every archive, py-rattler installs from the channel.
    let tmp = tempfile::tempdir().unwrap();
    let report = check_channel(
        &channel,
        "linux-64",
        &tmp.path().join("env"),
        &["alpha", "beta"],
        &["grep -Fx patched $PREFIX/share/alpha/README".to_string()],
        tmp.path(),
    );
    assert_eq!(
        installed(&report).into_iter().collect::<Vec<_>>(),
        ["alpha", "beta"]
    );

    // Cached the second time, and the channel still verifies.
    let again = ok(ws.archi().arg("build").args(&dirs));
    assert!(again.contains("cached"), "{again}");
    ok(ws.archi().arg("verify").arg(&channel));
}

#[test]
fn a_missing_statement_is_an_error_until_index_writes_it_and_a_missing_path_is_one() {
    let ws = Workspace::new();
    let (dirs, _) = recipes(&ws);
    ok(ws.archi().arg("build").arg(&dirs[1]));
    let package = packages(&ws.channel())[0].clone();
    fs_err::remove_file(archi::provenance::outer_path(&package)).unwrap();
    let out = run(ws.archi().arg("verify").arg(ws.channel()));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no provenance statement beside it"),
        "{stderr}"
    );

    let out = run(ws.archi().arg("verify").arg(ws.path().join("nothing-here")));
    assert_eq!(out.status.code(), Some(1));
}
