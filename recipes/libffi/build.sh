#!/bin/bash
# libffi: autotools. --disable-multi-os-directory keeps the library in lib/ (not lib64/ or lib/../lib64).
set -euo pipefail

./configure \
    --prefix="$PREFIX" \
    --build="$BUILD" \
    --host="$HOST" \
    --disable-static \
    --disable-debug \
    --disable-docs \
    --disable-multi-os-directory \
    --disable-dependency-tracking
make -j"$CPU_COUNT"
make install

find "$PREFIX/lib" -maxdepth 1 -name 'libffi.la' -delete
