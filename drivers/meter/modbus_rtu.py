"""Modbus RTU master: CRC-16, request frames, response validation, and a client with timeouts and retries.

ADU = address | function | data | CRC-16/MODBUS (init 0xFFFF, reflected poly 0xA001, low byte first).
Supported: FC 0x03 read holding registers, FC 0x04 read input registers, FC 0x10 write multiple registers.
A response is accepted only when its CRC, slave address, function code and byte count all match the request;
`fc | 0x80` is an exception response. Between frames the client keeps >= 3.5 character times of silence
(1.75 ms above 19200 baud). Pure Python on both targets; the serial port comes from the HAL.
"""

from drivers.hal.errors import BusError
from drivers.hal.common import char_time_us

READ_HOLDING = 0x03
READ_INPUT = 0x04
WRITE_MULTIPLE = 0x10
MAX_READ_REGISTERS = 125

EXCEPTION_NAMES = {1: "illegal function", 2: "illegal data address", 3: "illegal data value",
                   4: "server device failure", 5: "acknowledge", 6: "server device busy"}


class ModbusError(Exception):
    """Base of the Modbus errors below; those the client retries name their `ModbusClient.stats` counter in
    `stat`."""


class ModbusTimeout(ModbusError):
    """No (complete) response within the timeout."""

    stat = "timeouts"


class ModbusCrcError(ModbusError):
    """Response with a wrong CRC."""

    stat = "crc_errors"


class ModbusFrameError(ModbusError):
    """Response from the wrong slave, with the wrong function code or the wrong length."""

    stat = "frame_errors"


class ModbusException(ModbusError):
    """The slave answered with an exception response (function | 0x80, code)."""

    def __init__(self, fc, code):
        super().__init__("exception %d (%s) for function 0x%02X" % (code, EXCEPTION_NAMES.get(code, "unknown"), fc))
        self.fc = fc
        self.code = code


def _crc_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16(data):
    """Modbus CRC-16 (init 0xFFFF, polynomial 0xA001 reflected), one table lookup per byte."""
    crc = 0xFFFF
    table = _CRC_TABLE
    for b in data:
        crc = (crc >> 8) ^ table[(crc ^ b) & 0xFF]
    return crc


def with_crc(frame):
    frame = bytes(frame)
    crc = crc16(frame)
    return frame + bytes([crc & 0xFF, crc >> 8])


def crc_ok(frame):
    return len(frame) >= 4 and crc16(frame[:-2]) == (frame[-2] | (frame[-1] << 8))


def read_request(address, fc, start, count):
    """FC 03/04 request ADU."""
    if fc not in (READ_HOLDING, READ_INPUT):
        raise ValueError("read function must be 3 or 4")
    if not 1 <= count <= MAX_READ_REGISTERS:
        raise ValueError("register count must be 1..125")
    return with_crc(bytes([address, fc, start >> 8, start & 0xFF, count >> 8, count & 0xFF]))


def write_request(address, start, data):
    """FC 16 request ADU writing `data` (an even number of bytes, register words big-endian)."""
    data = bytes(data)
    if not data or len(data) % 2 or len(data) > 246:
        raise ValueError("write data must be 2..246 bytes, whole registers")
    count = len(data) // 2
    return with_crc(bytes([address, WRITE_MULTIPLE, start >> 8, start & 0xFF, count >> 8, count & 0xFF,
                           len(data)]) + data)


def response_length(fc, count, header=None):
    """Full response length for a request, or for the first bytes `header` received (exception = 5 bytes)."""
    if header is not None and len(header) >= 2 and header[1] & 0x80:
        return 5
    if fc in (READ_HOLDING, READ_INPUT):
        return 5 + 2 * count
    if fc == WRITE_MULTIPLE:
        return 8
    raise ValueError("unsupported function 0x%02X" % fc)


