"""TI INA226 DC current/voltage/power monitor on I2C (hardware.md §2.4), for DC auxiliary metering.

Registers (16-bit, MSB first): 0x00 config, 0x01 shunt voltage (2.5 uV/LSB), 0x02 bus voltage (1.25 mV/LSB),
0x03 power (25 x Current_LSB), 0x04 current (signed, Current_LSB), 0x05 calibration, 0xFE manufacturer id
(0x5449), 0xFF die id (0x2260). Current_LSB = Imax / 32768 exactly (not rounded up to whole uA as ESPHome does);
CAL = trunc(0.00512 / (Current_LSB x Rshunt)), computed with integers from Rshunt in micro-ohms and Imax in mA:
Rsh 0.002 ohm, Imax 20 A -> CAL 4194.

The chip has no energy register: energy is the trapezoid integral of the power register over the clock, kept in
integer units of mW.ms x 32768 (no float accumulator), and counts only while the current is positive (import). The
integral restarts at 0 on every boot; pass the persisted `energy_last_raw_wh` / `energy_offset_wh` back and the
monotonic rule (drivers.meter.energy) continues the reported register from where it was (so the first sample after
a restart carries the "energy register dropped" notice).

The calibration register is checked on every read; a chip that lost it (power cycle) is re-initialised.

`build(spec, hal)` keys: "bus" (I2C, required), "address" (0x40), "shunt_ohms" (0.002), "max_current_a" (20),
"clock", "retries" (2), "config" (0x4127: 1 sample, 1.1 ms conversions, continuous shunt + bus),
"energy_offset_wh", "energy_last_raw_wh".
"""

from drivers.hal.errors import BusError
from drivers.meter.energy import CountedMeter, EnergyCounter
from drivers.meter.measurands import CURRENT, ENERGY_IMPORT, POWER, VOLTAGE, fail_result, ok_result
from drivers.spec import on_bus

REG_CONFIG = 0x00
REG_SHUNT = 0x01
REG_BUS = 0x02
REG_POWER = 0x03
REG_CURRENT = 0x04
REG_CAL = 0x05
REG_MANUFACTURER = 0xFE
REG_DIE = 0xFF
MANUFACTURER_TI = 0x5449
DEFAULT_CONFIG = 0x4127
RESET = 0x8000

_WH_UNITS = 3600 * 1000 * 1000 * 32768      # 1 Wh in mW.ms x 32768


def calibration(shunt_uohm, max_current_ma):
    """CAL register value; raises ValueError when it does not fit the 15-bit register."""
    cal = 167772160000 // (max_current_ma * shunt_uohm)     # 0.00512 * 32768 * 1e9
    if not 0 < cal <= 0x7FFF:
        raise ValueError("shunt/max current give CAL %d, outside 1..32767" % cal)
    return cal


class INA226(CountedMeter):
    def __init__(self, i2c, clock, address=0x40, shunt_ohms=0.002, max_current_a=20, retries=2,
                 config=DEFAULT_CONFIG, energy_offset_wh=0, energy_last_raw_wh=None):
        self.i2c = i2c
        self.clock = clock
        self.address = address
        self.shunt_uohm = int(round(shunt_ohms * 1000000))
        self.max_current_ma = int(round(max_current_a * 1000))
        self.cal = calibration(self.shunt_uohm, self.max_current_ma)
        self.retries = retries
        self.config = config
        self.energy = EnergyCounter(energy_offset_wh, energy_last_raw_wh, None, clock)
        self.initialised = False
        self.reinits = 0
        self.last_error = None
        self._raw_wh = 0
        self._acc = 0                # remainder below 1 Wh, in mW.ms x 32768 x 2 (trapezoid)
        self._last_ms = None
        self._last_p = 0             # previous power in mW x 32768

    def measurands(self):
        return [ENERGY_IMPORT, POWER, CURRENT, VOLTAGE]

    def _reg(self, reg):
        d = self.i2c.read_reg(self.address, reg, 2)
        return (d[0] << 8) | d[1]

    def _write(self, reg, value):
        self.i2c.write_reg(self.address, reg, bytes([value >> 8, value & 0xFF]))

    def init(self):
        """Reset, identify and program the chip. Raises BusError."""
        self._write(REG_CONFIG, RESET)
        man = self._reg(REG_MANUFACTURER)
        if man != MANUFACTURER_TI:
            raise BusError(19, "device at 0x%02X is not an INA226 (manufacturer id 0x%04X)" % (self.address, man))
        self._write(REG_CONFIG, self.config)
        self._write(REG_CAL, self.cal)
        self.initialised = True
        self._last_ms = None

    def read(self):
        """One sample; never raises."""
        last = None
        for _ in range(1 + self.retries):
            try:
                return self._read()
            except BusError as exc:
                self.initialised = False
                last = exc
            except Exception as exc:
                last = exc
                break
        info = "INA226 at 0x%02X: %s" % (self.address, last)
        self.last_error = info
        return fail_result(info)

    def _read(self):
        if not self.initialised:
            self.init()
            self.reinits += 1
        elif self._reg(REG_CAL) != self.cal:
            self.init()          # the chip was reset (power cycle): its calibration is gone
            self.reinits += 1
        now = self.clock.ticks_ms()
        bus = self._reg(REG_BUS)
        current = self._reg(REG_CURRENT)
        if current & 0x8000:
            current -= 0x10000
        power = self._reg(REG_POWER)
        p_units = power * 25 * self.max_current_ma if current >= 0 else 0
        if self._last_ms is not None:
            dt = self.clock.ticks_diff(now, self._last_ms)
            if dt > 0:
                self._acc += (self._last_p + p_units) * dt
                wh, self._acc = divmod(self._acc, 2 * _WH_UNITS)
                self._raw_wh += wh
        self._last_ms = now
        self._last_p = p_units
        energy_wh, notice = self.energy.update(self._raw_wh)
        ma = self.max_current_ma
        values = {
            VOLTAGE: round(bus * 125 / 100000, 3),
            CURRENT: round(current * ma / 32768000, 3),
            POWER: round(power * 25 * ma / 32768000, 2),
            ENERGY_IMPORT: energy_wh,
        }
        self.last_error = None
        return ok_result(energy_wh, values, notice)


def build(spec, hal=None):
    return on_bus(INA226, spec, hal, ("address", "shunt_ohms", "max_current_a", "retries", "config",
                                      "energy_offset_wh", "energy_last_raw_wh"))
