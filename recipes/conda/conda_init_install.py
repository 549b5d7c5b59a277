"""Write what `conda init --install` writes into a target prefix, without running the target's python.

Usage: python conda_init_install.py PREFIX PY_VER

conda's `make_install_plan` asks the prefix's own python for its version (`PREFIX/bin/python --version`) to place
the xonsh hook in its site-packages; in a cross build that python is for another machine, so the version comes
from the build (`PY_VER`, major.minor of the host python) instead. conda's hooks name sys.prefix and sys.executable, which are
set to the target's. Everything else is conda's own code: the entry
points (`bin/conda`, `condabin/conda`, `bin/conda-env`) get `PREFIX/bin/python` on their #! line, which the
installer relocates like any other prefix path.
"""
import sys
from os.path import join

PREFIX, PY_VER = sys.argv[1], sys.argv[2]
# conda writes its own prefix (context.conda_prefix is sys.prefix) and interpreter (sys.executable) into the shell
# hooks (CONDA_EXE, CONDA_PYTHON_EXE in etc/profile.d/conda.sh): make them the target's, not the build python's.
sys.prefix = sys.exec_prefix = PREFIX
sys.executable = join(PREFIX, "bin", "python")

from conda.core import initialize  # noqa: E402

# For a prefix longer than 127 characters (archi's build prefix is padded to 255) conda writes
# `#!/usr/bin/env python`, which would run whatever python comes first on PATH. Under conda-build (its
# `_h_env_placehold` prefix) it keeps `#!PREFIX/bin/python`, which the installer relocates: do the same.
initialize.generate_shebang_for_entry_point = lambda executable, with_usr_bin_env=False: f"#!{executable}\n"


def main() -> int:
    prefix, py_ver = PREFIX, PY_VER

    def python_info(conda_prefix):
        return (
            join(conda_prefix, "bin", "python"),
            py_ver,
            join(conda_prefix, "lib", f"python{py_ver}", "site-packages"),
        )

    initialize._get_python_info = python_info
    plan = initialize.make_install_plan(prefix)
    initialize.run_plan(plan)
    failed = [step for step in plan if step["result"] not in ("modified", "no change")]
    for step in plan:
        print(step["result"], step["kwargs"].get("target_path"))
    if failed:
        print(f"conda init --install: {len(failed)} step(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
