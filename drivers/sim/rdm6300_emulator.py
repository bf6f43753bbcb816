"""RDM6300 emulator: a TX-only 125 kHz reader that repeats the frame of the card in its field.

With a clock the frame repeats every `interval_ms` while the card is present; without one, `present_card` sends
exactly one frame. Test controls: `present_card(tag)` (10 hex chars or 5 bytes), `remove_card()`,
`bad_checksum(n)`, `garbage(data)`, `truncated(n)` (frames without ETX), `id12_framing` (CR LF before ETX, like an
ID-12LA) and `lower_case` (lower-case hex digits).
"""

from drivers.rfid.rdm6300 import encode_frame


def _tag_bytes(tag):
    if isinstance(tag, str):
        return bytes([int(tag[i:i + 2], 16) for i in range(0, 10, 2)])
    return bytes(tag)


class Rdm6300Emulator:
    def __init__(self, clock=None, interval_ms=100, id12_framing=False, lower_case=False):
        self.clock = clock
        self.interval_ms = interval_ms
        self.id12_framing = id12_framing
        self.lower_case = lower_case
        self.card = None
        self._next_ms = None
        self._out = b""
        self._faults = {"checksum": 0, "truncated": 0}

    def present_card(self, tag):
        self.card = _tag_bytes(tag)
        self._next_ms = None
        self._emit()

    def remove_card(self):
        self.card = None

    def bad_checksum(self, count=1):
        self._faults["checksum"] += count

    def truncated(self, count=1):
        self._faults["truncated"] += count

    def garbage(self, data=b"\x7f\x31\x32"):
        self._out += bytes(data)

    def _emit(self):
        frame = encode_frame(self.card, crlf=self.id12_framing, lower=self.lower_case)
        if self._faults["checksum"]:
            self._faults["checksum"] -= 1
            frame = frame[:11] + (b"0" if frame[11:12] != b"0" else b"1") + frame[12:]
        if self._faults["truncated"]:
            self._faults["truncated"] -= 1
            frame = frame[:-1]
        self._out += frame
        if self.clock is not None:
            self._next_ms = self.clock.ticks_ms() + self.interval_ms

    def receive(self, data):
        pass      # the reader has no receive line

    def pending(self):
        if self.card is not None and self.clock is not None and self._next_ms is not None:
            if self.clock.ticks_diff(self.clock.ticks_ms(), self._next_ms) >= 0:
                self._emit()
        out = self._out
        self._out = b""
        return out
