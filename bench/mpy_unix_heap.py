"""MicroPython heap of the station on the 1.27 unix port, for each way of loading the code, next to MicroOcpp.

    python -m bench.mpy_unix_heap [--variants source,mpy,frozen,frozen32] [--bisect]

For each variant it prints the live heap after importing the MicroPython runtime (controller/, drivers/, boards/
as main.py loads them), the live heap once the station has started and the peak during the full-station scenario
of tests/unixport/station_scenario.py (boot, a session, offline with replay, a restart). Variants:
  source    the .py files, compiled at import (bytecode on the heap)
  mpy       the same compiled by mpy-cross 1.27 into .mpy files (bytecode still loaded into the heap)
  frozen    frozen into the interpreter (bytecode and constants in ROM), as a board firmware holds them
  frozen32  the frozen build compiled 32-bit: the pointer and GC-block size of an ESP32 (needs gcc-multilib)
`--bisect` also looks for the smallest -X heapsize (8 KB steps) the scenario passes in (a few minutes a variant).
Figures only, nothing is asserted. MicroOcpp (C++, ESP32, 2 connectors) publishes a 21.9 KB peak.
"""

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.unixport import interpreters  # noqa: E402
from tests.unixport.station_scenario import scenario  # noqa: E402
from tools.firmware import board_files  # noqa: E402

MICROOCPP_PEAK = 21916      # bytes, ESP32, 2 connectors (MicroOcpp docs/benchmarks.md, see ../shared/reference)
VARIANTS = ("source", "mpy", "frozen", "frozen32")
ROOMY = {"source": "2048k", "mpy": "2048k", "frozen": "256k", "frozen32": "256k"}
IMPORT_PROBE = ("import gc\ngc.collect()\na = gc.mem_alloc()\nimport controller.runtime.micropython.main\n"
                "gc.collect()\nprint(gc.mem_alloc() - a)\n")


def compile_mpy(dest):
    """Every board module compiled by the unix build's mpy-cross into `dest` (same layout)."""
    cross = os.path.join(interpreters.build_dir(), "mpy-cross")
    for rel in board_files.board_modules(ROOT, with_sim=True):
        out = os.path.join(dest, rel[:-3] + ".mpy")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        subprocess.run([cross, "-o", out, "-s", rel, os.path.join(ROOT, rel)], check=True)
    for name in os.listdir(os.path.join(ROOT, "boards")):
        if name.endswith(".json"):
            shutil.copy(os.path.join(ROOT, "boards", name), os.path.join(dest, "boards", name))


def command(variant, heap, mpy_dir):
    """(argv, env) of the interpreter for `variant`."""
    if variant == "source":
        return interpreters.micropython(heap=heap), interpreters.env(frozen=False)
    if variant == "mpy":
        env = dict(os.environ, MICROPYPATH=mpy_dir + ":" + os.path.join(interpreters.build_dir(), "lib"))
        return interpreters.micropython(heap=heap), env
    return interpreters.micropython(variant=variant, heap=heap), interpreters.env(frozen=True)


def import_heap(variant, mpy_dir):
    argv, env = command(variant, ROOMY[variant], mpy_dir)
    proc = subprocess.run(argv + ["-c", IMPORT_PROBE], env=env, cwd=tempfile.gettempdir(), capture_output=True,
                          text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(variant + ": import failed: " + proc.stdout[-500:] + proc.stderr[-1500:])
    return int(proc.stdout.strip().splitlines()[-1])


def session(variant, heap, mpy_dir, quiet=True):
    """The scenario's heap figures, or None when it fails within `heap`."""
    argv, env = command(variant, heap, mpy_dir)
    work = tempfile.mkdtemp(prefix="mpy-heap-")
    try:
        figures, _ = asyncio.run(scenario(work, argv, env, quiet=quiet))
        return figures
    except Exception:          # MemoryError inside the station shows as a failed scenario
        return None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def smallest_heap(variant, mpy_dir, peak, progress):
    """The smallest heapsize in KB (8 KB steps) the scenario passes in, between the peak and ROOMY."""
    low = max(8, (peak // 1024) // 8 * 8)          # below the live peak it cannot pass
    high = int(ROOMY[variant][:-1])
    while high - low > 8:
        mid = (low + high) // 2 // 8 * 8
        progress("    %s: trying -X heapsize=%dk..." % (variant, mid))
        if session(variant, "%dk" % mid, mpy_dir) is not None:
            high = mid
        else:
            low = mid
    return high


def kb(n):
    return "%.1f KB" % (n / 1024.0) if n is not None else "-"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.mpy_unix_heap", description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated, from " + ", ".join(VARIANTS))
    parser.add_argument("--bisect", action="store_true", help="also find the smallest -X heapsize that passes")
    args = parser.parse_args(argv)
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    for v in variants:
        if v not in VARIANTS:
            parser.error("unknown variant %r (use %s)" % (v, ", ".join(VARIANTS)))
    print("building the unix port if needed...", flush=True)
    interpreters.build_dir()
    mpy_dir = tempfile.mkdtemp(prefix="mpy-cross-")
    rows = []
    try:
        if "mpy" in variants:
            print("compiling the board modules with mpy-cross...", flush=True)
            compile_mpy(mpy_dir)
        for v in variants:
            binary = "plain" if v in ("source", "mpy") else v
            if not interpreters.available(binary):
                print("  %s: skipped (%s)" % (v, interpreters.missing_reason(binary)), flush=True)
                continue
            print("  %s: import..." % v, flush=True)
            imported = import_heap(v, mpy_dir)
            print("  %s: full session with -X heapsize=%s..." % (v, ROOMY[v]), flush=True)
            figures = session(v, ROOMY[v], mpy_dir, quiet=False) or {}
            smallest = None
            if args.bisect and figures.get("peak"):
                smallest = smallest_heap(v, mpy_dir, figures["peak"], lambda t: print(t, flush=True))
            rows.append((v, imported, figures.get("import"), figures.get("peak"), smallest))
    finally:
        shutil.rmtree(mpy_dir, ignore_errors=True)
    print()
    print("%-9s %14s %14s %14s %16s" % ("variant", "after import", "started", "session peak", "smallest heap"))
    for v, imported, started, peak, smallest in rows:
        print("%-9s %14s %14s %14s %16s" % (v, kb(imported), kb(started), kb(peak),
                                              ("%d KB" % smallest) if smallest else "-"))
    print("%-9s %14s %14s %14s %16s" % ("MicroOcpp", "-", "12.0 KB", kb(MICROOCPP_PEAK), "-"))
    print("(live heap above the interpreter's own start-up; MicroOcpp: C++ on an ESP32, 2 connectors, its "
          "published idle and peak heap)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
