#!/bin/bash
# Writes the activation scripts of binutils_<subdir> for target triplet $1 and subdir $2, as conda-forge's
# ctng-compiler-activation does for binutils: on `conda activate` AR, AS, LD, NM, … name the target's programs
# (bin/<triplet>-*), the previous values are kept in CONDA_BACKUP_<VAR> and restored on deactivation.
# Called by install-activation-linux-64.sh and install-activation-linux-aarch64.sh (one per output).
set -euo pipefail
triplet=$1
subdir=$2
tools="ADDR2LINE:addr2line AR:ar AS:as CXXFILT:c++filt ELFEDIT:elfedit GPROF:gprof LD:ld NM:nm OBJCOPY:objcopy \
OBJDUMP:objdump RANLIB:ranlib READELF:readelf SIZE:size STRINGS:strings STRIP:strip"

mkdir -p "$PREFIX/etc/conda/activate.d" "$PREFIX/etc/conda/deactivate.d"
{
    echo "# Written by archi's binutils recipe: the $subdir binutils ($triplet-*) for builds in this environment."
    echo "export CONDA_TOOLCHAIN_HOST=$triplet"
    for pair in $tools; do
        var=${pair%%:*}
        prog=${pair#*:}
        echo "if [ -n \"\${$var+x}\" ]; then export CONDA_BACKUP_$var=\"\$$var\"; fi"
        echo "export $var=$triplet-$prog"
    done
} > "$PREFIX/etc/conda/activate.d/activate-binutils_$subdir.sh"
{
    echo "# Written by archi's binutils recipe: undoes activate-binutils_$subdir.sh."
    echo "unset CONDA_TOOLCHAIN_HOST"
    for pair in $tools; do
        var=${pair%%:*}
        echo "if [ -n \"\${CONDA_BACKUP_$var+x}\" ]; then export $var=\"\$CONDA_BACKUP_$var\"; unset CONDA_BACKUP_$var; else unset $var; fi"
    done
} > "$PREFIX/etc/conda/deactivate.d/deactivate-binutils_$subdir.sh"
