"""py-rattler solves SPECS from a channel URL (http:// or file://) for a platform and installs them into a fresh
prefix; checks each has its conda-meta record there; prints the installed records as JSON: [{"name", "version", "subdir", "url"}]. Exits non-zero on failure.

Usage: install_from.py --channel URL --platform linux-64 --prefix DIR --spec SPEC...
"""

import argparse
import asyncio
import json
import os
import pathlib
import sys

import rattler
from rattler.package.build_string import BuildString


async def solve_and_install() -> list:
    parser = argparse.ArgumentParser()
    parser.add_argument("--channel", required=True)
    parser.add_argument("--platform", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--spec", action="append", required=True)
    args = parser.parse_args()

    def virtual(name: str, version: str):
        return rattler.GenericVirtualPackage(rattler.PackageName(name), rattler.Version(version), BuildString("0"))

    records = await rattler.solve(
        sources=[rattler.Channel(args.channel)],
        specs=args.spec,
        platforms=[args.platform, "noarch"],
        virtual_packages=[virtual("__glibc", "2.36"), virtual("__linux", "5.10"), virtual("__unix", "0")],
    )
    await rattler.install(
        records, target_prefix=args.prefix, platform=rattler.Platform(args.platform), show_progress=False
    )
    installed = []
    for r in records:
        meta = pathlib.Path(args.prefix, "conda-meta", f"{r.name.normalized}-{r.version}-{r.build}.json")
        if not meta.is_file():
            raise SystemExit(f"{meta} missing after the install")
        installed.append(
            {"name": r.name.normalized, "version": str(r.version), "subdir": str(r.subdir), "url": str(r.url)}
        )
    return installed


def main() -> None:
    print(json.dumps(asyncio.run(solve_and_install())), flush=True)
    sys.stderr.flush()
    # py-rattler sometimes crashes (SIGSEGV) in interpreter teardown after a file:// install that succeeded; the
    # result is printed and checked above, so skip the teardown.
    os._exit(0)


if __name__ == "__main__":
    main()
