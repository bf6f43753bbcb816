"""Monotonic milliseconds for the core from `time.ticks_ms`, which wraps (every 2**30 ms on most ports).

`Ticks.now()` adds `ticks_diff` of successive readings to a counter that never wraps, so it stays right as long
as it is read at least once per wrap period (the main loop reads it ten times a second).
"""

import time


class Ticks:
    def __init__(self, ticks_ms=None, ticks_diff=None):
        self._read = ticks_ms or time.ticks_ms
        self._diff = ticks_diff or time.ticks_diff
        self._last = self._read()
        self.ms = 0

    def now(self):
        t = self._read()
        self.ms += self._diff(t, self._last)
        self._last = t
        return self.ms
