#!/usr/bin/env python3
"""archi benchmarks, printed as medians of several runs (not a timed test; run by hand or in CI when it fits).

    python3 benches/bench.py [--runs 5] [--archi target/release/archi]

Figures:
  trivial overhead  wall time of `archi build` on a recipe whose script does almost nothing, minus the script's own
                    time as archi reports it (fresh store each run, tests skipped)
  zlib overhead     the same for the zlib recipe, fresh store each run with the source cache warm (the unpacked
                    tree cached, as after any earlier build of that source); "cold" also extracts the archive
  cached rebuild    `archi build` of all seven bootstrap recipes when the store has them, per recipe
  peak memory       archi's own peak RSS (VmHWM, logged by archi at debug level) during the zlib build

Where `rattler-build` is on PATH, the same script builds equivalent recipes (recipes/*/rattler-build.yaml are not
needed: a generated recipe.yaml with the same script) with it in the same run and prints archi's figures as
ratios to it. The baseline for every ratio is that rattler-build run, measured here, never a remembered number.
"""

import argparse
import json
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
RECIPES = ["bzip2", "xz", "zlib", "libffi", "ncurses", "readline", "openssl"]
TRIVIAL = """
[package]
name = "bench-trivial"
version = "1.0"

[build]
script = "mkdir -p $PREFIX/share/bench && echo ok > $PREFIX/share/bench/ok.txt"
"""
TRIVIAL_RB = """
package:
  name: bench-trivial
  version: "1.0"
build:
  script:
    - mkdir -p $PREFIX/share/bench && echo ok > $PREFIX/share/bench/ok.txt
"""
BUILT = re.compile(r"^built\s.*\(([\d.]+) s, script ([\d.]+) s\)")


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def archi_build(archi, ws, store, recipes, extra=()):
    env = dict(os.environ, ARCHI_STORE=str(store), ARCHI_LOG="archi=debug")
    start = time.perf_counter()
    out = run([archi, "build", "--test", "skip", *extra, *recipes], cwd=ws, env=env)
    wall = time.perf_counter() - start
    script = sum(float(m.group(2)) for line in out.stdout.splitlines() if (m := BUILT.match(line)))
    peak = [int(m.group(1)) for m in re.finditer(r"peak memory (\d+) kB", out.stderr)]
    return wall, script, (peak[-1] if peak else None), out.stdout


def workspace(tmp):
    ws = pathlib.Path(tmp, "ws")
    ws.mkdir()
    shutil.copy(REPO / "archi.toml", ws)
    shutil.copy(REPO / "pins.toml", ws)
    shutil.copytree(REPO / "recipes", ws / "recipes")
    (ws / "recipes/bench-trivial").mkdir()
    (ws / "recipes/bench-trivial/recipe.toml").write_text(TRIVIAL)
    return ws


def seed(archi, store, downloads):
    env = dict(os.environ, ARCHI=archi, ARCHI_STORE=str(store))
    if downloads:
        env["ARCHI_DOWNLOADS"] = downloads
    run(["bash", str(REPO / "scripts/seed-sources.sh")], env=env)


def rattler_build_overhead(tmp, runs):
    """Wall time of rattler-build on the trivial recipe (its script is the same one-liner), median of runs."""
    exe = shutil.which("rattler-build")
    if not exe:
        return None
    recipe = pathlib.Path(tmp, "rb/recipe.yaml")
    recipe.parent.mkdir(parents=True)
    recipe.write_text(TRIVIAL_RB)
    times = []
    for i in range(runs):
        out = pathlib.Path(tmp, f"rb-out-{i}")
        start = time.perf_counter()
        run([exe, "build", "--recipe", str(recipe), "--output-dir", str(out), "--test", "skip", "--offline"])
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--archi", default=str(REPO / "target/release/archi"))
    parser.add_argument("--no-cached", action="store_true", help="skip the cached rebuild of all seven (needs a full build first)")
    parser.add_argument("--store", help="store for the cached-rebuild figure; the seven are built into it first if missing (default: a temporary one)")
    args = parser.parse_args()
    if not pathlib.Path(args.archi).exists():
        run(["cargo", "build", "--release", "--locked"], cwd=REPO)
    archi = args.archi
    downloads = os.environ.get("ARCHI_DOWNLOADS")
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        ws = workspace(tmp)
        trivial, zlib, peaks = [], [], []
        for i in range(args.runs):
            store = pathlib.Path(tmp, f"store-trivial-{i}")
            wall, script, _, _ = archi_build(archi, ws, store, ["recipes/bench-trivial"])
            trivial.append(wall - script)
        seed_store = pathlib.Path(tmp, "store-seed")
        seed(archi, seed_store, downloads)
        # Cold: only the archive is cached, so every run extracts it. Warm: the unpacked tree is cached too (as
        # after any earlier build of the same source, and as rattler-build's src_cache keeps extracted sources).
        warm_store = pathlib.Path(tmp, "store-warm")
        shutil.copytree(seed_store / "sources", warm_store / "sources")
        archi_build(archi, ws, warm_store, ["recipes/zlib"])
        zlib_cold = []
        for i in range(args.runs):
            for kind, source_dir, sink in (("cold", seed_store, zlib_cold), ("warm", warm_store, zlib)):
                store = pathlib.Path(tmp, f"store-zlib-{kind}-{i}")
                shutil.copytree(source_dir / "sources", store / "sources")
                wall, script, peak, _ = archi_build(archi, ws, store, ["recipes/zlib"])
                sink.append(wall - script)
                if peak:
                    peaks.append(peak)
        figures["trivial_overhead_ms"] = statistics.median(trivial) * 1000
        figures["zlib_overhead_ms"] = statistics.median(zlib) * 1000
        figures["zlib_overhead_cold_source_ms"] = statistics.median(zlib_cold) * 1000
        if peaks:
            figures["peak_memory_mb"] = max(peaks) / 1024
        if not args.no_cached:
            recipes = [f"recipes/{r}" for r in RECIPES]
            full_store = pathlib.Path(args.store) if args.store else seed_store
            if args.store:
                seed(archi, full_store, downloads)
            archi_build(archi, ws, full_store, recipes)  # fills the store if needed (slow, untimed)
            cached = []
            for _ in range(args.runs):
                wall, _, _, out = archi_build(archi, ws, full_store, recipes)
                assert all(l.startswith("cached") for l in out.splitlines()), out
                cached.append(wall / len(RECIPES))
            figures["cached_rebuild_ms_per_recipe"] = statistics.median(cached) * 1000
        rb = rattler_build_overhead(tmp, args.runs)
    targets = {
        "trivial_overhead_ms": 20,
        "zlib_overhead_ms": 95,
        "zlib_overhead_cold_source_ms": 95,
        "cached_rebuild_ms_per_recipe": 5,
        "peak_memory_mb": 100,
    }
    print(f"archi benchmarks, median of {args.runs} runs")
    for key, value in figures.items():
        verdict = "met" if value <= targets[key] else "NOT met"
        print(f"  {key:32} {value:10.1f}   target <= {targets[key]}: {verdict}")
    if rb is not None:
        print(f"  rattler-build trivial build (wall) {rb * 1000:10.1f} ms")
        print(f"  archi trivial overhead / rattler-build trivial: {figures['trivial_overhead_ms'] / (rb * 1000):.3f}")
    else:
        print("  rattler-build not on PATH: no ratios (cargo install rattler-build to get them)")
    print(json.dumps(figures))


if __name__ == "__main__":
    sys.exit(main())
