//! The payload of an installer: an uncompressed tar (the `.conda` archives are compressed already, and plain tar
//! is what a bare machine can unpack) of
//!
//! - `engine`: the installer engine for the target (mode 0755);
//! - `records.json`: `{"platform": "<subdir>", "specs": [...], "records": [<RepoDataRecord>...]}`, the solved
//!   records as repodata gives them (`fn`, `url`, `channel`, `sha256`, …);
//! - `pkgs/<fn>`: every record's archive.
//!
//! Entries are written in that order with deterministic headers (mtime 0, uid/gid 0), so the same inputs give
//! the same bytes. The license text shown by the header is read from the packages here too.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rattler_conda_types::package::{AboutJson, PackageFile};
use rattler_conda_types::{MatchSpec, RepoDataRecord, Subdir};

use super::InstallerError;

/// One package of the payload: its record and its archive on disk.
#[derive(Debug, Clone)]
pub struct PayloadPackage {
    /// The solved record (its `url` is kept as the channel gives it).
    pub record: RepoDataRecord,
    /// The archive file (`.conda` or `.tar.bz2`).
    pub archive: PathBuf,
}

/// The `records.json` of a payload (see the module docs), pretty-printed.
///
/// Errors: [`InstallerError::Json`] (records that cannot be serialised: a bug).
pub fn records_json(
    platform: Subdir,
    specs: &[MatchSpec],
    packages: &[PayloadPackage],
) -> Result<Vec<u8>, InstallerError> {
    let value = serde_json::json!({
        "platform": platform.as_str(),
        "specs": specs.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "records": packages.iter().map(|p| &p.record).collect::<Vec<_>>(),
    });
    serde_json::to_vec_pretty(&value).map_err(InstallerError::Json)
}

/// Writes the payload tar to `out`: `engine`, `records.json`, then `pkgs/<fn>` for each package.
///
/// Errors: [`InstallerError::Io`] naming the file that cannot be read or the output.
pub fn write(
    out: impl Write,
    engine: &Path,
    records_json: &[u8],
    packages: &[PayloadPackage],
) -> Result<(), InstallerError> {
    let mut tar = tar::Builder::new(out);
    tar.mode(tar::HeaderMode::Deterministic);
    append_file(&mut tar, engine, "engine", 0o755)?;
    let mut header = tar::Header::new_gnu();
    header.set_size(records_json.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_cksum();
    tar.append_data(&mut header, "records.json", records_json)
        .map_err(|source| InstallerError::io("writing the payload", source))?;
    for package in packages {
        let name = format!("pkgs/{}", package.record.identifier);
        append_file(&mut tar, &package.archive, &name, 0o644)?;
    }
    tar.into_inner()
        .and_then(|mut out| out.flush())
        .map_err(|source| InstallerError::io("writing the payload", source))
}

/// Appends the file at `path` as `name` with `mode`, mtime 0 and owner 0.
fn append_file<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &Path,
    name: &str,
    mode: u32,
) -> Result<(), InstallerError> {
    let mut file = fs_err::File::open(path)
        .map_err(|source| InstallerError::io(format!("reading {}", path.display()), source))?;
    let size = file
        .metadata()
        .map_err(|source| InstallerError::io(format!("reading {}", path.display()), source))?
        .len();
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(mode);
    header.set_mtime(0);
    header.set_cksum();
    tar.append_data(&mut header, name, &mut file)
        .map_err(|source| InstallerError::io(format!("adding {}", path.display()), source))
}

