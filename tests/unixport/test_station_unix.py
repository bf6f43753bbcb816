"""A full station on the MicroPython 1.27 unix port with the board code frozen in, against the bench CSMS
(tests/unixport/station_scenario.py: boot, a session, offline with replay, a restart on the same data, the ledger).

Two builds of the same interpreter run it:
- `frozen32`, built 32-bit (4-byte pointers, 16-byte GC blocks: the object sizes of an ESP32), within
  `-X heapsize=96k` (STATION_UNIX_HEAP32 overrides). It needs gcc's 32-bit support (Debian: gcc-multilib); without
  it the test is skipped and says so.
- `frozen`, the default 64-bit build (every object about twice as large), within 160k (STATION_UNIX_HEAP).
"""

import asyncio
import os

import pytest

from tests.unixport import interpreters
from tests.unixport.station_scenario import scenario

HEAPS = {"frozen32": os.environ.get("STATION_UNIX_HEAP32", "96k"),
         "frozen": os.environ.get("STATION_UNIX_HEAP", "160k")}


@pytest.mark.parametrize("variant", ["frozen32", "frozen"])
def test_full_station_on_the_unix_port_frozen(tmp_path, variant):
    if not interpreters.available(variant):
        pytest.skip(interpreters.missing_reason(variant))
    heap = HEAPS[variant]
    argv = interpreters.micropython(variant=variant, heap=heap)
    figures, counts = asyncio.run(scenario(tmp_path, argv, interpreters.env(frozen=True)))
    print("unix port, " + variant + ", -X heapsize=" + heap + ": " + repr(figures) + " " + repr(counts))
    assert figures["import"] is not None and figures["peak"] is not None
