"""The control-pilot driver against the emulated EV, with a fast ADC (burst) and an ADS1115 (peak detectors)."""

import pytest

from drivers.hal.clock import FakeClock
from drivers.hal.emulated import EmulatedAdc, EmulatedPwm
from drivers.pilot import pilot as pilot_mod
from drivers.pilot.divider import Divider
from drivers.sim.rig import PilotRig
from drivers.sim import timeline


def make(adc="burst", **spec_extra):
    clock = FakeClock()
    rig = PilotRig(clock, adc=adc)
    cp = pilot_mod.build(rig.pilot_spec(**spec_extra))
    return clock, rig, cp


def run(clock, cp, ms, step=10):
    return timeline.run(clock, [cp], ms, step)


def states(events):
    return [e["state"] for e in events if e["type"] == "pilot"]


def faults(events):
    return [e["fault"] for e in events if e["type"] == "pilot_fault"]


@pytest.mark.parametrize("adc", ["burst", "ads1115"])
def test_plug_offer_charge_unplug(adc):
    clock, rig, cp = make(adc)
    events = run(clock, cp, 100)
    assert states(events) == ["A"]
    rig.ev.plug()
    events = run(clock, cp, 100)
    assert states(events) == ["B"]
    b = [e for e in events if e["type"] == "pilot"][0]
    assert abs(b["mv"] - 8980) <= 20 and b["duty"] is None
    cp.set_current(16)
    assert rig.pwm.duty() == 267
    events = run(clock, cp, 600)
    assert states(events) == ["C"]
    c = [e for e in events if e["type"] == "pilot"][0]
    assert abs(c["mv"] - 5990) <= 20 and abs(c["low_mv"] + 12000) <= 20 and c["duty"] == 267
    assert cp.diode_seen
    rig.ev.unplug()
    events = run(clock, cp, 100)
    assert states(events) == ["A"]
    assert faults(events) == []
    assert not cp.diode_seen


def test_pwm_output_values():
    clock, rig, cp = make()
    assert rig.pwm.duty() is None                       # steady +12 V at start
    assert cp.set_current(32) == 533 and rig.pwm.duty() == 533
    assert cp.set_current(0) == 0 and rig.pwm.duty() == 0          # F
    assert cp.set_current(5) is None and rig.pwm.duty() is None    # below 6 A: no offer
    assert cp.set_digital() == 50 and rig.pwm.duty() == 50
    cp.set_current(None)
    assert rig.pwm.duty() is None
    assert cp.offered_ma() is None
    cp.set_current(63)
    assert cp.offered_ma() == 63000


def test_duty_change_rate_is_reported_not_enforced():
    clock, rig, cp = make()
    cp.set_current(16)
    clock.advance(6000)
    cp.set_current(32)
    clock.advance(1000)
    cp.set_current(10)                   # 1 s later: too soon, but applied
    assert rig.pwm.duty() == 167
    clock.advance(10)
    duty_events = [e for e in cp.poll() if e["type"] == "pilot_duty"]
    assert [(e["duty"], e["since_last_ms"], e["too_soon"]) for e in duty_events] == [
        (267, None, False), (533, 6000, False), (167, 1000, True)]
    cp.set_current(10)                   # same duty: not a change
    cp.set_current(None)                 # switching the PWM off is never "too soon"
    clock.advance(10)
    duty_events = [e for e in cp.poll() if e["type"] == "pilot_duty"]
    assert [(e["duty"], e["too_soon"]) for e in duty_events] == [(None, False)]


def test_ev_waits_in_b_without_offer_and_hlc_is_not_an_offer():
    clock, rig, cp = make()
    rig.ev.plug()
    assert states(run(clock, cp, 1000)) == ["B"]
    cp.set_digital()
    assert states(run(clock, cp, 1000)) == []


@pytest.mark.parametrize("adc", ["burst", "ads1115"])
def test_shorted_diode_is_a_latched_fault(adc):
    clock, rig, cp = make(adc)
    rig.ev.plug()
    cp.set_current(16)
    run(clock, cp, 600)
    assert cp.state == "C"
    rig.ev.set_diode("shorted")
    events = run(clock, cp, 100)
    fault = [e for e in events if e["type"] == "pilot_fault"][0]
    assert fault["fault"] == "diode" and fault["error_code"] == "EVCommunicationError"
    assert abs(fault["mv"] + fault["low_mv"]) <= 100
    rig.ev.set_diode("ok")
    assert run(clock, cp, 200) == []            # latched until A
    assert cp.fault == "diode"
    rig.ev.unplug()
    events = run(clock, cp, 100)
    assert {"type": "pilot_fault_cleared", "fault": "diode"} in events
    assert cp.fault is None


