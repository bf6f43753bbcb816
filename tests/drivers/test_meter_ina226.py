"""INA226 driver against the INA226 register-level emulator on the emulated I2C bus (hardware.md §2.4, §7)."""

import pytest

from drivers.hal.clock import FakeClock
from drivers.hal.emulated import EmulatedI2C
from drivers.meter import ina226
from drivers.sim.ina226_emulator import INA226Emulator


def test_calibration_vectors():
    assert ina226.calibration(2000, 20000) == 4194           # Rsh 0.002 ohm, Imax 20 A
    assert ina226.calibration(100000, 800) == 2097           # Rsh 0.1 ohm, Imax 0.8 A
    with pytest.raises(ValueError):
        ina226.calibration(1, 1)                              # does not fit 15 bits


def rig(current=10.0, volts=24.0, **kw):
    clock = FakeClock()
    bus = EmulatedI2C(clock)
    emu = bus.attach(0x40, INA226Emulator(shunt_ohms=0.002, bus_volts=volts, current_a=current))
    spec = {"driver": "ina226", "bus": bus, "clock": clock, "shunt_ohms": 0.002, "max_current_a": 20}
    spec.update(kw)
    return clock, bus, emu, ina226.build(spec)


def test_init_programs_the_chip():
    clock, bus, emu, m = rig()
    assert m.cal == 4194
    assert m.read()["ok"]
    assert emu.writes[:3] == [(0x00, 0x8000), (0x00, 0x4127), (0x05, 4194)]
    assert emu.regs[0x05] == 0x1062


def test_values():
    clock, bus, emu, m = rig(current=10.0, volts=24.0)
    r = m.read()
    v = r["values"]
    assert abs(v["Voltage"] - 24.0) < 0.002
    assert abs(v["Current.Import"] - 10.0) < 0.01
    assert abs(v["Power.Active.Import"] - 240.0) < 0.5
    assert m.measurands() == ["Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage"]
    assert r["energy_wh"] == 0


def test_energy_is_integrated_in_integers():
    clock, bus, emu, m = rig(current=10.0, volts=24.0)
    m.read()
    power = m.read()["values"]["Power.Active.Import"]
    for _ in range(3600):
        clock.advance(1000)
        r = m.read()
    assert r["ok"] and isinstance(r["energy_wh"], int)
    assert r["energy_wh"] == int(power)                       # one hour at ~240 W, exact in integer maths
    assert m._acc >= 0


def test_reverse_current_is_not_import_energy():
    clock, bus, emu, m = rig(current=-10.0)
    m.read()
    clock.advance(3600 * 1000)
    r = m.read()
    assert r["values"]["Current.Import"] < 0 and r["energy_wh"] == 0


def test_absent_chip_is_power_meter_failure():
    clock, bus, emu, m = rig()
    bus.set_absent(0x40)
    r = m.read()
    assert r["ok"] is False and r["error_code"] == "PowerMeterFailure" and "0x40" in r["info"]
    bus.set_absent(0x40, False)
    assert m.read()["ok"] is True


def test_transient_nack_is_retried():
    clock, bus, emu, m = rig()
    m.read()
    bus.nack_next(0x40, 1)
    assert m.read()["ok"] is True


def test_wrong_chip_is_rejected():
    clock, bus, emu, m = rig()
    emu.regs[0xFE] = 0x1234
    emu.power_cycle = lambda: None                             # keep the foreign id through the reset
    r = m.read()
    assert r["ok"] is False and "not an INA226" in r["info"]


def test_power_cycled_chip_is_reprogrammed():
    clock, bus, emu, m = rig()
    m.read()
    emu.power_cycle()
    assert emu.regs[0x05] == 0
    assert m.read()["ok"] and emu.regs[0x05] == 4194 and m.reinits == 2


def test_energy_continues_after_restart_from_persisted_state():
    clock, bus, emu, m = rig(current=10.0, volts=24.0, energy_offset_wh=100, energy_last_raw_wh=5000)
    r = m.read()
    assert r["energy_wh"] == 5100                             # integral restarted at 0, reported value continues
    clock.advance(3600 * 1000)
    assert m.read()["energy_wh"] > 5100