def parse_response(frame, address, fc, count=None, start=None):
    """Validate a response ADU; returns the register data bytes (reads) or b'' (writes). Raises ModbusError."""
    frame = bytes(frame)
    if len(frame) < 5:
        raise ModbusTimeout("short response (%d bytes)" % len(frame))
    if not crc_ok(frame):
        raise ModbusCrcError("CRC mismatch")
    if frame[0] != address:
        raise ModbusFrameError("answer from slave %d, expected %d" % (frame[0], address))
    if frame[1] == fc | 0x80:
        if len(frame) != 5:
            raise ModbusFrameError("bad exception response length")
        raise ModbusException(fc, frame[2])
    if frame[1] != fc:
        raise ModbusFrameError("function 0x%02X in answer, expected 0x%02X" % (frame[1], fc))
    if fc in (READ_HOLDING, READ_INPUT):
        n = frame[2]
        if len(frame) != n + 5 or (count is not None and n != 2 * count):
            raise ModbusFrameError("byte count %d does not match" % n)
        return frame[3:3 + n]
    if fc == WRITE_MULTIPLE:
        if len(frame) != 8:
            raise ModbusFrameError("bad write response length")
        if start is not None and ((frame[2] << 8) | frame[3]) != start:
            raise ModbusFrameError("write echo address mismatch")
        if count is not None and ((frame[4] << 8) | frame[5]) != count:
            raise ModbusFrameError("write echo count mismatch")
        return b""
    raise ValueError("unsupported function 0x%02X" % fc)


def frame_gap_ms(baudrate, bits_per_char=10):
    """Silence between frames: 3.5 character times, or 1.75 ms above 19200 baud; whole ms, rounded up."""
    if baudrate > 19200:
        us = 1750
    else:
        us = (35 * char_time_us(baudrate, bits_per_char) + 9) // 10
    return (us + 999) // 1000


class ModbusClient:
    """A Modbus RTU master on one serial port (possibly shared by several slaves).

    Each request is tried `1 + retries` times on timeouts, CRC and framing errors; an exception response is
    final except "busy" (6). `stats` counts requests and each kind of error.
    """

    def __init__(self, serial, clock, baudrate=9600, timeout_ms=300, retries=2, bits_per_char=10):
        self.serial = serial
        self.clock = clock
        self.timeout_ms = timeout_ms
        self.retries = retries
        self.gap_ms = frame_gap_ms(baudrate, bits_per_char)
        self._char_us = char_time_us(baudrate, bits_per_char)
        self._last_io = None
        self.stats = {"requests": 0, "ok": 0, "timeouts": 0, "crc_errors": 0, "frame_errors": 0,
                      "exceptions": 0, "bus_errors": 0}

    def read_holding(self, address, start, count):
        return self._transact(address, READ_HOLDING, read_request(address, READ_HOLDING, start, count), count)

    def read_input(self, address, start, count):
        return self._transact(address, READ_INPUT, read_request(address, READ_INPUT, start, count), count)

    def read(self, address, fc, start, count):
        return self._transact(address, fc, read_request(address, fc, start, count), count)

    def write_registers(self, address, start, data):
        req = write_request(address, start, data)
        return self._transact(address, WRITE_MULTIPLE, req, len(data) // 2, start)

    def _transact(self, address, fc, request, count, start=None):
        last = None
        for _ in range(1 + self.retries):
            self.stats["requests"] += 1
            try:
                data = self._once(address, fc, request, count, start)
            except ModbusException as exc:
                self.stats["exceptions"] += 1
                last = exc
                if exc.code != 6:
                    raise
                continue
            except (ModbusTimeout, ModbusCrcError, ModbusFrameError) as exc:
                self.stats[exc.stat] += 1
                last = exc
                continue
            except BusError as exc:
                self.stats["bus_errors"] += 1
                last = ModbusTimeout("serial port error: %s" % (exc,))
                continue
            self.stats["ok"] += 1
            return data
        raise last

    def _wait_gap(self):
        if self._last_io is None:
            return
        left = self.gap_ms - self.clock.ticks_diff(self.clock.ticks_ms(), self._last_io)
        if left > 0:
            self.clock.sleep_ms(left)

    def _once(self, address, fc, request, count, start):
        self._wait_gap()
        stale = self.serial.available()
        if stale:
            self.serial.read(stale, 0)
        self.serial.write(request)
        self.serial.flush_tx()
        t0 = self.clock.ticks_ms()
        # reply budget: the timeout covers the slave's turnaround; add the bytes' own time on the wire
        budget = self.timeout_ms + (response_length(fc, count) * self._char_us + 999) // 1000
        frame = b""
        need = 3
        while len(frame) < need:
            left = budget - self.clock.ticks_diff(self.clock.ticks_ms(), t0)
            if left <= 0:
                break
            chunk = self.serial.read(need - len(frame), left)
            frame += chunk
            if len(frame) >= 2:
                need = response_length(fc, count, frame)
        self._last_io = self.clock.ticks_ms()
        if not frame:
            raise ModbusTimeout("no response from slave %d" % address)
        if len(frame) < need:
            raise ModbusTimeout("incomplete response from slave %d (%d of %d bytes)" % (address, len(frame), need))
        return parse_response(frame, address, fc, count, start)
