"""HAL contract as implemented by the clocks and the emulated backend (drivers/hal/{clock,emulated,common}.py)."""

import pytest

from drivers.hal.clock import FakeClock, SystemClock, clock_from
from drivers.hal.common import char_bits, char_time_us, check_permille, duty_ns, duty_u16, reg_bytes
from drivers.hal.emulated import EmulatedAdc, EmulatedI2C, EmulatedPin, EmulatedPwm, EmulatedSerial
from drivers.hal.errors import BusError


class Echo:
    """Answers every write with its bytes reversed; can also hold back bytes until a given time."""

    def __init__(self, clock=None):
        self.clock = clock
        self.out = b""
        self.later = []          # (ms, bytes)

    def receive(self, data):
        self.out += data[::-1]

    def pending(self):
        for item in list(self.later):
            if self.clock.ticks_ms() >= item[0]:
                self.out += item[1]
                self.later.remove(item)
        out, self.out = self.out, b""
        return out


class Registers:
    """An I2C device with an 8-bit register pointer and 16-bit registers."""

    def __init__(self):
        self.regs = {0x00: 0x1234, 0x01: 0xABCD}
        self.ptr = 0
        self.raw_writes = []

    def write(self, data):
        self.raw_writes.append(data)
        self.ptr = data[0]
        if len(data) == 3:
            self.regs[self.ptr] = (data[1] << 8) | data[2]

    def read(self, n):
        v = self.regs.get(self.ptr, 0)
        return bytes([v >> 8, v & 0xFF])[:n]


def test_fake_clock_only_moves_when_told():
    c = FakeClock(1000)
    assert c.ticks_ms() == 1000
    c.sleep_ms(250)
    c.advance(5)
    assert c.ticks_ms() == 1255
    assert c.ticks_diff(c.ticks_ms(), 1000) == 255
    assert c.ticks_add(10, 5) == 15
    c.sleep_ms(-3)
    assert c.ticks_ms() == 1255
    with pytest.raises(ValueError):
        c.advance(-1)


def test_system_clock_is_monotonic_ms():
    c = SystemClock()
    a = c.ticks_ms()
    c.sleep_ms(2)
    assert c.ticks_diff(c.ticks_ms(), a) >= 1
    assert isinstance(a, int)


def test_clock_from_spec_then_hal_then_system():
    fc = FakeClock()

    class Hal:
        clock = fc
    assert clock_from({"clock": fc}) is fc
    assert clock_from({}, Hal()) is fc
    assert isinstance(clock_from({}), SystemClock)


def test_serial_read_returns_bytes_never_none_and_waits_through_clock():
    c = FakeClock()
    s = EmulatedSerial(Echo(c), c)
    assert s.read(4, 100) == b""
    assert c.ticks_ms() == 100               # waited the whole timeout in simulated time
    s.write(b"abc")
    assert s.available() == 3
    assert s.read(2, 100) == b"cb"
    assert s.read(5, 50) == b"a"             # short read after the timeout
    assert s.tx_log == [b"abc"]


def test_serial_read_gets_bytes_that_arrive_during_the_wait():
    c = FakeClock()
    dev = Echo(c)
    s = EmulatedSerial(dev, c, poll_step_ms=5)
    dev.later.append((40, b"late"))
    assert s.read(4, 100) == b"late"
    assert 40 <= c.ticks_ms() < 100


def test_serial_without_clock_never_waits():
    s = EmulatedSerial(Echo())
    assert s.read(1, 1000) == b""


def test_serial_faults_drop_corrupt_noise_absent():
    s = EmulatedSerial(Echo())
    s.drop_replies(1)
    s.write(b"12")
    assert s.read(10) == b""
    s.write(b"12")
    assert s.read(10) == b"21"
    s.corrupt_reply(index=0, xor=0x01)
    s.write(b"\x10\x20")
    assert s.read(10) == b"\x21\x10"
    s.noise_before_reply(b"\xff\xfe")
    s.write(b"ab")
    assert s.read(10) == b"\xff\xfeba"
    s.set_absent(True)
    with pytest.raises(BusError):
        s.write(b"x")
    with pytest.raises(OSError):             # BusError is an OSError
        s.read(1)
    s.clear_faults()
    s.write(b"ok")
    assert s.read(2) == b"ko"
    s.close()
    with pytest.raises(BusError):
        s.read(1)


