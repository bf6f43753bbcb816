"""MicroPython suite for the pilot, relay, lock and RCD drivers (helper HW-B's area).

Plain Python, no pytest: runs the pure-logic drivers against the emulated HAL with the
hardware.md §7 vectors, on the suite contract of tests/micropython/suite.py (`PASS name` / `FAIL name: reason`,
a HEAP line, `N passed, M failed`, exit status 1 on a failure). Runs from the project root:
    python tests/micropython/drivers_hwb_suite.py
    node tools/micropython/run.mjs tests/micropython/drivers_hwb_suite.py
"""

import suite  # first: sets sys.path and the heap baseline

from drivers.hal.clock import FakeClock
from drivers.hal.emulated import EmulatedI2C, EmulatedPin
from drivers.pilot import classify as cls
from drivers.pilot import duty, pilot, proximity
from drivers.pilot.ads1115 import ADS1115, config_word
from drivers.relays import contactor, lock
from drivers.safety import rcd
from drivers.sim.ads1115_emulator import ADS1115Emulator
from drivers.sim.ev import node_mv
from drivers.sim.rig import PilotRig, RelayRig
from drivers.sim.timeline import run as step

eq = suite.eq


def near(got, want, tol):
    if got is None or abs(got - want) > tol:
        raise AssertionError("got %r, want %r +- %r" % (got, want, tol))


def of_type(events, kind):
    return [e for e in events if e["type"] == kind]


# ---- pure logic --------------------------------------------------------------------------

def t_duty_vectors():
    for amps, want in ((6, 100), (16, 267), (32, 533), (51, 850), (52, 850), (63, 892), (80, 960),
                       (5.8, None), (81, None)):
        eq(duty.amps_to_duty(amps), want)
    eq(duty.duty_u16_for(16), 17476)
    eq(duty.high_ns_for(32), 533333)
    eq(duty.HLC_PERMILLE, 50)


def t_ev_decode():
    eq(duty.decode_duty(80), ("amps", 6000))
    eq(duty.decode_duty(533), ("amps", 31980))
    eq(duty.decode_duty(892), ("amps", 63000))
    eq(duty.decode_duty(50), ("hlc", 0))
    eq(duty.decode_duty(None), ("none", 0))


def t_classify():
    vectors = ((12000, "A", "A"), (10500, "A", "A"), (10500, "B", "B"), (7500, "B", "B"), (7500, "C", "C"),
               (4500, "C", "C"), (4500, "D", "D"), (3000, None, "D"), (0, None, "E"), (-1500, "E", "E"),
               (-1500, "F", "PilotFault"), (-12000, None, "F"), (-10500, "F", "F"), (-10500, "A", "PilotFault"),
               (13500, None, "PilotFault"), (-5000, None, "PilotFault"))
    for mv, prev, want in vectors:
        eq(cls.classify(mv, prev), want)


def t_diode_short_rules():
    eq(cls.check(9000, -8900, 267, "B"), cls.DIODE)
    eq(cls.check(9000, -12000, 267, "B"), None)
    eq(cls.check(1000, -5000, None, "E"), cls.SHORT)
    eq(cls.check(8790, -8790, 267, "B"), cls.DIODE)


def t_pp():
    for mv, amps in ((300, 63), (595, 32), (1336, 20), (1980, 13), (2900, 0)):
        eq(proximity.decode(mv)["amps"], amps)
    eq(proximity.decode(300)["amps_1ph"], 70)
    eq(proximity.decode(2900)["status"], "no_cable")


def t_cp_sim():
    near(node_mv(12000, 2740, "ok", None), 8980, 5)
    near(node_mv(12000, 882, "ok", None), 5990, 10)
    near(node_mv(12000, 246, "ok", None), 2930, 5)
    near(node_mv(12000, 2740, "shorted", None), 8790, 5)
    near(node_mv(-12000, 2740, "shorted", None), -8790, 5)


# ---- drivers against emulators -----------------------------------------------------------

def t_ads1115():
    clock = FakeClock()
    bus = EmulatedI2C(clock)
    emu = bus.attach(0x48, ADS1115Emulator({0: lambda: 2048}, clock))
    eq(config_word(0, 4096, 860), 0xC3E3)
    adc = ADS1115(bus, 0x48, clock=clock)
    eq(adc.read_raw(0), 0x4000)
    eq(adc.read_mv(0), 2048)
    eq(emu.writes[0], 0xC3E3)


def _pilot_session(kind):
    clock = FakeClock()
    rig = PilotRig(clock, adc=kind)
    cp = pilot.build(rig.pilot_spec())
    ev = step(clock, [cp], 100)
    eq([e["state"] for e in of_type(ev, "pilot")], ["A"])
    rig.ev.plug()
    ev = step(clock, [cp], 100)
    b = of_type(ev, "pilot")
    eq(b[0]["state"], "B")
    near(b[0]["mv"], 8980, 20)
    cp.set_current(16)
    eq(rig.pwm.duty(), 267)
    ev = step(clock, [cp], 600)
    c = of_type(ev, "pilot")
    eq(c[-1]["state"], "C")
    near(c[-1]["low_mv"], -12000, 20)
    rig.ev.set_diode("shorted")
    ev = step(clock, [cp], 100)
    eq(of_type(ev, "pilot_fault")[0]["error_code"], "EVCommunicationError")


