"""MicroPython footprint: heap after import and during a full session on the real 1.27 interpreter, and the
flash taken by the modules compiled with mpy-cross. Printed, not asserted."""

import os
import re
import subprocess
import sys

from controller.runtime.child_station import ROOT

SUITES = ("core_suite.py", "tx_suite.py", "session_suite.py")
HEAP = re.compile(r"HEAP import=(\d+) peak=(\d+) above_import=(-?\d+)")


def suite_heap(name):
    proc = subprocess.run(["node", os.path.join(ROOT, "tools", "micropython", "run.mjs"),
                           os.path.join("tests", "micropython", name)], cwd=ROOT, capture_output=True, text=True)
    match = HEAP.search(proc.stdout)
    if proc.returncode != 0 or match is None:
        raise RuntimeError(name + " failed on MicroPython:\n" + proc.stdout[-2000:] + proc.stderr[-2000:])
    return [int(g) for g in match.groups()]


def flash_bytes():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "mpy_footprint.py"), "--top", "0"],
                          cwd=ROOT, capture_output=True, text=True)
    return int(proc.stdout.strip().splitlines()[-1].split("=")[1])


def run(progress=print):
    figures = {}
    for name in SUITES:
        progress("  running %s on MicroPython 1.27..." % name)
        figures[name] = suite_heap(name)
    progress("  compiling with mpy-cross...")
    return figures, flash_bytes()


def summarize(figures, flash):
    core = figures["core_suite.py"]
    session = figures["session_suite.py"]
    return [
        "MicroPython heap after importing the core (from source): %.1f KB" % (core[0] / 1024.0),
        "MicroPython heap during a full session (start, samples, offline, power cut, replay), above import: "
        "%.1f KB (target <= 64 KB)" % (session[2] / 1024.0),
        "flash: controller/, drivers/, boards/ compiled with mpy-cross 1.27: %.1f KB" % (flash / 1024.0),
    ]
