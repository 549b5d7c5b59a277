#!/bin/bash
# MPFR: autotools, against archi's GMP in the host prefix. Shared only; no info manual.
set -euo pipefail

./configure \
    --prefix="$PREFIX" \
    --build="$BUILD" \
    --host="$HOST" \
    --with-gmp="$PREFIX" \
    --disable-static \
    --disable-dependency-tracking
make -j"$CPU_COUNT"
make install
find "$PREFIX/lib" -maxdepth 1 -name 'libmpfr.la' -delete
rm -rf "$PREFIX/share/info" "$PREFIX/share/doc"
rmdir "$PREFIX/share" 2>/dev/null || true
