"""RDM6300 / RDM630 (and ID-12LA / ID-20LA ASCII mode) 125 kHz EM4100 readers: TX-only UART, 9600 8N1.

Frame: STX(02) | 10 ASCII hex (version byte + 32-bit tag number) | 2 ASCII hex checksum | [CR LF] | ETX(03).
Checksum = XOR of the 5 data bytes. Lower-case hex is accepted. An all-zero tag is rejected (false read).

`Rdm6300(serial, clock, id_format="hex10")`; `poll()` returns None or
  {"type": "tag", "id_tag": "14008EC793"}
  {"type": "reader_fault", "error_code": "ReaderFailure", "info": "..."}  when the serial port itself fails
  {"type": "reader_ok"}                                                  when it works again.
The same tag is reported once and again only after it has been unseen for `repeat_ms` (the reader repeats frames
while a card is in the field). A dead RDM6300 is indistinguishable from "no card" (it never talks unprompted);
`last_frame_ms` and `stats` are for diagnostics only.

`build(spec, hal)` keys: "bus" (serial, required), "clock", "id_format" ("hex10" | "hex8" | "dec10"),
"repeat_ms" (2000), "frame_timeout_ms" (100).
"""

from drivers.hal.errors import BusError
from drivers.rfid import idtag
from drivers.rfid.repeat import RepeatFilter
from drivers.spec import on_bus

STX = 0x02
ETX = 0x03
READER_FAILURE = "ReaderFailure"
_MAX_FRAME = 16        # STX + 12 + CR LF + ETX (ID-12LA)


def decode_frame(body):
    """Frame content between STX and ETX -> 5 data bytes. Raises ValueError (checksum, length, not hex)."""
    text = bytes([b for b in body if b not in (0x0D, 0x0A)])
    if len(text) != 12:
        raise ValueError("length %d" % len(text))
    values = []
    for i in range(0, 12, 2):
        try:
            values.append(int(text[i:i + 2].decode(), 16))
        except (ValueError, UnicodeError):
            raise ValueError("not hex")
    data = bytes(values[:5])
    x = 0
    for b in data:
        x ^= b
    if x != values[5]:
        raise ValueError("checksum")
    return data


def encode_frame(data, crlf=False, lower=False):
    """The frame a reader sends for 5 data bytes (used by the emulator and tests)."""
    x = 0
    for b in data:
        x ^= b
    text = idtag.hex_upper(bytes(data) + bytes([x]))
    if lower:
        text = text.lower()
    return bytes([STX]) + text.encode() + (b"\r\n" if crlf else b"") + bytes([ETX])


class Em4100Parser:
    """Collects STX..ETX frames from a byte stream; `next()` gives ("tag", data5) or ("error", reason) or None."""

    def __init__(self):
        self._body = None
        self.started_ms = 0
        self._out = []
        self.garbage = 0

    @property
    def in_frame(self):
        return self._body is not None

    def feed(self, data, now_ms=0):
        for b in data:
            if b == STX:
                if self._body is not None:
                    self._out.append(("error", "frame restarted"))
                self._body = b""
                self.started_ms = now_ms
            elif self._body is None:
                self.garbage += 1
            elif b == ETX:
                body = self._body
                self._body = None
                try:
                    self._out.append(("tag", decode_frame(body)))
                except ValueError as exc:
                    self._out.append(("error", str(exc)))
            else:
                self._body += bytes([b])
                if len(self._body) > _MAX_FRAME:
                    self._body = None
                    self._out.append(("error", "no ETX"))

    def abandon(self, reason):
        if self._body is not None:
            self._body = None
            self._out.append(("error", reason))

    def next(self):
        if self._out:
            return self._out.pop(0)
        return None


class Rdm6300:
    def __init__(self, serial, clock, id_format=idtag.EM_HEX10, repeat_ms=2000, frame_timeout_ms=100):
        if id_format not in idtag.EM_FORMATS:
            raise ValueError("id_format must be one of %s" % (idtag.EM_FORMATS,))
        self.serial = serial
        self.clock = clock
        self.id_format = id_format
        self.frame_timeout_ms = frame_timeout_ms
        self.faulted = False
        self.last_frame_ms = None
        self.stats = {"frames": 0, "checksum_errors": 0, "framing_errors": 0, "zero_tags": 0}
        self._parser = Em4100Parser()
        self._repeat = RepeatFilter(clock, repeat_ms)

    def poll(self):
        """Read what the reader sent since the last call; returns None or one event dict. Never raises."""
        now = self.clock.ticks_ms()
        try:
            n = self.serial.available()
            if n:
                self._parser.feed(self.serial.read(n, 0), now)
        except (BusError, OSError) as exc:
            if self.faulted:
                return None
            self.faulted = True
            return {"type": "reader_fault", "error_code": READER_FAILURE, "info": "RDM6300 serial port: %s" % (exc,)}
        if self.faulted:
            self.faulted = False
            return {"type": "reader_ok"}
        if self._parser.in_frame and self.clock.ticks_diff(now, self._parser.started_ms) > self.frame_timeout_ms:
            self._parser.abandon("no ETX in time")
        while True:
            item = self._parser.next()
            if item is None:
                return None
            if item[0] == "error":
                key = "checksum_errors" if item[1] == "checksum" else "framing_errors"
                self.stats[key] += 1
                continue
            data = item[1]
            self.stats["frames"] += 1
            self.last_frame_ms = now
            if data == b"\x00\x00\x00\x00\x00":
                self.stats["zero_tags"] += 1
                continue
            id_tag = idtag.from_em4100(data, self.id_format)
            if self._repeat.seen(id_tag):
                return {"type": "tag", "id_tag": id_tag}


def build(spec, hal=None):
    """Rdm6300 from a board spec (keys in the module docstring)."""
    return on_bus(Rdm6300, spec, hal, ("id_format", "repeat_ms", "frame_timeout_ms"))