def test_drop_forever():
    s = EmulatedSerial(Echo())
    s.drop_replies(None)
    for _ in range(5):
        s.write(b"x")
        assert s.read(1) == b""


def test_i2c_register_pointer_is_the_devices_own():
    bus = EmulatedI2C()
    dev = bus.attach(0x40, Registers())
    assert bus.read_reg(0x40, 0x01, 2) == b"\xab\xcd"
    bus.write_reg(0x40, 0x05, b"\x10\x62")
    assert dev.regs[0x05] == 0x1062
    bus.write(0x40, b"\x00")
    assert bus.read(0x40, 2) == b"\x12\x34"
    assert bus.scan() == [0x40]


def test_i2c_16_bit_register_addresses_are_sent_msb_first():
    bus = EmulatedI2C()
    dev = bus.attach(0x38, Registers())
    bus.write_reg(0x38, 0x0102, b"\x00\x04", reg_bits=16)
    assert dev.raw_writes[-1] == b"\x01\x02\x00\x04"


def test_i2c_absent_nack_and_corrupt():
    bus = EmulatedI2C()
    bus.attach(0x40, Registers())
    with pytest.raises(BusError):
        bus.read_reg(0x41, 0, 2)
    bus.nack_next(0x40)
    with pytest.raises(BusError):
        bus.read_reg(0x40, 0, 2)
    assert bus.read_reg(0x40, 0, 2) == b"\x12\x34"
    bus.corrupt_next_read(0x40, index=1, xor=0xFF)
    assert bus.read_reg(0x40, 0, 2) == b"\x12\xcb"
    bus.set_absent(0x40)
    assert bus.scan() == []
    with pytest.raises(BusError):
        bus.write(0x40, b"\x00")


def test_pin_active_low_levels_history_and_edges():
    c = FakeClock()
    seen = []
    p = EmulatedPin(active_low=True, clock=c)
    p.watch(lambda pin: seen.append(pin.get()))
    assert p.get() is False and p.level is True
    c.advance(10)
    p.set(True)
    assert p.get() is True and p.level is False
    assert p.changed() is True and p.changed() is False
    p.drive_level(True)                      # electrical high on an active-low input = inactive
    assert p.get() is False
    assert p.history == [(10, True), (10, False)]
    assert seen == [True, False]


def test_pwm_duty_contract():
    p = EmulatedPwm(freq=1000)
    assert p.duty() == 0
    p.set_duty(None)
    assert p.duty() is None
    p.set_duty(267)
    assert p.duty() == 267
    p.set_duty(1000)                         # 100 % is steady high
    assert p.duty() is None
    for bad in (-1, 1001, 26.7, True):
        with pytest.raises(ValueError):
            p.set_duty(bad)


def test_adc_reads_source_in_mv():
    v = [8980.4]
    a = EmulatedAdc(lambda: v[0])
    assert a.read_mv() == 8980
    a.fail = True
    with pytest.raises(BusError):
        a.read_mv()


def test_common_helpers():
    assert char_time_us(9600) == 1042
    assert char_bits(8, "E", 1) == 11 and char_bits(8, None, 2) == 11 and char_bits() == 10
    assert reg_bytes(0x31C, 16) == b"\x03\x1c"
    assert reg_bytes(0x05) == b"\x05"
    with pytest.raises(ValueError):
        reg_bytes(0x100, 8)
    with pytest.raises(ValueError):
        reg_bytes(1, 12)
    assert duty_u16(None) == 65535 and duty_u16(0) == 0
    assert duty_u16(100) == 6554                 # round(100 * 65535 / 1000) = round(6553.5)
    assert duty_u16(500) == 32768
    assert duty_ns(533, 1000000) == 533000 and duty_ns(None, 1000000) == 1000000
    assert check_permille(0) == 0 and check_permille(1000) is None
