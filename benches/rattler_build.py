#!/usr/bin/env python3
"""archi against rattler-build on the same trivial recipe, measured in one run (a benchmark, not a timed test).

    python3 benches/rattler_build.py [--runs 7] [--fifty 50] [--archi target/release/archi]
                                     [--python .venv/bin/python] [--no-strace]

The baseline is rattler-build's newest engine as py-rattler-build ships it (`pip install py-rattler-build`;
`rattler_build.build_recipes`), run here, never a remembered number. Both build the same recipe, a script that
writes one file, with tests skipped, each run into a fresh store / output directory. Figures (medians of --runs):

  whole process        wall and CPU (user + sys of the process and its children, from wait4) of one
                       `archi build --test skip RECIPE`, and of one `python -c "import rattler_build;
                       rattler_build.build_recipes([RECIPE])"` — the way a user or CI runs each once
  per build, warm      rattler-build: build_recipes called once per recipe inside one warm process (what its
                       engine costs without Python's start and import); archi has no warm process: its whole
                       process figure is the comparable one
  per build of fifty   fifty distinct trivial recipes in one invocation: `archi build` of all fifty (default -j),
                       and one build_recipes call with all fifty (timed inside the process); wall / 50
  system calls         `strace -f -c`-style counts for one trivial build of each: fsync + fdatasync, execve
                       (programs started), clone/clone3/fork/vfork, rename/renameat2 (atomic replaces)

Ratios are archi / rattler-build: below 1 is archi faster.
"""

import argparse
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

ARCHI_RECIPE = """
[package]
name = "{name}"
version = "1.0"

[build]
script = "mkdir -p $PREFIX/share/bench && echo ok > $PREFIX/share/bench/ok.txt"
"""
RB_RECIPE = """
package:
  name: {name}
  version: "1.0"
build:
  script:
    - mkdir -p $PREFIX/share/bench && echo ok > $PREFIX/share/bench/ok.txt
"""
ARCHI_TOML = """
[workspace]
recipes = ["recipes"]
pins = "pins.toml"
output = "channels/local"
channels = []
"""

# One build_recipes call per process; prints the seconds spent inside build_recipes (after the import).
RB_ONE_CALL = """
import sys, time, warnings
warnings.simplefilter("ignore")
import rattler_build
recipes, out = sys.argv[2:], sys.argv[1]
start = time.perf_counter()
rattler_build.build_recipes(recipes, output_dir=out, test="skip")
print(f"inside {time.perf_counter() - start:.6f}")
"""
# One warm process, one build_recipes call per recipe; prints each call's seconds.
RB_WARM = """
import sys, time, warnings
warnings.simplefilter("ignore")
import rattler_build
out = sys.argv[1]
for i, recipe in enumerate(sys.argv[2:]):
    start = time.perf_counter()
    rattler_build.build_recipes([recipe], output_dir=f"{out}/{i}", test="skip")
    print(f"call {time.perf_counter() - start:.6f}")
"""


