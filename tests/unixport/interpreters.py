"""The interpreters the unix-port tests run: CPython, and the MicroPython unix port built by
tools/micropython_unix.sh (plain and frozen). `micropython(frozen=False)` builds it when missing or stale (cached
in tools/micropython-unix/) and returns the command line prefix; `env()` gives the environment it needs."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_SCRIPT = os.path.join(ROOT, "tools", "micropython_unix.sh")
_built = []


def build_dir():
    if not _built:
        proc = subprocess.run(["bash", BUILD_SCRIPT], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError("tools/micropython_unix.sh failed:\n" + proc.stderr[-3000:])
        _built.append(proc.stdout.strip().splitlines()[-1])
    return _built[0]


def micropython(frozen=False, heap=None):
    """argv prefix of the unix port; `heap` like "96k" sets -X heapsize."""
    binary = os.path.join(build_dir(), "micropython-frozen" if frozen else "micropython")
    argv = [binary]
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
