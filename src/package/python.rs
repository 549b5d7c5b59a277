//! Python packages after the script ran, before relocation, as conda-build 3 post-processes them:
//!
//! - `noarch: python` ([`Layout::NoarchPython`], conda-build's `noarch_python.transform`): `.pyc` files and
//!   `__pycache__` are dropped, `lib/pythonX.Y/site-packages/…` moves to `site-packages/…`, scripts in `bin/` move
//!   to `python-scripts/`, except the declared entry points, which are dropped (the client writes them from
//!   `info/link.json` at install time, with the environment's python). Files elsewhere under `lib/pythonX.Y/`
//!   are an error: a noarch package cannot ship into one python version's standard library.
//! - arch-specific packages with `[build] entry_points`: archi writes `bin/<name>` itself, in the form
//!   conda-build's `create_entry_point` writes (`#!$PREFIX/bin/python`), replacing what pip made.
//! - every package: a script whose `#!` line names the build prefix (pip run by the build machine's python in a
//!   cross build writes `#!$BUILD_PREFIX/bin/python`) gets the host prefix instead, as conda-build's
//!   `fix_shebang` does; `*.dist-info/direct_url.json` (pip's record of the local build directory) is dropped.
//!
//! A console script that pip generated but the recipe does not declare is an error for noarch python, since the
//! client could not recreate it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{io_err, PackageError};

/// The line pip (distlib) and conda-build put in every generated console script.
const CONSOLE_SCRIPT_MARK: &str = "sys.argv[0] = re.sub(r'(-script\\.pyw";

/// How a package's python files are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Files stay where the script put them (arch-specific packages).
    InPlace,
    /// `noarch: python`.
    NoarchPython,
}

/// What [`postprocess`] needs besides the files.
#[derive(Debug, Clone, Copy)]
pub struct PythonPackage<'a> {
    /// The layout to produce.
    pub layout: Layout,
    /// `[build] entry_points`, each `name = module:function` (checked when rendering).
    pub entry_points: &'a [String],
    /// `major.minor` of the host environment's python, if it has one.
    pub py_ver: Option<&'a str>,
    /// The build prefix as the build saw it, whose appearance in a `#!` line is replaced by the host prefix.
    pub build_prefix: &'a Path,
    /// The host prefix as the build saw it (`prefix` itself unless the build ran at another path): what entry
    /// point scripts and fixed `#!` lines name.
    pub prefix_seen: Option<&'a str>,
}

/// One parsed entry point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryPoint {
    /// The script name (`conda`).
    pub name: String,
    /// The module (`conda.cli.main_pip`).
    pub module: String,
    /// The attribute path of the function (`main`, or `Cli.main`).
    pub function: String,
}

impl EntryPoint {
    /// Parses `name = module:function`; `None` when it is not of that form (render checks it first).
    pub fn parse(text: &str) -> Option<EntryPoint> {
        let (name, target) = text.split_once('=')?;
        let (module, function) = target.trim().split_once(':')?;
        Some(EntryPoint {
            name: name.trim().to_string(),
            module: module.trim().to_string(),
            function: function.trim().to_string(),
        })
    }

    /// The script conda-build's `create_entry_point` writes for this entry point, with `python` on its `#!`
    /// line.
    pub fn script(&self, python: &str) -> String {
        let head = self.function.split('.').next().unwrap_or(&self.function);
        format!(
            "#!{python}\n# -*- coding: utf-8 -*-\nimport re\nimport sys\n\nfrom {module} import {head}\n\n\
             if __name__ == '__main__':\n    sys.argv[0] = re.sub(r'(-script\\.pyw?|\\.exe)?$', '', sys.argv[0])\n    \
             sys.exit({function}())\n",
            module = self.module,
            function = self.function,
        )
    }
}

