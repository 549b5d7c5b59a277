#!/usr/bin/env bash
# The main job: build archi, seed the real upstream sources from Debian's archive, then build every shipped recipe
# for this machine (linux-64) and for linux-aarch64 into the workspace's channel (channels/local).
# Run scripts/install-deps.sh first on a fresh machine. Extra arguments go to both `archi build` runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --locked
ARCHI="$PWD/target/release/archi"
ARCHI="$ARCHI" ./scripts/seed-sources.sh
recipes=(recipes/*/)
"$ARCHI" build "${recipes[@]}" "$@"
"$ARCHI" build --target-platform linux-aarch64 "${recipes[@]}" "$@"
echo "build-all: channel at $PWD/channels/local:" >&2
"$ARCHI" index channels/local
