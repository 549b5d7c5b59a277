#!/usr/bin/env bash
# Kill trials: SIGKILL archi at random moments of a real build and check what the next commands see.
#
#   scripts/kill-trials.sh [N]        N kills per mode (default 100)
#
# Environment: ARCHI (the binary; default target/debug/archi), KT_DIR (work directory; default a new temp dir,
# kept and printed at the end), KT_SEED (random seed; default the PID).
#
# A small recipe compiles two C files, sleeps, and runs a test, so a build takes about half a second. A second
# unkilled build (the first one warms the caches) is measured first; each trial then builds a new version of the recipe (so it really builds),
# started in its own session, and sends SIGKILL after a delay drawn uniformly from [0, 1.2 x that duration]. Two
# modes, N trials each:
#   alone   kill -KILL <archi pid>                   (the build script is left to die with archi, or not)
#   group   kill -KILL archi's process group and the process group of every process below archi
# After each kill: `archi store verify` must pass; every <channel>/<subdir>/repodata.json is compared with the
# .conda files present (a difference right after the kill is a publish cut short, counted as "torn"; the next
# command must repair it); an immediate rebuild of the same version must succeed, after which the index must match
# exactly; processes that were below archi at the kill and still live 0.3 s later are counted as orphans (and
# then killed). The phase at the kill is read from the build log's last "phase" line ("startup": no log yet;
# "done": the build finished and archi was storing or publishing; "exited": archi had finished before the kill).
set -euo pipefail

N=${1:-100}
repo=$(cd "$(dirname "$0")/.." && pwd)
ARCHI=${ARCHI:-$repo/target/debug/archi}
KT_DIR=${KT_DIR:-$(mktemp -d /tmp/archi-kill-trials.XXXXXX)}
SEED=${KT_SEED:-$$}
RANDOM=$SEED
[ -x "$ARCHI" ] || { echo "no archi binary at $ARCHI (cargo build first, or set ARCHI)" >&2; exit 2; }

ws=$KT_DIR/ws
store=$KT_DIR/store
channel=$ws/channel
mkdir -p "$ws/recipes/killme"
cp "$repo/pins.toml" "$ws/"
printf '[workspace]\noutput = "channel"\n' >"$ws/archi.toml"
export ARCHI_STORE=$store NO_COLOR=1
unset ARCHI_LOG ARCHI_OFFLINE

write_recipe() { # version
    cat >"$ws/recipes/killme/recipe.toml" <<EOF
[package]
name = "killme"
version = "$1"

[build]
script = """
cat > hello.c <<'C'
#include <stdio.h>
const char *greeting(void);
int main(void) { printf("%s\\\\n", greeting()); return 0; }
C
cat > greeting.c <<'C'
const char *greeting(void) { return "hello from killme $1"; }
C
\$CC \$CFLAGS -O2 -c greeting.c -o greeting.o
sleep 0.15
\$CC \$CFLAGS -O2 hello.c greeting.o -o hello
sleep 0.15
mkdir -p \$PREFIX/bin \$PREFIX/share/killme
cp hello \$PREFIX/bin/killme-hello
./hello > \$PREFIX/share/killme/out.txt
"""

[requirements]
build = ["{{ compiler('c') }}"]

[test]
commands = ["killme-hello | grep -q 'hello from killme'"]
EOF
}

build() { # -> runs archi build in the workspace, output to $KT_DIR/last.out
    (cd "$ws" && exec "$ARCHI" build --json recipes/killme) >"$KT_DIR/last.out" 2>&1
}

# Every repodata.json parses and lists exactly the archives of its subdir; prints the differences.
index_check() {
    python3 - "$channel" <<'PY'
import json, os, sys
channel = sys.argv[1]
bad = []
if os.path.isdir(channel):
    for subdir in sorted(os.listdir(channel)):
        d = os.path.join(channel, subdir)
        if not os.path.isdir(d) or subdir.startswith(".") or subdir == "logs":
            continue
        present = {f for f in os.listdir(d) if f.endswith((".conda", ".tar.bz2")) and not f.startswith(".")}
        try:
            with open(os.path.join(d, "repodata.json")) as fh:
                repodata = json.load(fh)
        except Exception as e:
            bad.append(f"{subdir}: repodata.json: {e}")
            continue
        listed = set(repodata.get("packages", {})) | set(repodata.get("packages.conda", {}))
        if present != listed:
            bad.append(f"{subdir}: unlisted {sorted(present - listed)}, missing {sorted(listed - present)}")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
}

# PIDs and process groups of every process below $1.
descendants() {
    ps -eo pid=,ppid=,pgid= | awk -v root="$1" '
        { ppid[$1] = $2; pgid[$1] = $3; pids[NR] = $1 }
        END {
            found[root] = 1; changed = 1
            while (changed) { changed = 0
                for (i in pids) { p = pids[i]; if (!(p in found) && (ppid[p] in found)) { found[p] = 1; changed = 1 } } }
            for (p in found) if (p != root) print p, pgid[p]
        }'
}

alive() { # pid -> true when it runs (not a zombie)
    local state
    state=$(ps -o stat= -p "$1" 2>/dev/null || true)
    [ -n "$state" ] && [ "${state:0:1}" != Z ]
}

