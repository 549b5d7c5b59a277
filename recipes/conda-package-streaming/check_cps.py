"""Write a .conda (zip of zstd tars) and a .tar.bz2 package by hand, then stream and extract both."""
import io
import json
import os
import tarfile
import zipfile

import zstandard

from conda_package_streaming import package_streaming
from conda_package_streaming.extract import extract

INDEX = {"name": "demo", "version": "1.0", "build": "0", "build_number": 0, "depends": []}
FILES = {"info/index.json": json.dumps(INDEX).encode(), "bin/hello": b"#!/bin/sh\necho hello\n",
         "share/demo/data.txt": b"x" * 10000}


def tar_bytes(names):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name in names:
            info = tarfile.TarInfo(name)
            info.size = len(FILES[name])
            tar.addfile(info, io.BytesIO(FILES[name]))
    return buf.getvalue()


info_names = [n for n in FILES if n.startswith("info/")]
pkg_names = [n for n in FILES if not n.startswith("info/")]
with zipfile.ZipFile("demo-1.0-0.conda", "w") as z:
    z.writestr("metadata.json", json.dumps({"conda_pkg_format_version": 2}))
    z.writestr("info-demo-1.0-0.tar.zst", zstandard.ZstdCompressor().compress(tar_bytes(info_names)))
    z.writestr("pkg-demo-1.0-0.tar.zst", zstandard.ZstdCompressor().compress(tar_bytes(pkg_names)))
with tarfile.open("demo-1.0-0.tar.bz2", "w:bz2") as tar:
    for name, data in FILES.items():
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))

for path in ["demo-1.0-0.conda", "demo-1.0-0.tar.bz2"]:
    # The info part alone, without reading the payload.
    with open(path, "rb") as f:
        for tar, member in package_streaming.stream_conda_info(path, f):
            if member.name == "info/index.json":
                assert json.load(tar.extractfile(member)) == INDEX
                break
        else:
            raise SystemExit(f"{path}: no info/index.json")
    dest = path + ".out"
    extract(path, dest)
    for name, data in FILES.items():
        with open(os.path.join(dest, name), "rb") as f:
            assert f.read() == data, (path, name)
    print(path, "ok")
print("conda-package-streaming ok")
