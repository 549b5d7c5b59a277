#!/bin/bash
# bzip2 has plain Makefiles: Makefile-libbz2_so links the shared library (every object is compiled with -fPIC),
# then Makefile reuses those objects for libbz2.a and the bzip2/bzip2recover programs. The `test` target of
# Makefile is skipped because it runs the programs (impossible when cross-compiling); the recipe's test does it.
set -euo pipefail

flags="${CFLAGS:-} -fPIC -Wall -Winline -D_FILE_OFFSET_BITS=64"
tools=(CC="$CC" AR="${AR:-ar}" RANLIB="${RANLIB:-ranlib}")

make -f Makefile-libbz2_so -j"$CPU_COUNT" "${tools[@]}" CFLAGS="$flags"
make -j"$CPU_COUNT" "${tools[@]}" CFLAGS="$flags" LDFLAGS="${LDFLAGS:-}" libbz2.a bzip2 bzip2recover

install -d "$PREFIX/bin" "$PREFIX/lib" "$PREFIX/include"
install -m 0755 bzip2 bzip2recover "$PREFIX/bin/"
ln -sf bzip2 "$PREFIX/bin/bunzip2"
ln -sf bzip2 "$PREFIX/bin/bzcat"
install -m 0644 bzlib.h "$PREFIX/include/"
install -m 0644 libbz2.a "$PREFIX/lib/"
install -m 0755 "libbz2.so.$PKG_VERSION" "$PREFIX/lib/"
# The SONAME is libbz2.so.1.0 (as upstream and Debian); libbz2.so.1 is what some other distributions link to.
ln -sf "libbz2.so.$PKG_VERSION" "$PREFIX/lib/libbz2.so.1.0"
ln -sf "libbz2.so.$PKG_VERSION" "$PREFIX/lib/libbz2.so.1"
ln -sf "libbz2.so.$PKG_VERSION" "$PREFIX/lib/libbz2.so"
