#!/usr/bin/env bash
# Fuzz archi's parsers with cargo-fuzz (libFuzzer): recipe parse + render, archive extraction, patch application.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     (default 600)
#
# Runs each target for SECONDS_PER_TARGET, one after the other, with one job, keeping its corpus in
# fuzz/corpus/<target>/ (seeded, when empty, from the repository's recipes, the error fixtures, patches under
# recipes/ and fuzz/seeds/, made by fuzz/make_seeds.py), then minimises the corpus (cargo fuzz cmin). Findings land
# in fuzz/artifacts/<target>/ and the libFuzzer log in fuzz/logs/<target>.log; the script exits 1 if any target
# found one. Installs cargo-fuzz first if it is missing. The machine has only stable rustc: RUSTC_BOOTSTRAP=1 lets
# cargo-fuzz's nightly flags through. ARCHI_FUZZ_SANITIZER=none skips AddressSanitizer (default: address).
set -euo pipefail

secs=${1:-600}
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo/fuzz"
export RUSTC_BOOTSTRAP=1
sanitizer=${ARCHI_FUZZ_SANITIZER:-address}

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

# target  max_len (bytes)  timeout per input (s)
targets=(
    "recipe_render 16384 10"
    "archive_extract 65536 10"
    "patch_apply 16384 10"
)

seed() {
    local target=$1 dir=corpus/$1
    shopt -s nullglob
    case $target in
    recipe_render)
        for f in "$repo"/recipes/*/recipe.toml; do cp "$f" "$dir/recipe-$(basename "$(dirname "$f")").toml"; done
        for f in "$repo"/tests/data/recipes/errors/*.toml; do cp "$f" "$dir/error-$(basename "$f")"; done
        ;;
    patch_apply)
        for f in "$repo"/recipes/*/*.patch "$repo"/recipes/*/*.diff; do cp "$f" "$dir/recipe-$(basename "$f")"; done
        ;;
    esac
    for f in seeds/"$target"/*; do cp "$f" "$dir/seed-$(basename "$f")"; done
    shopt -u nullglob
}

cargo fuzz build --sanitizer "$sanitizer"
mkdir -p logs
failed=()
for spec in "${targets[@]}"; do
    read -r target max_len timeout <<<"$spec"
    mkdir -p "corpus/$target" "artifacts/$target"
    if [ -z "$(ls -A "corpus/$target")" ]; then
        seed "$target"
    fi
    echo "== $target: ${secs}s, $(ls "corpus/$target" | wc -l) corpus files" >&2
    rm -f fuzz-0.log
    if ! cargo fuzz run --sanitizer "$sanitizer" "$target" "corpus/$target" -- \
        -max_total_time="$secs" -jobs=1 -workers=1 -max_len="$max_len" -timeout="$timeout" \
        -rss_limit_mb=2048 -print_final_stats=1; then
        failed+=("$target")
    fi
    [ -f fuzz-0.log ] && mv fuzz-0.log "logs/$target.log"
    grep -E '^stat::|^#[0-9]+.*DONE' "logs/$target.log" >&2 || true
    cargo fuzz cmin --sanitizer "$sanitizer" "$target" "corpus/$target" -- -max_len="$max_len" \
        -timeout="$timeout" >/dev/null 2>&1
    echo "   corpus after cmin: $(ls "corpus/$target" | wc -l) files, $(du -sb "corpus/$target" | cut -f1) bytes" >&2
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "findings in: ${failed[*]} (see fuzz/artifacts/ and fuzz/logs/)" >&2
    exit 1
fi