/// Post-processes the python files of a package in `prefix` (see the module documentation) and returns the
/// package's new file list (relative to `prefix`, sorted).
///
/// # Errors
/// [`PackageError::NoarchPython`] for a noarch python package without python in host, with files in the
/// standard library, or with an undeclared console script; [`PackageError::Io`] naming the file.
pub fn postprocess(
    prefix: &Path,
    files: Vec<PathBuf>,
    package: &PythonPackage,
) -> Result<Vec<PathBuf>, PackageError> {
    let entry_points: Vec<EntryPoint> = package
        .entry_points
        .iter()
        .filter_map(|e| EntryPoint::parse(e))
        .collect();
    let mut out = BTreeSet::new();
    for file in files {
        if is_direct_url(&file) {
            remove(prefix, &file)?;
            continue;
        }
        out.insert(file);
    }
    match package.layout {
        Layout::NoarchPython => {
            let py_ver = package.py_ver.ok_or_else(|| PackageError::NoarchPython {
                file: None,
                reason: "noarch: python needs python in the host environment".into(),
            })?;
            out = noarch_layout(prefix, out, py_ver, &entry_points)?;
        }
        Layout::InPlace => {
            if !entry_points.is_empty() {
                if package.py_ver.is_none() {
                    return Err(PackageError::NoarchPython {
                        file: None,
                        reason: "[build] entry_points need python in the host environment".into(),
                    });
                }
                let seen = match package.prefix_seen {
                    Some(seen) => seen,
                    None => super::prefix_str(prefix)?,
                };
                let python = format!("{seen}/bin/python");
                for entry in &entry_points {
                    let rel = Path::new("bin").join(&entry.name);
                    write_script(&prefix.join(&rel), &entry.script(&python))?;
                    out.insert(rel);
                }
            }
            for file in &out {
                fix_shebang(prefix, file, package)?;
            }
        }
    }
    Ok(out.into_iter().collect())
}

/// Whether `file` is pip's `*.dist-info/direct_url.json`.
fn is_direct_url(file: &Path) -> bool {
    file.file_name().is_some_and(|n| n == "direct_url.json")
        && file
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|d| d.to_string_lossy().ends_with(".dist-info"))
}

/// Where a file of a noarch python package goes, or `None` when it is dropped. Pure.
///
/// # Errors
/// The reason, for files that cannot be in a noarch python package.
pub fn noarch_destination(
    file: &Path,
    py_ver: &str,
    entry_points: &[EntryPoint],
) -> Result<Option<PathBuf>, String> {
    let is_bytecode = file.extension().is_some_and(|e| e == "pyc" || e == "pyo")
        || file.components().any(|c| c.as_os_str() == "__pycache__");
    if is_bytecode {
        return Ok(None);
    }
    let stdlib = PathBuf::from(format!("lib/python{py_ver}"));
    if let Ok(rest) = file.strip_prefix(stdlib.join("site-packages")) {
        return Ok(Some(Path::new("site-packages").join(rest)));
    }
    if file.starts_with(&stdlib) {
        return Err(format!(
            "is in python {py_ver}'s standard library, which a noarch package cannot install into"
        ));
    }
    if let Ok(rest) = file.strip_prefix("bin") {
        let declared = entry_points.iter().any(|e| Path::new(&e.name) == rest);
        return Ok((!declared).then(|| Path::new("python-scripts").join(rest)));
    }
    Ok(Some(file.to_path_buf()))
}

fn noarch_layout(
    prefix: &Path,
    files: BTreeSet<PathBuf>,
    py_ver: &str,
    entry_points: &[EntryPoint],
) -> Result<BTreeSet<PathBuf>, PackageError> {
    let mut out = BTreeSet::new();
    for file in files {
        let dest = noarch_destination(&file, py_ver, entry_points).map_err(|reason| {
            PackageError::NoarchPython {
                file: Some(file.clone()),
                reason,
            }
        })?;
        let Some(dest) = dest else {
            remove(prefix, &file)?;
            continue;
        };
        if dest.starts_with("python-scripts") && is_console_script(&prefix.join(&file)) {
            return Err(PackageError::NoarchPython {
                file: Some(file),
                reason:
                    "is a console script that pip generated; declare it in [build] entry_points so \
                         that the client writes it with the environment's python"
                        .into(),
            });
        }
        if dest != file {
            let to = prefix.join(&dest);
            if let Some(parent) = to.parent() {
                fs_err::create_dir_all(parent)
                    .map_err(|e| io_err("create directory", parent, e))?;
            }
            let from = prefix.join(&file);
            fs_err::rename(&from, &to).map_err(|e| io_err("move", &from, e))?;
        }
        out.insert(dest);
    }
    Ok(out)
}

