"""SDM630, SDM120 and ABB B23 drivers against the Modbus meter emulator (hardware.md §2.2, §2.3, §2.5, §6)."""

import pytest

from drivers.hal.clock import FakeClock
from drivers.hal.emulated import EmulatedSerial
from drivers.meter import abb_b23, sdm
from drivers.meter.modbus_rtu import ModbusClient
from drivers.sim.modbus_meter_emulator import ModbusMeterEmulator
from drivers.sim.multidrop import MultiDrop

SDM630_KEYS = ["Energy.Active.Import.Register", "Energy.Active.Export.Register", "Frequency",
               "Voltage.L1", "Voltage.L2", "Voltage.L3", "Current.Import.L1", "Current.Import.L2",
               "Current.Import.L3", "Power.Active.Import.L1", "Power.Active.Import.L2", "Power.Active.Import.L3",
               "Power.Factor.L1", "Power.Factor.L2", "Power.Factor.L3", "Power.Active.Import", "Power.Factor"]


def rig(model, address=1, **kw):
    clock = FakeClock()
    emu = ModbusMeterEmulator(model, address, clock, **kw)
    serial = EmulatedSerial(emu, clock)
    mod = abb_b23 if model == "abb_b23" else sdm
    spec = {"driver": model, "bus": serial, "address": address, "clock": clock}
    return clock, emu, serial, spec, mod


def test_sdm630_reading():
    clock, emu, serial, spec, mod = rig("sdm630", energy_wh=1234567, export_wh=250, current=[16.05, 15.9, 16.1],
                                        voltage=230.2, power_factor=0.98)
    meter = mod.build(spec)
    assert sorted(meter.measurands()) == sorted(SDM630_KEYS)
    r = meter.read()
    assert r["ok"] is True and r["energy_wh"] == 1234567
    v = r["values"]
    assert v["Energy.Active.Import.Register"] == 1234567 and v["Energy.Active.Export.Register"] == 250
    assert v["Voltage.L1"] == 230.2 and v["Current.Import.L1"] == 16.05 and v["Current.Import.L2"] == 15.9
    assert v["Power.Active.Import.L3"] == round(230.2 * 16.1 * 0.98)
    assert v["Power.Active.Import"] == round(230.2 * (16.05 + 15.9 + 16.1) * 0.98)
    assert v["Power.Factor"] == 0.98 and v["Frequency"] == 50.0
    assert isinstance(v["Power.Active.Import"], int) and isinstance(r["energy_wh"], int)
    assert set(v) == set(SDM630_KEYS)


def test_sdm630_energy_grows_with_power_and_time():
    clock, emu, serial, spec, mod = rig("sdm630", energy_wh=0)
    meter = mod.build(spec)
    emu.set_power(11000)
    e0 = meter.read()["energy_wh"]
    clock.advance(3600 * 1000)
    assert meter.read()["energy_wh"] - e0 == 11000


def test_sdm120_reading_and_requests():
    clock, emu, serial, spec, mod = rig("sdm120", energy_wh=1234567, current=10.0)
    meter = mod.build(spec)
    r = meter.read()
    assert r["ok"] and r["energy_wh"] == 1234567
    assert set(r["values"]) == {"Energy.Active.Import.Register", "Energy.Active.Export.Register", "Frequency",
                                "Voltage.L1", "Current.Import.L1", "Power.Active.Import", "Power.Factor"}
    assert r["values"]["Power.Active.Import"] == 2300
    assert serial.tx_log[0][:6] == bytes.fromhex("01 04 00 46 00 06")     # freq + import + export in one read
    assert bytes.fromhex("01 04 00 00 00 02 71 CB") in serial.tx_log       # the §7 voltage request


def test_sdm630_wire_vectors_decode():
    # the SDM630 V/I/P block response from hardware.md §2.1
    clock, emu, serial, spec, mod = rig("sdm630", energy_wh=0, voltage=230.2, current=16.05)
    emu.voltage = [230.2, 231.0, 229.5]
    emu.current = [16.05, 15.9, 16.1]
    meter = mod.build(spec)
    v = meter.read()["values"]
    assert (v["Voltage.L1"], v["Voltage.L2"], v["Voltage.L3"]) == (230.2, 231.0, 229.5)


def test_abb_reading_u64_energy_and_scaling():
    clock, emu, serial, spec, mod = rig("abb_b23", energy_wh=1234560, current=16.0)
    meter = mod.build(spec)
    r = meter.read()
    assert r["ok"] and r["energy_wh"] == 1234560
    v = r["values"]
    assert v["Voltage.L2"] == 230.0 and v["Current.Import.L3"] == 16.0 and v["Power.Active.Import"] == 11040
    assert v["Frequency"] == 50.0 and v["Power.Factor"] == 1.0
    assert bytes.fromhex("01 03 50 00 00 08") == serial.tx_log[0][:6]


