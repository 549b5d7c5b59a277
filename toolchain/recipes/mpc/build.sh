#!/bin/bash
# GNU MPC: autotools, against archi's GMP and MPFR in the host prefix. Shared only; no info manual.
set -euo pipefail

./configure \
    --prefix="$PREFIX" \
    --build="$BUILD" \
    --host="$HOST" \
    --with-gmp="$PREFIX" \
    --with-mpfr="$PREFIX" \
    --disable-static \
    --disable-dependency-tracking
make -j"$CPU_COUNT"
make install
find "$PREFIX/lib" -maxdepth 1 -name 'libmpc.la' -delete
rm -rf "$PREFIX/share/info"
rmdir "$PREFIX/share" 2>/dev/null || true
