#!/bin/bash
# Unpacks Debian's three cross packages (ar archives holding data.tar.xz) and lays their files out as conda-forge's
# sysroot: shared libraries and the dynamic linker in <triplet>/sysroot/lib64, start files, static libraries and
# linker scripts in usr/lib64, headers in usr/include; lib and usr/lib link to lib64. The development symlinks
# (libm.so -> libm.so.6) now cross from usr/lib64 to lib64, and libc.so's linker script names its members by their
# paths inside the sysroot (ld prefixes those with the sysroot, as for a native /usr/lib64/libc.so).
set -euo pipefail

sysroot="$PREFIX/$TRIPLET/sysroot"
unpack() {
    local deb=$1 dest=$2
    mkdir -p "$dest"
    (cd "$dest" && ar x "$SRC_DIR/$deb" data.tar.xz && tar -xJf data.tar.xz && rm data.tar.xz)
}
unpack libc6-arm64-cross_*.deb libc
unpack libc6-dev-arm64-cross_*.deb libc-dev
unpack linux-libc-dev-arm64-cross_*.deb linux

mkdir -p "$sysroot/lib64" "$sysroot/usr/lib64" "$sysroot/usr/include"
ln -s lib64 "$sysroot/lib"
ln -s lib64 "$sysroot/usr/lib"
cp -a libc/usr/aarch64-linux-gnu/lib/. "$sysroot/lib64/"
cp -a libc-dev/usr/aarch64-linux-gnu/lib/. "$sysroot/usr/lib64/"
cp -a libc-dev/usr/aarch64-linux-gnu/include/. "$sysroot/usr/include/"
cp -a linux/usr/aarch64-linux-gnu/include/. "$sysroot/usr/include/"

# Development symlinks to a shared library (libm.so -> libm.so.6) point at it in lib64.
for link in "$sysroot"/usr/lib64/*.so; do
    [[ -L "$link" ]] || continue
    target=$(readlink "$link")
    [[ -e "$sysroot/lib64/$target" ]] || { echo "build.sh: $link -> $target: no such library in lib64" >&2; exit 1; }
    ln -sfn "../../lib64/$target" "$link"
done
# Linker scripts (libc.so): Debian's absolute paths become the sysroot's.
for script in "$sysroot"/usr/lib64/*.so; do
    [[ -L "$script" ]] && continue
    grep -q 'GNU ld script' "$script" || continue
    sed -i -E \
        -e 's@/usr/aarch64-linux-gnu/lib/(lib[^ ]*\.so\.[0-9]+|ld-linux-aarch64\.so\.1)@/lib64/\1@g' \
        -e 's@/usr/aarch64-linux-gnu/lib/(lib[^ ]*\.a)@/usr/lib64/\1@g' \
        "$script"
    if grep -q '/usr/aarch64-linux-gnu' "$script"; then
        echo "build.sh: $script still names /usr/aarch64-linux-gnu" >&2
        exit 1
    fi
done

# The licenses, for about.license_file.
cp libc/usr/share/doc/libc6-arm64-cross/copyright "$SRC_DIR/copyright-libc6"
cp linux/usr/share/doc/linux-libc-dev-arm64-cross/copyright "$SRC_DIR/copyright-linux-libc-dev"
