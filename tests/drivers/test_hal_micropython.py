"""drivers/hal/micropython.py on CPython with a stand-in `machine` module that behaves like MicroPython 1.27's:
UART.read() returns None when empty, I2C.writeto() returns the ACK count, OSError on a NACKed address.
"""

import importlib
import sys
import types

import pytest

from drivers.hal.clock import FakeClock
from drivers.hal.emulated import EmulatedPin
from drivers.hal.errors import BusError


class Pin:
    OUT, IN, PULL_UP, PULL_DOWN, IRQ_RISING, IRQ_FALLING = 1, 0, 2, 3, 4, 8
    made = []

    def __init__(self, pin, mode=None, pull=None, value=None):
        self.id, self.mode, self.pull, self._value = pin, mode, pull, value
        self.handler = None
        Pin.made.append(self)

    def value(self, v=None):
        if v is None:
            return self._value
        self._value = v

    def irq(self, handler=None, trigger=None):
        self.handler = handler


class UART:
    def __init__(self, uid, **kw):
        self.kw = kw
        self.rx = b""
        self.tx = b""
        self.flushed = 0

    def any(self):
        return len(self.rx)

    def read(self, n=None):
        if not self.rx:
            return None
        out, self.rx = self.rx[:n], self.rx[n:]
        return out

    def write(self, data):
        self.tx += data
        return len(data)

    def flush(self):
        self.flushed += 1


class I2C:
    def __init__(self, bus_id, **kw):
        self.kw = kw
        self.mem = {}

    def writeto(self, addr, data):
        if addr != 0x40:
            raise OSError(19)
        return 1                       # only the first byte was ACKed

    def readfrom(self, addr, n):
        raise OSError(116)

    def readfrom_mem(self, addr, reg, n, addrsize=8):
        self.last = (addr, reg, n, addrsize)
        return b"\x12\x34"[:n]

    def writeto_mem(self, addr, reg, data, addrsize=8):
        self.mem[(addr, reg, addrsize)] = data

    def scan(self):
        return [0x40, 0x48]


class PWM:
    def __init__(self, pin, freq=None, duty_u16=None):
        self.pin, self.freq, self._duty = pin, freq, duty_u16
        self.deinited = False

    def duty_u16(self, v=None):
        if v is None:
            return self._duty
        self._duty = v

    def deinit(self):
        self.deinited = True


class ADC:
    ATTN_11DB = 3

    def __init__(self, pin, atten=None):
        self.atten = atten

    def read_u16(self):
        return 32768


class ADCuv(ADC):
    def read_uv(self):
        return 1234567


@pytest.fixture
def mp(monkeypatch):
    machine = types.ModuleType("machine")
    for cls in (Pin, UART, I2C, PWM, ADC):
        setattr(machine, cls.__name__, cls)
    machine.SoftI2C = lambda **kw: I2C(-1, **kw)
    monkeypatch.setitem(sys.modules, "machine", machine)
    monkeypatch.delitem(sys.modules, "drivers.hal.micropython", raising=False)
    Pin.made.clear()
    mod = importlib.import_module("drivers.hal.micropython")
    yield mod, machine
    sys.modules.pop("drivers.hal.micropython", None)


def test_uart_read_none_becomes_empty_bytes_after_timeout(mp):
    hal, _ = mp
    c = FakeClock()
    s = hal.Serial(1, 115200, tx=17, rx=16, clock=c)
    assert s._uart.kw["timeout"] == 0 and s._uart.kw["parity"] is None
    assert s.read(3, 50) == b""
    assert c.ticks_ms() >= 50
    s._uart.rx = b"\x00\xff\x00"
    assert s.available() == 3
    assert s.read(2, 50) == b"\x00\xff"
    assert s.read(5, 10) == b"\x00"


def test_uart_parity_mapping(mp):
    hal, _ = mp
    assert hal.Serial(2, 9600, parity="E", clock=FakeClock())._uart.kw["parity"] == 0


def test_rs485_de_pin_held_one_char_after_flush(mp):
    hal, _ = mp
    c = FakeClock()
    de = EmulatedPin(clock=c)
    s = hal.Serial(2, 9600, de_pin=de, clock=c)
    c.advance(100)
    s.write(b"\x01\x04\x00\x00\x00\x02\x71\xcb")
    assert s._uart.flushed == 1
    assert de.get() is False
    # raised at 100 ms, released after one 9600-baud char time (1.04 ms -> 2 ms at ms resolution)
    assert de.history == [(100, True), (102, False)]


def test_i2c_16_bit_registers_and_errors(mp):
    hal, _ = mp
    bus = hal.I2C(0, scl=22, sda=21)
    assert bus.read_reg(0x38, 0x31C, 2, reg_bits=16) == b"\x12\x34"
    assert bus._i2c.last == (0x38, 0x31C, 2, 16)
    bus.write_reg(0x40, 0x05, b"\x10\x62")
    assert bus._i2c.mem[(0x40, 0x05, 8)] == b"\x10\x62"
    with pytest.raises(BusError):
        bus.write(0x41, b"\x00")                    # address NACK raises OSError in MicroPython
    with pytest.raises(BusError):
        bus.write(0x40, b"\x00\x01")                # data byte NACK only shows in the ACK count
    with pytest.raises(BusError):
        bus.read(0x40, 2)
    assert bus.scan() == [0x40, 0x48]


def test_digital_out_active_low_and_in_irq_flag(mp):
    hal, machine = mp
    out = hal.DigitalOut(26, active_low=True)
    pin = Pin.made[-1]
    assert pin.mode == Pin.OUT and pin.value() == 1
    out.set(True)
    assert pin.value() == 0 and out.get() is True
    inp = hal.DigitalIn(34, active_low=False, pull="down")
    pin = Pin.made[-1]
    assert pin.pull == Pin.PULL_DOWN
    pin.value(1)
    assert inp.get() is True
    assert inp.changed() is False
    pin.handler(pin)
    assert inp.changed() is True and inp.changed() is False


def test_pwm_duty_u16_and_steady_levels(mp):
    hal, _ = mp
    pwm = hal.PwmOut(27, freq=1000, initial=None)
    assert Pin.made[-1].value() == 1 and pwm.duty() is None   # steady +12 V: a driven pin, no PWM
    pwm.set_duty(267)
    p = pwm._pwm
    assert p.freq == 1000 and p.duty_u16() == 17498         # round(267 * 65535 / 1000)
    pwm.set_duty(100)
    assert p.duty_u16() == 6554
    pwm.set_duty(0)
    assert p.deinited and Pin.made[-1].value() == 0 and pwm._pwm is None
    with pytest.raises(ValueError):
        pwm.set_duty(-5)


def test_adc_uses_read_uv_when_calibrated(mp):
    hal, machine = mp
    assert hal.AnalogIn(26).read_mv() == 32768 * 3300 // 65535
    machine.ADC = ADCuv
    adc = hal.AnalogIn(36, atten=ADC.ATTN_11DB)
    assert adc.read_mv() == 1234 and adc._adc.atten == 3
