#!/bin/bash
# libuuid from util-linux: the library alone (no programs, no uuidd), shared only, as conda-forge's libuuid.
set -euo pipefail

./configure \
    --prefix="$PREFIX" \
    --build="$BUILD" \
    --host="$HOST" \
    --disable-all-programs \
    --enable-libuuid \
    --disable-static \
    --disable-nls \
    --disable-rpath \
    --disable-asciidoc \
    --disable-bash-completion \
    --without-python \
    --without-systemd \
    --without-udev
make -j"$CPU_COUNT"
make install

find "$PREFIX/lib" -maxdepth 1 -name 'libuuid.la' -delete
rm -rf "$PREFIX/share"
