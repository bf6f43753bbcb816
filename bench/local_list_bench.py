"""`python -m bench.local_list_bench`: a 10,000-entry Local Authorization List on CPython and on MicroPython 1.27.

Runs tests/micropython/local_list_bench.py on both interpreters and prints the time to write the list (25
Differential updates of 400), to load it, to look an idTag up (found or absent), and the heap the loaded list
holds. Printed figures, not pass/fail.
"""

import argparse
import os
import re
import subprocess
import sys

from controller.runtime.child_station import ROOT

SCRIPT = os.path.join("tests", "micropython", "local_list_bench.py")
FIGURE = re.compile(r"^(LAL_\w+) (\w+)=([\d.]+)")


def figures(argv):
    proc = subprocess.run(argv + [SCRIPT], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(" ".join(argv) + " failed:\n" + proc.stdout[-2000:] + proc.stderr[-2000:])
    out = {}
    for line in proc.stdout.splitlines():
        match = FIGURE.match(line)
        if match:
            out[match.group(1) + "." + match.group(2)] = float(match.group(3))
    return out


def run(progress=print):
    progress("  10,000-entry local list on CPython...")
    cpython = figures([sys.executable])
    progress("  10,000-entry local list on MicroPython 1.27 (WebAssembly port)...")
    micropython = figures(["node", os.path.join(ROOT, "tools", "micropython", "run.mjs")])
    return cpython, micropython


def summarize(cpython, micropython):
    lines = []
    for label, f in (("CPython", cpython), ("MicroPython", micropython)):
        lines.append("local list, %s: write 10,000 entries in 25 updates %d ms, load %.1f ms, lookup %d us"
                     % (label, f["LAL_WRITE.ms"], f["LAL_LOAD.ms"], f["LAL_LOOKUP.us"]))
    lines.append("local list, MicroPython heap held by the loaded 10,000-entry list: %.1f KB (the index; the "
                 "entries stay on disk, %.0f KB file)" % (micropython["LAL_HEAP.list"] / 1024.0,
                                                        micropython["LAL_FILE.bytes"] / 1024.0))
    return lines


def main(argv=None):
    argparse.ArgumentParser(prog="python -m bench.local_list_bench", description=__doc__.splitlines()[0].split(
        ": ", 1)[1]).parse_args(argv)
    cpython, micropython = run()
    print()
    for line in summarize(cpython, micropython):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
