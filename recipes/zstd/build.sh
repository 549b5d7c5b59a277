#!/bin/bash
# zstd: upstream's Makefiles (conda-forge uses the CMake build with the same result). Shared, multi-threaded
# libzstd, and the zstd programs linked against it (zstd-dll, as conda-forge's ZSTD_PROGRAMS_LINK_SHARED=ON) with
# gzip support from the host env's zlib (ZSTD_ZLIB_SUPPORT=ON); no lzma/lz4 support, as conda-forge.
set -euo pipefail

export CFLAGS="${CFLAGS} -O3"
# Never probe the build machine for liblzma/liblz4: the programs would link the system's copies.
make_vars=(PREFIX="$PREFIX" HAVE_ZLIB=1 HAVE_LZMA=0 HAVE_LZ4=0 V=1)

make -j"$CPU_COUNT" -C lib libzstd libzstd.pc "${make_vars[@]}"
make -j"$CPU_COUNT" -C programs zstd-dll "${make_vars[@]}"
if [[ "${CONDA_BUILD_CROSS_COMPILATION:-0}" != 1 ]]; then
    # Quick self-checks of the freshly built CLI against the freshly built library.
    LD_LIBRARY_PATH="$PWD/lib" ./programs/zstd -b1e3 -i1
fi

make -C lib install-shared install-includes install-pc "${make_vars[@]}"
make -C programs install "${make_vars[@]}"

rm -rf "$PREFIX/share/man"
rmdir "$PREFIX/share" 2>/dev/null || true
