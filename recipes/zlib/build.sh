#!/bin/bash
# zlib: its own configure script (not autotools); CHOST selects the cross tools.
set -euo pipefail

export CFLAGS="${CFLAGS:-} -fPIC"
CC="$CC" CHOST="$HOST" ./configure --prefix="$PREFIX" --shared
make -j"$CPU_COUNT"
if [[ "${CONDA_BUILD_CROSS_COMPILATION:-0}" != 1 ]]; then
    make test
fi
make install

# Shared library only; man pages are not shipped.
rm -f "$PREFIX/lib/libz.a"
rm -rf "$PREFIX/share/man"
rmdir "$PREFIX/share" 2>/dev/null || true
