"""When an RCD self-test is due: at start-up, then every `interval_ms` (24 h), and optionally before every closing.

`SelfTestSchedule(clock, interval_ms=DAY_MS, before_close=False)` keeps the last result; the station
(drivers/station_hardware.py) asks it and runs drivers/safety/rcd.py's self-test while the contactor is open:
* `due(now_ms)`: the periodic test is due (at once before the first test; never again with interval 0);
* `close_allowed()`: None while a test must come first (none has run yet, or `before_close`), True after a
  passing test, False after a failed one (the RCD's fault stands until a later test passes);
* `finished(ok, now_ms)`: a test ended; the next periodic one is `interval_ms` later.
An interval must stay below 2^29 ms (6.2 days), the span MicroPython's ticks_diff can measure; boards give hours.
"""

HOUR_MS = 3600000
DAY_MS = 24 * HOUR_MS


class SelfTestSchedule:
    def __init__(self, clock, interval_ms=DAY_MS, before_close=False):
        self.clock = clock
        self.interval_ms = interval_ms
        self.before_close = before_close is True
        self.last_ok = None
        self.last_at = None
        self.runs = 0
        self._next_at = None            # None: before the first test, or no periodic test

    def due(self, now_ms):
        if self._next_at is None:
            return self.last_at is None
        return self.clock.ticks_diff(now_ms, self._next_at) >= 0

    def close_allowed(self):
        if self.last_ok is None:
            return None
        if not self.last_ok:
            return False
        return None if self.before_close else True

    def finished(self, ok, now_ms):
        self.last_ok = ok is True
        self.last_at = now_ms
        self.runs += 1
        self._next_at = self.clock.ticks_add(now_ms, self.interval_ms) if self.interval_ms > 0 else None

    def next_in_ms(self, now_ms):
        """Milliseconds until the periodic test is due (0: due now), or None when none is planned."""
        if self._next_at is None:
            return 0 if self.last_at is None else None
        return max(0, self.clock.ticks_diff(self._next_at, now_ms))
