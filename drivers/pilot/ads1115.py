"""TI ADS1115 16-bit I2C ADC, single-shot reads, as a pilot (or PP) analog input.

Registers (hardware.md §3.4): pointer 0x00 conversion, 0x01 config, 16-bit MSB first.
Config bits: OS[15] MUX[14:12] PGA[11:9] MODE[8] DR[7:5] COMP_MODE[4] POL[3] LAT[2]
QUE[1:0]. A read writes the config with OS=1 (start a single conversion), waits one
conversion time, polls OS until it reads 1 (idle), then reads the conversion register.
AIN0 single-ended, +-4.096 V, 860 SPS, comparator off = 0xC3E3.

Caveat: at 860 SPS one conversion (1.16 ms) is longer than a 1 kHz PWM period, so on a
bare CP divider it averages the PWM. Use it on DC levels or behind positive/negative
peak-hold circuits (one channel each; see drivers/pilot/pilot.py mode "peak").

Spec keys for build(spec, hal): "bus" (I2C, required), "address" (0x48), "channel"
(0..3, 0), "pga_mv" (4096), "sps" (860), "timeout_ms" (20, on top of one conversion
time), "clock" (optional).
build() returns an ADS1115Input: an AnalogIn-like object with read_mv() for that channel.
"""

from drivers.hal.errors import BusError
from drivers.hal.clock import or_system
from drivers.pilot.duty import div_round

REG_CONVERSION = 0x00
REG_CONFIG = 0x01

OS_START = 0x8000
MODE_SINGLE = 0x0100
COMP_DISABLE = 0x0003

PGA_BITS = {6144: 0, 4096: 1, 2048: 2, 1024: 3, 512: 4, 256: 5}
DR_BITS = {8: 0, 16: 1, 32: 2, 64: 3, 128: 4, 250: 5, 475: 6, 860: 7}


def config_word(channel=0, pga_mv=4096, sps=860, single_shot=True):
    """Config register value for a single-ended read of AINx (channel 0..3)."""
    if channel not in (0, 1, 2, 3):
        raise ValueError("channel must be 0..3")
    if pga_mv not in PGA_BITS:
        raise ValueError("pga_mv must be one of %r" % (sorted(PGA_BITS),))
    if sps not in DR_BITS:
        raise ValueError("sps must be one of %r" % (sorted(DR_BITS),))
    word = ((4 + channel) << 12) | (PGA_BITS[pga_mv] << 9) | (DR_BITS[sps] << 5) | COMP_DISABLE
    if single_shot:
        word |= OS_START | MODE_SINGLE
    return word


def raw_to_mv(raw, pga_mv=4096):
    """Signed conversion code -> mV at the input (0x4000 at +-4.096 V = 2048 mV)."""
    return div_round(raw * pga_mv, 32768)


def _signed16(hi, lo):
    value = (hi << 8) | lo
    if value & 0x8000:
        value -= 0x10000
    return value


class ADS1115:
    def __init__(self, i2c, address=0x48, pga_mv=4096, sps=860, clock=None, timeout_ms=20):
        clock = or_system(clock)
        self.i2c = i2c
        self.address = address
        self.pga_mv = pga_mv
        self.sps = sps
        self.clock = clock
        self.timeout_ms = timeout_ms
        config_word(0, pga_mv, sps)  # validates pga/sps early
        # whole milliseconds covering one conversion (860 SPS -> 2 ms)
        self._conv_ms = (1000 + sps - 1) // sps

    def read_raw(self, channel=0):
        """One single-shot conversion; signed 16-bit code. Raises BusError on NACK or timeout."""
        word = config_word(channel, self.pga_mv, self.sps)
        self.i2c.write_reg(self.address, REG_CONFIG, bytes([word >> 8, word & 0xFF]))
        start = self.clock.ticks_ms()
        self.clock.sleep_ms(self._conv_ms)
        while True:
            cfg = self.i2c.read_reg(self.address, REG_CONFIG, 2)
            if len(cfg) == 2 and cfg[0] & 0x80:
                break
            if self.clock.ticks_diff(self.clock.ticks_ms(), start) >= self._conv_ms + self.timeout_ms:
                raise BusError("ADS1115 at 0x%02X: conversion not ready after %d ms"
                               % (self.address, self.timeout_ms))
            self.clock.sleep_ms(1)
        data = self.i2c.read_reg(self.address, REG_CONVERSION, 2)
        if len(data) != 2:
            raise BusError("ADS1115 at 0x%02X: short read" % self.address)
        return _signed16(data[0], data[1])

    def read_mv(self, channel=0):
        """Input voltage of AINx in mV."""
        return raw_to_mv(self.read_raw(channel), self.pga_mv)

    def input(self, channel):
        """An AnalogIn-like object (read_mv()) bound to one channel."""
        return ADS1115Input(self, channel)


class ADS1115Input:
    def __init__(self, adc, channel):
        self.adc = adc
        self.channel = channel

    def read_mv(self):
        return self.adc.read_mv(self.channel)


def build(spec, hal=None):
    """ADS1115Input from a board spec dict (keys in the module docstring)."""
    adc = ADS1115(spec["bus"], spec.get("address", 0x48), spec.get("pga_mv", 4096),
                  spec.get("sps", 860), spec.get("clock"), spec.get("timeout_ms", 20))
    return adc.input(spec.get("channel", 0))
