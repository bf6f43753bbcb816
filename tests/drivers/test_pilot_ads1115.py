"""ADS1115 driver against its byte-level emulator on the emulated I2C bus (hardware.md §3.4, §7)."""

import pytest

from drivers.hal.clock import FakeClock
from drivers.hal.emulated import EmulatedI2C
from drivers.hal.errors import BusError
from drivers.pilot import ads1115
from drivers.pilot.ads1115 import ADS1115, config_word, raw_to_mv
from drivers.sim.ads1115_emulator import ADS1115Emulator


def test_config_words():
    assert config_word(0, 4096, 860) == 0xC3E3                     # §7 vector
    assert config_word(0, 4096, 860, single_shot=False) == 0x42E3   # continuous, same settings
    assert config_word(1, 4096, 860) == 0xD3E3
    assert config_word(3, 2048, 128) == 0xF583
    with pytest.raises(ValueError):
        config_word(4)
    with pytest.raises(ValueError):
        config_word(0, 5000)


def test_raw_to_mv():
    assert raw_to_mv(0x4000, 4096) == 2048
    assert raw_to_mv(-0x8000, 4096) == -4096
    assert raw_to_mv(1, 4096) == 0
    assert raw_to_mv(32767, 6144) == 6144


def _bus(inputs, clock=None):
    bus = EmulatedI2C(clock)
    emu = bus.attach(0x48, ADS1115Emulator(inputs, clock))
    return bus, emu


def test_single_shot_on_the_wire():
    clock = FakeClock()
    bus, emu = _bus({0: lambda: 2048}, clock)
    adc = ADS1115(bus, 0x48, clock=clock)
    assert adc.read_raw(0) == 0x4000
    # the driver wrote pointer 0x01 + 0xC3E3 MSB first, polled config, read pointer 0x00
    assert bus.log[0] == ("wr", 0x48, 0x01, b"\xc3\xe3")
    assert bus.log[1][0:3] == ("rr", 0x48, 0x01)
    assert bus.log[-1] == ("rr", 0x48, 0x00, b"\x40\x00")
    assert emu.writes == [0xC3E3]
    assert clock.ticks_ms() >= 2                 # one conversion time at 860 SPS, through the clock


def test_emulator_registers_at_byte_level():
    emu = ADS1115Emulator({})
    emu.write(b"\x01")
    assert emu.read(2) == b"\x85\x83"            # power-on config
    emu.write(b"\x02")
    assert emu.read(2) == b"\x80\x00"
    emu.write(b"\x03\x12\x34")
    emu.write(b"\x03")
    assert emu.read(2) == b"\x12\x34"


def test_os_bit_reads_busy_during_conversion():
    clock = FakeClock()
    emu = ADS1115Emulator({0: lambda: 1000}, clock)
    emu.write(b"\x01\xc3\xe3")
    emu.write(b"\x01")
    assert emu.read(2)[0] & 0x80 == 0
    clock.advance(2)
    assert emu.read(2) == b"\xc3\xe3"
    emu.write(b"\x00")
    assert emu.read(2) == bytes([0x1F, 0x40])    # 1000 mV * 8 = 8000 = 0x1F40


def test_negative_and_clipped_codes():
    bus, emu = _bus({0: lambda: -1000, 1: lambda: 5000})
    adc = ADS1115(bus, clock=FakeClock())
    assert adc.read_raw(0) == -8000
    assert adc.read_mv(0) == -1000
    assert adc.read_raw(1) == 32767              # beyond +4.096 V full scale


def test_channels_and_pga():
    bus, emu = _bus({0: lambda: 100, 1: lambda: 200, 2: lambda: 300, 3: lambda: 400})
    adc = ADS1115(bus, pga_mv=2048, sps=128, clock=FakeClock())
    assert [adc.read_mv(ch) for ch in range(4)] == [100, 200, 300, 400]
    assert emu.writes[-1] == config_word(3, 2048, 128)


def test_build_returns_an_analog_input():
    bus, emu = _bus({2: lambda: 1234})
    adc_in = ads1115.build({"bus": bus, "address": 0x48, "channel": 2, "clock": FakeClock()})
    assert adc_in.read_mv() == 1234


def test_absent_device_raises_bus_error():
    bus, emu = _bus({0: lambda: 1})
    bus.set_absent(0x48)
    with pytest.raises(BusError):
        ADS1115(bus, clock=FakeClock()).read_mv()


def test_nack_raises_bus_error():
    bus, emu = _bus({0: lambda: 1})
    bus.nack_next(0x48)
    adc = ADS1115(bus, clock=FakeClock())
    with pytest.raises(BusError):
        adc.read_mv()
    assert adc.read_mv() == 1


def test_stuck_conversion_times_out_through_the_clock():
    clock = FakeClock()
    bus, emu = _bus({0: lambda: 1}, clock)
    emu.stuck = True
    adc = ADS1115(bus, clock=clock, timeout_ms=20)
    with pytest.raises(BusError):
        adc.read_raw()
    assert 20 <= clock.ticks_ms() <= 30


def test_continuous_mode_emulation():
    level = [500]
    emu = ADS1115Emulator({0: lambda: level[0]})
    emu.write(b"\x01\x42\xe3")
    emu.write(b"\x00")
    assert emu.read(2) == (4000).to_bytes(2, "big")
    level[0] = 250
    assert emu.read(2) == (2000).to_bytes(2, "big")
