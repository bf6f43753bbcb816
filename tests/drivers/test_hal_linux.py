"""drivers/hal/linux.py: the serial path over a real pty pair (pyserial on the slave, an emulator on the master),
plus the parts that need no hardware: sysfs PWM and IIO ADC on a fake sysfs tree, GPIO polarity, I2C probing rule.
"""

import threading

import pytest

from drivers.hal import linux
from drivers.hal.clock import SystemClock
from drivers.hal.emulated import EmulatedPin
from drivers.hal.errors import BusError
from drivers.meter import sdm
from drivers.rfid.pn532 import PN532
from drivers.sim.modbus_meter_emulator import ModbusMeterEmulator
from drivers.sim.pn532_emulator import PN532Emulator


class Upper:
    def __init__(self):
        self.out = b""

    def receive(self, data):
        self.out += data.upper()

    def pending(self):
        out, self.out = self.out, b""
        return out


def test_pty_serial_roundtrip_and_timeout(pty_bridge):
    b = pty_bridge(Upper())
    s = linux.Serial(b.port, baudrate=115200)
    try:
        assert s.read(4, 20) == b""                    # timeout gives b'', not None
        s.write(b"hello")
        s.flush_tx()
        assert s.read(5, 1000) == b"HELLO"
        s.write(b"abc")
        got = s.read(10, 100)                          # short read when fewer bytes come
        assert got == b"ABC"
        s.write(b"xy")
        deadline = SystemClock().ticks_ms() + 1000
        while s.available() < 2 and SystemClock().ticks_ms() < deadline:
            pass
        assert s.available() == 2
        assert s.read(2, 0) == b"XY"
    finally:
        s.close()


def test_pn532_driver_over_real_pty(pty_bridge):
    emu = PN532Emulator()
    b = pty_bridge(emu)
    s = linux.Serial(b.port, baudrate=115200)
    try:
        reader = PN532(s, SystemClock())
        assert reader.poll()["type"] == "reader_ok"
        with b.lock:
            emu.present_card("04A224B2C25C80")
        ev = reader.poll()
        assert ev == {"type": "tag", "id_tag": "04A224B2C25C80", "atqa": 0x0044, "sak": 0x00}
        assert reader.poll() is None                    # same card still there: not reported again
    finally:
        s.close()


def test_sdm630_meter_over_real_pty(pty_bridge):
    emu = ModbusMeterEmulator("sdm630", address=7, energy_wh=1234567, current=10.0)
    b = pty_bridge(emu)
    s = linux.Serial(b.port, baudrate=19200)
    try:
        meter = sdm.build({"driver": "sdm630", "bus": s, "address": 7, "baud": 19200, "clock": SystemClock()})
        r = meter.read()
        assert r["ok"], r
        assert r["energy_wh"] == 1234567
        assert r["values"]["Current.Import.L2"] == 10.0
    finally:
        s.close()


def test_de_pin_is_released_after_the_frame(pty_bridge):
    b = pty_bridge(Upper())
    de = EmulatedPin(clock=SystemClock())
    s = linux.Serial(b.port, baudrate=9600, de_pin=de)
    try:
        s.write(b"\x01\x03")
        assert de.get() is False
        assert [a for _, a in de.history] == [True, False]
    finally:
        s.close()


def test_missing_port_and_closed_port_raise_bus_error():
    with pytest.raises(BusError):
        linux.Serial("/dev/does-not-exist-station", 9600)


def test_vanished_device_raises_bus_error_and_reader_reports_fault(pty_bridge):
    emu = PN532Emulator()
    b = pty_bridge(emu)
    s = linux.Serial(b.port, 115200)
    try:
        reader = PN532(s, SystemClock(), max_failures=1)
        assert reader.poll()["type"] == "reader_ok"
        b.close()                                       # the other end is gone: EIO, as for an unplugged adapter
        with pytest.raises(BusError):
            s.write(b"x")
        with pytest.raises(BusError):
            s.read(1, 10)
        ev = reader.poll()
        assert ev["type"] == "reader_fault" and "serial error" in ev["info"]
    finally:
        s.close()


# -- sysfs PWM / IIO ADC on a fake tree --------------------------------------------------------------------------

def _read(path):
    with open(path) as f:
        return f.read()


