#!/usr/bin/env python3
"""archi benchmarks, printed as medians of several runs (not a timed test; run by hand or in CI when it fits).

    python3 benches/bench.py [--runs 5] [--archi target/release/archi] [--store DIR]
                             [--no-cached] [--no-scheduler | --scheduler-only] [--jobs-ratio] [--fixture]

Figures:
  trivial overhead  wall time of `archi build` on a recipe whose script does almost nothing, minus the script's own
                    time as archi reports it (fresh store each run, tests skipped)
  zlib overhead     the same for the zlib recipe, fresh store each run with the source cache warm (the unpacked
                    tree cached, as after any earlier build of that source); "cold" also extracts the archive
  cached rebuild    `archi build` of all seven bootstrap recipes when the store has them, per recipe
  peak memory       archi's own peak RSS (VmHWM, logged by archi at debug level) during the zlib build
  scheduler         in a copy of the workspace (the seven recipes, nothing else) whose store has all of them for
                    linux-64 and linux-aarch64 (built first, untimed, if missing; the store of the cached-rebuild
                    figure is reused): wall time of one `archi build --all` for both platforms when every node is
                    cached (median of at least 10 runs), and of `archi solve --all ... --format json` as context.
                    With --jobs-ratio (slow, ~25 min): the 14 builds from an empty store (sources seeded) with
                    --jobs 1, then --jobs 2, their wall times and ratio, and the share of 0.5 s /proc/stat samples
                    in which the machine was >= 1.8 cores busy (whole machine: keep it otherwise idle).
                    --fixture: only the cached scheduler figures, on a workspace of two trivial recipes (quick).

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
import threading
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
FIXTURE_RECIPE = """
[package]
name = "{name}"
version = "1.0"

[build]
script = "touch $PREFIX/x"
"""
PLATFORMS = ["linux-64", "linux-aarch64"]
BUSY_CORES = 1.8
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


def workspace(tmp, name="ws", trivial=True):
    ws = pathlib.Path(tmp, name)
    ws.mkdir()
    shutil.copy(REPO / "archi.toml", ws)
    shutil.copy(REPO / "pins.toml", ws)
    shutil.copytree(REPO / "recipes", ws / "recipes")
    if trivial:
        (ws / "recipes/bench-trivial").mkdir()
        (ws / "recipes/bench-trivial/recipe.toml").write_text(TRIVIAL)
    return ws


def fixture_workspace(tmp):
    """Two trivial recipes (`touch $PREFIX/x`), for a quick check of the cached scheduler figures."""
    ws = pathlib.Path(tmp, "ws-fixture")
    ws.mkdir()
    shutil.copy(REPO / "archi.toml", ws)
    shutil.copy(REPO / "pins.toml", ws)
    for name in ("bench-fixture-a", "bench-fixture-b"):
        (ws / "recipes" / name).mkdir(parents=True)
        (ws / "recipes" / name / "recipe.toml").write_text(FIXTURE_RECIPE.format(name=name))
    return ws


def seed(archi, store, downloads):
    env = dict(os.environ, ARCHI=archi, ARCHI_STORE=str(store))
    if downloads:
        env["ARCHI_DOWNLOADS"] = downloads
    run(["bash", str(REPO / "scripts/seed-sources.sh")], env=env)


def platform_args():
    return [arg for p in PLATFORMS for arg in ("--target-platform", p)]


def build_all(archi, ws, store, extra=()):
    """`archi build --all` for both platforms (JSON events); returns wall seconds and {(name, platform): outcome}."""
    env = dict(os.environ, ARCHI_STORE=str(store))
    start = time.perf_counter()
    proc = subprocess.run(
        [archi, "build", "--all", *platform_args(), "--json", "--test", "skip", *extra],
        cwd=ws, env=env, capture_output=True, text=True,
    )
    wall = time.perf_counter() - start
    events = [json.loads(l) for l in proc.stdout.splitlines() if l.startswith("{")]
    outcomes = {
        (e["node"]["name"], e["node"]["platform"]): e["outcome"] for e in events if e.get("event") == "finish"
    }
    if proc.returncode != 0:
        raise SystemExit(f"archi build --all failed ({proc.returncode}): {outcomes}\n{proc.stderr[-4000:]}")
    return wall, outcomes


def solve_all(archi, ws, store):
    env = dict(os.environ, ARCHI_STORE=str(store))
    start = time.perf_counter()
    out = run([archi, "solve", "--all", *platform_args(), "--format", "json"], cwd=ws, env=env)
    wall = time.perf_counter() - start
    return wall, json.loads(out.stdout)


class CpuSampler:
    """Samples /proc/stat every `period` s; each sample is the machine's busy cores over the preceding period."""

    def __init__(self, period=0.5):
        self.period = period
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _read():
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        # user nice system idle iowait irq softirq steal (guest time is already counted in user).
        total = sum(fields[:8])
        idle = fields[3] + fields[4]
        return total, idle

    def _run(self):
        cpus = os.cpu_count() or 1
        last = self._read()
        while not self._stop.wait(self.period):
            now = self._read()
            dt, didle = now[0] - last[0], now[1] - last[1]
            if dt > 0:
                self.samples.append((dt - didle) / dt * cpus)
            last = now

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def busy_share(self, cores):
        return sum(1 for s in self.samples if s >= cores) / len(self.samples) if self.samples else float("nan")