def t_pilot_burst():
    _pilot_session("burst")


def t_pilot_ads1115():
    _pilot_session("ads1115")


def t_pilot_cp_short():
    clock = FakeClock()
    rig = PilotRig(clock)
    cp = pilot.build(rig.pilot_spec())
    rig.ev.plug()
    cp.set_current(32)
    step(clock, [cp], 600)
    rig.ev.short_cp(80)
    ev = step(clock, [cp], 100)
    eq(of_type(ev, "pilot")[0]["state"], "E")
    eq(of_type(ev, "pilot_fault")[0]["fault"], "short")


def t_contactor_weld():
    clock = FakeClock()
    rig = RelayRig(clock)
    dev = contactor.build(rig.contactor_spec())
    rig.contactor.weld()
    dev.set(True)
    eq(of_type(step(clock, [dev], 100), "contactor"), [{"type": "contactor", "on": True}])
    dev.set(False)
    faults = of_type(step(clock, [dev], 300), "contactor_fault")
    eq([(f["fault"], f["error_code"]) for f in faults], [("welded", "PowerSwitchFailure")])


def t_contactor_fail_close_and_interval():
    clock = FakeClock()
    rig = RelayRig(clock)
    dev = contactor.build(rig.contactor_spec())
    dev.set(True)
    step(clock, [dev], 100)
    dev.set(False)
    step(clock, [dev], 100)
    eq(dev.set(True), False)
    delayed = of_type(step(clock, [dev], 10), "contactor_delayed")
    eq(delayed[0]["wait_ms"], 9800)
    step(clock, [dev], 10000)
    eq(dev.closings, 2)
    dev.set(False)
    step(clock, [dev], 100)
    rig.contactor.fail_close()
    dev.min_interval_ms = 0
    dev.set(True)
    faults = of_type(step(clock, [dev], 300), "contactor_fault")
    eq(faults[0]["fault"], "no_close")
    eq(rig.contactor.coil.get(), False)


def t_lock_retry_jam_power_loss():
    clock = FakeClock()
    rig = RelayRig(clock)
    dev = lock.build(rig.lock_spec())
    rig.lock.jam("lock", 1)
    dev.lock()
    ev = of_type(step(clock, [dev], 4000), "lock")
    eq(ev, [{"type": "lock", "locked": True, "attempts": 2}])
    rig.lock.jam("unlock")
    dev.unlock()
    faults = of_type(step(clock, [dev], 8000), "lock_fault")
    eq([(f["fault"], f["error_code"]) for f in faults], [("unlock_failed", "ConnectorLockFailure")])
    rig.lock.jam("unlock", 0)
    t0 = clock.ticks_ms()
    eq(dev.unlock_on_power_loss(), True)
    eq(clock.ticks_ms() - t0, 600)


def t_rcd():
    clock = FakeClock()
    rig = RelayRig(clock)
    dev = rcd.build(rig.rcd_spec())
    eq(dev.self_test(), True)
    eq(of_type(step(clock, [dev], 100, 1), "rcd_selftest"), [{"type": "rcd_selftest", "ok": True}])
    rig.rcd.glitch()
    eq(step(clock, [dev], 5, 1), [])
    rig.rcd.leak(dc_ma=6)
    faults = of_type(step(clock, [dev], 50, 1), "rcd_fault")
    eq([(f["fault"], f["error_code"]) for f in faults], [("trip", "GroundFailure")])
    rig.rcd.leak()
    eq(dev.reset(), True)
    rig.rcd.test_works = False
    dev.self_test()
    faults = of_type(step(clock, [dev], 600), "rcd_fault")
    eq(faults[0]["fault"], "selftest")


def t_pins_are_plain():
    pin = EmulatedPin(active_low=True)
    pin.set(True)
    eq(pin.level, False)


suite.imported()
for name, fn in (("duty_vectors", t_duty_vectors), ("ev_decode", t_ev_decode), ("classify", t_classify),
                 ("diode_short_rules", t_diode_short_rules), ("pp", t_pp), ("cp_sim", t_cp_sim),
                 ("ads1115", t_ads1115), ("pilot_burst", t_pilot_burst), ("pilot_ads1115", t_pilot_ads1115),
                 ("pilot_cp_short", t_pilot_cp_short), ("contactor_weld", t_contactor_weld),
                 ("contactor_fail_close_and_interval", t_contactor_fail_close_and_interval),
                 ("lock_retry_jam_power_loss", t_lock_retry_jam_power_loss), ("rcd", t_rcd),
                 ("pins_are_plain", t_pins_are_plain)):
    suite.check(name, fn)
suite.finish()
