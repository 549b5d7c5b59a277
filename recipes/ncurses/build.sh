#!/bin/bash
# ncurses, wide-character build only (libncursesw, libtinfow, libformw, libmenuw, libpanelw) with the full
# terminfo database in $PREFIX/share/terminfo. Names without the "w" are provided as development symlinks.
set -euo pipefail

extra=()
if [[ "${CONDA_BUILD_CROSS_COMPILATION:-0}" == 1 ]]; then
    # Cross build: helper programs (make_hash, make_keys) run on the build machine, and so does the tic that
    # compiles the terminfo database during `make install`. Take tic from the build env when it holds one,
    # otherwise build a static one for the build machine from this same source.
    build_cc="${CC_FOR_BUILD:-gcc}"
    if [[ -x "$BUILD_PREFIX/bin/tic" ]]; then
        native_tic="$BUILD_PREFIX/bin/tic"
    else
        mkdir -p build-native-tic
        (
            cd build-native-tic
            env CC="$build_cc" CFLAGS="-O2" CPPFLAGS="" LDFLAGS="" AR=ar RANLIB=ranlib LD=ld NM=nm STRIP=strip \
                ../configure --without-shared --without-debug --without-ada --without-cxx --without-cxx-binding \
                --without-tests --without-manpages --disable-db-install --enable-widec --enable-symlinks \
                --disable-stripping \
                --with-default-terminfo-dir="$PREFIX/share/terminfo"
            make -j"$CPU_COUNT" -C include
            make -j"$CPU_COUNT" -C ncurses
            make -j"$CPU_COUNT" -C progs tic
        )
        native_tic="$PWD/build-native-tic/progs/tic"
    fi
    export TIC="$native_tic"
    extra+=(
        --with-build-cc="$build_cc"
        --with-build-cpp="$build_cc -E"
        --with-build-cflags="-O2"
        --with-build-cppflags=""
        --with-build-ldflags=""
        --with-build-libs=""
    )
fi

./configure \
    --prefix="$PREFIX" \
    --build="$BUILD" \
    --host="$HOST" \
    --with-shared \
    --without-normal \
    --without-debug \
    --without-ada \
    --without-cxx \
    --without-cxx-binding \
    --without-manpages \
    --without-tests \
    --enable-widec \
    --with-termlib \
    --enable-overwrite \
    --enable-symlinks \
    --enable-pc-files \
    --with-pkg-config-libdir="$PREFIX/lib/pkgconfig" \
    --with-default-terminfo-dir="$PREFIX/share/terminfo" \
    --with-terminfo-dirs="$PREFIX/share/terminfo:/etc/terminfo:/lib/terminfo:/usr/share/terminfo" \
    --disable-stripping \
    "${extra[@]}"
make -j"$CPU_COUNT"
make install

# Development aliases for the narrow names: -lncurses, -ltinfo, ... and pkg-config's ncurses, tinfo, ...
for lib in ncurses tinfo form menu panel; do
    ln -sf "lib${lib}w${SHLIB_EXT:-.so}" "$PREFIX/lib/lib${lib}${SHLIB_EXT:-.so}"
    ln -sf "${lib}w.pc" "$PREFIX/lib/pkgconfig/${lib}.pc"
done
# Headers are in include/; also reachable as <ncursesw/curses.h> and <ncurses/curses.h>.
headers=$(cd "$PREFIX/include" && ls curses.h eti.h form.h menu.h ncurses.h ncurses_dll.h panel.h term.h \
    termcap.h unctrl.h)
for dir in ncursesw ncurses; do
    mkdir -p "$PREFIX/include/$dir"
    for h in $headers; do
        ln -sf "../$h" "$PREFIX/include/$dir/$h"
    done
done