def scheduler_figures(archi, tmp, store, runs, fixture, jobs_ratio, downloads):
    """The `scheduler` section: cached `build --all` and `solve --all` for both platforms; optionally --jobs 1 vs 2."""
    figures = {}
    ws = fixture_workspace(tmp) if fixture else workspace(tmp, "ws-scheduler", trivial=False)
    expected = 2 * len(list((ws / "recipes").iterdir()))
    if not fixture and not (store / "sources").exists():
        seed(archi, store, downloads)
    # Fill the store for both platforms (slow the first time, untimed); it is also the warm-up.
    _, outcomes = build_all(archi, ws, store)
    assert len(outcomes) == expected, outcomes
    runs = max(runs, 10)
    cached = []
    for _ in range(runs):
        wall, outcomes = build_all(archi, ws, store)
        assert len(outcomes) == expected and set(outcomes.values()) == {"cached"}, outcomes
        cached.append(wall)
    solve_all(archi, ws, store)  # warm-up
    solve = []
    for _ in range(runs):
        wall, out = solve_all(archi, ws, store)
        states = [n["state"] for wave in out["waves"] for n in wave]
        assert states.count("cached") == expected, out
        solve.append(wall)
    figures["scheduler_cached_build_all_ms"] = statistics.median(cached) * 1000
    figures["scheduler_solve_all_ms"] = statistics.median(solve) * 1000
    if jobs_ratio:
        walls = {}
        for jobs in (1, 2):
            fresh = pathlib.Path(tmp, f"store-jobs-{jobs}")
            if (store / "sources").exists():
                shutil.copytree(store / "sources", fresh / "sources")
            channel = pathlib.Path(tmp, f"channel-jobs-{jobs}")
            with CpuSampler() as sampler:
                wall, outcomes = build_all(archi, ws, fresh, ["--jobs", str(jobs), "-o", str(channel)])
            assert len(outcomes) == expected and set(outcomes.values()) == {"built"}, outcomes
            walls[jobs] = wall
            figures[f"scheduler_jobs{jobs}_wall_s"] = wall
            figures[f"scheduler_jobs{jobs}_busy_share"] = sampler.busy_share(BUSY_CORES)
        figures["scheduler_jobs2_over_jobs1"] = walls[2] / walls[1]
    return figures, runs, expected


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
    target_dir = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    parser.add_argument("--archi", default=str(target_dir / "release/archi"))
    parser.add_argument("--no-cached", action="store_true", help="skip the cached rebuild of all seven (needs a full build first)")
    parser.add_argument("--store", help="store for the cached-rebuild and scheduler figures; the seven are built into it first if missing (default: a temporary one)")
    section = parser.add_mutually_exclusive_group()
    section.add_argument("--no-scheduler", action="store_true", help="skip the scheduler section")
    section.add_argument("--scheduler-only", action="store_true", help="only the scheduler section")
    section.add_argument("--fixture", action="store_true", help="only the cached scheduler figures, on a fixture workspace of two trivial recipes (quick; no sources needed)")
    parser.add_argument("--jobs-ratio", action="store_true", help="also the 14 builds from an empty store with --jobs 1 and --jobs 2 (~25 min)")
    args = parser.parse_args()
    if not pathlib.Path(args.archi).exists():
        run(["cargo", "build", "--release", "--locked"], cwd=REPO)
    archi = str(pathlib.Path(args.archi).resolve())  # commands run in workspace copies
    downloads = os.environ.get("ARCHI_DOWNLOADS")
    figures = {}
    sched_runs = sched_nodes = None
    if args.fixture or args.scheduler_only:
        with tempfile.TemporaryDirectory() as tmp:
            store = pathlib.Path(args.store) if args.store and not args.fixture else pathlib.Path(tmp, "store")
            figures, sched_runs, sched_nodes = scheduler_figures(
                archi, tmp, store, args.runs, args.fixture, args.jobs_ratio, downloads)
        report(figures, None, sched_runs, sched_nodes, args)
        return
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
        if not args.no_scheduler:
            full_store = pathlib.Path(args.store) if args.store else seed_store
            sched, sched_runs, sched_nodes = scheduler_figures(
                archi, tmp, full_store, args.runs, False, args.jobs_ratio, downloads)
            figures.update(sched)
        rb = rattler_build_overhead(tmp, args.runs)
    report(figures, rb, sched_runs, sched_nodes, args)