/// The license text an installer shows: for each package a heading line
/// `name version (build): LICENSE` (the license of `info/about.json`, else of the record) and the text of every
/// file under the package's `info/licenses/` (conda-build's `about.license_file`), in path order. `.tar.bz2`
/// archives and archives without license files give the heading only.
///
/// Errors: [`InstallerError::Archive`] for a `.conda` file whose info section cannot be read.
pub fn license_text(packages: &[PayloadPackage]) -> Result<String, InstallerError> {
    let mut text = String::new();
    for package in packages {
        let record = &package.record.package_record;
        let (about, files) = if package.archive.to_string_lossy().ends_with(".conda") {
            conda_licenses(&package.archive)?
        } else {
            (None, Vec::new())
        };
        let license = about
            .and_then(|a| a.license)
            .or_else(|| record.license.clone())
            .unwrap_or_else(|| "(no license given)".into());
        text.push_str(&format!(
            "== {} {} ({}): {license}\n",
            record.name.as_normalized(),
            record.version,
            record.build
        ));
        for (path, body) in files {
            text.push_str(&format!("\n-- {path}\n{}\n", body.trim_end()));
        }
        text.push('\n');
    }
    Ok(text)
}

/// The license files of a package: (path in the archive, text), sorted by path.
type LicenseFiles = Vec<(String, String)>;

/// `info/about.json` and the `info/licenses/*` files of a `.conda` archive.
fn conda_licenses(archive: &Path) -> Result<(Option<AboutJson>, LicenseFiles), InstallerError> {
    let bad = |reason: String| InstallerError::Archive {
        path: archive.to_path_buf(),
        reason,
    };
    let file = fs_err::File::open(archive).map_err(|e| bad(e.to_string()))?;
    let mut info = rattler_package_streaming::seek::stream_conda_info(file.into_parts().0)
        .map_err(|e| bad(e.to_string()))?;
    let mut about = None;
    let mut files = Vec::new();
    for entry in info.entries().map_err(|e| bad(e.to_string()))? {
        let mut entry = entry.map_err(|e| bad(e.to_string()))?;
        let path = entry
            .path()
            .map_err(|e| bad(e.to_string()))?
            .to_string_lossy()
            .into_owned();
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let is_about = path == AboutJson::package_path().to_string_lossy();
        if !is_about && !path.starts_with("info/licenses/") {
            continue;
        }
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("{path}: {e}")))?;
        let body = String::from_utf8_lossy(&bytes).into_owned();
        if is_about {
            about =
                Some(AboutJson::from_str(&body).map_err(|e| bad(format!("info/about.json: {e}")))?);
        } else {
            files.push((path, body));
        }
    }
    files.sort();
    Ok((about, files))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(dir: &Path) -> PayloadPackage {
        let archive = dir.join("a-1.0-h0_0.conda");
        fs_err::write(&archive, b"not really a package").unwrap();
        let record: RepoDataRecord = serde_json::from_value(serde_json::json!({
            "name": "a", "version": "1.0", "build": "h0_0", "build_number": 0, "subdir": "linux-64",
            "depends": [], "fn": "a-1.0-h0_0.conda", "url": format!("file://{}", archive.display()),
            "channel": "file:///c/",
        }))
        .unwrap();
        PayloadPackage { record, archive }
    }

    #[test]
    fn the_payload_is_deterministic_and_ordered() {
        let dir = tempfile::tempdir().unwrap();
        let engine = dir.path().join("engine-bin");
        fs_err::write(&engine, b"\x7fELF engine").unwrap();
        let packages = vec![package(dir.path())];
        let specs =
            vec![MatchSpec::from_str("a", rattler_conda_types::ParseStrictness::Strict).unwrap()];
        let json = records_json(Subdir::Linux64, &specs, &packages).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(value["platform"], "linux-64");
        assert_eq!(value["specs"][0], "a");
        assert_eq!(value["records"][0]["fn"], "a-1.0-h0_0.conda");
        let mut first = Vec::new();
        write(&mut first, &engine, &json, &packages).unwrap();
        let mut second = Vec::new();
        write(&mut second, &engine, &json, &packages).unwrap();
        assert_eq!(first, second);
        let mut archive = tar::Archive::new(first.as_slice());
        let entries: Vec<(String, u32, u64)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let path = e.path().unwrap().to_string_lossy().into_owned();
                (
                    path,
                    e.header().mode().unwrap(),
                    e.header().mtime().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            entries,
            [
                ("engine".to_string(), 0o755, 0),
                ("records.json".to_string(), 0o644, 0),
                ("pkgs/a-1.0-h0_0.conda".to_string(), 0o644, 0),
            ]
        );
    }
}
