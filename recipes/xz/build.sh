#!/bin/bash
# xz / liblzma: autotools. Shared library only; no translations (no gettext in the host env) and no docs.
set -euo pipefail

./configure \
    --prefix="$PREFIX" \
    --build="$BUILD" \
    --host="$HOST" \
    --disable-static \
    --disable-nls \
    --disable-doc \
    --disable-rpath \
    --disable-dependency-tracking
make -j"$CPU_COUNT"
make install

find "$PREFIX/lib" -maxdepth 1 -name 'liblzma.la' -delete
