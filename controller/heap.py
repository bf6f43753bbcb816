"""Heap helpers for small boards: unload a module that was only needed once (a checker, the settings loader).

`unload(name)` drops the module from `sys.modules` and from its parent package, so the garbage collector can
free its functions and tables; importing it again later loads it afresh. Only on MicroPython: on CPython the
memory does not matter and tests may hold references to the module.
"""

import sys

MICROPYTHON = sys.implementation.name == "micropython"


def unload(*names):
    if not MICROPYTHON:
        return
    for name in names:
        if sys.modules.pop(name, None) is None:
            continue
        cut = name.rfind(".")
        parent = sys.modules.get(name[:cut]) if cut > 0 else None
        if parent is not None:
            try:
                delattr(parent, name[cut + 1:])
            except AttributeError:
                pass
