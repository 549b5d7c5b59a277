"""Check that a channel directory's index agrees with its files (after a failed upload, e.g. onto a full disk).

For every subdir directory with a repodata.json: each listed archive is present with the listed sha256 and size,
each archive present is listed, and no temp file (archi's `.archi-tmp-` prefix) is left. Prints one JSON line:
{"archives": N, "problems": [...]}. Exits 0 either way (the caller asserts on the report).
Usage: check_index.py CHANNEL_DIR
"""

import hashlib
import json
import pathlib
import sys


def main() -> None:
    channel = pathlib.Path(sys.argv[1])
    problems, archives = [], 0
    if channel.is_dir():
        for subdir in sorted(p for p in channel.iterdir() if p.is_dir()):
            for leftover in subdir.glob(".archi-tmp-*"):
                problems.append(f"temp file left: {leftover}")
            files = {p.name for p in subdir.iterdir() if p.name.endswith((".conda", ".tar.bz2"))}
            index = subdir / "repodata.json"
            listed = {}
            if index.is_file():
                repodata = json.loads(index.read_text())
                listed = {**repodata.get("packages", {}), **repodata.get("packages.conda", {})}
            for name, record in listed.items():
                path = subdir / name
                if not path.is_file():
                    problems.append(f"listed but missing: {subdir.name}/{name}")
                    continue
                data = path.read_bytes()
                if hashlib.sha256(data).hexdigest() != record.get("sha256") or len(data) != record.get("size"):
                    problems.append(f"listed with other digests: {subdir.name}/{name}")
            for name in sorted(files - set(listed)):
                problems.append(f"present but not listed: {subdir.name}/{name}")
            archives += len(files)
        for leftover in channel.glob(".archi-tmp-*"):
            problems.append(f"temp file left: {leftover}")
    print(json.dumps({"archives": archives, "problems": problems}))


if __name__ == "__main__":
    main()
