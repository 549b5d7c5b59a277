//! A package's run requirements as plain functions of its inputs: the recipe's `run` specs, the run_exports of
//! the packages in its host (weak and strong) and build (strong) environments, and `__glibc >=` for packages with
//! ELF files, the way conda-build 3 assembles `index.json` `depends`. A noarch package takes no weak or strong
//! run_exports (conda-build applies only the `noarch` kind to it): a noarch python package built with python in
//! host depends on what its recipe says (`python`), not on `python_abi` or a minor version.

use std::collections::BTreeSet;
use std::path::Path;

use rattler_conda_types::package::RunExportsJson;
use rattler_conda_types::RepoDataRecord;

/// What `depends` is computed from.
#[derive(Debug, Clone, Copy)]
pub struct DependsInput<'a> {
    /// The package's own name (a requirement on itself is dropped).
    pub name: &'a str,
    /// The recipe's run requirements (match specs).
    pub run: &'a [String],
    /// Package names whose run_exports are ignored.
    pub ignore_run_exports: &'a [String],
    /// The solved host environment: weak and strong run_exports apply.
    pub host_records: &'a [RepoDataRecord],
    /// The solved build environment: strong run_exports apply.
    pub build_records: &'a [RepoDataRecord],
    /// `Some(v)` adds `__glibc >=v` (the package has ELF files and is not noarch).
    pub glibc: Option<&'a rattler_conda_types::Version>,
    /// The package is noarch: run_exports of its environments do not apply.
    pub noarch: bool,
    /// The package cache the environments were installed from (run_exports of records that are not local
    /// files are read from their extracted copy there).
    pub package_cache: &'a Path,
}

/// index.json `depends`: run requirements plus run_exports minus `ignore_run_exports`, plus `__glibc`; a bare
/// name is dropped when a constrained spec for the same name is present; sorted and deduplicated.
pub fn depends(input: &DependsInput) -> Vec<String> {
    let mut specs: Vec<String> = input.run.to_vec();
    let ignored = |record: &RepoDataRecord| {
        input
            .ignore_run_exports
            .iter()
            .any(|n| n == record.package_record.name.as_normalized())
    };
    let environments = match input.noarch {
        true => vec![],
        false => vec![(input.host_records, true), (input.build_records, false)],
    };
    for (records, weak) in environments {
        for record in records.iter().filter(|r| !ignored(r)) {
            let exports = run_exports_of(record, input.package_cache);
            if weak {
                specs.extend(exports.weak);
            }
            specs.extend(exports.strong);
        }
    }
    if let Some(glibc) = input.glibc {
        specs.push(format!("__glibc >={glibc}"));
    }
    let name_of = |s: &str| s.split_whitespace().next().unwrap_or_default().to_string();
    let constrained: BTreeSet<String> = specs
        .iter()
        .filter(|s| s.contains(' '))
        .map(|s| name_of(s))
        .collect();
    specs.retain(|s| s.contains(' ') || !constrained.contains(s.as_str()));
    specs.retain(|s| name_of(s) != input.name);
    specs.sort();
    specs.dedup();
    specs
}

/// run_exports.json of a solved record: from the artifact when it is a local file, else from the package cache's
/// extracted copy (`<cache>/<name>-<version>-<build>/info/run_exports.json`). Missing means none.
pub fn run_exports_of(record: &RepoDataRecord, package_cache: &Path) -> RunExportsJson {
    use rattler_conda_types::package::PackageFile;
    if let Ok(path) = record.url.to_file_path() {
        if let Ok(exports) =
            rattler_package_streaming::seek::read_package_file::<RunExportsJson>(&path)
        {
            return exports;
        }
    }
    let p = &record.package_record;
    let dir = package_cache.join(format!(
        "{}-{}-{}",
        p.name.as_normalized(),
        p.version,
        p.build
    ));
    RunExportsJson::from_package_directory(&dir).unwrap_or_default()
}

/// Whether the file at `path` starts with the ELF magic. Unreadable files are not ELF.
pub fn is_elf(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    fs_err::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .map(|_| magic == *b"\x7fELF")
        .unwrap_or(false)
}

/// The ELF machine number (`e_machine`) of the file at `path`, or `None` when it is not an ELF file (or too short
/// to say). Reads only the 20-byte header; both byte orders.
pub fn elf_machine_of(path: &Path) -> Option<u16> {
    use std::io::Read;
    let mut header = [0u8; 20];
    fs_err::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .ok()?;
    if header[..4] != *b"\x7fELF" {
        return None;
    }
    let bytes = [header[18], header[19]];
    Some(match header[5] {
        2 => u16::from_be_bytes(bytes),
        _ => u16::from_le_bytes(bytes),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rattler_conda_types::{PackageName, PackageRecord, Version};
    use std::str::FromStr;

    /// A host record for `python 3.11.2` whose run_exports sit in the package cache, as after an install.
    fn python_in_host(cache: &Path) -> RepoDataRecord {
        let dir = cache.join("python-3.11.2-h1234567_0/info");
        fs_err::create_dir_all(&dir).unwrap();
        let exports = r#"{"weak": ["python_abi 3.11.* *_cp311", "python >=3.11,<3.12.0a0"]}"#;
        fs_err::write(dir.join("run_exports.json"), exports).unwrap();
        let record = PackageRecord::new(
            PackageName::new_unchecked("python"),
            Version::from_str("3.11.2").unwrap(),
            rattler_conda_types::package::BuildString::new_unchecked("h1234567_0".to_string()),
        );
        RepoDataRecord {
            package_record: record,
            identifier: "python-3.11.2-h1234567_0.conda".parse().unwrap(),
            url: "https://example.invalid/linux-64/python-3.11.2-h1234567_0.conda"
                .parse()
                .unwrap(),
            channel: None,
        }
    }

    #[test]
    fn host_python_exports_apply_except_to_noarch() {
        let cache = tempfile::tempdir().unwrap();
        let host = [python_in_host(cache.path())];
        let glibc = Version::from_str("2.36").unwrap();
        let run = ["python".to_string()];
        let mut input = DependsInput {
            name: "pycosat",
            run: &run,
            ignore_run_exports: &[],
            host_records: &host,
            build_records: &[],
            glibc: Some(&glibc),
            noarch: false,
            package_cache: cache.path(),
        };
        assert_eq!(
            depends(&input),
            [
                "__glibc >=2.36",
                "python >=3.11,<3.12.0a0",
                "python_abi 3.11.* *_cp311"
            ]
        );
        input.noarch = true;
        input.glibc = None;
        assert_eq!(depends(&input), ["python"]);
    }
}
