#!/bin/bash
# GNU make from Debian's DFSG tarball: autoreconf first (the tarball has configure.ac but no configure). The
# tarball carries gettext's m4 macros and po/Makefile.in.in, so autopoint (which would copy them in) is not run.
# No translations (no gettext in the host env), no guile.
set -euo pipefail

AUTOPOINT=true autoreconf -fi
./configure \
    --prefix="$PREFIX" \
    --build="$BUILD" \
    --host="$HOST" \
    --disable-nls \
    --without-guile \
    --disable-dependency-tracking
make -j"$CPU_COUNT"
make install
