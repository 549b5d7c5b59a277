#!/usr/bin/env python3
"""Writes the hand-made seed inputs of the fuzz targets into fuzz/seeds/<target>/ (small archives of every format
archi reads, including the hostile kinds it refuses, and file + patch pairs). scripts/fuzz.sh copies them, with the
repository's recipes, into an empty corpus. Deterministic: fixed mtimes, no randomness."""

import bz2
import gzip
import io
import lzma
import os
import shutil
import subprocess
import tarfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def out(target, name, data):
    d = os.path.join(HERE, "seeds", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def tar_bytes(entries, fmt=tarfile.GNU_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for kind, name, arg in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 1_600_000_000
            if kind == "file":
                info.size = len(arg)
                info.mode = 0o755 if name.endswith(".sh") else 0o644
                t.addfile(info, io.BytesIO(arg))
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                t.addfile(info)
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = arg
                t.addfile(info)
            elif kind == "hardlink":
                info.type = tarfile.LNKTYPE
                info.linkname = arg
                t.addfile(info)
    return buf.getvalue()


def gz(b):
    return gzip.compress(b, mtime=0)


def zst(b):
    return subprocess.run(["zstd", "-q", "-c"], input=b, capture_output=True, check=True).stdout


def archives():
    pkg = [
        ("dir", "pkg-1.0/", None),
        ("file", "pkg-1.0/README", b"hello\n"),
        ("file", "pkg-1.0/configure.sh", b"#!/bin/sh\necho configured\n"),
        ("dir", "pkg-1.0/src/", None),
        ("file", "pkg-1.0/src/main.c", b"int main(void) { return 0; }\n"),
        ("symlink", "pkg-1.0/link", "README"),
        ("hardlink", "pkg-1.0/hard", "pkg-1.0/README"),
    ]
    t = tar_bytes(pkg)
    out("archive_extract", "pkg.tar", t)
    out("archive_extract", "pkg.tar.gz", gz(t))
    out("archive_extract", "pkg.tar.bz2", bz2.compress(t))
    out("archive_extract", "pkg.tar.xz", lzma.compress(t))
    if shutil.which("zstd"):
        out("archive_extract", "pkg.tar.zst", zst(t))
    out("archive_extract", "pkg-pax.tar", tar_bytes(pkg, tarfile.PAX_FORMAT))
    long = "pkg-1.0/" + "d" * 120 + "/file-with-a-long-name"
    out("archive_extract", "longname.tar.gz", gz(tar_bytes([("file", long, b"x")])))
    # Refused kinds, so the fuzzer starts next to every check.
    out("archive_extract", "dotdot.tar", tar_bytes([("file", "pkg/../../evil", b"x")]))
    out("archive_extract", "symlink-out.tar", tar_bytes([("symlink", "pkg/l", "../../etc"), ("file", "pkg/l/x", b"x")]))
    out("archive_extract", "duplicate.tar", tar_bytes([("file", "pkg/a", b"1"), ("file", "pkg/./a", b"2")]))
    out("archive_extract", "bomb.tar.gz", gz(tar_bytes([("file", "pkg/zeros", bytes(1 << 20))])))
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in [("pkg-1.0/README", b"hello\n"), ("pkg-1.0/src/main.c", b"int main;\n")]:
            zi = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            zi.external_attr = 0o644 << 16
            z.writestr(zi, data)
        zi = zipfile.ZipInfo("pkg-1.0/link", date_time=(2020, 1, 1, 0, 0, 0))
        zi.external_attr = (0o120777 << 16)
        z.writestr(zi, b"README")
        z.writestr(zipfile.ZipInfo("pkg-1.0/empty/", date_time=(2020, 1, 1, 0, 0, 0)), b"")
    out("archive_extract", "pkg.zip", zbuf.getvalue())
    # Two entries named alike (zip writers refuse that, so the second name is rewritten in the raw bytes).
    dbuf = io.BytesIO()
    with zipfile.ZipFile(dbuf, "w") as z:
        for name in ["pkg/one", "pkg/two"]:
            z.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), name.encode())
    out("archive_extract", "duplicate.zip", dbuf.getvalue().replace(b"pkg/two", b"pkg/one"))
    out("archive_extract", "plain.txt", b"not an archive\n")


PATCH = b"""From: someone
Subject: fix things

diff -ru a/src/main.c b/src/main.c
--- a/src/main.c\t2024-01-01 00:00:00
+++ b/src/main.c\t2024-01-01 00:00:00
@@ -1,3 +1,3 @@
 int main(void) {
--- comment that starts with dashes
+    return 0;
 }
--- /dev/null
+++ b/NEWS
@@ -0,0 +1 @@
+new file
-- 
2.43.0
"""

MAIN = b"int main(void) {\n-- comment that starts with dashes\n}\n"


def patches():
    out("patch_apply", "format-patch", MAIN + b"\0" + PATCH)
    out("patch_apply", "delete", b"\0--- a/README\n+++ /dev/null\n@@ -1 +0,0 @@\n-hello\n")
    out("patch_apply", "two-hunks", b"a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\0"
        b"--- a/src/main.c\n+++ b/src/main.c\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n@@ -8,3 +8,4 @@\n h\n i\n j\n+k\n")
    out("patch_apply", "no-newline", b"last line\0"
        b"--- a/src/main.c\n+++ b/src/main.c\n@@ -1 +1 @@\n-last line\n\\ No newline at end of file\n+last line\n")
    out("patch_apply", "escape", b"\0--- a/../evil\n+++ b/../evil\n@@ -0,0 +1 @@\n+x\n")
    out("patch_apply", "git", b"echo ok\n\0diff --git a/configure b/configure\nindex 1..2 100755\n"
        b"--- a/configure\n+++ b/configure\n@@ -1,2 +1,2 @@\n #!/bin/sh\n-echo ok\n+echo patched\n")


if __name__ == "__main__":
    shutil.rmtree(os.path.join(HERE, "seeds"), ignore_errors=True)
    archives()
    patches()
