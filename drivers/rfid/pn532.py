"""NXP PN532 RFID reader over HSU (UART, 115200 8N1 by default): ISO 14443A card UIDs as idTags.

`PN532(serial, clock, ...)`; call `poll()` regularly (every 200-500 ms). It returns None or one event dict:
  {"type": "tag", "id_tag": "04A224B2C25C80", "atqa": 0x0044, "sak": 0x00}
  {"type": "reader_fault", "error_code": "ReaderFailure", "info": "..."}
  {"type": "reader_ok", "info": "PN532 firmware 1.6"}      (after the first init and after each recovery)

What it does:
* init: HSU wake-up preamble (55 55 00..), SAMConfiguration (normal mode), GetFirmwareVersion, and RFConfiguration
  MaxRetries with a finite MxRtyPassiveActivation, so InListPassiveTarget answers "no target" instead of waiting
  forever for a card;
* each poll: one InListPassiveTarget (1 target, 106 kbps type A); a card is reported once, and again only after it
  has been away for `repeat_ms`;
* every command: ACK expected within `ack_timeout_ms`, response within `response_timeout_ms` (an ACK is sent to
  abort a command that did not answer); a response with a bad checksum is asked again with a NACK once; the error
  frame (7F) fails the command; garbage before a frame is skipped up to the next `00 FF`;
* dead reader: `max_failures` consecutive failed commands (no ACK, no response, bad frames, serial errors) make one
  `reader_fault` event; then re-init attempts with exponential back-off (`backoff_min_ms`..`backoff_max_ms`);
  the first successful re-init gives `reader_ok`. A GetFirmwareVersion health check runs every
  `health_interval_ms` while idle.

`build(spec, hal)` keys: "bus" (serial object, required), "clock", "passive_retries" (0..254, default 16),
"repeat_ms" (2000), "max_failures" (3), "health_interval_ms" (30000), "ack_timeout_ms" (100),
"response_timeout_ms" (1000).
"""

from drivers.hal.errors import BusError
from drivers.rfid import idtag
from drivers.rfid.repeat import RepeatFilter
from drivers.rfid import pn532_frame as pf
from drivers.spec import on_bus

READER_FAILURE = "ReaderFailure"


class _CommandError(Exception):
    pass


