#!/usr/bin/env bash
# pip installs conda with hatchling (version from SETUPTOOLS_SCM_PRETEND_VERSION); then what `conda init --install`
# writes for $PREFIX, by the python that runs this build (in a cross build, the build machine's: the target's
# python cannot run here).
set -euxo pipefail

"$PYTHON" -m pip install . --no-deps --no-build-isolation --no-index -vv

# The freshly installed conda is imported from $SP_DIR; in a cross build the build environment provides its
# dependencies (any target-only extension there has a suffix the build python does not load).
env -u _PYTHON_SYSCONFIGDATA_NAME -u _PYTHON_HOST_PLATFORM PYTHONPATH="$SP_DIR" \
    "$PYTHON" "$RECIPE_DIR/conda_init_install.py" "$PREFIX" "$PY_VER"

# pip's console script (conda.cli.main_pip, "conda has not been initialized") is replaced by init's bin/conda.
grep -F 'from conda.cli import main' "$PREFIX/bin/conda"
test -x "$PREFIX/condabin/conda"