echo "kill trials: $N per mode, archi $ARCHI, work dir $KT_DIR, seed $SEED"
# The first build fills the package cache and the toolchain identities; the second one is what a trial's build
# costs.
write_recipe 0.0.0
build || { cat "$KT_DIR/last.out"; echo "the unkilled build failed" >&2; exit 1; }
write_recipe 0.0.1
start=$(date +%s.%N)
build || { cat "$KT_DIR/last.out"; echo "the unkilled build failed" >&2; exit 1; }
end=$(date +%s.%N)
duration=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
window=$(awk -v d="$duration" 'BEGIN { printf "%.2f", d * 1.2 }')
window_ms=$(awk -v d="$duration" 'BEGIN { printf "%d", d * 1200 }')
echo "unkilled build: ${duration}s; kill delays uniform in [0, ${window}s]"

declare -A count
summary=()
for mode in alone group; do
    for key in kills exited verify torn mismatch rebuild orphans orphan_procs repaired; do count[$mode.$key]=0; done
    for ((i = 1; i <= N; i++)); do
        version="1.$([ "$mode" = alone ] && echo 1 || echo 2).$i"
        write_recipe "$version"
        ms=$(((RANDOM * 32768 + RANDOM) % (window_ms + 1)))
        delay=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
        (cd "$ws" && exec setsid "$ARCHI" build --json recipes/killme >"$KT_DIR/killed.out" 2>&1) &
        pid=$!
        sleep "$delay"
        procs=$(descendants "$pid" || true)
        if [ "$mode" = alone ]; then
            kill -KILL "$pid" 2>/dev/null || true
        else
            kill -KILL -- "-$pid" 2>/dev/null || true
            for g in $(echo "$procs" | awk 'NF { print $2 }' | sort -u); do
                [ "$g" != "$pid" ] && kill -KILL -- "-$g" 2>/dev/null || true
            done
        fi
        status=0
        wait "$pid" 2>/dev/null || status=$?
        log=$(ls "$ws"/logs/linux-64/killme-"$version"-*.log 2>/dev/null | head -n1 || true)
        if [ "$status" -ne 137 ]; then
            phase=exited
            count[$mode.exited]=$((count[$mode.exited] + 1))
        else
            count[$mode.kills]=$((count[$mode.kills] + 1))
            if [ -z "$log" ]; then
                phase=startup
            elif grep -q '\] done in' "$log"; then
                phase=done
            else
                phase=$(grep -o 'phase [a-z]*' "$log" | tail -n1 | cut -d' ' -f2 || true)
                phase=${phase:-startup}
            fi
        fi
        count[$mode.phase.$phase]=$((${count[$mode.phase.$phase]:-0} + 1))

        sleep 0.3
        orphans=""
        for p in $(echo "$procs" | awk 'NF { print $1 }'); do
            alive "$p" && orphans="$orphans $p"
        done
        if [ -n "$orphans" ]; then
            count[$mode.orphans]=$((count[$mode.orphans] + 1))
            count[$mode.orphan_procs]=$((count[$mode.orphan_procs] + $(echo $orphans | wc -w)))
        fi

        if ! "$ARCHI" store verify >"$KT_DIR/verify.out" 2>&1; then
            count[$mode.verify]=$((count[$mode.verify] + 1))
            echo "[$mode $i] verify failed after a kill in phase $phase:" >&2
            tail -n5 "$KT_DIR/verify.out" >&2
        fi
        if ! index_check >/dev/null; then
            count[$mode.torn]=$((count[$mode.torn] + 1))
        fi
        if build; then
            grep -q 'repaired channel' "$KT_DIR/last.out" && count[$mode.repaired]=$((count[$mode.repaired] + 1))
        else
            count[$mode.rebuild]=$((count[$mode.rebuild] + 1))
            echo "[$mode $i] rebuild failed after a kill in phase $phase (delay ${delay}s):" >&2
            grep -v '^{' "$KT_DIR/last.out" | tail -n8 >&2
        fi
        if ! diff=$(index_check); then
            count[$mode.mismatch]=$((count[$mode.mismatch] + 1))
            echo "[$mode $i] index mismatch after the rebuild: $diff" >&2
        fi
        for p in $orphans; do kill -KILL "$p" 2>/dev/null || true; done
        printf '\r%s %d/%d (last: %s after %ss)   ' "$mode" "$i" "$N" "$phase" "$delay" >&2
    done
    echo >&2
    phases=""
    for phase in startup source environment script package test publish done exited; do
        [ -n "${count[$mode.phase.$phase]:-}" ] && phases="$phases $phase=${count[$mode.phase.$phase]}"
    done
    summary+=("$mode: trials=$N kills=${count[$mode.kills]} exited-before-kill=${count[$mode.exited]} phases:$phases
  verify failures=${count[$mode.verify]} torn right after the kill=${count[$mode.torn]} repaired by the rebuild=${count[$mode.repaired]}
  index mismatches after the rebuild=${count[$mode.mismatch]} rebuild failures=${count[$mode.rebuild]} orphans: trials=${count[$mode.orphans]} processes=${count[$mode.orphan_procs]}")
done

echo "unkilled build ${duration}s, delays in [0, ${window}s], seed $SEED"
printf '%s\n' "${summary[@]}"
left_tmp=$(find "$store/v1/.tmp" -mindepth 1 -maxdepth 1 | wc -l)
left_work=$(find "$store/work" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
echo "after the last rebuild: $left_tmp entries in v1/.tmp, $left_work work dirs"
fail=0
for mode in alone group; do
    for key in verify mismatch rebuild; do [ "${count[$mode.$key]}" -eq 0 ] || fail=1; done
done
exit $fail