class PN532:
    def __init__(self, serial, clock, passive_retries=0x10, repeat_ms=2000, max_failures=3,
                 health_interval_ms=30000, ack_timeout_ms=100, response_timeout_ms=1000,
                 backoff_min_ms=100, backoff_max_ms=5000, nack_retries=1):
        if not 0 <= passive_retries <= 0xFE:
            raise ValueError("passive_retries must be 0..254 (255 would block until a card arrives)")
        self.serial = serial
        self.clock = clock
        self.passive_retries = passive_retries
        self.max_failures = max_failures
        self.health_interval_ms = health_interval_ms
        self.ack_timeout_ms = ack_timeout_ms
        self.response_timeout_ms = response_timeout_ms
        self.backoff_min_ms = backoff_min_ms
        self.backoff_max_ms = backoff_max_ms
        self.nack_retries = nack_retries
        self.firmware = None
        self.ready = False
        self.faulted = False
        self.last_error = None
        self.stats = {"commands": 0, "no_ack": 0, "timeouts": 0, "error_frames": 0, "bad_frames": 0,
                      "nacks_sent": 0, "unexpected": 0, "inits": 0, "bus_errors": 0}
        self._parser = pf.FrameParser()
        self._repeat = RepeatFilter(clock, repeat_ms)
        self._failures = 0
        self._backoff = backoff_min_ms
        self._next_init = clock.ticks_ms()
        self._last_ok = clock.ticks_ms()

    # -- public -------------------------------------------------------------------------------------------
    def poll(self):
        """One bounded step; returns None or an event dict. Never raises."""
        try:
            if not self.ready:
                return self._try_init()
            if self.clock.ticks_diff(self.clock.ticks_ms(), self._last_ok) >= self.health_interval_ms:
                self._command(pf.GET_FIRMWARE_VERSION)
                self._succeeded()
            return self._scan()
        except _CommandError as exc:
            return self._failed(str(exc))
        except BusError as exc:
            self.stats["bus_errors"] += 1
            return self._failed("serial error: %s" % (exc,))
        except Exception as exc:      # a driver must not take the controller down; report it as a reader fault
            return self._failed("internal error: %r" % (exc,))

    @property
    def garbage_bytes(self):
        return self._parser.skipped

    # -- states -------------------------------------------------------------------------------------------
    def _try_init(self):
        if self.clock.ticks_diff(self.clock.ticks_ms(), self._next_init) < 0:
            return None
        self.stats["inits"] += 1
        try:
            self._init()
        except (_CommandError, BusError) as exc:
            if isinstance(exc, BusError):
                self.stats["bus_errors"] += 1
            self._next_init = self.clock.ticks_add(self.clock.ticks_ms(), self._backoff)
            self._backoff = min(self._backoff * 2, self.backoff_max_ms)
            return self._count_failure("init failed: %s" % (exc,))
        self.ready = True
        self.faulted = False
        self._succeeded()
        fw = self.firmware
        return {"type": "reader_ok", "info": "PN532 firmware %d.%d" % (fw["ver"], fw["rev"])}

    def _init(self):
        self.serial.write(pf.WAKEUP)
        self._command(pf.SAM_CONFIGURATION, b"\x01\x14\x01")
        fw = pf.parse_firmware(self._command(pf.GET_FIRMWARE_VERSION))
        if fw is None:
            raise _CommandError("malformed firmware version")
        self.firmware = fw
        self._command(pf.RF_CONFIGURATION, bytes([0x05, 0xFF, 0x01, self.passive_retries]))

    def _scan(self):
        payload = self._command(pf.IN_LIST_PASSIVE_TARGET, b"\x01\x00")
        try:
            target = pf.parse_passive_target(payload)
        except ValueError as exc:
            raise _CommandError(str(exc))
        self._succeeded()
        if target is None:
            return None
        try:
            id_tag = idtag.from_uid(target["uid"])
        except ValueError as exc:
            self.last_error = str(exc)
            return None
        if not self._repeat.seen(id_tag):
            return None
        return {"type": "tag", "id_tag": id_tag, "atqa": target["sens_res"], "sak": target["sel_res"]}

    def _succeeded(self):
        self._failures = 0
        self._backoff = self.backoff_min_ms
        self._last_ok = self.clock.ticks_ms()

    def _failed(self, info):
        if self.ready and self._failures + 1 >= self.max_failures:
            self.ready = False
            self._next_init = self.clock.ticks_add(self.clock.ticks_ms(), self._backoff)
        return self._count_failure(info)

    def _count_failure(self, info):
        self._failures += 1
        self.last_error = info
        if self._failures >= self.max_failures and not self.faulted:
            self.faulted = True
            self.ready = False
            return {"type": "reader_fault", "error_code": READER_FAILURE,
                    "info": "PN532 not answering: %s" % info}
        return None

    # -- command exchange ---------------------------------------------------------------------------------
    def _discard_input(self):
        n = self.serial.available()
        if n:
            self.serial.read(n, 0)
        self._parser.clear()

    def _wait(self, timeout_ms):
        start = self.clock.ticks_ms()
        while True:
            item = self._parser.next()
            if item is not None:
                return item
            left = timeout_ms - self.clock.ticks_diff(self.clock.ticks_ms(), start)
            if left <= 0:
                return None
            chunk = self.serial.read(max(1, self.serial.available()), left)
            if chunk:
                self._parser.feed(chunk)

    def _command(self, cmd, params=b""):
        """Send a command, return the response payload (after D5, cmd+1) or raise _CommandError."""
        self.stats["commands"] += 1
        self._discard_input()
        self.serial.write(pf.command_frame(cmd, params))
        while True:
            item = self._wait(self.ack_timeout_ms)
            if item is None:
                self.stats["no_ack"] += 1
                raise _CommandError("no ACK to command 0x%02X" % cmd)
            if item[0] == pf.ACK:
                break
            if item[0] == pf.ERROR:
                self.stats["error_frames"] += 1
                raise _CommandError("error frame for command 0x%02X" % cmd)
            if item[0] == pf.BAD:
                self.stats["bad_frames"] += 1
        nacks = 0
        while True:
            item = self._wait(self.response_timeout_ms)
            if item is None:
                self.stats["timeouts"] += 1
                self.serial.write(pf.ACK_FRAME)      # abort the pending command
                raise _CommandError("no response to command 0x%02X" % cmd)
            kind = item[0]
            if kind == pf.DATA:
                data = item[2]
                if item[1] == pf.TFI_PN532 and data and data[0] == cmd + 1:
                    return data[1:]
                self.stats["unexpected"] += 1
            elif kind == pf.ERROR:
                self.stats["error_frames"] += 1
                raise _CommandError("error frame for command 0x%02X" % cmd)
            elif kind == pf.BAD:
                self.stats["bad_frames"] += 1
                if nacks >= self.nack_retries:
                    raise _CommandError("bad checksum in response to 0x%02X" % cmd)
                nacks += 1
                self.stats["nacks_sent"] += 1
                self.serial.write(pf.NACK_FRAME)


def build(spec, hal=None):
    """PN532 from a board spec (keys in the module docstring); the clock defaults to hal.clock or SystemClock."""
    return on_bus(PN532, spec, hal, ("passive_retries", "repeat_ms", "max_failures", "health_interval_ms",
                                     "ack_timeout_ms", "response_timeout_ms"))
