#!/usr/bin/env bash
# The main job: build archi, seed the real upstream sources (Debian's archive through apt, PyPI through pip, the
# repository's copy of conda's source, the Rust crates of cargo_vendor sources through cargo), then build every
# shipped recipe
# for this machine (linux-64) and for linux-aarch64 in one graph, concurrently under one make jobserver, into the
# workspace's channel (channels/local), with a log per build in channels/logs/ and channels/timeline.svg.
# Run scripts/install-deps.sh first on a fresh machine. Extra arguments go to `archi build` (e.g. -j 1, --test skip).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --locked
ARCHI="$PWD/target/release/archi"
ARCHI="$ARCHI" ./scripts/seed-sources.sh
ARCHI="$ARCHI" ./scripts/seed-pypi.sh
for recipe in recipes/*/; do
    if grep -q '^cargo_vendor' "$recipe/recipe.toml"; then
        "$ARCHI" source vendor "$recipe"
    fi
done
"$ARCHI" build --all --target-platform linux-64 --target-platform linux-aarch64 "$@"
echo "build-all: channel at $PWD/channels/local, timeline at $PWD/channels/timeline.svg" >&2
