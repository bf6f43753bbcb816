"""A 10,000-entry Local Authorization List on a real file system: load time, lookup time and the heap the loaded
list holds. Prints figures (bench/local_list_bench.py runs it on CPython and on MicroPython); not a test suite.

    python tests/micropython/local_list_bench.py
    node tools/micropython/run.mjs tests/micropython/local_list_bench.py

Output lines: LAL_WRITE ms=..., LAL_LOAD ms=..., LAL_LOOKUP us=... (mean of N found and N absent lookups),
LAL_HEAP list=... (live bytes the loaded list adds), LAL_HEAP lookup=... (live bytes during lookups, garbage
included), LAL_FILE bytes=...; then the suite's summary.
"""

import suite  # first: sets sys.path and the heap baseline

import time

from controller.local_list_store import ListStore, key_of, record
from controller.storage import FileStorage

ENTRIES = 10000
BATCH = 400
LOOKUPS = 200
state = {}


def ms():
    return time.ticks_ms() if hasattr(time, "ticks_ms") else int(time.time() * 1000)


def us():
    return time.ticks_us() if hasattr(time, "ticks_us") else int(time.time() * 1000000)


def tag(i):
    return "%08X" % ((i * 2654435761) & 0xFFFFFFFF)


def write():
    store = FileStorage(suite.scratch_dir())
    lst = ListStore(store)
    t0 = ms()
    for first in range(0, ENTRIES, BATCH):
        changes = []
        for i in range(first, first + BATCH):
            key = key_of(tag(i))
            changes.append((key, record(key, "Accepted", None, "FLEET")))
        changes.sort()
        lst.rewrite(first // BATCH + 1, changes, False, ENTRIES)
    print("LAL_WRITE ms=%d batches=%d" % (ms() - t0, ENTRIES // BATCH))
    print("LAL_FILE bytes=%d" % store.size("local_list.bin"))
    state["store"] = store


def baseline():
    state["base"] = suite.sample()


def load():
    lst = ListStore(state["store"])
    t0 = us()
    lst.load()
    print("LAL_LOAD ms=%.1f entries=%d" % ((us() - t0) / 1000.0, lst.count))
    suite.true(lst.count == ENTRIES, "all entries")
    state["list"] = lst


def heap():
    print("LAL_HEAP list=%d" % (suite.sample() - state["base"]))


def lookup():
    lst = state["list"]
    t0 = us()
    for i in range(LOOKUPS):
        suite.true(lst.lookup(tag(i * 37)) is not None, "found")
        suite.true(lst.lookup("X%07d" % i) is None, "absent")
    print("LAL_LOOKUP us=%.0f lookups=%d" % ((us() - t0) / (2.0 * LOOKUPS), 2 * LOOKUPS))
    print("LAL_HEAP lookup=%d" % (suite.sample() - state["base"]))


suite.imported()
suite.check("write", write)
suite.check("baseline", baseline)
suite.check("load", load)
suite.check("heap", heap)
suite.check("lookup", lookup)
suite.finish()
