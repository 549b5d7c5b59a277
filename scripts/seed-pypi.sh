#!/usr/bin/env bash
# Seed archi's source cache with the PyPI sdists the python recipes name, fetched with pip (by package name and
# version only; no host is named here).
#
#   scripts/seed-pypi.sh [--download-only]
#
# 1. Read every `[[source]]` of recipes/*/recipe.toml whose note is exactly
#    `note = "pip download --no-deps --no-binary :all: NAME==VERSION"`, with its `file_name` and `sha256`.
# 2. Fetch the missing ones with that pip command into $ARCHI_DOWNLOADS (default ~/.cache/archi/downloads).
#    Files already there with the recipe's sha256 are not fetched again; a file whose sha256 differs from the
#    recipe's is an error (nothing is added).
# 3. `archi source add` every sdist (the store comes from ARCHI_STORE, as archi reads it).
#    --download-only stops after step 2 and prints the files.
#
# pip prepares each sdist's metadata to check it, which runs the sdist's build backend in a throwaway environment
# (pip fetches the backend itself); nothing is installed anywhere.
#
# Environment: ARCHI (the archi program, default "archi"), ARCHI_DOWNLOADS, ARCHI_STORE,
# PYTHON (the python whose pip runs, default python3).
set -euo pipefail

cd "$(dirname "$0")/.."
DOWNLOADS="${ARCHI_DOWNLOADS:-$HOME/.cache/archi/downloads}"
ARCHI_BIN="${ARCHI:-archi}"
PYTHON_BIN="${PYTHON:-python3}"
NOTE_PREFIX='pip download --no-deps --no-binary :all: '

log() { printf 'seed-pypi: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

add_to_archi=1
for arg in "$@"; do
    case "$arg" in
        --download-only) add_to_archi=0 ;;
        -h | --help)
            sed -n -e '/^set -euo/q' -e '2,$s/^# \{0,1\}//p' "$0"
            exit 0
            ;;
        *) die "unknown argument '$arg' (see --help)" ;;
    esac
done

# Prints "RECIPE FILE_NAME SHA256 REQUIREMENT" for every [[source]] table of the given recipe.toml files whose note
# is a pip download command. A table ends at the next [header]; keys are read as `key = "value"` lines.
pip_sources() {
    awk -v prefix="$NOTE_PREFIX" '
        function value(line) {
            sub(/^[^=]*=[[:space:]]*"/, "", line)
            sub(/"[[:space:]]*(#.*)?$/, "", line)
            return line
        }
        function flush() {
            if (insrc && note != "") {
                if (index(note, prefix) != 1) {
                    printf "%s: note \"%s\" is not \"%sNAME==VERSION\"\n", FILENAME, note, prefix > "/dev/stderr"
                    bad = 1
                } else if (file == "" || sum == "") {
                    printf "%s: a pip-download source needs file_name and sha256\n", FILENAME > "/dev/stderr"
                    bad = 1
                } else {
                    print FILENAME, file, sum, substr(note, length(prefix) + 1)
                }
            }
            insrc = 0; file = ""; sum = ""; note = ""
        }
        FNR == 1 { flush() }
        /^[[:space:]]*\[/ { flush(); insrc = ($0 ~ /^[[:space:]]*\[\[source\]\]/); next }
        insrc && /^[[:space:]]*file_name[[:space:]]*=/ { file = value($0) }
        insrc && /^[[:space:]]*sha256[[:space:]]*=/ { sum = value($0) }
        insrc && /^[[:space:]]*note[[:space:]]*=/ { n = value($0); if (n ~ /^pip download/) note = n }
        END { flush(); exit bad }
    ' "$@"
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

shopt -s nullglob
recipes=(recipes/*/recipe.toml)
((${#recipes[@]} > 0)) || die "no recipes/*/recipe.toml under $PWD"
listing=$(pip_sources "${recipes[@]}") || die "malformed pip-download sources (see above)"
[[ -n "$listing" ]] || die "no recipe names a source with note = \"${NOTE_PREFIX}NAME==VERSION\""

mkdir -p "$DOWNLOADS"
DOWNLOADS=$(cd "$DOWNLOADS" && pwd)

declare -A expected=() requirement=()
declare -a order=() fetch=()
while read -r recipe file sum req; do
    [[ "$file" != */* && "$req" =~ ^[A-Za-z0-9._-]+==[A-Za-z0-9.+!_-]+$ ]] ||
        die "$recipe: bad file_name '$file' or requirement '$req'"
    if [[ -n "${expected[$file]:-}" ]]; then
        [[ "${expected[$file]}" == "$sum" ]] || die "$recipe: $file has sha256 $sum here and ${expected[$file]} elsewhere"
        continue
    fi
    expected[$file]=$sum
    requirement[$file]=$req
    order+=("$file")
    if [[ -f "$DOWNLOADS/$file" ]]; then
        [[ "$(sha256_of "$DOWNLOADS/$file")" == "$sum" ]] ||
            die "$DOWNLOADS/$file exists with a sha256 other than $recipe's $sum (remove it to fetch it again)"
        log "$file already present"
    else
        fetch+=("$req")
    fi
done <<< "$listing"

if ((${#fetch[@]} > 0)); then
    "$PYTHON_BIN" -m pip --version > /dev/null 2>&1 ||
        die "'$PYTHON_BIN -m pip' does not run (install python3-pip, or set PYTHON)"
    log "downloading ${#fetch[@]} sdist(s) into $DOWNLOADS: ${fetch[*]}"
    # One pip run per sdist: the note is the exact command, and one failure names its package.
    for req in "${fetch[@]}"; do
        "$PYTHON_BIN" -m pip download --disable-pip-version-check --no-deps --no-binary :all: "$req" -d "$DOWNLOADS" ||
            die "pip download $req failed"
    done
fi

missing=()
files=()
for file in "${order[@]}"; do
    if [[ ! -f "$DOWNLOADS/$file" ]]; then
        missing+=("$file (pip download ${requirement[$file]} made no file of this name)")
    elif [[ "$(sha256_of "$DOWNLOADS/$file")" != "${expected[$file]}" ]]; then
        missing+=("$file (sha256 $(sha256_of "$DOWNLOADS/$file") differs from the recipe's ${expected[$file]})")
    else
        files+=("$DOWNLOADS/$file")
    fi
done
if ((${#missing[@]} > 0)); then
    for m in "${missing[@]}"; do log "missing: $m"; done
    die "${#missing[@]} sdist(s) missing in $DOWNLOADS"
fi
log "all ${#files[@]} sdists present in $DOWNLOADS"

if [[ $add_to_archi == 0 ]]; then
    printf '%s\n' "${files[@]}"
    exit 0
fi
command -v "$ARCHI_BIN" > /dev/null || die "archi program '$ARCHI_BIN' not found (set ARCHI=/path/to/archi)"
log "adding to the source cache: $ARCHI_BIN source add (${#files[@]} files)"
"$ARCHI_BIN" source add "${files[@]}"
log "done"
