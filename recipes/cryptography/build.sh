#!/usr/bin/env bash
# openssl-sys (the Rust bindings) and cffi's _openssl module both take archi's OpenSSL from $PREFIX; the Rust
# extension gets a RUNPATH to $PREFIX/lib like the C ones (archi makes it $ORIGIN-relative when packaging).
set -euxo pipefail

export OPENSSL_DIR="$PREFIX"
export OPENSSL_NO_VENDOR=1
export PKG_CONFIG_ALLOW_CROSS=1
# cryptography-cffi's build script runs python to generate the C source of the OpenSSL bindings.
export PYO3_PYTHON="$PYTHON"
export RUSTFLAGS="-C link-arg=-Wl,-rpath,$PREFIX/lib -C link-arg=-L$PREFIX/lib"

"$PYTHON" -m pip install . --no-deps --no-build-isolation --no-index -vv
