#!/bin/bash
# readline: autotools-like configure. The shared libreadline is linked against ncurses' terminfo library from
# the host env (libtinfow), so it needs no -lncurses from its users; ncurses' run_exports give the run dependency.
set -euo pipefail

# The terminfo functions (tgetent, ...) come from libtinfo; ncurses in $PREFIX provides libtinfo.so (a link to
# libtinfow.so) and tinfo.pc, which readline.pc names in Requires.private.
export bash_cv_termcap_lib=libtinfo
# configure decides this by running a program that needs the en_US.UTF-8 locale on the build machine (and cannot
# run it when cross-compiling); glibc's wcwidth handles combining characters, so give the answer instead.
export bash_cv_wcwidth_broken=no

./configure \
    --prefix="$PREFIX" \
    --build="$BUILD" \
    --host="$HOST" \
    --with-curses \
    --with-shared-termcap-library \
    --disable-static \
    --disable-install-examples
make -j"$CPU_COUNT" SHLIB_LIBS="-ltinfow"
make install SHLIB_LIBS="-ltinfow"

rm -rf "$PREFIX/share/doc" "$PREFIX/share/info" "$PREFIX/share/man"
rmdir "$PREFIX/share" 2>/dev/null || true