def test_sysfs_pwm_exports_and_writes_ns(tmp_path):
    chip = tmp_path / "pwmchip2"
    chip.mkdir()
    chan = chip / "pwm3"

    # the kernel creates pwmN when the channel number is written to export; emulate that
    class Exporter(threading.Thread):
        def run(self):
            for _ in range(200):
                if (chip / "export").exists():
                    chan.mkdir(exist_ok=True)
                    return
                threading.Event().wait(0.005)
    t = Exporter()
    t.start()
    pwm = linux.PwmOut(chip=2, channel=3, freq=1000, initial=None, sysfs_root=str(tmp_path))
    t.join()
    assert _read(chip / "export") == "3"
    assert _read(chan / "period") == "1000000"
    assert _read(chan / "duty_cycle") == "1000000"      # None = steady high = 100 %
    assert _read(chan / "enable") == "1"
    pwm.set_duty(267)
    assert _read(chan / "duty_cycle") == "267000"
    pwm.set_duty(0)
    assert _read(chan / "duty_cycle") == "0" and pwm.duty() == 0
    with pytest.raises(ValueError):
        pwm.set_duty(1200)


def test_sysfs_pwm_missing_chip_is_bus_error(tmp_path):
    with pytest.raises(BusError):
        linux.PwmOut(chip=0, channel=0, sysfs_root=str(tmp_path / "none"), export_wait_ms=10)


def test_iio_adc_scale(tmp_path):
    dev = tmp_path / "iio:device0"
    dev.mkdir()
    (dev / "in_voltage1_raw").write_text("2048\n")
    (dev / "in_voltage_scale").write_text("0.805664062\n")
    adc = linux.AnalogIn(0, 1, iio_root=str(tmp_path))
    assert adc.read_mv() == 1650
    (dev / "in_voltage1_raw").write_text("garbage")
    with pytest.raises(BusError):
        adc.read_mv()


# -- GPIO polarity with a stand-in for the RPi.GPIO module ----------------------------------------------------------

class FakeRpiGpio:
    BCM, OUT, IN, HIGH, LOW, BOTH = "BCM", "OUT", "IN", 1, 0, "BOTH"
    PUD_UP, PUD_DOWN, PUD_OFF = "up", "down", "off"

    def __init__(self):
        self.levels = {}
        self.setups = {}
        self.callbacks = {}

    def setwarnings(self, flag):
        pass

    def setmode(self, mode):
        self.mode = mode

    def setup(self, pin, direction, initial=None, pull_up_down=None):
        self.setups[pin] = (direction, initial, pull_up_down)
        if initial is not None:
            self.levels[pin] = initial

    def output(self, pin, level):
        self.levels[pin] = level

    def input(self, pin):
        return self.levels.get(pin, 0)

    def add_event_detect(self, pin, edge, callback=None):
        self.callbacks[pin] = callback


def test_digital_out_active_low_starts_safe():
    g = FakeRpiGpio()
    out = linux.DigitalOut(17, active_low=True, initial=False, gpio_module=g)
    assert g.setups[17] == ("OUT", 1, None)            # inactive = electrical high for active-low
    out.set(True)
    assert g.levels[17] == 0 and out.get() is True
    out.set(False)
    assert g.levels[17] == 1


def test_digital_in_polarity_pull_and_edges():
    g = FakeRpiGpio()
    inp = linux.DigitalIn(22, active_low=True, pull="up", gpio_module=g)
    assert g.setups[22][2] == "up"
    g.levels[22] = 0
    assert inp.get() is True
    assert inp.changed() is False
    g.callbacks[22](22)
    assert inp.changed() is True and inp.changed() is False


def test_unknown_gpio_backend():
    with pytest.raises(ValueError):
        linux.DigitalOut(1, gpio_backend="wiringpi", gpio_module=FakeRpiGpio())


def test_i2c_probe_rule_like_i2cdetect():
    assert linux.scan_uses_read(0x50) and linux.scan_uses_read(0x30)
    assert not linux.scan_uses_read(0x40) and not linux.scan_uses_read(0x48)


class FakeSmbus:
    """Stand-in for the smbus2 module: records i2c_rdwr message lists, answers reads from a table."""

    class i2c_msg:
        @staticmethod
        def write(addr, data):
            return ("w", addr, bytes(data))

        @staticmethod
        def read(addr, n):
            return bytearray(n)

    class SMBus:
        def __init__(self, bus):
            self.calls = []

        def i2c_rdwr(self, *msgs):
            self.calls.append(msgs)
            for m in msgs:
                if isinstance(m, bytearray):
                    m[:] = b"\x10\x62"[:len(m)]

        def write_quick(self, addr):
            if addr != 0x40:
                raise OSError(121, "Remote I/O error")

        def read_byte(self, addr):
            raise OSError(121, "Remote I/O error")


def test_i2c_uses_combined_transfer_for_16_bit_registers():
    bus = linux.I2C(1, smbus_module=FakeSmbus)
    assert bus.read_reg(0x38, 0x31C, 2, reg_bits=16) == b"\x10\x62"
    msgs = bus._bus.calls[-1]
    assert msgs[0] == ("w", 0x38, b"\x03\x1c") and len(msgs) == 2
    assert bus.scan() == [0x40]
