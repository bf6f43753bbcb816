"""The shipped board files built by build_hardware on their own HAL backends, with the hardware replaced at the
lowest level the test machine allows: boards/raspberry-pi.json on the Linux HAL (pyserial on real pseudo-terminals
with the PN532 and SDM120 emulators behind them, sysfs PWM and IIO files, a stand-in RPi.GPIO module), and
boards/esp32-s3.json on the MicroPython HAL with a stand-in `machine` module whose UARTs, I2C bus, pins and ADC are
wired to the emulators."""

import importlib
import os
import subprocess
import sys
import time
import types

import pytest

import boards
from drivers.hal.clock import FakeClock
from drivers.station_hardware import build_hardware

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def of(events, kind):
    return [e for e in events if e["type"] == kind]


# ---- raspberry-pi.json on the Linux HAL -------------------------------------------------------------------------

class WiredGpio:
    """RPi.GPIO stand-in: GPIO23 (relay test) follows GPIO17 (relay), GPIO22 (GFI) reads `gfi` or the HAT's GFI
    latch, which pulses on GPIO24 (the self-test) set and a pulse on GPIO27 clears while the relay is off."""
    BCM, OUT, IN, HIGH, LOW, BOTH = "BCM", "OUT", "IN", 1, 0, "BOTH"
    PUD_UP, PUD_DOWN, PUD_OFF = "up", "down", "off"

    def __init__(self):
        self.levels = {}
        self.gfi = 0
        self.test_pulses = 0

    def setwarnings(self, flag):
        pass

    def setmode(self, mode):
        pass

    def setup(self, pin, direction, initial=None, pull_up_down=None):
        if initial is not None:
            self.levels[pin] = initial

    def output(self, pin, level):
        self.levels[pin] = level
        if pin == 24 and level:
            self.test_pulses += 1
        if pin == 27 and level and not self.levels.get(17):
            self.test_pulses = 0

    def input(self, pin):
        if pin == 23:
            return self.levels.get(17, 0)
        if pin == 22:
            return self.gfi or int(self.test_pulses >= 3)
        return self.levels.get(pin, 0)

    def add_event_detect(self, pin, edge, callback=None):
        pass


def _sysfs(tmp_path, cp_raw):
    chan = tmp_path / "pwm" / "pwmchip0" / "pwm0"
    chan.mkdir(parents=True)
    iio = tmp_path / "iio" / "iio:device0"
    iio.mkdir(parents=True)
    (iio / "in_voltage_scale").write_text("3.2226\n")
    (iio / "in_voltage0_raw").write_text("%d\n" % cp_raw)
    return chan, iio


def _poll_until(hw, done, seconds=5.0):
    events = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        events += hw.poll(0)
        if done(events):
            return events
        time.sleep(0.02)
    return events


