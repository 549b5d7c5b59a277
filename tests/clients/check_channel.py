"""Check an archi channel with real conda clients.

1. conda-package-handling extracts every archive of the subdir without complaint.
2. py-rattler solves the given specs from the channel (file:// URL) for the platform and installs them into a fresh
   prefix (whose path length differs from archi's 255-character build prefix).
3. Optional smoke commands run with PREFIX set to that prefix (through the emulator for another platform).

Prints one JSON object on stdout: the installed records and the extracted archives. Exits non-zero on any failure.
Usage: check_channel.py --channel DIR --platform linux-64 --prefix DIR [--spec SPEC]... [--glibc 2.36]
       [--run 'shell command']...
"""

import argparse
import asyncio
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import rattler
from rattler.package.build_string import BuildString
from conda_package_handling import api as cph


def extract_all(channel: pathlib.Path, subdir: str) -> list[str]:
    extracted = []
    for archive in sorted((channel / subdir).glob("*.conda")):
        with tempfile.TemporaryDirectory() as dest:
            cph.extract(str(archive), dest_dir=dest)
            info = pathlib.Path(dest, "info")
            for required in ("index.json", "paths.json", "files", "about.json", "hash_input.json"):
                if not (info / required).is_file():
                    raise SystemExit(f"{archive.name}: info/{required} missing after cph extract")
            paths = json.loads((info / "paths.json").read_text())
            for entry in paths["paths"]:
                if not os.path.lexists(pathlib.Path(dest, entry["_path"])):
                    raise SystemExit(f"{archive.name}: {entry['_path']} listed in paths.json but not extracted")
        extracted.append(archive.name)
    return extracted


async def solve_and_install(args) -> list[dict]:
    channel = rattler.Channel(pathlib.Path(args.channel).resolve().as_uri())
    def virtual_package(name: str, version: str):
        return rattler.GenericVirtualPackage(
            rattler.PackageName(name), rattler.Version(version), BuildString("0")
        )

    # The machine the packages are for, not this one: a linux-aarch64 test installs for a platform we emulate.
    virtual = [virtual_package("__glibc", args.glibc), virtual_package("__linux", "5.10"), virtual_package("__unix", "0")]
    records = await rattler.solve(
        sources=[channel],
        specs=args.spec,
        platforms=[args.platform, "noarch"],
        virtual_packages=virtual,
    )
    await rattler.install(
        records,
        target_prefix=args.prefix,
        platform=rattler.Platform(args.platform),
        show_progress=False,
    )
    return [
        {"name": r.name.normalized, "version": str(r.version), "build": str(r.build), "subdir": str(r.subdir)}
        for r in records
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--channel", required=True)
    parser.add_argument("--platform", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--spec", action="append", default=[])
    parser.add_argument("--glibc", default="2.36")
    parser.add_argument("--run", action="append", default=[])
    args = parser.parse_args()

    extracted = extract_all(pathlib.Path(args.channel), args.platform)
    installed = asyncio.run(solve_and_install(args)) if args.spec else []
    env = dict(os.environ, PREFIX=str(pathlib.Path(args.prefix).resolve()))
    for command in args.run:
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", command], env=env, capture_output=True, text=True)
        if result.returncode != 0:
            sys.stderr.write(f"command failed ({result.returncode}): {command}\n{result.stdout}{result.stderr}")
            return 1
        sys.stderr.write(f"ok: {command}\n{result.stdout}")
    print(json.dumps({"installed": installed, "extracted": extracted}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