def test_abb_energy_above_32_bits():
    clock, emu, serial, spec, mod = rig("abb_b23", energy_wh=50000000000)       # 5e9 x 0.01 kWh > 2^32
    assert mod.build(spec).read()["energy_wh"] == 50000000000


def test_abb_not_available_sentinel_fails_the_sample():
    clock, emu, serial, spec, mod = rig("abb_b23", energy_wh=1000)
    meter = mod.build(spec)
    assert meter.read()["energy_wh"] == 1000
    emu.set_energy_unavailable(True)
    r = meter.read()
    assert r == {"ok": False, "error_code": "PowerMeterFailure",
                 "info": "ABB B23 at Modbus id 1: energy register not available"}
    assert meter.last_raw_wh == 1000


def test_sdm_nan_energy_fails_the_sample():
    clock, emu, serial, spec, mod = rig("sdm630", energy_wh=1000)
    emu.set_energy_unavailable(True)
    r = mod.build(spec).read()
    assert r["ok"] is False and "not available" in r["info"]


@pytest.mark.parametrize("model", ["sdm630", "sdm120", "abb_b23"])
def test_meter_reset_keeps_reported_energy_monotonic(model):
    clock, emu, serial, spec, mod = rig(model, energy_wh=500000, current=10.0)
    meter = mod.build(spec)
    assert meter.read()["energy_wh"] == 500000
    emu.reset_energy(0)
    r = meter.read()
    assert r["ok"] and r["energy_wh"] == 500000 and "dropped" in r["notice"]
    assert meter.offset_wh == 500000
    clock.advance(3600 * 1000)
    r = meter.read()
    assert r["energy_wh"] > 500000
    # the caller persists the state; a new driver instance continues from it
    spec2 = dict(spec, energy_offset_wh=meter.offset_wh, energy_last_raw_wh=meter.last_raw_wh)
    meter2 = mod.build(spec2)
    assert meter2.read()["energy_wh"] == r["energy_wh"]


@pytest.mark.parametrize("model", ["sdm630", "abb_b23"])
def test_lost_meter_gives_power_meter_failure_after_retries(model):
    clock, emu, serial, spec, mod = rig(model, energy_wh=1000)
    meter = mod.build(spec)
    emu.set_lost(True)
    r = meter.read()
    assert r["ok"] is False and r["error_code"] == "PowerMeterFailure" and "no response" in r["info"]
    assert meter.client.stats["timeouts"] == 3
    emu.set_lost(False)
    assert meter.read()["ok"] is True


def test_transient_crc_errors_and_timeouts_are_absorbed():
    clock, emu, serial, spec, mod = rig("sdm630", energy_wh=1000)
    meter = mod.build(spec)
    emu.inject_crc_error(2)
    assert meter.read()["ok"] is True
    emu.inject_timeout(1)
    assert meter.read()["ok"] is True
    st = meter.client.stats
    assert st["crc_errors"] == 2 and st["timeouts"] == 1


def test_corrupt_reply_never_updates_a_measurement():
    clock, emu, serial, spec, mod = rig("sdm630", energy_wh=1000)
    spec["retries"] = 0
    meter = mod.build(spec)
    assert meter.read()["energy_wh"] == 1000
    emu.reset_energy(5000)
    serial.corrupt_reply(count=1, index=5)
    r = meter.read()
    assert r["ok"] is False and "CRC" in r["info"]
    assert meter.last_raw_wh == 1000


def test_exception_response_fails_the_read():
    clock, emu, serial, spec, mod = rig("sdm120", energy_wh=1000)
    emu.inject_exception(4, 1)
    r = mod.build(spec).read()
    assert r["ok"] is False and "exception 4" in r["info"]


def test_sdm630_map_on_an_sdm120_gets_illegal_address():
    clock, emu, serial, spec, mod = rig("sdm120", energy_wh=1000)
    spec["driver"] = "sdm630"
    r = mod.build(spec).read()
    assert r["ok"] is False and "exception 2" in r["info"]


def test_two_meters_share_one_client():
    clock = FakeClock()
    line = MultiDrop([ModbusMeterEmulator("sdm630", 1, clock, energy_wh=111000),
                      ModbusMeterEmulator("sdm120", 2, clock, energy_wh=222000)])
    client = ModbusClient(EmulatedSerial(line, clock), clock)
    m1 = sdm.build({"driver": "sdm630", "bus": client, "address": 1})
    m2 = sdm.build({"driver": "sdm120", "bus": client, "address": 2})
    assert m1.read()["energy_wh"] == 111000 and m2.read()["energy_wh"] == 222000


def test_implausible_jump_with_max_power():
    clock, emu, serial, spec, mod = rig("sdm630", energy_wh=1000)
    spec["max_power_w"] = 22000
    meter = mod.build(spec)
    meter.read()
    clock.advance(1000)
    emu.reset_energy(800000)
    r = meter.read()
    assert r["ok"] is False and "implausible" in r["info"]
