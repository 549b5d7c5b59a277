#!/bin/bash
# Unpacks Debian's cross packages (ar archives holding data.tar.xz) of each target, <machine>:<debian arch>:<dynamic
# linker> in $TARGETS, and lays their files out as conda-forge's sysroot: shared libraries and the dynamic linker
# in <machine>-conda-linux-gnu/sysroot/lib64, start files, static libraries and linker scripts in usr/lib64,
# headers in usr/include; lib and usr/lib link to lib64. The development symlinks (libm.so -> libm.so.6) now cross
# from usr/lib64 to lib64, and the linker scripts (libc.so, libm.so) name their members by their paths inside the
# sysroot (ld prefixes those with the sysroot, as for a native /usr/lib64/libc.so).
set -euo pipefail

unpack() {
    local deb=$1 dest=$2
    mkdir -p "$dest"
    (cd "$dest" && ar x "$SRC_DIR/$deb" data.tar.xz && tar -xJf data.tar.xz && rm data.tar.xz)
}

for target in $TARGETS; do
    IFS=: read -r machine arch loader <<< "$target"
    debian="$machine-linux-gnu"
    sysroot="$PREFIX/$machine-conda-linux-gnu/sysroot"
    unpack "libc6-$arch-cross_"*.deb "$arch/libc"
    unpack "libc6-dev-$arch-cross_"*.deb "$arch/libc-dev"
    unpack "linux-libc-dev-$arch-cross_"*.deb "$arch/linux"

    mkdir -p "$sysroot/lib64" "$sysroot/usr/lib64" "$sysroot/usr/include"
    ln -s lib64 "$sysroot/lib"
    ln -s lib64 "$sysroot/usr/lib"
    # Debian's lib64 (x86_64 only) holds nothing but a link to the dynamic linker in lib.
    cp -a "$arch/libc/usr/$debian/lib/." "$sysroot/lib64/"
    cp -a "$arch/libc-dev/usr/$debian/lib/." "$sysroot/usr/lib64/"
    cp -a "$arch/libc-dev/usr/$debian/include/." "$sysroot/usr/include/"
    cp -a "$arch/linux/usr/$debian/include/." "$sysroot/usr/include/"
    test -f "$sysroot/lib64/$loader" || { echo "build.sh: no $loader in libc6-$arch-cross" >&2; exit 1; }

    # Development symlinks to a shared library (libm.so -> libm.so.6) point at it in lib64.
    for link in "$sysroot"/usr/lib64/*.so; do
        [[ -L "$link" ]] || continue
        to=$(readlink "$link")
        [[ -e "$sysroot/lib64/$to" ]] || { echo "build.sh: $link -> $to: no such library in lib64" >&2; exit 1; }
        ln -sfn "../../lib64/$to" "$link"
    done
    # Linker scripts: Debian's absolute paths become the sysroot's (shared objects and the dynamic linker in
    # /lib64, static archives in /usr/lib64).
    for script in "$sysroot"/usr/lib64/*.so; do
        [[ -L "$script" ]] && continue
        grep -q 'GNU ld script' "$script" || continue
        sed -i -E \
            -e "s@/usr/$debian/lib(64)?/(lib[^ ]*\\.so\\.[0-9]+|ld-linux[^ ]*\\.so\\.[0-9]+)@/lib64/\\2@g" \
            -e "s@/usr/$debian/lib/(lib[^ ]*\\.a)@/usr/lib64/\\1@g" \
            "$script"
        if grep -q "/usr/$debian" "$script"; then
            echo "build.sh: $script still names /usr/$debian" >&2
            exit 1
        fi
    done

    # The licenses, for about.license_file.
    cp "$arch/libc/usr/share/doc/libc6-$arch-cross/copyright" "$SRC_DIR/copyright-libc6"
    cp "$arch/linux/usr/share/doc/linux-libc-dev-$arch-cross/copyright" "$SRC_DIR/copyright-linux-libc-dev"
done
