#!/bin/bash
# SQLite from the full source tree (not the amalgamation): configure + Makefile generate sqlite3.c, sqlite3.h,
# the parser and the keyword hash with tclsh and with helper programs (lemon, mkkeywordhash, mksourceid) that
# the Makefile compiles with BCC, the build machine's compiler. Shared library plus the sqlite3 shell, which is
# linked against libsqlite3.so (shell-links-libsqlite3.patch) and readline from the host env.
set -euo pipefail

# Compile-time options as conda-forge's sqlite feedstock (3.40 era), plus FTS3/FTS4 and the session extension.
# They go into OPTS rather than CFLAGS because the Makefile hands OPTS to lemon and mkkeywordhash as well, so the
# generated parser matches the library (e.g. UPDATE/DELETE ... LIMIT).
opts=(
    -DSQLITE_ENABLE_COLUMN_METADATA=1
    -DSQLITE_ENABLE_UNLOCK_NOTIFY
    -DSQLITE_ENABLE_DBSTAT_VTAB=1
    -DSQLITE_ENABLE_FTS3
    -DSQLITE_ENABLE_FTS3_PARENTHESIS
    -DSQLITE_ENABLE_FTS3_TOKENIZER=1
    -DSQLITE_ENABLE_FTS4
    -DSQLITE_ENABLE_FTS5
    -DSQLITE_ENABLE_GEOPOLY
    -DSQLITE_ENABLE_JSON1
    -DSQLITE_ENABLE_RTREE=1
    -DSQLITE_ENABLE_PREUPDATE_HOOK
    -DSQLITE_ENABLE_SESSION
    -DSQLITE_ENABLE_STMTVTAB
    -DSQLITE_ENABLE_UPDATE_DELETE_LIMIT
    -DSQLITE_ENABLE_EXPLAIN_COMMENTS
    -DSQLITE_SOUNDEX
    -DSQLITE_SECURE_DELETE
    -DSQLITE_USE_URI=1
    -DSQLITE_LIKE_DOESNT_MATCH_BLOBS
    -DSQLITE_MAX_VARIABLE_NUMBER=250000
    -DSQLITE_MAX_EXPR_DEPTH=10000
    -DHAVE_PREAD64
    -DHAVE_PWRITE64
)
OPTS="${opts[*]}"

# The generators (mksqlite3h.tcl, mksqlite3c.tcl, mkopcodeh.tcl, ...) run with the build machine's tclsh.
export TCLSH_CMD=tclsh
if [[ "${CONDA_BUILD_CROSS_COMPILATION:-0}" == 1 ]]; then
    # lemon, mkkeywordhash and mksourceid run during the build: compile them for the build machine, with no
    # target flags.
    export BUILD_CC="${CC_FOR_BUILD:-gcc}"
    export BUILD_CFLAGS="-O2"
fi

./configure \
    --prefix="$PREFIX" \
    --build="$BUILD" \
    --host="$HOST" \
    --enable-shared \
    --disable-static \
    --enable-threadsafe \
    --enable-load-extension \
    --enable-fts5 \
    --disable-tcl \
    --disable-editline \
    --enable-readline \
    --with-readline-lib="-lreadline" \
    --with-readline-inc="-I$PREFIX/include"

make -j"$CPU_COUNT" OPTS="$OPTS"
make install OPTS="$OPTS"

find "$PREFIX/lib" -maxdepth 1 -name 'libsqlite3.la' -delete
rm -rf "$PREFIX/share/man" "$PREFIX/share/doc"
rmdir "$PREFIX/share" 2>/dev/null || true