/// Whether the regular file at `path` is a generated console script (pip's, distlib's or conda-build's form).
fn is_console_script(path: &Path) -> bool {
    let Ok(meta) = fs_err::symlink_metadata(path) else {
        return false;
    };
    if !meta.is_file() || meta.len() > 64 * 1024 {
        return false;
    }
    fs_err::read(path).is_ok_and(|bytes| {
        bytes.starts_with(b"#!") && String::from_utf8_lossy(&bytes).contains(CONSOLE_SCRIPT_MARK)
    })
}

/// Replaces `build_prefix` by the prefix in the `#!` line of `file` (a regular file under `bin/`), if it names it.
fn fix_shebang(prefix: &Path, file: &Path, package: &PythonPackage) -> Result<(), PackageError> {
    if !file.starts_with("bin") {
        return Ok(());
    }
    let path = prefix.join(file);
    let Ok(meta) = fs_err::symlink_metadata(&path) else {
        return Ok(());
    };
    if !meta.is_file() {
        return Ok(());
    }
    let bytes = fs_err::read(&path).map_err(|e| io_err("read", &path, e))?;
    let Some(rest) = bytes.strip_prefix(b"#!") else {
        return Ok(());
    };
    let line_end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
    let line = String::from_utf8_lossy(&rest[..line_end]);
    let build = package.build_prefix.to_string_lossy();
    let Some(tail) = line.trim_start().strip_prefix(build.as_ref()) else {
        return Ok(());
    };
    let seen = match package.prefix_seen {
        Some(seen) => seen,
        None => super::prefix_str(prefix)?,
    };
    let mut text = format!("#!{seen}{tail}").into_bytes();
    text.extend_from_slice(&rest[line_end..]);
    fs_err::write(&path, text).map_err(|e| io_err("write", &path, e))
}

fn write_script(path: &Path, text: &str) -> Result<(), PackageError> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(parent) = path.parent() {
        fs_err::create_dir_all(parent).map_err(|e| io_err("create directory", parent, e))?;
    }
    if fs_err::symlink_metadata(path).is_ok() {
        fs_err::remove_file(path).map_err(|e| io_err("remove", path, e))?;
    }
    fs_err::write(path, text).map_err(|e| io_err("write", path, e))?;
    fs_err::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| io_err("set permissions of", path, e))
}