def test_raspberry_pi_board_on_the_linux_hal(tmp_path):
    from drivers.hal.linux import LinuxHal
    from drivers.sim.modbus_meter_emulator import ModbusMeterEmulator
    from drivers.sim.pn532_emulator import PN532Emulator
    from drivers.sim.pty_bridge_linux import PtyBridge
    board = boards.load("raspberry-pi")
    reader = PN532Emulator()
    meter = ModbusMeterEmulator("sdm120", 1, energy_wh=4321)
    pty_reader = PtyBridge(reader).start()
    pty_meter = PtyBridge(meter).start()
    try:
        board["buses"]["uart"]["port"] = pty_reader.port
        board["buses"]["rs485"]["port"] = pty_meter.port
        chan, iio = _sysfs(tmp_path, 1008)                  # 3250 mV at the ADC: +12 V, nothing plugged
        gpio = WiredGpio()
        hal = LinuxHal(board, pwm_root=str(tmp_path / "pwm"), iio_root=str(tmp_path / "iio"), gpio_module=gpio)
        hw = build_hardware(board, hal)
        assert hw.blocking is True
        events = _poll_until(hw, lambda ev: of(ev, "meter") and of(ev, "pilot"))
        assert of(events, "fault") == []
        assert [e["state"] for e in of(events, "pilot")] == ["A"]
        assert of(events, "meter")[0]["energy_wh"] == 4321
        assert (chan / "duty_cycle").read_text() == "1000000"   # steady +12 V

        (iio / "in_voltage0_raw").write_text("876\n")       # 2823 mV: +8.98 V, an EV in state B
        reader.present_card("DEADBEEF")
        hw.apply({"cmd": "pilot", "connector": 1, "amps": 16})
        hw.apply({"cmd": "contactor", "connector": 1, "on": True})
        events = _poll_until(hw, lambda ev: of(ev, "tag") and of(ev, "pilot") and of(ev, "contactor_state"))
        assert of(events, "tag") == [{"type": "tag", "id_tag": "DEADBEEF"}]
        assert [e["state"] for e in of(events, "pilot")] == ["B"]
        assert of(events, "contactor_state") == [{"type": "contactor_state", "connector": 1, "on": True}]
        assert (chan / "duty_cycle").read_text() == "267000" and gpio.levels[17] == 1

        gpio.gfi = 1                                        # the HAT's GFI trips
        events = _poll_until(hw, lambda ev: of(ev, "fault"))
        assert [(e["source"], e["error_code"]) for e in of(events, "fault")] == [("rcd", "GroundFailure")]
    finally:
        pty_reader.close()
        pty_meter.close()


# ---- esp32-s3.json on the MicroPython HAL ------------------------------------------------------------------------

class Board:
    """What the stand-in `machine` module is wired to."""
    uarts = {}
    i2c = {}
    pins = {}
    inputs = {}
    adc_mv = {}
    pwm = {}


class Pin:
    OUT, IN, PULL_UP, PULL_DOWN, IRQ_RISING, IRQ_FALLING = 1, 0, 2, 3, 4, 8

    def __init__(self, pin, mode=None, pull=None, value=None):
        self.id = pin
        self._value = value
        if mode is not None:
            Board.pins[pin] = self

    def value(self, v=None):
        if v is not None:
            self._value = v
            return None
        fn = Board.inputs.get(self.id)
        return fn() if fn is not None else self._value

    def irq(self, handler=None, trigger=None):
        pass


class UART:
    def __init__(self, uid, **kw):
        self.dev = Board.uarts[uid]
        self.rx = b""

    def any(self):
        self.rx += self.dev.pending()
        return len(self.rx)

    def read(self, n=None):
        self.any()
        if not self.rx:
            return None
        out, self.rx = self.rx[:n], self.rx[n:]
        return out

    def write(self, data):
        self.dev.receive(bytes(data))
        return len(data)

    def flush(self):
        pass


class I2C:
    def __init__(self, bus_id, **kw):
        self.devices = Board.i2c

    def writeto_mem(self, addr, reg, data, addrsize=8):
        self.devices[addr].write(bytes([reg]) + bytes(data))

    def readfrom_mem(self, addr, reg, n, addrsize=8):
        self.devices[addr].write(bytes([reg]))
        return self.devices[addr].read(n)

    def scan(self):
        return sorted(self.devices)


class PWM:
    def __init__(self, pin, freq=None, duty_u16=None):
        self.pin = pin.id
        Board.pwm[self.pin] = duty_u16

    def duty_u16(self, v=None):
        Board.pwm[self.pin] = v

    def deinit(self):
        Board.pwm.pop(self.pin, None)


class ADC:
    ATTN_11DB = 3

    def __init__(self, pin, atten=None):
        self.pin = pin.id
        self.atten = atten

    def read_uv(self):
        return Board.adc_mv[self.pin]() * 1000


@pytest.fixture
def machine(monkeypatch):
    mod = types.ModuleType("machine")
    for cls in (Pin, UART, I2C, PWM, ADC):
        setattr(mod, cls.__name__, cls)
    monkeypatch.setitem(sys.modules, "machine", mod)
    monkeypatch.delitem(sys.modules, "drivers.hal.micropython", raising=False)
    for table in (Board.uarts, Board.i2c, Board.pins, Board.inputs, Board.adc_mv, Board.pwm):
        table.clear()
    yield mod
    sys.modules.pop("drivers.hal.micropython", None)


