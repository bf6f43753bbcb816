"""Contactor driver against the emulated contactor: 250 ms agreement, welding, fails to close, spurious
feedback, minimum interval between closings, closing count (hardware.md §4.1, §6 rows 9-11, 25)."""

import pytest

from drivers.hal.clock import FakeClock
from drivers.hal.emulated import EmulatedPin
from drivers.relays import contactor
from drivers.sim.relays import ContactorEmulator
from drivers.sim import timeline


def make(**spec):
    clock = FakeClock()
    emu = ContactorEmulator(clock, close_ms=30, open_ms=20)
    full = {"coil": emu.coil, "feedback": emu.feedback, "clock": clock}
    full.update(spec)
    return clock, emu, contactor.build(full)


def run(clock, dev, ms, step=5):
    return timeline.run(clock, [dev], ms, step)


def kinds(events):
    return [e["type"] for e in events]


def test_close_and_open_confirmed_by_feedback():
    clock, emu, dev = make()
    assert run(clock, dev, 300) == []
    assert dev.set(True) is True
    assert emu.coil.get()
    events = run(clock, dev, 100)
    assert events == [{"type": "contactor", "on": True}]
    assert dev.closed and dev.closings == 1
    dev.set(False)
    assert not emu.coil.get()
    assert run(clock, dev, 100) == [{"type": "contactor", "on": False}]
    assert not dev.closed and dev.fault is None


def test_feedback_within_250ms_is_accepted():
    clock = FakeClock()
    emu = ContactorEmulator(clock, close_ms=240, open_ms=240)
    dev = contactor.Contactor(emu.coil, emu.feedback, clock)
    dev.set(True)
    events = run(clock, dev, 400)
    assert kinds(events) == ["contactor"] and dev.fault is None


def test_fails_to_close():
    clock, emu, dev = make()
    emu.fail_close()
    dev.set(True)
    events = run(clock, dev, 245)
    assert events == []
    events = run(clock, dev, 20)
    assert kinds(events) == ["contactor_fault"]
    assert events[0]["fault"] == "no_close" and events[0]["error_code"] == "PowerSwitchFailure"
    assert not emu.coil.get()                   # commanded off again
    assert dev.set(True) is False               # refused while latched
    assert kinds(dev.poll()) == ["contactor_refused"]
    assert not emu.coil.get()


def test_welded_contactor():
    clock, emu, dev = make()
    emu.weld()
    dev.set(True)
    run(clock, dev, 100)
    assert dev.closed
    dev.set(False)
    events = run(clock, dev, 245)
    assert events == []
    events = run(clock, dev, 20)
    assert [(e["type"], e["fault"], e["error_code"]) for e in events] == [
        ("contactor_fault", "welded", "PowerSwitchFailure")]
    assert dev.closed                           # still reported closed: it is
    assert run(clock, dev, 1000) == []          # no repeated events


def test_welded_before_start_is_found():
    clock = FakeClock()
    emu = ContactorEmulator(clock)
    emu.force_feedback(True)
    dev = contactor.Contactor(emu.coil, emu.feedback, clock)
    events = run(clock, dev, 300)
    assert events[0]["fault"] == "welded"


def test_spurious_feedback_change():
    clock, emu, dev = make()
    run(clock, dev, 300)
    emu.force_feedback(True)
    events = run(clock, dev, 5)
    assert events == []                         # debounce
    events = run(clock, dev, 20)
    assert events[0]["type"] == "contactor_fault" and events[0]["fault"] == "spurious"
    assert events[0]["error_code"] == "OtherError"
    assert events[1] == {"type": "contactor", "on": True, "commanded": False}


def test_feedback_bounce_shorter_than_debounce_is_ignored():
    clock, emu, dev = make(debounce_ms=10)
    run(clock, dev, 300)
    emu.force_feedback(True)
    clock.advance(5)
    dev.poll()
    emu.force_feedback(None)
    assert run(clock, dev, 50) == []


def test_min_interval_delays_close_and_reports_it():
    clock, emu, dev = make()
    dev.set(True)
    run(clock, dev, 100)
    dev.set(False)
    run(clock, dev, 100)
    assert dev.set(True) is False               # 200 ms after the last closing
    assert not emu.coil.get()
    events = run(clock, dev, 5)
    assert events[0]["type"] == "contactor_delayed"
    assert events[0]["wait_ms"] == 10000 - 200
    assert events[0]["until_ms"] == 10000
    assert dev.pending_close
    assert dev.set(True) is False               # asking again does not re-report
    run(clock, dev, 9700)
    assert not emu.coil.get()
    events = run(clock, dev, 200)
    assert emu.coil.get() and dev.closings == 2
    assert kinds(events) == ["contactor"]
    history = [t for t, on in emu.coil.history if on]
    assert history[1] - history[0] == 10000


def test_open_cancels_a_delayed_close():
    clock, emu, dev = make(min_interval_ms=1000)
    dev.set(True)
    run(clock, dev, 50)
    dev.set(False)
    run(clock, dev, 50)
    dev.set(True)
    dev.set(False)
    run(clock, dev, 2000)
    assert not emu.coil.get() and dev.closings == 1


def test_configurable_interval():
    clock, emu, dev = make(min_interval_ms=0)
    for _ in range(3):
        dev.set(True)
        run(clock, dev, 50)
        dev.set(False)
        run(clock, dev, 50)
    assert dev.closings == 3 and dev.fault is None


def test_closings_start_from_persisted_count():
    clock, emu, dev = make(closings=41)
    dev.set(True)
    assert dev.closings == 42


def test_normally_closed_feedback_and_active_low_pins():
    clock = FakeClock()
    emu = ContactorEmulator(clock, feedback_type="nc", coil_active_low=True, feedback_active_low=True)
    dev = contactor.Contactor(emu.coil, emu.feedback, clock, feedback_type="nc")
    dev.set(True)
    assert emu.coil.level is False              # active-low coil energised = low level
    events = run(clock, dev, 100)
    assert kinds(events) == ["contactor"] and dev.closed


def test_no_feedback_confirms_at_once():
    clock = FakeClock()
    coil = EmulatedPin(clock=clock)
    dev = contactor.build({"coil": coil, "clock": clock})
    assert dev.feedback_type == "none"
    dev.set(True)
    assert dev.poll() == [{"type": "contactor", "on": True}]


def test_reset_clears_fault():
    clock, emu, dev = make()
    emu.fail_close()
    dev.set(True)
    run(clock, dev, 300)
    assert dev.fault == "no_close"
    emu.fail_close(False)
    dev.reset()
    dev.min_interval_ms = 0
    assert dev.set(True) is True
    assert kinds(run(clock, dev, 100)) == ["contactor"]


def test_bad_config():
    with pytest.raises(ValueError):
        contactor.Contactor(EmulatedPin(), None, FakeClock(), feedback_type="no")
    with pytest.raises(ValueError):
        contactor.Contactor(EmulatedPin(), EmulatedPin(), FakeClock(), feedback_type="maybe")
