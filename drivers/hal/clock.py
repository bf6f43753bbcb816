"""Millisecond clocks: `SystemClock` (real time on CPython and MicroPython) and `FakeClock` for tests.

Both expose `ticks_ms()`, `ticks_diff(a, b)` (a - b, wrap-safe on MicroPython), `ticks_add(t, ms)` and `sleep_ms(ms)`.
Drivers take a clock argument and do every wait through it, so a test with a FakeClock never sleeps.
"""

import time

try:
    _ticks_ms = time.ticks_ms
    _ticks_diff = time.ticks_diff
    _ticks_add = time.ticks_add
    _sleep_ms = time.sleep_ms
except AttributeError:
    def _ticks_ms():
        return time.monotonic_ns() // 1000000

    def _ticks_diff(a, b):
        return a - b

    def _ticks_add(t, delta):
        return t + delta

    def _sleep_ms(ms):
        if ms > 0:
            time.sleep(ms / 1000)


class SystemClock:
    """Real monotonic time in integer milliseconds."""

    def ticks_ms(self):
        return _ticks_ms()

    def ticks_diff(self, a, b):
        return _ticks_diff(a, b)

    def ticks_add(self, t, delta):
        return _ticks_add(t, delta)

    def sleep_ms(self, ms):
        if ms > 0:
            _sleep_ms(int(ms))


class FakeClock:
    """Simulated time: only moves when `sleep_ms()` or `advance()` is called."""

    def __init__(self, start_ms=0):
        self._now = int(start_ms)

    def ticks_ms(self):
        return self._now

    def ticks_diff(self, a, b):
        return a - b

    def ticks_add(self, t, delta):
        return t + delta

    def sleep_ms(self, ms):
        if ms > 0:
            self._now += int(ms)

    def advance(self, ms):
        if ms < 0:
            raise ValueError("time cannot go backwards")
        self._now += int(ms)


def or_system(clock):
    """`clock`, or a SystemClock when it is None (a driver given no clock runs on real time)."""
    return clock if clock is not None else SystemClock()


def clock_from(spec, hal=None):
    """The clock a driver built from a board spec uses: spec["clock"], else `hal.clock`, else a SystemClock."""
    clock = spec.get("clock")
    if clock is None:
        clock = getattr(hal, "clock", None)
    return or_system(clock)