def test_esp32_s3_board_on_the_micropython_hal(machine):
    from drivers.hal.select import hal_for
    from drivers.pilot.divider import Divider
    from drivers.sim.ads1115_emulator import ADS1115Emulator
    from drivers.sim.ev import EV
    from drivers.sim.modbus_meter_emulator import ModbusMeterEmulator
    from drivers.sim.pn532_emulator import PN532Emulator
    board = boards.load("esp32-s3")
    clock = FakeClock(1000)
    reader = Board.uarts[1] = PN532Emulator()
    Board.uarts[2] = ModbusMeterEmulator("sdm630", 1, clock, energy_wh=777)
    ads = Board.i2c[0x48] = ADS1115Emulator({}, clock)
    cable = {"in": False}
    Board.adc_mv[1] = lambda: 595 if cable["in"] else 3300            # PP: 220 ohm cable, 1 kOhm to 3.3 V
    Board.inputs[40] = lambda: 0 if Board.pins[39].value() else 1      # aux contact to GND, closed = low
    Board.inputs[47] = lambda: 1                                       # lock switch open: unlocked
    Board.inputs[4] = lambda: 1 if Board.pins[21].value() else 0      # RCD fine: trips while tested (GPIO21)
    hal = hal_for(board, clock)
    assert type(hal).__name__ == "MicroPythonHal"
    hw = build_hardware(board, hal)
    pilot = hw.port(1).dev["pilot"]
    ev = EV(pilot.pwm, clock)                                          # the EV sees the MicroPython PwmOut
    to_adc = Divider().to_adc
    ads.inputs.update({0: lambda: to_adc(ev.high_mv()), 1: lambda: to_adc(ev.low_mv())})

    def run(ms):
        events = []
        for _ in range(ms // 50):
            clock.advance(50)
            events += hw.poll()
        return events

    events = run(1500)
    assert of(events, "fault") == []
    assert [e["state"] for e in of(events, "pilot")] == ["A"] and of(events, "pp")[0]["amps"] is None
    assert of(events, "meter")[0]["energy_wh"] == 777
    assert of(events, "lock_state") == [{"type": "lock_state", "connector": 1, "locked": False}]
    ev.plug()
    cable["in"] = True
    reader.present_card("04A224B2C25C80")
    hw.apply({"cmd": "pilot", "connector": 1, "amps": 32})
    events = run(1500)
    assert [e["state"] for e in of(events, "pilot")] == ["B", "C"]
    assert [e["amps"] for e in of(events, "pp")] == [32]
    assert of(events, "tag") == [{"type": "tag", "id_tag": "04A224B2C25C80"}]
    assert Board.pwm[5] == 34930                                      # round(533 x 65535 / 1000), on GPIO5
    hw.apply({"cmd": "contactor", "connector": 1, "on": True})
    assert of(run(500), "contactor_state") == [{"type": "contactor_state", "connector": 1, "on": True}]
    assert Board.pins[39].value() == 1


def test_hal_for_imports_only_the_backend_the_board_names():
    code = ("import sys, boards\n"
            "from drivers.hal.select import hal_for\n"
            "hal = hal_for(boards.load('desktop-sim'))\n"
            "print(type(hal).__name__, 'drivers.hal.linux' in sys.modules, 'drivers.hal.micropython' in sys.modules)\n"
            "hal = hal_for({'hal': 'linux'})\n"
            "print(type(hal).__name__, 'drivers.hal.micropython' in sys.modules, hal.gpio_backend)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert out.stdout.split("\n")[:2] == ["EmulatedHal False False", "LinuxHal False rpi-gpio"], out.stderr
    with pytest.raises(ValueError):
        importlib.import_module("drivers.hal.select").hal_for({"hal": "arduino"})
