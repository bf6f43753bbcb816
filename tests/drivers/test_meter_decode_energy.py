"""Register decoding (float32, integers, sentinels) and the monotonic energy rule (hardware.md §2.6, §6 rows 6-8)."""

import struct

import pytest
from hypothesis import given, strategies as st

from drivers.hal.clock import FakeClock
from drivers.meter import decode
from drivers.meter.energy import EnergyCounter
from drivers.meter.measurands import split_key, unit_of


def h(text):
    return bytes.fromhex(text)


def test_float_vectors():
    assert abs(decode.f32(h("43 66 33 33")) - 230.2) < 1e-4
    assert decode.f32_scaled_int(h("44 9A 52 25"), 1000) == 1234567           # 1234.567 kWh -> Wh
    assert decode.f32_scaled_int(h("00 00 00 00"), 1000) == 0
    assert decode.f32_scaled_int(h("3F C0 00 00"), 1000) == 1500               # 1.5
    assert decode.f32_scaled_int(h("BF C0 00 00"), 1000) == -1500
    assert decode.f32_scaled_int(h("3A 83 12 6F"), 1000) == 1                  # 0.001 (rounded)
    assert decode.f32(h("7F C0 00 00")) is None and decode.f32_scaled_int(h("7F 80 00 00"), 1000) is None
    assert decode.f32_scaled_int(h("00 00 00 01"), 1000) == 0                  # subnormal


@given(st.floats(min_value=0, max_value=1e7, allow_nan=False, width=32))
def test_exact_scaling_matches_double_precision_rounding(kwh):
    raw = struct.pack(">f", kwh)
    exact = struct.unpack(">f", raw)[0] * 1000        # double arithmetic is exact enough for this range
    got = decode.f32_scaled_int(raw, 1000)
    assert abs(got - exact) <= 0.5


def test_integer_types_and_abb_sentinels():
    assert decode.integer(h("00 00 08 FE"), "u32") == 2302
    assert decode.integer(h("00 00 00 00 00 01 E2 40"), "u64") == 123456
    assert decode.integer(h("FF FF FF FF"), "u32") is None
    assert decode.integer(h("FF FF FF FF FF FF FF FF"), "u64") is None
    assert decode.integer(h("7F FF FF FF"), "s32") is None
    assert decode.integer(h("7F FF"), "s16") is None
    assert decode.integer(h("FF FF FF 9C"), "s32") == -100
    assert decode.integer(h("FC 18"), "s16") == -1000
    assert decode.value(h("13 88"), "u16") == 5000


def test_measurand_keys():
    assert split_key("Current.Import.L1") == ("Current.Import", "L1")
    assert split_key("Power.Active.Import") == ("Power.Active.Import", None)
    assert split_key("Energy.Active.Import.Register") == ("Energy.Active.Import.Register", None)
    assert unit_of("Voltage.L3") == "V" and unit_of("Energy.Active.Import.Register") == "Wh"


def test_monotonic_rule_on_meter_reset():
    e = EnergyCounter()
    assert e.update(1000) == (1000, None)
    assert e.update(1500)[0] == 1500
    reported, notice = e.update(20)                    # meter replaced / reset
    assert reported == 1500 and "dropped" in notice
    assert e.offset_wh == 1480
    assert e.update(120)[0] == 1600                    # grows on from there, no double count
    assert e.state() == {"offset_wh": 1480, "last_raw_wh": 120}


def test_persisted_state_restores_across_restart():
    e = EnergyCounter(offset_wh=1480, last_raw_wh=120)
    assert e.reported_wh == 1600
    assert e.update(130)[0] == 1610
    e = EnergyCounter(offset_wh=1480, last_raw_wh=120)
    assert e.update(0)[0] == 1600                      # a software register that restarted at 0


def test_invalid_values_rejected():
    e = EnergyCounter()
    for bad in (-1, 1.5, True, None):
        with pytest.raises(ValueError):
            e.update(bad)
    assert e.last_raw_wh is None


def test_implausible_jump_rejected_then_accepted():
    c = FakeClock()
    e = EnergyCounter(max_power_w=22000, clock=c, max_rejects=2)
    e.update(1000)
    c.advance(1000)                                    # 22 kW for 1 s = 6 Wh
    assert e.update(1005)[0] == 1005
    c.advance(1000)
    for _ in range(2):
        with pytest.raises(ValueError):
            e.update(900000)
    assert e.update(900000)[0] == 900000               # persistent: it is the new truth


@given(st.lists(st.integers(min_value=0, max_value=10 ** 9), min_size=1, max_size=40))
def test_reported_energy_never_decreases(raws):
    e = EnergyCounter()
    last = -1
    for raw in raws:
        reported, _ = e.update(raw)
        assert reported >= last
        last = reported