def test_missing_diode_in_b_with_pwm():
    clock, rig, cp = make()
    rig.ev.set_diode("missing")
    rig.ev.plug()
    rig.ev.wants_charge = False
    cp.set_current(16)
    events = run(clock, cp, 200)
    assert states(events)[-1] == "B"
    assert faults(events) == ["diode"]


def test_cp_short_is_state_e():
    clock, rig, cp = make()
    rig.ev.plug()
    cp.set_current(32)
    run(clock, cp, 600)
    rig.ev.short_cp(80)
    events = run(clock, cp, 100)
    assert states(events) == ["E"]
    fault = [e for e in events if e["type"] == "pilot_fault"][0]
    assert fault["fault"] == "short" and fault["error_code"] == "OtherError"
    assert abs(fault["mv"] - 890) <= 20


def test_state_f_expected_when_driving_minus_12v():
    clock, rig, cp = make()
    rig.ev.plug()
    run(clock, cp, 100)
    cp.set_current(0)
    events = run(clock, cp, 100)
    assert states(events) == ["F"]
    assert faults(events) == []


def test_state_f_measured_while_not_driving_f_is_a_fault():
    # a pilot stuck at -12 V (e.g. the +12 V supply is gone): drive the ADC directly
    clock = FakeClock()
    pwm = EmulatedPwm(clock=clock)
    divider = Divider()
    adc = EmulatedAdc(lambda: divider.to_adc(-12000), clock)
    cp = pilot_mod.Pilot(pwm, adc=adc, clock=clock, samples=4)
    events = run(clock, cp, 100)
    assert states(events) == ["F"]
    assert faults(events) == ["state_f"]


def test_out_of_range_voltage():
    clock = FakeClock()
    adc = EmulatedAdc(lambda: Divider().to_adc(-6000), clock)
    cp = pilot_mod.Pilot(EmulatedPwm(clock=clock), adc=adc, clock=clock, samples=2)
    events = run(clock, cp, 100)
    assert states(events) == ["PilotFault"] and faults(events) == ["out_of_range"]


def test_ventilation_state_d():
    clock, rig, cp = make()
    rig.ev.ventilation = True
    rig.ev.plug()
    cp.set_current(16)
    events = run(clock, cp, 600)
    assert states(events)[-1] == "D"
    assert faults(events) == ["ventilation"]
    assert abs([e for e in events if e["type"] == "pilot"][-1]["mv"] - 2930) <= 20
    clock2, rig2, cp2 = make(ventilation=True)
    rig2.ev.ventilation = True
    rig2.ev.plug()
    cp2.set_current(16)
    events = run(clock2, cp2, 600)
    assert states(events)[-1] == "D" and faults(events) == []


@pytest.mark.parametrize("adc", ["burst", "ads1115"])
def test_adc_failure_is_an_event_not_an_exception(adc):
    clock, rig, cp = make(adc)
    run(clock, cp, 100)
    if adc == "burst":
        rig.adc.fail = True
    else:
        rig.i2c.set_absent(0x48)
    events = run(clock, cp, 50)
    fault = [e for e in events if e["type"] == "pilot_fault"][0]
    assert fault["fault"] == "adc" and "ADC" in fault["info"]
    assert cp.status()["mv"] is None
    if adc == "burst":
        rig.adc.fail = False
    else:
        rig.i2c.set_absent(0x48, False)
    events = run(clock, cp, 50)
    assert {"type": "pilot_fault_cleared", "fault": "adc"} in events


def test_poll_interval_limits_measurements():
    clock, rig, cp = make(adc="ads1115", interval_ms=100)
    cp.poll(clock.ticks_ms())
    n = rig.ads.conversions
    for _ in range(5):
        clock.advance(10)
        cp.poll(clock.ticks_ms())
    assert rig.ads.conversions == n          # 50 ms < interval: no new conversion
    clock.advance(60)
    cp.poll(clock.ticks_ms())
    assert rig.ads.conversions == n + 2      # high and low channel


def test_peak_reset_pin_pulsed():
    from drivers.hal.emulated import EmulatedPin
    clock = FakeClock()
    rig = PilotRig(clock, adc="ads1115")
    reset = EmulatedPin(clock=clock)
    changes = []
    reset.watch(lambda p: changes.append(p.get()))
    cp = pilot_mod.build(rig.pilot_spec(peak_reset=reset))
    cp.poll()
    assert changes == [True, False]


def test_build_validates_mode():
    clock = FakeClock()
    with pytest.raises(ValueError):
        pilot_mod.Pilot(EmulatedPwm(), mode="peak", adc_high=None, clock=clock)
    with pytest.raises(ValueError):
        pilot_mod.Pilot(EmulatedPwm(), clock=clock)
