#!/bin/bash
# libyaml: the tag's git archive has no configure; ./bootstrap runs autoreconf (as conda-forge's yaml does).
set -euo pipefail

./bootstrap
./configure \
    --prefix="$PREFIX" \
    --build="$BUILD" \
    --host="$HOST" \
    --disable-static
make -j"$CPU_COUNT"
if [[ "${CONDA_BUILD_CROSS_COMPILATION:-0}" != 1 ]]; then
    make -j"$CPU_COUNT" check
fi
make install

find "$PREFIX/lib" -maxdepth 1 -name 'libyaml.la' -delete
