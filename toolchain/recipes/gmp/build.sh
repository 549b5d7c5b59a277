#!/bin/bash
# GMP: autotools, with the assembly for the host CPU family (generic, not tuned to the build machine: --host is
# given, so configure does not probe this machine's CPU). C library only (no gmpxx: archi has no libstdc++
# package yet); shared only. GMP's own `make check` is left out (minutes on 2 cores); the recipe's test
# checks the library's arithmetic.
set -euo pipefail

./configure \
    --prefix="$PREFIX" \
    --build="$BUILD" \
    --host="$HOST" \
    --disable-static \
    --disable-cxx
make -j"$CPU_COUNT"
make install
find "$PREFIX/lib" -maxdepth 1 -name 'libgmp.la' -delete
rm -rf "$PREFIX/share/info"
rmdir "$PREFIX/share" 2>/dev/null || true
