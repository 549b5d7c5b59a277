#!/bin/bash
# isl: autotools, with GMP integers (archi's GMP in the host prefix). Shared only. The gdb pretty-printer that
# `make install` puts beside the library (lib/libisl.so.<version>-gdb.py) is not shipped.
set -euo pipefail

./configure \
    --prefix="$PREFIX" \
    --build="$BUILD" \
    --host="$HOST" \
    --with-int=gmp \
    --with-gmp-prefix="$PREFIX" \
    --disable-static \
    --disable-dependency-tracking
make -j"$CPU_COUNT"
make install
find "$PREFIX/lib" -maxdepth 1 -name 'libisl.la' -delete
rm -f "$PREFIX"/lib/libisl.so.*-gdb.py
