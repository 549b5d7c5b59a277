#!/bin/bash
# GCC 12.2, one compiler per target in $GCC_TARGETS, each configured as conda-forge's ctng-compilers are: the
# target triplet (<machine>-conda-linux-gnu) differs from the build machine's, so GCC lays every compiler out as a
# cross compiler (the target's libraries in <prefix>/<triplet>/lib64, its headers in <prefix>/<triplet>/include,
# programs named <triplet>-gcc), finds its glibc and kernel headers in the sysroot package under the prefix
# (<prefix>/<triplet>/sysroot, relative to itself wherever conda installs it) and its assembler and linker in
# binutils_impl's <prefix>/<triplet>/bin/{as,ld}.
#   linux-64 ($target_platform): the native x86_64 compiler and the cross compiler for aarch64, both running on
#     linux-64 and built by the machine's gcc.
#   linux-aarch64: the native aarch64 compiler (build = linux-64, host = target = aarch64), cross-built by archi's
#     own cross compiler of the linux-64 run ($BUILD_PREFIX/bin/aarch64-conda-linux-gnu-gcc, a build requirement),
#     which also compiles its target libraries; the build machine's gcc compiles the generator programs
#     (CC_FOR_BUILD).
# C and C++ only, no bootstrap, no sanitizers, no NLS. gmp, mpfr, mpc and isl are archi's (host environment, linked
# shared, found through the RUNPATH). To fit a build on 2 shared cores, the compilers themselves are built with -O1
# and no debug information, and without LTO (no lto1); the target libraries (libgcc, libstdc++, libgomp, libatomic)
# with -O2, stripped on install.
set -euo pipefail

# Debian's orig tarball holds the upstream tree as a tarball of its own (beside newlib's and gm2's).
tar --no-same-owner -xJf gcc-12.2.0-dfsg.tar.xz

build_one() {
    local GCC_TARGET=$1
    local host=$BUILD
    mkdir -p "build-$GCC_TARGET"
    cd "build-$GCC_TARGET"

    sysroot="$PREFIX/$GCC_TARGET/sysroot"
    test -f "$sysroot/usr/include/stdio.h" || { echo "build.sh: no sysroot at $sysroot (sysroot_<subdir> in host)" >&2; exit 1; }
    local tools="$PREFIX/bin/$GCC_TARGET"
    if [[ "$target_platform" != "$build_platform" ]]; then
        # Cross-built: the host's programs and the target's libraries are compiled by archi's cross compiler and
        # binutils in the build environment. The host is named by Debian's triplet (not the target's), so that GCC
        # still lays the compiler out as conda-forge's (host != target) and takes $GCC_TARGET-gcc from PATH for the
        # target's libraries.
        tools="$BUILD_PREFIX/bin/$GCC_TARGET"
        host=$HOST
        export CC="$tools-gcc" CXX="$tools-g++" AR="$tools-ar" NM="$tools-nm" RANLIB="$tools-ranlib" \
            STRIP="$tools-strip" READELF="$tools-readelf" OBJDUMP="$tools-objdump" LD="$tools-ld" AS="$tools-as"
        export CC_FOR_BUILD CXX_FOR_BUILD CC_FOR_TARGET="$tools-gcc" GCC_FOR_TARGET="$tools-gcc" \
            CXX_FOR_TARGET="$tools-g++"
        "$CC" --version | grep -qF "archi $PKG_VERSION" || { echo "build.sh: $CC is not archi's gcc $PKG_VERSION" >&2; exit 1; }
    fi
    test -x "$tools-as" || { echo "build.sh: no $GCC_TARGET assembler at $tools-as (binutils_impl)" >&2; exit 1; }

    # The target tools by their full names; configure would otherwise look for them on PATH.
    export AR_FOR_TARGET="$tools-ar" AS_FOR_TARGET="$tools-as" LD_FOR_TARGET="$tools-ld" NM_FOR_TARGET="$tools-nm" \
        OBJDUMP_FOR_TARGET="$tools-objdump" RANLIB_FOR_TARGET="$tools-ranlib" READELF_FOR_TARGET="$tools-readelf" \
        STRIP_FOR_TARGET="$tools-strip"
    export CFLAGS="-O1" CXXFLAGS="-O1"
    export CFLAGS_FOR_TARGET="-O2" CXXFLAGS_FOR_TARGET="-O2"

    ../gcc-12.2.0/configure \
        --prefix="$PREFIX" \
        --build="$BUILD" \
        --host="$host" \
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
    cd ..
}

for target in $GCC_TARGETS; do
    build_one "$target"
done

# Manuals, the libstdc++ pretty printers, the gdb plugin library and libtool archives are not shipped.
rm -rf "$PREFIX/share/man" "$PREFIX/share/info" "$PREFIX/share/gcc-$PKG_VERSION" "$PREFIX/lib/libcc1"*
rmdir "$PREFIX/share" 2> /dev/null || true
for target in $GCC_TARGETS; do
    find "$PREFIX/$target" "$PREFIX/lib/gcc" \( -name '*.la' -o -name '*-gdb.py' \) -delete
done
