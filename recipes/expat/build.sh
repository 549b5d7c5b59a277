#!/bin/bash
# expat: the tag's git archive has no configure; expat/buildconf.sh runs autoreconf (and drops SIZEOF_VOID_P from
# expat_config.h.in as the release tarballs do). Shared library and the xmlwf program, as conda-forge's expat.
set -euo pipefail

cd expat
bash ./buildconf.sh

./configure \
    --prefix="$PREFIX" \
    --build="$BUILD" \
    --host="$HOST" \
    --disable-static \
    --without-docbook \
    --without-examples
make -j"$CPU_COUNT"
if [[ "${CONDA_BUILD_CROSS_COMPILATION:-0}" != 1 ]]; then
    make -j"$CPU_COUNT" check || { cat tests/test-suite.log; exit 1; }
fi
make install

find "$PREFIX/lib" -maxdepth 1 -name 'libexpat.la' -delete
rm -rf "$PREFIX/share/man" "$PREFIX/share/doc"
rmdir "$PREFIX/share" 2>/dev/null || true
