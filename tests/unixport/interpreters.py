"""The interpreters the unix-port tests run: CPython, and the MicroPython unix port built by
tools/micropython_unix.sh. `micropython(variant=...)` builds it when missing or stale (cached in
tools/micropython-unix/) and returns the command line prefix; `env()` gives the environment it needs.

Variants: "plain" (the project tree on MICROPYPATH), "frozen" (controller/, drivers/, boards/ frozen in, 64-bit)
and "frozen32" (the same built 32-bit, the object sizes of an ESP32; only where gcc can build 32-bit code).
"""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_SCRIPT = os.path.join(ROOT, "tools", "micropython_unix.sh")
BINARIES = {"plain": "micropython", "frozen": "micropython-frozen", "frozen32": "micropython-frozen32"}
_built = []


def build_dir():
    if not _built:
        proc = subprocess.run(["bash", BUILD_SCRIPT], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError("tools/micropython_unix.sh failed:\n" + proc.stderr[-3000:])
        _built.append(proc.stdout.strip().splitlines()[-1])
    return _built[0]


def available(variant):
    return os.access(os.path.join(build_dir(), BINARIES[variant]), os.X_OK)


def missing_reason(variant):
    note = os.path.join(build_dir(), "." + variant + "-missing")
    if os.path.exists(note):
        with open(note) as f:
            return f.read().strip()
    return BINARIES[variant] + " was not built (tools/micropython_unix.sh)"


def micropython(frozen=False, heap=None, variant=None):
    """argv prefix of the unix port; `heap` like "96k" sets -X heapsize."""
    if variant is None:
        variant = "frozen" if frozen else "plain"
    argv = [os.path.join(build_dir(), BINARIES[variant])]
    if heap is not None:
        argv += ["-X", "heapsize=" + heap]
    return argv


def env(frozen=False):
    """MICROPYPATH: the frozen modules first (".frozen"), the project tree for the plain interpreter."""
    lib = os.path.join(build_dir(), "lib")
    path = ".frozen" if frozen else ".frozen:" + ROOT + ":" + lib
    return dict(os.environ, MICROPYPATH=path)


def cpython():
    return [sys.executable]
