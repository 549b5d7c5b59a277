"""Import every standard-library C extension module the installed python ships (lib-dynload), and the modules
the python issue names. Run by tests/chain.rs with the python a real client installed (natively, or under qemu for
linux-aarch64). Prints `imported N extension modules` and the OpenSSL and SQLite versions; exits non-zero naming
every module that failed to import."""

import importlib
import os
import sys
import sysconfig

suffix = sysconfig.get_config_var("EXT_SUFFIX")
dynload = os.path.join(sys.prefix, "lib", "python3.11", "lib-dynload")
names = sorted(f[: -len(suffix)] for f in os.listdir(dynload) if f.endswith(suffix))
named = ["ssl", "_hashlib", "zlib", "lzma", "bz2", "ctypes", "sqlite3", "readline", "curses", "decimal", "uuid",
         "crypt", "pyexpat", "xml.etree.ElementTree", "json", "hashlib"]
failed = []
for name in names + named:
    try:
        importlib.import_module(name)
    except Exception as err:  # noqa: BLE001 - every failure is reported
        failed.append(f"{name}: {type(err).__name__}: {err}")
if failed:
    sys.exit("failed to import:\n" + "\n".join(failed))
import sqlite3
import ssl

print(f"imported {len(names)} extension modules; {ssl.OPENSSL_VERSION}; SQLite {sqlite3.sqlite_version}")
