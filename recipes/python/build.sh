#!/bin/bash
# CPython 3.11: autoconf configure + make. Every optional extension module is required: PYTHONSTRICTEXTENSIONBUILD
# makes setup.py fail when one is missing or fails to build (instead of printing a list and going on), and the
# modules archi cannot provide yet are marked n/a for configure so that nothing from the build machine leaks in.
set -euo pipefail

# Only archi's libraries: pkg-config sees the host prefix and nothing of the build machine.
export PKG_CONFIG_LIBDIR="$PREFIX/lib/pkgconfig:$PREFIX/share/pkgconfig"
unset PKG_CONFIG_PATH
export PYTHONSTRICTEXTENSIONBUILD=1
# Not built (see recipe.toml): _tkinter (no tcl/tk), _gdbm and _dbm (no dbm library), nis (no libnsl/libtirpc).
# n/a keeps configure from finding the build machine's copies in /usr; _dbm is setup.py's own search, which the
# empty --with-dbmliborder= turns off (patch 0002).
export py_cv_module__tkinter=n/a py_cv_module__gdbm=n/a py_cv_module_nis=n/a

configure_args=(
    --prefix="$PREFIX"
    --build="$BUILD"
    --host="$HOST"
    --enable-shared
    --enable-ipv6
    --with-ensurepip=no
    --with-computed-gotos
    --with-system-ffi
    --with-system-expat
    --enable-loadable-sqlite-extensions
    --with-platlibdir=lib
    --with-tzpath="$PREFIX/share/zoneinfo"
    --with-openssl="$PREFIX"
    --disable-test-modules
    --with-dbmliborder=
)

if [[ "${CONDA_BUILD_CROSS_COMPILATION:-0}" == 1 ]]; then
    # archi's python for the build machine, from this recipe (a build requirement): the same version, so its
    # bytecode is what the target's python reads.
    build_python="$BUILD_PREFIX/bin/python$PY_ABI"
    "$build_python" -c 'import sys; assert sys.version_info[:3] == (3, 11, 2), sys.version'
    configure_args+=(--with-build-python="$build_python")
    # What cross configure cannot find out by running a program (CPython's docs, conda-forge's python recipe).
    cat > config.site <<'SITE'
ac_cv_file__dev_ptmx=yes
ac_cv_file__dev_ptc=no
ac_cv_buggy_getaddrinfo=no
ac_cv_aligned_required=no
ac_cv_pthread=yes
ac_cv_little_endian_double=yes
SITE
    export CONFIG_SITE="$PWD/config.site"
fi

./configure "${configure_args[@]}"
make -j"$CPU_COUNT"
# Bytecode for the standard library, compiled once by the build machine's python (this one natively, the build
# requirement when cross-compiling), reproducibly: SOURCE_DATE_EPOCH is set and the hash is not re-checked.
make install COMPILEALL_OPTS="--invalidation-mode unchecked-hash"

cd "$PREFIX"
# conda's names, as relative links.
ln -s "python$PY_ABI" bin/python
ln -s pydoc3 bin/pydoc
# The static libpython (conda-forge ships it in a separate package) and the manual pages.
rm -f "lib/python$PY_ABI/config-$PY_ABI-"*/libpython*.a
rm -rf share/man
rmdir share 2>/dev/null || true

# _sysconfigdata and the config Makefile record the programs that ran the build: the compiler, ar, ... when they are
# archi's toolchain packages, and the interpreter (PYTHON_FOR_BUILD) in a cross build, are in $BUILD_PREFIX/bin,
# which does not exist where the package is installed. Like conda-forge's python, keep the bare program names
# (x86_64-conda-linux-gnu-gcc, python3.11), which the installed compiler packages put on PATH.
for f in "lib/python$PY_ABI"/_sysconfigdata_*.py "lib/python$PY_ABI/config-$PY_ABI-"*/Makefile; do
    sed -i -e "s|$BUILD_PREFIX/bin/||g" "$f"
done
if [[ "${CONDA_BUILD_CROSS_COMPILATION:-0}" != 1 ]]; then
    build_python="$PREFIX/bin/python$PY_ABI"
fi

# A .py file that holds the prefix is rewritten by the installer, so an unchecked-hash .pyc of it would go on
# giving the build prefix: those few (_sysconfigdata, ...) get checked-hash bytecode, which the interpreter
# notices is stale and recompiles from the relocated source.
mapfile -t with_prefix < <(grep -rlF --include='*.py' "$PREFIX" "lib/python$PY_ABI")
echo "python recipe: ${#with_prefix[@]} .py files hold the prefix: ${with_prefix[*]}"
"$build_python" -m compileall -q -f --invalidation-mode checked-hash "${with_prefix[@]}"
