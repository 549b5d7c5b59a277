"""Checks of an installed python package, run by the recipe's tests in a fresh environment (under qemu for a
foreign target): prefix and paths name the install prefix, the extensions carry the platform's suffix and machine,
bytecode is unchecked-hash, links are relative, ctypes finds libz in the prefix, tkinter is absent."""

import ctypes
import ctypes.util
import json
import os
import platform
import re
import sys
import sysconfig

PREFIX = os.path.realpath(os.environ["PREFIX"])
LIB = os.path.join(PREFIX, "lib", "python3.11")
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


# Prefix and paths.
check(os.path.realpath(sys.prefix) == PREFIX, f"sys.prefix {sys.prefix} is the install prefix")
check(os.path.realpath(sys.base_prefix) == PREFIX, "sys.base_prefix is the install prefix")
paths = sysconfig.get_paths()
check(paths["purelib"] == os.path.join(sys.prefix, "lib", "python3.11", "site-packages"), f"purelib {paths['purelib']}")
for key in ("stdlib", "platstdlib", "include", "scripts", "data"):
    check(os.path.realpath(paths[key]).startswith(PREFIX), f"sysconfig path {key} = {paths[key]} is in the prefix")
for var in ("prefix", "exec_prefix", "LIBDIR", "INCLUDEPY", "BINDIR", "LIBDEST"):
    value = sysconfig.get_config_var(var)
    check(os.path.realpath(value).startswith(PREFIX), f"config var {var} = {value} is in the prefix")
check(sysconfig.get_config_var("TZPATH") == os.path.join(sys.prefix, "share", "zoneinfo"), "TZPATH is prefix/share/zoneinfo")

# _sysconfigdata: no python of another machine, no build prefix left, configure's options as the recipe gives them.
name = sysconfig._get_sysconfigdata_name()
source = open(os.path.join(LIB, name + ".py")).read()
foreign = [p for p in re.findall(r"/[^\s'\"]*bin/python[0-9.]*", source) if not p.startswith(sys.prefix)]
check(not foreign, f"{name} names no other python: {foreign[:3]}")
check("placehold" not in source and "/build_env" not in source, f"{name} holds no build or placeholder prefix")
# CC and CXX are one toolchain's (the same triplet prefix: x86_64-conda-linux-gnu-gcc and -g++), never a C++
# compiler that configure found elsewhere on the build machine.
cc, cxx = (os.path.basename(sysconfig.get_config_var(v).split()[0]) for v in ("CC", "CXX"))
triplet = cc[: cc.rindex("gcc")] if "gcc" in cc else None
check(triplet is not None and cxx.startswith(triplet) and "++" in cxx, f"CC {cc} and CXX {cxx} are one toolchain's")
config_args = sysconfig.get_config_var("CONFIG_ARGS")
for option in ("--enable-shared", "--enable-ipv6", "--with-ensurepip=no", "--with-computed-gotos",
               "--with-system-ffi", "--with-system-expat", "--enable-loadable-sqlite-extensions",
               "--with-platlibdir=lib"):
    check(option in config_args, f"configured with {option}")

# Extensions: the platform's suffix and ELF machine; no _tkinter.
machine = platform.machine()
suffix = sysconfig.get_config_var("EXT_SUFFIX")
check(suffix == f".cpython-311-{machine}-linux-gnu.so", f"EXT_SUFFIX {suffix} names {machine}")
dynload = os.path.join(LIB, "lib-dynload")
modules = sorted(os.listdir(dynload))
check(len(modules) > 50 and all(m.endswith(suffix) for m in modules), f"{len(modules)} extensions end in {suffix}")
elf_machine = {"x86_64": 62, "aarch64": 183}[machine]
record = [f for f in os.listdir(os.path.join(PREFIX, "conda-meta")) if f.startswith("python-3.11.2-")]
files = json.load(open(os.path.join(PREFIX, "conda-meta", record[0])))["files"]
elves, wrong = 0, []
for rel in files:
    path = os.path.join(PREFIX, rel)
    if os.path.islink(path) or not os.path.isfile(path):
        continue
    with open(path, "rb") as f:
        head = f.read(20)
    if head[:4] == b"\x7fELF":
        elves += 1
        if int.from_bytes(head[18:20], "little") != elf_machine:
            wrong.append(rel)
check(elves > 50 and not wrong, f"{elves} ELF files in the package, all of machine {elf_machine} (others: {wrong[:5]})")
check(not any(m.startswith("_tkinter") for m in modules), "no _tkinter extension")
try:
    import tkinter  # noqa: F401
    check(False, "import tkinter fails")
except ImportError as err:
    check(True, f"import tkinter fails with ImportError ({err})")

# Bytecode: compiled at build time, hash-based (flags: 1 unchecked, 3 checked), one optimisation level. Sources
# that held the build prefix were rewritten at install: their bytecode is checked-hash, all others unchecked.
pycs = [os.path.join(dp, f) for dp, _, fs in os.walk(LIB) for f in fs if f.endswith(".pyc")]
check(len(pycs) > 500, f"{len(pycs)} .pyc files shipped")
checked = sorted(os.path.basename(p) for p in pycs if open(p, "rb").read(8)[4:8] == b"\x03\0\0\0")
unchecked = [p for p in pycs if open(p, "rb").read(8)[4:8] == b"\x01\0\0\0"]
check(len(unchecked) + len(checked) == len(pycs), "every .pyc is hash-based")
check(f"{name}.cpython-311.pyc" in checked and len(checked) < 5, f"checked-hash only where the prefix was: {checked}")
check(not any(".opt-" in p for p in pycs), "no -O/-OO bytecode")
check(os.path.exists(os.path.join(LIB, "__pycache__", "os.cpython-311.pyc")), "os.py is compiled")

# Links: relative.
for link in ("python", "python3", "pydoc", "pydoc3", "python3-config"):
    path = os.path.join(PREFIX, "bin", link)
    target = os.readlink(path) if os.path.islink(path) else None
    check(target is not None and not os.path.isabs(target), f"bin/{link} -> {target} is a relative link")

# ctypes loads libz from the prefix.
found = ctypes.util.find_library("z")
check(found is not None, f"ctypes.util.find_library('z') = {found}")
if found:
    libz = ctypes.CDLL(found)
    check(libz.zlibVersion is not None, "libz loads")
    with open("/proc/self/maps") as maps:
        loaded = {line.split()[-1] for line in maps if "libz.so" in line}
    check(loaded and all(os.path.realpath(p).startswith(PREFIX) for p in loaded), f"libz mapped from the prefix: {loaded}")

if failures:
    sys.exit(f"{len(failures)} check(s) failed")
print("all checks passed")
