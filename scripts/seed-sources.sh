#!/usr/bin/env bash
# Seed archi's source cache with the upstream tarballs of the recipes (recipes/ and toolchain/recipes/), taken from
# the Debian archive this machine's apt is configured for (by source package name only; no host is named here).
#
#   scripts/seed-sources.sh [--download-only]
#
# 1. If apt has no deb-src entry, derive one from the configured deb entries: deb822 stanzas
#    (/etc/apt/sources.list.d/*.sources, "Types: deb") are written to
#    /etc/apt/sources.list.d/archi-deb-src.sources with "Types: deb-src"; one-line "deb ..." entries of
#    /etc/apt/sources.list become "deb-src ..." in /etc/apt/sources.list.d/archi-deb-src.list. Then apt-get update.
# 2. Ask apt which *.orig.tar.* files each source package has (name and sha256), and fetch the missing ones with
#    `apt-get source --download-only` into $ARCHI_DOWNLOADS (default ~/.cache/archi/downloads). Files already
#    there with the right sha256 are not fetched again.
#    Debian's binary cross packages the sysroot recipe unpacks (DEBS: glibc and kernel headers for aarch64 and x86_64) are
#    fetched with `apt-get download` (apt checks them against the archive's SHA256).
# 3. `archi source add` every orig tarball, every .deb and the sources kept in tests/data/sources/ (conda 23.9.0, which no
#    registry serves); the store comes from ARCHI_STORE, as archi reads it.
#    --download-only stops after step 2.
#
# Environment: ARCHI (the archi program, default "archi"), ARCHI_DOWNLOADS, ARCHI_STORE.
# sudo is used for the apt configuration and apt-get update only when not running as root.
set -euo pipefail

# The chain's C libraries and python (recipes/), then the toolchain workspace's sources (toolchain/recipes/).
PACKAGES=(bzip2 xz-utils zlib libffi ncurses readline openssl sqlite3 expat util-linux libxcrypt libzstd libyaml python3.11
    make-dfsg m4 gmp mpfr4 mpclib3 isl binutils gcc-12)
# Binary packages (not sources): the aarch64 and x86_64 glibc and kernel headers of toolchain/recipes/sysroot.
DEBS=(libc6-arm64-cross libc6-dev-arm64-cross linux-libc-dev-arm64-cross libc6-amd64-cross libc6-dev-amd64-cross linux-libc-dev-amd64-cross)
DOWNLOADS="${ARCHI_DOWNLOADS:-$HOME/.cache/archi/downloads}"
ARCHI_BIN="${ARCHI:-archi}"
APT_DIR=/etc/apt
DEB822_OUT="$APT_DIR/sources.list.d/archi-deb-src.sources"
LEGACY_OUT="$APT_DIR/sources.list.d/archi-deb-src.list"

log() { printf 'seed-sources: %s\n' "$*" >&2; }
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

if [[ "$(id -u)" == 0 ]]; then
    SUDO=()
else
    command -v sudo > /dev/null || die "not root and no sudo: cannot change the apt configuration"
    SUDO=(sudo)
fi

# Prints the enabled deb822 stanzas of the given .sources files whose Types include "deb", with
# "Types: deb-src". With --check, prints "yes" instead when some enabled stanza already has deb-src.
deb822_stanzas() {
    local mode=$1
    shift
    awk -v mode="$mode" '
        function flush(   i) {
            if (n > 0 && enabled) {
                if (mode == "check" && has_src) found = 1
                if (mode == "derive" && has_deb) {
                    if (printed++) print ""
                    for (i = 1; i <= n; i++) print lines[i]
                }
            }
            n = 0; has_deb = 0; has_src = 0; enabled = 1
        }
        BEGIN { enabled = 1 }
        FNR == 1 { flush() }
        /^[[:space:]]*$/ { flush(); next }
        {
            line = $0
            low = tolower($0)
            if (low ~ /^types:/) {
                if ($0 ~ /[[:space:]]deb([[:space:]]|$)/) has_deb = 1
                if ($0 ~ /[[:space:]]deb-src([[:space:]]|$)/) has_src = 1
                line = "Types: deb-src"
            }
            if (low ~ /^enabled:[[:space:]]*no/) enabled = 0
            lines[++n] = line
        }
        END { flush(); if (mode == "check" && found) print "yes" }
    ' "$@"
}

