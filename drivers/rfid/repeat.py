"""Suppression of repeated reads of the same card while it stays on (or returns quickly to) the reader."""


class RepeatFilter:
    """Report a tag once; suppress the same tag until it has been unseen for `hold_ms`.

    `seen(id_tag)` is called for every successful read and returns True when the read should be reported.
    A different tag is always reported. `hold_ms` = 0 reports every read.
    """

    def __init__(self, clock, hold_ms=2000):
        self.clock = clock
        self.hold_ms = hold_ms
        self._last = None
        self._last_ms = 0

    def seen(self, id_tag):
        now = self.clock.ticks_ms()
        repeat = (self._last is not None and id_tag == self._last
                  and self.clock.ticks_diff(now, self._last_ms) < self.hold_ms)
        self._last = id_tag
        self._last_ms = now
        return not repeat

    def reset(self):
        self._last = None
