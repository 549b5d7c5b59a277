#!/bin/bash
# Every ELF file of the installed python (interpreter, libpython, each extension module) needs only libraries in the
# prefix, i.e. archi's, or glibc's own: nothing of the build machine leaked in (configure finds /usr's libraries
# in a native build when the host prefix lacks one). readelf reads either platform's ELF files.
set -euo pipefail
glibc='^(libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|libutil\.so\.1|librt\.so\.1|ld-linux.*\.so\.[0-9])$'
checked=0
for f in "$PREFIX/bin/python3.11" "$PREFIX/lib/libpython3.11.so.1.0" "$PREFIX"/lib/python3.11/lib-dynload/*.so; do
    while read -r needed; do
        if [[ ! "$needed" =~ $glibc && ! -e "$PREFIX/lib/$needed" ]]; then
            echo "$f needs $needed, which is neither glibc's nor in the prefix" >&2
            exit 1
        fi
        checked=$((checked + 1))
    done < <(readelf -d "$f" | sed -n 's/.*(NEEDED).*Shared library: \[\(.*\)\]/\1/p')
done
echo "linkage: $checked NEEDED entries, all glibc's or in the prefix"