def report(figures, rb, sched_runs, sched_nodes, args):
    targets = {
        "trivial_overhead_ms": 20,
        "zlib_overhead_ms": 95,
        "zlib_overhead_cold_source_ms": 95,
        "cached_rebuild_ms_per_recipe": 5,
        "peak_memory_mb": 100,
        "scheduler_cached_build_all_ms": 100,
        "scheduler_jobs2_over_jobs1": 0.8,
    }
    if not args.fixture and not args.scheduler_only:
        print(f"archi benchmarks, median of {args.runs} runs")
    where = "fixture workspace (two trivial recipes)" if args.fixture else "the seven recipes"
    sched_header = (f"scheduler: {where}, {sched_nodes} nodes ({', '.join(PLATFORMS)}), "
                    f"cached figures median of {sched_runs} runs")
    for key, value in figures.items():
        if key.startswith("scheduler_") and sched_header:
            print(sched_header)
            sched_header = None
        if key in targets:
            verdict = "met" if value <= targets[key] else "NOT met"
            print(f"  {key:32} {value:10.2f}   target <= {targets[key]}: {verdict}")
        else:
            print(f"  {key:32} {value:10.2f}   (context)")
    if "scheduler_jobs1_busy_share" in figures:
        print(f"  busy share: fraction of 0.5 s /proc/stat samples with >= {BUSY_CORES} cores busy "
              f"(whole machine, {os.cpu_count()} cores)")
    if args.fixture or args.scheduler_only:
        print(json.dumps(figures))
        return
    if rb is not None:
        print(f"  rattler-build trivial build (wall) {rb * 1000:10.1f} ms")
        print(f"  archi trivial overhead / rattler-build trivial: {figures['trivial_overhead_ms'] / (rb * 1000):.3f}")
    else:
        print("  rattler-build not on PATH: no ratios (cargo install rattler-build to get them)")
    print(json.dumps(figures))


if __name__ == "__main__":
    sys.exit(main())