sources_files() {
    local f
    for f in "$APT_DIR"/sources.list.d/*.sources; do
        [[ -f "$f" ]] && printf '%s\n' "$f"
    done
    return 0
}

legacy_files() {
    local f
    for f in "$APT_DIR/sources.list" "$APT_DIR"/sources.list.d/*.list; do
        [[ -f "$f" ]] && printf '%s\n' "$f"
    done
    return 0
}

have_deb_src() {
    local -a s l
    mapfile -t s < <(sources_files)
    mapfile -t l < <(legacy_files)
    if ((${#s[@]} > 0)) && [[ "$(deb822_stanzas check "${s[@]}")" == yes ]]; then
        return 0
    fi
    ((${#l[@]} > 0)) && grep -qsE '^[[:space:]]*deb-src[[:space:]]' "${l[@]}"
}

write_root_file() {
    local path=$1 content=$2
    printf '%s\n' "$content" | "${SUDO[@]}" tee "$path" > /dev/null
    log "wrote $path"
}

apt_update() {
    log "apt-get update"
    "${SUDO[@]}" apt-get update -q || log "warning: apt-get update reported errors (continuing; missing files are reported below)"
}

ensure_deb_src() {
    if have_deb_src; then
        log "apt already has deb-src entries"
        return 0
    fi
    local -a s
    local derived legacy=""
    mapfile -t s < <(sources_files)
    derived=""
    if ((${#s[@]} > 0)); then
        derived=$(deb822_stanzas derive "${s[@]}")
    fi
    if [[ -f "$APT_DIR/sources.list" ]]; then
        legacy=$(sed -n -E 's/^[[:space:]]*deb([[:space:]])/deb-src\1/p' "$APT_DIR/sources.list")
    fi
    [[ -n "$derived" || -n "$legacy" ]] || die "no deb entries in $APT_DIR/sources.list or $APT_DIR/sources.list.d/*.sources to derive deb-src entries from"
    [[ -z "$derived" ]] || write_root_file "$DEB822_OUT" "$derived"
    [[ -z "$legacy" ]] || write_root_file "$LEGACY_OUT" "$legacy"
    apt_update
}

# Prints "FILE SHA256" for every orig tarball of source package $1 (the version apt-get source would fetch).
orig_files() {
    apt-get source --print-uris -qq "$1" 2> /dev/null | awk '
        /^\047/ {
            file = $2; sum = ""
            for (i = 3; i <= NF; i++) if ($i ~ /^SHA256:/) sum = substr($i, 8)
            if (file ~ /\.orig(-[A-Za-z0-9-]+)?\.tar\.[a-z0-9]+$/) print file, sum
        }'
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

ensure_deb_src
mkdir -p "$DOWNLOADS"
DOWNLOADS=$(cd "$DOWNLOADS" && pwd)

declare -A expected=()
declare -a order=() fetch=()
updated=0
for pkg in "${PACKAGES[@]}"; do
    listing=$(orig_files "$pkg" || true)
    if [[ -z "$listing" && $updated == 0 ]]; then
        apt_update
        updated=1
        listing=$(orig_files "$pkg" || true)
    fi
    [[ -n "$listing" ]] || die "apt knows no source package '$pkg' with an orig tarball (apt-get source --print-uris $pkg)"
    need=0
    while read -r file sum; do
        [[ -n "$sum" ]] || die "apt gave no SHA256 for $file"
        expected[$file]=$sum
        order+=("$file")
        if [[ -f "$DOWNLOADS/$file" && "$(sha256_of "$DOWNLOADS/$file")" == "$sum" ]]; then
            log "$pkg: $file already present"
        else
            rm -f "$DOWNLOADS/$file"
            need=1
        fi
    done <<< "$listing"
    if [[ $need == 1 ]]; then
        fetch+=("$pkg")
    fi
done

if ((${#fetch[@]} > 0)); then
    log "downloading source packages into $DOWNLOADS: ${fetch[*]}"
    # apt-get can fail on one file (e.g. a .dsc) after the orig tarball arrived: check the files instead.
    if ! (cd "$DOWNLOADS" && apt-get source --download-only -q "${fetch[@]}"); then
        log "warning: apt-get source exited non-zero; checking which files arrived"
    fi
fi

# A security update's pool may not be served where the main archive is: an orig tarball apt-get could not fetch
# for the newest version is asked for again through every other version apt lists for the package (Debian keeps
# one orig tarball across a version's revisions, so the sha256 check below still decides).
for pkg in "${fetch[@]}"; do
    pending=0
    while read -r file _; do
        [[ -f "$DOWNLOADS/$file" ]] || pending=1
    done <<< "$(orig_files "$pkg" || true)"
    [[ $pending == 1 ]] || continue
    for version in $(apt-cache showsrc "$pkg" 2> /dev/null | awk '/^Version:/ { print $2 }'); do
        log "$pkg: trying version $version"
        (cd "$DOWNLOADS" && apt-get source --download-only -q "$pkg=$version") > /dev/null 2>&1 || true
        pending=0
        while read -r file _; do
            [[ -f "$DOWNLOADS/$file" ]] || pending=1
        done <<< "$(orig_files "$pkg" || true)"
        [[ $pending == 1 ]] || break
    done
done

missing=()
files=()
for file in "${order[@]}"; do
    if [[ ! -f "$DOWNLOADS/$file" ]]; then
        missing+=("$file (not downloaded)")
    elif [[ "$(sha256_of "$DOWNLOADS/$file")" != "${expected[$file]}" ]]; then
        missing+=("$file (sha256 differs from the one apt lists, ${expected[$file]})")
    else
        files+=("$DOWNLOADS/$file")
    fi
done
if ((${#missing[@]} > 0)); then
    for m in "${missing[@]}"; do log "missing: $m"; done
    die "${#missing[@]} orig tarball(s) missing in $DOWNLOADS"
fi
log "all ${#files[@]} orig tarballs present in $DOWNLOADS"

# Prints the file name apt gives binary package $1's candidate version (name_version_arch.deb, epoch left out).
deb_file() {
    apt-cache show --no-all-versions "$1" 2> /dev/null | awk '/^Filename:/ { n = split($2, p, "/"); print p[n]; exit }'
}
for pkg in "${DEBS[@]}"; do
    file=$(deb_file "$pkg")
    if [[ -z "$file" ]]; then
        apt_update
        file=$(deb_file "$pkg")
    fi
    [[ -n "$file" ]] || die "apt knows no binary package '$pkg' (apt-cache show $pkg)"
    if [[ -f "$DOWNLOADS/$file" ]]; then
        log "$pkg: $file already present"
    else
        log "$pkg: apt-get download"
        (cd "$DOWNLOADS" && apt-get download -q "$pkg") || die "apt-get download $pkg failed"
        [[ -f "$DOWNLOADS/$file" ]] || die "apt-get download $pkg did not write $file"
    fi
    files+=("$DOWNLOADS/$file")
done

if [[ $add_to_archi == 0 ]]; then
    printf '%s\n' "${files[@]}"
    exit 0
fi
command -v "$ARCHI_BIN" > /dev/null || die "archi program '$ARCHI_BIN' not found (set ARCHI=/path/to/archi)"
# Sources no registry serves, kept in the repository (conda 23.9.0: `git archive` of its tag without tests/).
REPO_SOURCES="$(cd "$(dirname "$0")/.." && pwd)/tests/data/sources"
for file in "$REPO_SOURCES"/*.tar.*; do
    [[ -f "$file" ]] && files+=("$file")
done
log "adding to the source cache: $ARCHI_BIN source add (${#files[@]} files)"
"$ARCHI_BIN" source add "${files[@]}"
log "done"
