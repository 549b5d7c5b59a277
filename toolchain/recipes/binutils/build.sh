#!/bin/bash
# binutils 2.40 for each target in BINUTILS_TARGETS (recipe.toml: both for linux-64, aarch64 alone for
# linux-aarch64), each in its own build directory, installed with the target triplet as program prefix:
# bin/<triplet>-ld and <triplet>/bin/ld, as conda-forge's binutils_impl_<subdir>. The BFD linker, gas and the
# binary utilities (no gold, gprofng, gdb or sim); libbfd and libopcodes are linked in statically and not
# installed. The sysroot is <prefix>/<triplet>/sysroot (where a sysroot package for the target would put glibc),
# so `ld` finds a target's libraries there, and `=` in its search paths means that directory.
set -euo pipefail

for target in $BINUTILS_TARGETS; do
    mkdir -p "build-$target"
    pushd "build-$target" > /dev/null
    ../configure \
        --prefix="$PREFIX" \
        --build="$BUILD" \
        --host="$HOST" \
        --target="$target" \
        --with-sysroot="$PREFIX/$target/sysroot" \
        --enable-ld=default \
        --disable-gold \
        --disable-gprofng \
        --disable-gdb \
        --disable-gdbserver \
        --disable-sim \
        --disable-readline \
        --disable-libdecnumber \
        --disable-nls \
        --disable-werror \
        --disable-multilib \
        --disable-shared \
        --disable-install-libbfd \
        --enable-deterministic-archives \
        --enable-plugins \
        --enable-64-bit-bfd \
        --with-system-zlib=no \
        --without-zstd \
        --without-debuginfod \
        --without-msgpack
    # The manuals are not shipped; makeinfo (not on the build machine) would only rebuild them.
    make -j"$CPU_COUNT" MAKEINFO=true
    make install MAKEINFO=true
    popd > /dev/null
done

# The manuals and the host-side plugin directory are not shipped.
rm -rf "$PREFIX/share" "$PREFIX/lib/bfd-plugins"
find "$PREFIX/lib" -maxdepth 0 -empty -delete 2> /dev/null || true