def timed(cmd, **kw):
    """Run `cmd`; return (wall seconds, CPU seconds of it and its children, stdout). Raises on failure."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{err[-3000:]}")
    return wall, usage.ru_utime + usage.ru_stime, out


def archi_workspace(root, names):
    """A workspace with one trivial recipe per name; returns the recipe directories."""
    root.mkdir(parents=True)
    (root / "archi.toml").write_text(ARCHI_TOML)
    (root / "pins.toml").write_text("[pins]\n")
    dirs = []
    for name in names:
        d = root / "recipes" / name
        d.mkdir(parents=True)
        (d / "recipe.toml").write_text(ARCHI_RECIPE.format(name=name))
        dirs.append(d)
    return dirs


def rb_recipes(root, names):
    files = []
    for name in names:
        d = root / name
        d.mkdir(parents=True)
        (d / "recipe.yaml").write_text(RB_RECIPE.format(name=name))
        files.append(d / "recipe.yaml")
    return files


def archi_env(store):
    env = dict(os.environ, ARCHI_STORE=str(store), NO_COLOR="1")
    env.pop("ARCHI_LOG", None)
    return env


def archi_run(archi, ws, store, recipes, prefix=()):
    return timed([*prefix, archi, "build", "--test", "skip", *map(str, recipes)], cwd=ws, env=archi_env(store))


def rb_run(python, out, recipes, prefix=()):
    wall, cpu, stdout = timed([*prefix, python, "-c", RB_ONE_CALL, str(out), *map(str, recipes)])
    inside = float(re.search(r"inside ([\d.]+)", stdout).group(1))
    return wall, cpu, inside


SYSCALLS = {
    "fsync": ("fsync", "fdatasync"),
    "execve": ("execve",),
    "clone": ("clone", "clone3", "fork", "vfork"),
    "rename": ("rename", "renameat", "renameat2"),
}


def syscall_counts(cmd, **kw):
    """Counts of SYSCALLS for `cmd` and every process it starts (strace -f -c summary)."""
    with tempfile.NamedTemporaryFile("r", suffix=".strace") as log:
        traced = ["strace", "-f", "-c", "-o", log.name, *cmd]
        subprocess.run(traced, check=True, capture_output=True, **kw)
        text = log.read()
    calls = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[-1].isidentifier() and parts[3].isdigit():
            calls[parts[-1]] = int(parts[3])
    return {group: sum(calls.get(c, 0) for c in names) for group, names in SYSCALLS.items()}


def median(xs):
    return statistics.median(xs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--fifty", type=int, default=50)
    ap.add_argument("--archi", default=str(REPO / "target/release/archi"))
    ap.add_argument("--python", default=str(REPO / ".venv/bin/python"))
    ap.add_argument("--no-strace", action="store_true")
    args = ap.parse_args()
    archi = pathlib.Path(args.archi).resolve()
    if not archi.exists():
        subprocess.run(["cargo", "build", "--release", "--locked"], cwd=REPO, check=True)
    probe = subprocess.run([args.python, "-c", "import rattler_build; print(rattler_build.rattler_build_version())"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        raise SystemExit(f"{args.python} has no rattler_build: pip install py-rattler-build\n{probe.stderr}")
    rb_version = probe.stdout.strip()

    with tempfile.TemporaryDirectory(prefix="archi-vs-rb-") as tmp:
        tmp = pathlib.Path(tmp)
        ws = tmp / "ws"
        [trivial] = archi_workspace(ws, ["bench-trivial"])
        [rb_trivial] = rb_recipes(tmp / "rb", ["bench-trivial"])

        # Whole processes, alternating so both see the same machine load.
        a_wall, a_cpu, r_wall, r_cpu, r_inside = [], [], [], [], []
        for i in range(args.runs + 1):
            aw, ac, _ = archi_run(archi, ws, tmp / f"store-{i}", [trivial])
            rw, rc, ri = rb_run(args.python, tmp / f"rb-out-{i}", [rb_trivial])
            if i == 0:
                continue  # warm-up: page cache, Python's bytecode cache
            a_wall.append(aw), a_cpu.append(ac), r_wall.append(rw), r_cpu.append(rc), r_inside.append(ri)

        # rattler-build warm: one process, one call per recipe.
        names = [f"bench-warm-{i}" for i in range(args.runs + 1)]
        warm_recipes = rb_recipes(tmp / "rb-warm", names)
        _, _, stdout = timed([args.python, "-c", RB_WARM, str(tmp / "rb-warm-out"), *map(str, warm_recipes)])
        warm = [float(x) for x in re.findall(r"call ([\d.]+)", stdout)][1:]

        # Fifty in one invocation.
        n = args.fifty
        fifty = [f"bench-fifty-{i:02}" for i in range(n)]
        ws50 = tmp / "ws50"
        dirs = archi_workspace(ws50, fifty)
        a50, a50_cpu, _ = archi_run(archi, ws50, tmp / "store-50", dirs)
        rb50 = rb_recipes(tmp / "rb50", fifty)
        r50_wall, r50_cpu, r50_inside = rb_run(args.python, tmp / "rb-out-50", rb50)

        counts = None
        if not args.no_strace and shutil.which("strace"):
            counts = (
                syscall_counts([str(archi), "build", "--test", "skip", str(trivial)], cwd=ws,
                               env=archi_env(tmp / "store-strace")),
                syscall_counts([args.python, "-c", RB_ONE_CALL, str(tmp / "rb-out-strace"), str(rb_trivial)]),
            )

    ms = lambda s: s * 1000  # noqa: E731
    print(f"archi {archi} against rattler-build {rb_version} (py-rattler-build), {args.runs} runs, "
          f"{os.cpu_count()} cores")
    rows = [
        ("whole process, wall", median(a_wall), median(r_wall), 0.25),
        ("whole process, CPU", median(a_cpu), median(r_cpu), 0.25),
        ("per build of fifty, one invocation (wall / n)", a50 / n, r50_inside / n, 0.5),
        ("per build of fifty, whole processes (wall / n)", a50 / n, r50_wall / n, None),
        ("per build of fifty, CPU / n", a50_cpu / n, r50_cpu / n, None),
        ("archi whole process / rattler-build warm call", median(a_wall), median(warm), None),
    ]
    print(f"  {'figure':50} {'archi':>10} {'rattler-build':>14} {'ratio':>7} {'target':>7}")
    for label, a, r, target in rows:
        met = "" if target is None else ("≤ %.2f %s" % (target, "met" if a / r <= target else "not met"))
        print(f"  {label:50} {ms(a):8.1f}ms {ms(r):12.1f}ms {a / r:7.3f} {met}")
    print(f"  rattler-build inside build_recipes, one recipe: {ms(median(r_inside)):.1f} ms "
          f"(the rest of its whole process is Python's start and the import)")
    if counts:
        a, r = counts
        print("  system calls for one trivial build (archi / rattler-build):")
        for group in SYSCALLS:
            print(f"    {group:8} {a[group]:6} / {r[group]:6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
