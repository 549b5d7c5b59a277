#!/bin/bash
# libxcrypt: autotools, generated here with autoreconf (Debian's orig tarball is the git tree, without configure).
# Options as conda-forge's libxcrypt feedstock: libcrypt.so.2 with the strong and glibc hash methods and without
# the obsolete API (the glibc-compatible libcrypt.so.1 is conda-forge's separate libxcrypt1 output, not built here).
set -euo pipefail

autoreconf -fi

./configure \
    --prefix="$PREFIX" \
    --build="$BUILD" \
    --host="$HOST" \
    --disable-static \
    --disable-werror \
    --enable-hashes=strong,glibc \
    --enable-obsolete-api=no \
    --disable-failure-tokens
make -j"$CPU_COUNT"
if [[ "${CONDA_BUILD_CROSS_COMPILATION:-0}" != 1 ]]; then
    make -j"$CPU_COUNT" check
fi
make install

find "$PREFIX/lib" -maxdepth 1 -name '*.la' -delete
rm -rf "$PREFIX/share/man" "$PREFIX/share/doc"
rmdir "$PREFIX/share" 2>/dev/null || true
