"""Which project files go into a firmware image, shared by the manifests beside this file and by tools/flash.py.

`board_modules(root, with_sim=False)` lists the .py files (relative, "/" separated) that run on a board: the
rules of tools/mpy_footprint.py (no CPython-only modules), plus, with `with_sim`, the wire-level emulators of
drivers/sim/ that the unix-port tests run the desktop-sim board on (never the Linux pty bridge).
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(_HERE))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tools import mpy_footprint  # noqa: E402

SIM_SKIP = ("drivers/sim/pty_bridge_linux.py",)


def board_modules(root=ROOT, with_sim=False):
    found = mpy_footprint.board_modules(root)
    if with_sim:
        sim = os.path.join(root, "drivers", "sim")
        for name in sorted(os.listdir(sim)):
            rel = "drivers/sim/" + name
            if name.endswith(".py") and rel not in SIM_SKIP:
                found.append(rel)
    return sorted(found)


def freeze(manifest_module, with_sim):
    """Call the manifest's module() for every board module (run from inside a manifest.py)."""
    for rel in board_modules(ROOT, with_sim):
        manifest_module(rel, base_path=ROOT)
