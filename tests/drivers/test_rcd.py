"""RCD/RCM driver against the emulated module: trip with a >= 1 ms re-check, latch and reset, self-test
pass / fail / stuck (hardware.md §4.3, §6 rows 12-13)."""

from drivers.hal.clock import FakeClock
from drivers.safety import rcd as rcd_mod
from drivers.sim.relays import RcdEmulator
from drivers.sim import timeline


def make(**kw):
    clock = FakeClock()
    emu = RcdEmulator(clock, trip_ms=kw.pop("trip_ms", 20), test_works=kw.pop("test_works", True))
    spec = {"input": emu.fault_out, "test_out": emu.test_in, "clock": clock}
    spec.update(kw)
    return clock, emu, rcd_mod.build(spec)


def run(clock, dev, ms, step=1):
    return timeline.run(clock, [dev], ms, step)


def test_trip_needs_recheck_after_1ms():
    clock, emu, dev = make(trip_ms=0)
    emu.leak(dc_ma=6)
    assert dev.poll() == []                       # first sight: re-check later
    assert dev.poll() == []                       # same millisecond: still no
    clock.advance(1)
    events = dev.poll()
    assert events == [{"type": "rcd_fault", "fault": "trip", "error_code": "GroundFailure",
                       "info": "residual current detected"}]
    assert dev.tripped


def test_spike_is_rejected():
    clock, emu, dev = make()
    emu.glitch()
    assert run(clock, dev, 10) == []
    assert not dev.tripped


def test_ac_threshold():
    clock, emu, dev = make()
    emu.leak(ac_ma=29)
    assert run(clock, dev, 100) == []
    emu.leak(ac_ma=30)
    assert [e["fault"] for e in run(clock, dev, 100)] == ["trip"]


def test_trip_is_latched_until_reset_with_input_clear():
    clock, emu, dev = make()
    emu.leak(dc_ma=10)
    run(clock, dev, 50)
    assert dev.tripped
    assert dev.reset() is False                   # still leaking
    emu.leak()
    run(clock, dev, 50)
    assert dev.tripped                            # latched although the input cleared
    assert dev.reset() is True
    assert dev.poll() == [{"type": "rcd_reset"}]
    assert not dev.tripped and dev.fault is None


def test_irq_notify_starts_the_recheck():
    clock, emu, dev = make(trip_ms=0)
    dev.notify()
    assert dev.poll() == []                        # input not active: nothing
    emu.leak(dc_ma=8)
    dev.notify()
    dev.poll()
    clock.advance(2)
    assert dev.poll()[0]["fault"] == "trip"


def test_self_test_passes():
    clock, emu, dev = make()
    assert dev.self_test() is True
    assert emu.test_in.get()
    events = run(clock, dev, 100)
    assert events == [{"type": "rcd_selftest", "ok": True}]
    assert not emu.test_in.get()                  # test output released
    assert not dev.tripped and dev.fault is None and dev.last_test_ok


def test_self_test_fails_without_trip_in_500ms():
    clock, emu, dev = make(test_works=False)
    dev.self_test()
    assert run(clock, dev, 500) == []
    events = run(clock, dev, 5)
    assert events[0] == {"type": "rcd_selftest", "ok": False}
    assert events[1]["type"] == "rcd_fault" and events[1]["fault"] == "selftest"
    assert events[1]["error_code"] == "GroundFailure"
    assert not emu.test_in.get()
    assert dev.tripped


def test_self_test_late_trip_fails():
    clock, emu, dev = make(trip_ms=600)
    dev.self_test()
    events = run(clock, dev, 700)
    assert {"type": "rcd_selftest", "ok": False} in events


def test_self_test_stuck_tripped():
    clock, emu, dev = make()
    emu.leak(dc_ma=10)                            # trips and stays tripped
    dev.self_test()
    events = run(clock, dev, 2500)
    assert {"type": "rcd_selftest", "ok": False} in events
    assert dev.fault == "stuck"


def test_self_test_needs_test_output():
    clock = FakeClock()
    emu = RcdEmulator(clock)
    dev = rcd_mod.Rcd(emu.fault_out, None, clock)
    assert dev.self_test() is False


def test_active_low_input():
    clock = FakeClock()
    emu = RcdEmulator(clock, fault_active_low=True)
    assert emu.fault_out.level is True            # idle high on the wire
    dev = rcd_mod.Rcd(emu.fault_out, emu.test_in, clock)
    emu.leak(dc_ma=7)
    assert [e["fault"] for e in run(clock, dev, 50)] == ["trip"]
