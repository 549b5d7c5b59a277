#!/bin/bash
# Writes the activation scripts of gcc_<subdir> ($1 = gcc) or gxx_<subdir> ($1 = gxx) for target triplet $2 and
# target subdir $3 (the machine that runs the compiler is $target_platform, the build's), as conda-forge's ctng-compiler-activation does: on `conda activate` the compiler variables name
# the target's programs (bin/<triplet>-gcc, -g++, -cpp, gcc-ar, …) and carry conda-forge's flags for the target;
# CONDA_BUILD_SYSROOT names the sysroot; a cross compiler also sets QEMU_LD_PREFIX and
# CONDA_BUILD_CROSS_COMPILATION. The previous value of each variable is kept in CONDA_BACKUP_<VAR> (unset when
# there was none) and restored on deactivation. Inside a conda build (CONDA_BUILD=1) the flags name $PREFIX,
# otherwise $CONDA_PREFIX. Called by the install-activation-*.sh of the outputs.
set -euo pipefail
tool=$1
triplet=$2
subdir=$3
case "$target_platform" in
    linux-64) build_triplet=x86_64-conda-linux-gnu ;;
    linux-aarch64) build_triplet=aarch64-conda-linux-gnu ;;
    *)
        echo "write-activation.sh: no triplet for $target_platform" >&2
        exit 1
        ;;
esac

case "$subdir" in
    linux-aarch64)
        cflags="-ftree-vectorize -fPIC -fstack-protector-strong -fno-plt -O3 -pipe"
        ;;
    linux-64)
        cflags="-march=nocona -mtune=haswell -ftree-vectorize -fPIC -fstack-protector-strong -fno-plt -O2 -ffunction-sections -pipe"
        ;;
    *)
        echo "write-activation.sh: no flags for $subdir" >&2
        exit 1
        ;;
esac
cxxflags="$cflags -std=c++17 -fmessage-length=0"
cppflags="-DNDEBUG -D_FORTIFY_SOURCE=2 -O2"
ldflags="-Wl,-O2 -Wl,--sort-common -Wl,--as-needed -Wl,-z,relro -Wl,-z,now -Wl,--disable-new-dtags -Wl,--gc-sections -Wl,--allow-shlib-undefined"
cross=0
[[ "$triplet" == "$build_triplet" ]] || cross=1

# VAR=VALUE pairs; a value is written inside double quotes, so it may name ${P} (the environment's prefix).
if [[ "$tool" == gcc ]]; then
    vars=(
        "CC=$triplet-gcc"
        "CPP=$triplet-cpp"
        "GCC=$triplet-gcc"
        "GCC_AR=$triplet-gcc-ar"
        "GCC_NM=$triplet-gcc-nm"
        "GCC_RANLIB=$triplet-gcc-ranlib"
        "CC_FOR_BUILD=$build_triplet-gcc"
        "HOST=$triplet"
        "BUILD=$build_triplet"
        "CONDA_TOOLCHAIN_HOST=$triplet"
        "CONDA_TOOLCHAIN_BUILD=$build_triplet"
        "build_alias=$build_triplet"
        "host_alias=$triplet"
        "CFLAGS=$cflags -isystem \${P}/include"
        "CPPFLAGS=$cppflags -isystem \${P}/include"
        "LDFLAGS=$ldflags -Wl,-rpath,\${P}/lib -Wl,-rpath-link,\${P}/lib -L\${P}/lib"
        "CONDA_BUILD_SYSROOT=\${CONDA_PREFIX}/$triplet/sysroot"
        "CONDA_BUILD_CROSS_COMPILATION=$cross"
    )
    if [[ $cross == 1 ]]; then
        vars+=("QEMU_LD_PREFIX=\${CONDA_PREFIX}/$triplet/sysroot")
    fi
else
    vars=(
        "CXX=$triplet-c++"
        "GXX=$triplet-g++"
        "CXX_FOR_BUILD=$build_triplet-c++"
        "CXXFLAGS=$cxxflags -isystem \${P}/include"
    )
fi

name="${tool}_$subdir"
mkdir -p "$PREFIX/etc/conda/activate.d" "$PREFIX/etc/conda/deactivate.d"
{
    echo "# Written by archi's gcc recipe: the $subdir $tool ($triplet-*) for builds in this environment."
    echo "if [ \"\${CONDA_BUILD:-0}\" = 1 ]; then P=\"\${PREFIX}\"; else P=\"\${CONDA_PREFIX}\"; fi"
    for pair in "${vars[@]}"; do
        var=${pair%%=*}
        value=${pair#*=}
        echo "if [ -n \"\${$var+x}\" ]; then export CONDA_BACKUP_$var=\"\$$var\"; else unset CONDA_BACKUP_$var; fi"
        echo "export $var=\"$value\""
    done
    echo "unset P"
} > "$PREFIX/etc/conda/activate.d/activate-$name.sh"
{
    echo "# Written by archi's gcc recipe: undoes activate-$name.sh."
    for pair in "${vars[@]}"; do
        var=${pair%%=*}
        echo "if [ -n \"\${CONDA_BACKUP_$var+x}\" ]; then export $var=\"\$CONDA_BACKUP_$var\"; unset CONDA_BACKUP_$var; else unset $var; fi"
    done
} > "$PREFIX/etc/conda/deactivate.d/deactivate-$name.sh"
