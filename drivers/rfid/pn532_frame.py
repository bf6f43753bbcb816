"""PN532 host-interface frames (UM0701-02 §6.2): build, and parse a byte stream with resynchronisation.

Normal frame: `00 | 00 FF | LEN | LCS | TFI PD0..PDn | DCS | 00` with LCS = -LEN and DCS = -sum(TFI..PDn) (mod 256).
Extended frame (> 255 data bytes): `00 00 FF FF FF LENM LENL LCS TFI .. DCS 00`.
ACK `00 00 FF 00 FF 00`, NACK `00 00 FF FF 00 00`, application error frame `00 00 FF 01 FF 7F 81 00`.
TFI 0xD4 = host -> PN532, 0xD5 = PN532 -> host; a response's command code is the request's + 1.

`FrameParser` is fed bytes and yields items (kind, tfi, data): kind is ACK, NACK, ERROR, DATA (tfi and data set)
or BAD (data = reason bytes). Preamble/postamble zeros are skipped; anything before the next `00 FF` is garbage
(counted in `skipped`); a frame with a bad LCS is treated as garbage (resync one byte later), a frame with a bad
DCS is consumed and reported as BAD. Used by the driver and by the emulator (which parses host frames).
"""

TFI_HOST = 0xD4
TFI_PN532 = 0xD5

ACK_FRAME = b"\x00\x00\xff\x00\xff\x00"
NACK_FRAME = b"\x00\x00\xff\xff\x00\x00"
ERROR_FRAME = b"\x00\x00\xff\x01\xff\x7f\x81\x00"
WAKEUP = b"\x55\x55" + b"\x00" * 15     # HSU wake-up preamble (Adafruit uses 15 zeros, EVerest 14)

ACK = "ack"
NACK = "nack"
ERROR = "error"
DATA = "data"
BAD = "bad"

# command codes
GET_FIRMWARE_VERSION = 0x02
SAM_CONFIGURATION = 0x14
RF_CONFIGURATION = 0x32
IN_LIST_PASSIVE_TARGET = 0x4A
IN_RELEASE = 0x52

_MAX_BUFFER = 600


def build_frame(data):
    """Information frame around `data` (TFI + command + parameters)."""
    data = bytes(data)
    n = len(data)
    if n == 0 or n > 265:
        raise ValueError("PN532 frame data must be 1..265 bytes")
    dcs = (-sum(data)) & 0xFF
    if n <= 255:
        head = bytes([0x00, 0x00, 0xFF, n, (-n) & 0xFF])
    else:
        hi, lo = n >> 8, n & 0xFF
        head = bytes([0x00, 0x00, 0xFF, 0xFF, 0xFF, hi, lo, (-(hi + lo)) & 0xFF])
    return head + data + bytes([dcs, 0x00])


def command_frame(cmd, params=b""):
    """Host -> PN532 frame for command `cmd` with `params`."""
    return build_frame(bytes([TFI_HOST, cmd]) + bytes(params))


def response_frame(cmd, payload=b""):
    """PN532 -> host frame answering command `cmd` (response code cmd + 1)."""
    return build_frame(bytes([TFI_PN532, (cmd + 1) & 0xFF]) + bytes(payload))


class FrameParser:
    """Incremental frame parser with resynchronisation on the next `00 FF`."""

    def __init__(self):
        self._buf = b""
        self.skipped = 0        # garbage bytes dropped while hunting for a start code
        self.bad_frames = 0     # frames dropped for a bad LCS or DCS

    def feed(self, data):
        self._buf += bytes(data)
        if len(self._buf) > _MAX_BUFFER:
            drop = len(self._buf) - _MAX_BUFFER
            self.skipped += drop
            self._buf = self._buf[drop:]

    def clear(self):
        self._buf = b""

    def _drop(self, n, garbage=True):
        if garbage:
            self.skipped += n
        self._buf = self._buf[n:]

    def next(self):
        """The next complete item, or None when more bytes are needed."""
        while True:
            buf = self._buf
            i = buf.find(b"\x00\xff")
            if i < 0:
                # keep a trailing 00, it may be the first half of a start code
                keep = 1 if buf.endswith(b"\x00") else 0
                self._drop_garbage(len(buf) - keep)
                return None
            if i:
                self._drop_garbage(i)
                buf = self._buf
            if len(buf) < 4:
                return None
            a, b = buf[2], buf[3]
            if a == 0x00 and b == 0xFF:
                self._drop(4, False)
                return (ACK, None, b"")
            if a == 0xFF and b == 0x00:
                self._drop(4, False)
                return (NACK, None, b"")
            if a == 0xFF and b == 0xFF:
                if len(buf) < 7:
                    return None
                n = (buf[4] << 8) | buf[5]
                if (buf[4] + buf[5] + buf[6]) & 0xFF:
                    self.bad_frames += 1
                    self._drop(1)
                    continue
                start = 7
            else:
                n = a
                if (a + b) & 0xFF:
                    self.bad_frames += 1
                    self._drop(1)
                    continue
                start = 4
            if len(buf) < start + n + 1:
                return None
            body = buf[start:start + n]
            dcs = buf[start + n]
            self._drop(start + n + 1, False)
            if n == 0 or (sum(body) + dcs) & 0xFF:
                self.bad_frames += 1
                return (BAD, None, b"DCS")
            if n == 1 and body[0] == 0x7F:
                return (ERROR, None, b"")
            return (DATA, body[0], body[1:])

    def _drop_garbage(self, n):
        # zeros are legal preamble/postamble filler, not garbage
        if n <= 0:
            return
        zeros = 0
        for x in self._buf[:n]:
            if x == 0:
                zeros += 1
        self.skipped += n - zeros
        self._buf = self._buf[n:]


def parse_firmware(payload):
    """GetFirmwareVersion response payload (after D5 03) -> dict, or None if malformed."""
    if len(payload) < 4:
        return None
    return {"ic": payload[0], "ver": payload[1], "rev": payload[2], "support": payload[3]}


def parse_passive_target(payload):
    """InListPassiveTarget (106 kbps type A) response payload (after D5 4B) -> dict, None for no target.

    Raises ValueError when a target is announced but the bytes do not describe it.
    """
    if not payload or payload[0] == 0:
        return None
    if len(payload) < 6:
        raise ValueError("short InListPassiveTarget response")
    uid_len = payload[5]
    if uid_len == 0 or len(payload) < 6 + uid_len:
        raise ValueError("bad NFCID length")
    return {
        "tg": payload[1],
        "sens_res": (payload[2] << 8) | payload[3],
        "sel_res": payload[4],
        "uid": bytes(payload[6:6 + uid_len]),
    }
