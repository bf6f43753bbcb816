"""The EV emulator: §3.1 / §7 "CP sim" voltages, state changes, and current draw following the duty cycle."""

import pytest

from drivers.hal.clock import FakeClock
from drivers.hal.emulated import EmulatedPwm
from drivers.sim.ev import EV, node_mv


def make(**kw):
    clock = FakeClock()
    pwm = EmulatedPwm(clock=clock, initial=None)
    return clock, pwm, EV(pwm, clock, **kw)


def test_cp_sim_vectors():
    # §7: B 8.98 V, C 5.99 V, D 2.93 V, shorted-diode B +-8.79 V (1 kOhm source, 0.7 V diode)
    assert abs(node_mv(12000, 2740, "ok", None) - 8980) <= 5
    assert abs(node_mv(12000, 882, "ok", None) - 5990) <= 10
    assert abs(node_mv(12000, 246, "ok", None) - 2930) <= 5
    assert node_mv(-12000, 2740, "ok", None) == -12000
    assert abs(node_mv(12000, 2740, "shorted", None) - 8790) <= 5
    assert abs(node_mv(-12000, 2740, "shorted", None) + 8790) <= 5
    assert abs(node_mv(-12000, 882, "shorted", None) + 5620) <= 5
    assert node_mv(12000, None, "ok", None) == 12000
    assert abs(node_mv(12000, None, "ok", 80) - 889) <= 1          # 80 ohm CP-PE short: +-0.89 V
    assert abs(node_mv(-12000, None, "ok", 80) + 889) <= 1


def test_plug_and_states():
    clock, pwm, ev = make(react_ms=300)
    assert ev.state() == "A" and ev.levels() == (12000, -12000)
    ev.plug()
    assert ev.state() == "B"
    assert abs(ev.high_mv() - 8980) <= 5 and ev.low_mv() == ev.high_mv()   # steady +12 V: no low plateau
    pwm.set_duty(267)
    ev.update()
    clock.advance(299)
    assert ev.state() == "B"
    clock.advance(1)
    ev.update()
    assert ev.state() == "C"
    assert ev.low_mv() == -12000
    ev.suspend()
    clock.advance(300)
    ev.update()
    assert ev.state() == "B"
    ev.resume()
    clock.advance(300)
    ev.update()
    assert ev.state() == "C"
    ev.unplug()
    assert ev.state() == "A"


def test_pwm_removal_and_ignoring_it():
    clock, pwm, ev = make(react_ms=100)
    ev.plug()
    pwm.set_duty(267)
    ev.update()
    clock.advance(100)
    ev.update()
    assert ev.state() == "C"
    pwm.set_duty(None)
    ev.update()
    clock.advance(100)
    ev.update()
    assert ev.state() == "B"
    ev.ignore_pwm_removal = True
    pwm.set_duty(267)
    ev.update()
    clock.advance(100)
    ev.update()
    pwm.set_duty(None)
    clock.advance(10000)
    ev.update()
    assert ev.state() == "C"


def test_state_d_with_ventilation():
    clock, pwm, ev = make(react_ms=0, ventilation=True)
    ev.plug()
    pwm.set_duty(267)
    ev.update()
    assert ev.state() == "D"
    assert abs(ev.high_mv() - 2930) <= 5


def test_current_follows_duty():
    power = [True]
    clock, pwm, ev = make(max_amps=32, react_ms=0, follow_ms=1000, power_fn=lambda: power[0])
    ev.plug()
    pwm.set_duty(267)                        # 16 A offered
    ev.update()
    assert ev.current_ma() == 0              # ramps within follow_ms
    clock.advance(1000)
    assert ev.current_ma() == 16020
    pwm.set_duty(892)                        # 63 A offered, EV max 32 A
    ev.update()
    clock.advance(999)
    assert ev.current_ma() == 16020
    clock.advance(1)
    assert ev.current_ma() == 32000
    power[0] = False                         # contactor opened
    assert ev.current_ma() == 0


def test_overdraw():
    clock, pwm, ev = make(react_ms=0, follow_ms=0)
    ev.overdraw_ma = 5000
    ev.plug()
    pwm.set_duty(167)                        # 10 A
    assert ev.current_ma() == 15020


def test_hlc_and_f_are_not_offers():
    clock, pwm, ev = make(react_ms=0)
    ev.plug()
    pwm.set_duty(50)
    ev.update()
    assert ev.state() == "B"
    pwm.set_duty(0)
    ev.update()
    assert ev.state() == "B"
    assert ev.high_mv() == -12000            # steady -12 V: both detectors see it


def test_sampling_walks_through_the_pwm_period():
    clock, pwm, ev = make(react_ms=0, sample_step_us=4)
    ev.plug()
    ev.wants_charge = False
    pwm.set_duty(250)
    samples = [ev.sample_mv() for _ in range(250)]
    high = [s for s in samples if s > 0]
    assert len(high) == 62 or len(high) == 63
    assert max(samples) == ev.high_mv() and min(samples) == -12000
    assert ev.average_mv() == (ev.high_mv() * 250 - 12000 * 750) // 1000


@pytest.mark.parametrize("ohms,mv", [(100, 300), (220, 595), (680, 1336), (1500, 1980)])
def test_pp_voltage(ohms, mv):
    clock, pwm, ev = make(cable_ohms=ohms)
    assert ev.pp_mv() == 3300
    ev.plug()
    assert ev.pp_mv() == mv


def test_bad_diode_mode():
    clock, pwm, ev = make()
    with pytest.raises(ValueError):
        ev.set_diode("broken")
