#!/bin/bash
# OpenSSL 3: perl Configure. Configure takes CC, CFLAGS, CPPFLAGS and LDFLAGS from the environment, so the
# cross compiler needs no --cross-compile-prefix. Only the libraries, programs, engines, providers and the
# OPENSSLDIR files (openssl.cnf, misc scripts) are installed: the docs take longer to build than the code.
set -euo pipefail

case "$target_platform" in
    linux-64) target=linux-x86_64 ;;
    linux-aarch64) target=linux-aarch64 ;;
    linux-ppc64le) target=linux-ppc64le ;;
    *)
        echo "openssl recipe: no OpenSSL Configure target for target_platform=$target_platform" >&2
        exit 1
        ;;
esac

perl ./Configure "$target" \
    --prefix="$PREFIX" \
    --openssldir="$PREFIX/ssl" \
    --libdir=lib \
    shared \
    threads \
    no-tests \
    no-zlib \
    no-ssl3 \
    enable-ec_nistp_64_gcc_128
make -j"$CPU_COUNT"
make install_sw install_ssldirs

# Shared libraries only.
rm -f "$PREFIX/lib/libssl.a" "$PREFIX/lib/libcrypto.a"
# install_ssldirs leaves OPENSSLDIR/certs and OPENSSLDIR/private empty: keep certs (where CA certificate
# packages install) with a placeholder file, and drop the unused private/.
touch "$PREFIX/ssl/certs/.keep"
rmdir "$PREFIX/ssl/private"
