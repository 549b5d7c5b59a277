#!/bin/bash
# GCC 12.2 as a cross compiler: runs on the build machine (build = host = linux-64), makes code for $GCC_TARGET
# (aarch64-conda-linux-gnu). C and C++ only, no bootstrap (the machine's gcc builds it once), no sanitizers,
# no NLS. The target's C library and kernel headers are the sysroot package in the host environment
# ($PREFIX/<triplet>/sysroot, under the prefix, so gcc finds it relative to itself wherever conda installs it);
# the target's assembler and linker are binutils_impl's <prefix>/<triplet>/bin/{as,ld}, which gcc finds the same
# way. gmp, mpfr, mpc and isl are archi's (host environment, linked shared, found through the RUNPATH).
# To fit a build on 2 shared cores, the compiler itself is built with -O1 and no debug information, and without
# LTO (no lto1); the target libraries (libgcc, libstdc++, libgomp, libatomic) with -O2, stripped on install.
set -euo pipefail

# Debian's orig tarball holds the upstream tree as a tarball of its own (beside newlib's and gm2's).
tar --no-same-owner -xJf gcc-12.2.0-dfsg.tar.xz
mkdir -p build
cd build

sysroot="$PREFIX/$GCC_TARGET/sysroot"
test -f "$sysroot/usr/include/stdio.h" || { echo "build.sh: no sysroot at $sysroot (sysroot_linux-aarch64 in host)" >&2; exit 1; }
test -x "$PREFIX/$GCC_TARGET/bin/as" || { echo "build.sh: no $GCC_TARGET assembler in $PREFIX/$GCC_TARGET/bin (binutils_impl in host)" >&2; exit 1; }

# The target tools by their full names; configure would otherwise look for them on PATH.
export AR_FOR_TARGET="$PREFIX/bin/$GCC_TARGET-ar" AS_FOR_TARGET="$PREFIX/bin/$GCC_TARGET-as" \
    LD_FOR_TARGET="$PREFIX/bin/$GCC_TARGET-ld" NM_FOR_TARGET="$PREFIX/bin/$GCC_TARGET-nm" \
    OBJDUMP_FOR_TARGET="$PREFIX/bin/$GCC_TARGET-objdump" RANLIB_FOR_TARGET="$PREFIX/bin/$GCC_TARGET-ranlib" \
    READELF_FOR_TARGET="$PREFIX/bin/$GCC_TARGET-readelf" STRIP_FOR_TARGET="$PREFIX/bin/$GCC_TARGET-strip"
export CFLAGS="-O1" CXXFLAGS="-O1"
export CFLAGS_FOR_TARGET="-O2" CXXFLAGS_FOR_TARGET="-O2"

../gcc-12.2.0/configure \
    --prefix="$PREFIX" \
    --build="$BUILD" \
    --host="$HOST" \
    --target="$GCC_TARGET" \
    --with-sysroot="$sysroot" \
    --with-pkgversion="archi $PKG_VERSION" \
    --enable-languages=c,c++ \
    --disable-multilib \
    --disable-bootstrap \
    --disable-libsanitizer \
    --disable-nls \
    --disable-werror \
    --disable-libssp \
    --disable-libquadmath \
    --disable-libitm \
    --disable-libvtv \
    --disable-libstdcxx-pch \
    --enable-threads=posix \
    --enable-__cxa_atexit \
    --enable-shared \
    --disable-lto \
    --enable-plugin \
    --enable-gnu-unique-object \
    --enable-linker-build-id \
    --with-linker-hash-style=gnu \
    --enable-checking=release \
    --with-gmp="$PREFIX" \
    --with-mpfr="$PREFIX" \
    --with-mpc="$PREFIX" \
    --with-isl="$PREFIX" \
    --with-system-zlib=no
make -j"$CPU_COUNT" MAKEINFO=true
# Debian's DFSG tree has no internals manual (doc/tm.texi.in documents no hooks), and `make install` would
# regenerate doc/tm.texi for it (genhooks: "No place specified to document hook"): its stamp says it is current.
touch gcc/s-tm-texi
make install-strip MAKEINFO=true

# Manuals, the libstdc++ pretty printers, the gdb plugin library and libtool archives are not shipped.
rm -rf "$PREFIX/share/man" "$PREFIX/share/info" "$PREFIX/share/gcc-$PKG_VERSION" "$PREFIX/lib/libcc1"*
rmdir "$PREFIX/share" 2> /dev/null || true
find "$PREFIX/$GCC_TARGET" "$PREFIX/lib/gcc" \( -name '*.la' -o -name '*-gdb.py' \) -delete
