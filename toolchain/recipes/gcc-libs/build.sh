#!/bin/bash
# Copies the shared runtime libraries the compiler for the target built (gxx_impl_<subdir> and gcc_impl_<subdir>
# for linux-64 in $BUILD_PREFIX, <triplet>/lib64, gcc's directory for the target's 64-bit libraries) into
# $PREFIX/lib, with their version symlinks; the static archives, linker scripts and headers stay in the compiler
# packages.
set -euo pipefail
from="$BUILD_PREFIX/$GCC_TARGET/lib/$("$BUILD_PREFIX/bin/$GCC_TARGET-gcc" -print-multi-os-directory)"
from=$(cd "$from" && pwd -P)
mkdir -p "$PREFIX/lib"
for lib in libgcc_s.so.1 libatomic.so libgomp.so libstdc++.so; do
    found=0
    for f in "$from/$lib"*; do
        [[ -e "$f" ]] || continue
        case "$f" in *.py | *.a | *.spec) continue ;; esac
        found=1
        cp -a "$f" "$PREFIX/lib/"
    done
    [[ $found == 1 ]] || { echo "build.sh: no $lib in $from" >&2; exit 1; }
done
# libgcc_s.so is a linker script naming libgcc.a in the compiler; a program links against libgcc_s.so.1 here.
ln -sf libgcc_s.so.1 "$PREFIX/lib/libgcc_s.so"
