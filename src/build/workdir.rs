//! The work directory of one build: sources, build and host prefixes, home, wrappers, packages, tests.

use std::path::{Path, PathBuf};

use crate::plan::{Plan, ScriptDirs};
use crate::store;

use super::{io_err, BuildError, PREFIX_LENGTH};

/// Where a sandboxed build script sees its work directory, whatever the store's path: the same build gives the
/// same bytes in any store (paths in `.pc` files, RUNPATHs, `has_prefix`), as Nix builds under a fixed `/build`.
/// It lies in the sandbox's own fresh `/tmp`.
pub const BUILD_VIEW: &str = "/tmp/archi-build";

/// The directories of one build, where they are (`<store>/work/<name>-<subdir>-<key7>/…`). A sandboxed build
/// script sees the work directory at [`BUILD_VIEW`] instead ([`WorkDir::seen`]), so nothing it writes depends on
/// where the store is.
#[derive(Debug)]
pub struct WorkDir {
    /// The work directory itself (`<store>/work/<name>-<subdir>-<key7>`).
    pub root: PathBuf,
    /// Where the build script sees `root`: [`BUILD_VIEW`] in the sandbox, `root` itself otherwise.
    pub view: PathBuf,
    /// `SRC_DIR`.
    pub src: PathBuf,
    /// `BUILD_PREFIX`.
    pub build_prefix: PathBuf,
    /// `PREFIX`: the directory whose path as the script sees it is padded to [`PREFIX_LENGTH`] characters.
    pub host_prefix: PathBuf,
    /// `HOME` for the script.
    pub home: PathBuf,
    /// archi's wrappers (`make`), first on the script's `PATH`.
    pub wrappers: PathBuf,
    /// Where the `.conda` is written.
    pub out: PathBuf,
    /// Test work area.
    pub test: PathBuf,
}

impl WorkDir {
    /// Make the (emptied) work directory of `plan` under `work_root`; `view` is where the script will see it
    /// ([`BUILD_VIEW`] when sandboxed), `None` for where it is.
    pub(super) fn create(
        work_root: &Path,
        plan: &Plan,
        view: Option<&Path>,
    ) -> Result<WorkDir, BuildError> {
        let root = work_root.join(format!(
            "{}-{}-{}",
            plan.rendered.name,
            plan.subdir(),
            plan.key.short()
        ));
        // Under the key's lock; a build script of a killed run may still write into the old directory, so it is
        // renamed aside first and its name is free at once.
        if root.exists() {
            store::clean::remove_dir_robust(&root, work_root)
                .map_err(io_err("clearing an old work directory", &root))?;
        }
        let view = view.map(Path::to_path_buf).unwrap_or_else(|| root.clone());
        // Padded as the script sees it; the real directory has the same name.
        let padded = padded_prefix(&view)?;
        let host_prefix = root.join(padded.file_name().expect("a padded prefix has a name"));
        let work = WorkDir {
            view,
            src: root.join("src"),
            build_prefix: root.join("build_env"),
            home: root.join("home"),
            wrappers: root.join("wrappers"),
            out: root.join("out"),
            test: root.join("test"),
            host_prefix,
            root,
        };
        for dir in [
            &work.src,
            &work.build_prefix,
            &work.host_prefix,
            &work.home,
            &work.wrappers,
            &work.out,
            &work.test,
        ] {
            fs_err::create_dir_all(dir).map_err(io_err("creating the work directory", dir))?;
        }
        Ok(work)
    }

    /// Where the build script sees `path` (a path inside the work directory).
    pub fn seen(&self, path: &Path) -> PathBuf {
        match path.strip_prefix(&self.root) {
            Ok(rel) => self.view.join(rel),
            Err(_) => path.to_path_buf(),
        }
    }

    /// [`WorkDir::seen`] as a string (work paths are UTF-8: archi makes them from UTF-8 names).
    pub fn seen_str(&self, path: &Path) -> String {
        self.seen(path).display().to_string()
    }

    /// The script's directories as it sees them; writes the `make` wrapper when the toolchain has `make`.
    pub(super) fn script_dirs(&self, plan: &Plan) -> Result<ScriptDirs, BuildError> {
        // The machine's make, or archi's make package in the build prefix (`toolchain_from = "archi"`).
        let make = plan
            .toolchain
            .tools
            .get("make")
            .map(|m| m.path.clone())
            .or_else(|| {
                let tool = plan.toolchain.packaged.get("make")?;
                Some(
                    self.seen(&self.build_prefix)
                        .join("bin")
                        .join(&tool.program),
                )
            });
        if let Some(make) = make {
            let path = self.wrappers.join("make");
            let text = crate::jobserver::make_wrapper(&make);
            fs_err::write(&path, text).map_err(io_err("writing the make wrapper", &path))?;
            use std::os::unix::fs::PermissionsExt;
            fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .map_err(io_err("writing the make wrapper", &path))?;
        }
        Ok(ScriptDirs {
            prefix: self.seen_str(&self.host_prefix),
            build_prefix: self.seen_str(&self.build_prefix),
            src: self.seen_str(&self.src),
            recipe: plan.recipe_dir.display().to_string(),
            home: self.seen_str(&self.home),
            wrappers: Some(self.seen_str(&self.wrappers)),
            cross_python: self.seen_str(&self.cross_python()),
        })
    }

    /// The directory holding the target python's `_sysconfigdata` in a cross build (see `ScriptDirs`).
    pub fn cross_python(&self) -> PathBuf {
        self.root.join("cross-python")
    }
}

/// `<root>/host_env_placehold_placehold…`, exactly [`PREFIX_LENGTH`] characters long.
fn padded_prefix(root: &Path) -> Result<PathBuf, BuildError> {
    let mut prefix = format!("{}/host_env", root.display());
    if prefix.len() + 10 > PREFIX_LENGTH {
        return Err(BuildError::PrefixTooLong {
            path: root.to_path_buf(),
        });
    }
    while prefix.len() < PREFIX_LENGTH {
        prefix.push_str("_placehold");
    }
    prefix.truncate(PREFIX_LENGTH);
    Ok(PathBuf::from(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_prefix_is_padded_to_255_characters() {
        let p = padded_prefix(Path::new("/tmp/archi/work/zlib-abcdef1")).unwrap();
        assert_eq!(p.as_os_str().len(), PREFIX_LENGTH);
        assert!(p.to_str().unwrap().contains("host_env_placehold_placehold"));
        assert!(padded_prefix(Path::new(&"/x".repeat(200))).is_err());
    }
}