fn remove(prefix: &Path, file: &Path) -> Result<(), PackageError> {
    let path = prefix.join(file);
    fs_err::remove_file(&path).map_err(|e| io_err("remove", &path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eps() -> Vec<EntryPoint> {
        vec![EntryPoint::parse("normalizer = charset_normalizer.cli:cli_detect").unwrap()]
    }

    #[test]
    fn noarch_destinations_follow_conda_build() {
        let dest = |f: &str| noarch_destination(Path::new(f), "3.11", &eps());
        assert_eq!(
            dest("lib/python3.11/site-packages/six.py").unwrap(),
            Some(PathBuf::from("site-packages/six.py"))
        );
        assert_eq!(
            dest("lib/python3.11/site-packages/__pycache__/six.cpython-311.pyc").unwrap(),
            None
        );
        assert_eq!(dest("lib/python3.11/site-packages/a/b.pyc").unwrap(), None);
        assert_eq!(dest("bin/normalizer").unwrap(), None);
        assert_eq!(
            dest("bin/helper.sh").unwrap(),
            Some(PathBuf::from("python-scripts/helper.sh"))
        );
        assert_eq!(
            dest("share/man/man1/x.1").unwrap(),
            Some(PathBuf::from("share/man/man1/x.1"))
        );
        assert!(dest("lib/python3.11/os.py")
            .unwrap_err()
            .contains("standard library"));
    }

    #[test]
    fn entry_point_script_is_conda_builds() {
        let e = EntryPoint::parse("conda = conda.cli.main_pip:main").unwrap();
        let text = e.script("/p/bin/python");
        assert!(text.starts_with("#!/p/bin/python\n"));
        assert!(text.contains("from conda.cli.main_pip import main\n"));
        assert!(text.contains("sys.exit(main())"));
        assert!(text.contains(CONSOLE_SCRIPT_MARK));
        let dotted = EntryPoint::parse("x=pkg.mod:Cli.run").unwrap();
        let text = dotted.script("/p/bin/python");
        assert!(text.contains("from pkg.mod import Cli\n") && text.contains("sys.exit(Cli.run())"));
    }

    #[test]
    fn postprocess_moves_drops_and_rejects() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path();
        let write = |rel: &str, text: &str| {
            let p = prefix.join(rel);
            fs_err::create_dir_all(p.parent().unwrap()).unwrap();
            fs_err::write(p, text).unwrap();
        };
        let sp = "lib/python3.11/site-packages";
        write(&format!("{sp}/cn/__init__.py"), "x = 1\n");
        write(&format!("{sp}/cn/__pycache__/__init__.cpython-311.pyc"), "");
        write(&format!("{sp}/cn-1.dist-info/direct_url.json"), "{}");
        write(&format!("{sp}/cn-1.dist-info/METADATA"), "Name: cn\n");
        let console = format!(
            "#!/b/bin/python\nimport re\nimport sys\nfrom cn import main\n{CONSOLE_SCRIPT_MARK}|\\.exe)?$', '', sys.argv[0])\n"
        );
        write("bin/normalizer", &console);
        let files: Vec<PathBuf> = super::super::snapshot(prefix)
            .unwrap()
            .into_iter()
            .collect();
        let entry_points = ["normalizer = charset_normalizer.cli:cli_detect".to_string()];
        let package = PythonPackage {
            layout: Layout::NoarchPython,
            entry_points: &entry_points,
            py_ver: Some("3.11"),
            build_prefix: Path::new("/b"),
            prefix_seen: None,
        };
        let out = postprocess(prefix, files.clone(), &package).unwrap();
        assert_eq!(
            out,
            vec![
                PathBuf::from("site-packages/cn/__init__.py"),
                PathBuf::from("site-packages/cn-1.dist-info/METADATA"),
            ]
        );
        assert!(prefix.join("site-packages/cn/__init__.py").is_file());
        assert!(!prefix.join("bin/normalizer").exists());

        // The same console script, undeclared, is refused.
        write("bin/other", &console);
        let files = vec![PathBuf::from("bin/other")];
        let package = PythonPackage {
            entry_points: &[],
            ..package
        };
        let err = postprocess(prefix, files, &package).unwrap_err();
        assert!(err.to_string().contains("entry_points"), "{err}");
    }

    #[test]
    fn arch_specific_entry_points_and_shebangs() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("host");
        fs_err::create_dir_all(prefix.join("bin")).unwrap();
        fs_err::write(
            prefix.join("bin/tool"),
            "#!/b/bin/python3.11 -E\nprint(1)\n",
        )
        .unwrap();
        fs_err::write(prefix.join("bin/cph"), "#!/b/bin/python\n").unwrap();
        let entry_points = ["cph = conda_package_handling.cli:main".to_string()];
        let package = PythonPackage {
            layout: Layout::InPlace,
            entry_points: &entry_points,
            py_ver: Some("3.11"),
            build_prefix: Path::new("/b"),
            prefix_seen: None,
        };
        let files = vec![PathBuf::from("bin/cph"), PathBuf::from("bin/tool")];
        let out = postprocess(&prefix, files, &package).unwrap();
        assert_eq!(out.len(), 2);
        let host = prefix.display();
        let tool = fs_err::read_to_string(prefix.join("bin/tool")).unwrap();
        assert_eq!(tool, format!("#!{host}/bin/python3.11 -E\nprint(1)\n"));
        let cph = fs_err::read_to_string(prefix.join("bin/cph")).unwrap();
        assert!(cph.starts_with(&format!("#!{host}/bin/python\n")));
        assert!(cph.contains("from conda_package_handling.cli import main"));
    }
}
