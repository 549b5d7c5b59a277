#!/bin/bash
# GNU m4: autotools. No translations (no gettext in the host env); the info manual is not shipped.
set -euo pipefail

./configure \
    --prefix="$PREFIX" \
    --build="$BUILD" \
    --host="$HOST" \
    --disable-nls \
    --disable-dependency-tracking
make -j"$CPU_COUNT"
make install
rm -rf "$PREFIX/share/info" "$PREFIX/share/man"
rmdir "$PREFIX/share" 2>/dev/null || true
