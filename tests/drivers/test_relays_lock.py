"""Cable lock driver against the emulated lock: pulse timing, retries, jams, unlock on power loss,
non-blocking operation (hardware.md §4.2, §6 row 22)."""

from drivers.hal.clock import FakeClock
from drivers.hal.emulated import EmulatedPin
from drivers.relays import lock as lock_mod
from drivers.sim.relays import LockEmulator
from drivers.sim import timeline


def make(travel_ms=300, **spec):
    clock = FakeClock()
    emu = LockEmulator(clock, travel_ms=travel_ms)
    full = {"lock_out": emu.lock_out, "unlock_out": emu.unlock_out, "feedback": emu.feedback, "clock": clock}
    full.update(spec)
    return clock, emu, lock_mod.build(full)


def run(clock, dev, ms, step=10):
    return timeline.run(clock, [dev], ms, step)


def pulses(pin):
    """(start, length) of each active period in a pin's history."""
    out = []
    start = None
    for t, on in pin.history:
        if on:
            start = t
        elif start is not None:
            out.append((start, t - start))
            start = None
    return out


def test_lock_pulse_and_feedback():
    clock, emu, dev = make()
    dev.lock()
    assert dev.busy
    events = run(clock, dev, 790)
    assert events == []                          # feedback checked at 800 ms
    events = run(clock, dev, 20)
    assert events == [{"type": "lock", "locked": True, "attempts": 1}]
    assert emu.locked and dev.locked and not dev.busy
    assert pulses(emu.lock_out) == [(0, 600)]
    assert pulses(emu.unlock_out) == []
    dev.unlock()
    events = run(clock, dev, 1000)
    assert events == [{"type": "lock", "locked": False, "attempts": 1}]
    assert not emu.locked
    assert not emu.shoot_through


def test_configurable_pulse():
    clock, emu, dev = make(pulse_ms=400, check_ms=500)
    dev.lock()
    events = run(clock, dev, 600)
    assert events[0]["locked"] is True
    assert pulses(emu.lock_out) == [(0, 400)]


def test_lock_is_non_blocking():
    clock, emu, dev = make()
    dev.lock(clock.ticks_ms())
    dev.poll(clock.ticks_ms())
    assert clock.ticks_ms() == 0                 # no wait inside lock() or poll()
    assert emu.lock_out.get()


def test_retry_after_a_jam_succeeds():
    clock, emu, dev = make()
    emu.jam("lock", 1)
    dev.lock()
    events = run(clock, dev, 5000)
    assert events == [{"type": "lock", "locked": True, "attempts": 2}]
    # pulse, check at 800, gap 1000 ms, second pulse at 1800
    assert pulses(emu.lock_out) == [(0, 600), (1800, 600)]


def test_jammed_lock_fails_after_retries():
    clock, emu, dev = make(retries=3)
    emu.jam("lock")
    dev.lock()
    events = run(clock, dev, 10000)
    assert [(e["type"], e["fault"], e["error_code"], e["attempts"]) for e in events] == [
        ("lock_fault", "lock_failed", "ConnectorLockFailure", 3)]
    assert len(pulses(emu.lock_out)) == 3
    assert dev.locked is False and dev.fault == "lock_failed"


def test_unlock_failure():
    clock, emu, dev = make()
    dev.lock()
    run(clock, dev, 1000)
    emu.jam("unlock")
    dev.unlock()
    events = run(clock, dev, 10000)
    assert events[0]["fault"] == "unlock_failed"
    assert dev.locked is True


def test_unlock_is_tried_even_with_a_latched_fault():
    clock, emu, dev = make()
    emu.jam("lock", 3)
    dev.lock()
    run(clock, dev, 10000)
    assert dev.fault == "lock_failed"
    dev.unlock()
    events = run(clock, dev, 100)
    assert events == [{"type": "lock", "locked": False, "attempts": 0}]     # feedback: already open


def test_unlock_on_power_loss_is_one_blocking_pulse():
    clock, emu, dev = make()
    dev.lock()
    run(clock, dev, 1000)
    assert emu.locked
    t0 = clock.ticks_ms()
    assert dev.unlock_on_power_loss() is True
    assert clock.ticks_ms() - t0 == 600          # waited through the injected clock
    assert not emu.locked
    assert pulses(emu.unlock_out) == [(t0, 600)]


def test_unlock_on_power_loss_reports_a_jam():
    clock, emu, dev = make()
    dev.lock()
    run(clock, dev, 1000)
    emu.jam("unlock")
    assert dev.unlock_on_power_loss() is False


def test_power_loss_during_a_lock_attempt_reverses_the_motor():
    clock, emu, dev = make()
    dev.lock()
    run(clock, dev, 100)
    assert dev.unlock_on_power_loss() is True
    assert not emu.shoot_through and not dev.busy


def test_unexpected_unlock_is_a_fault():
    clock, emu, dev = make()
    dev.lock()
    run(clock, dev, 1000)
    emu.position = 0                             # forced open by hand
    events = run(clock, dev, 20)
    assert events[0]["fault"] == "unexpected_unlock"
    assert events[1] == {"type": "lock", "locked": False, "commanded": False}


def test_time_based_lock_without_feedback():
    clock = FakeClock()
    a, b = EmulatedPin(clock=clock), EmulatedPin(clock=clock)
    dev = lock_mod.CableLock(a, b, None, clock)
    dev.lock()
    events = run(clock, dev, 1000)
    assert events == [{"type": "lock", "locked": True, "attempts": 1}]


def test_changing_direction_mid_pulse_never_drives_both():
    clock, emu, dev = make()
    dev.lock()
    run(clock, dev, 200)
    dev.unlock()
    run(clock, dev, 2000)
    assert not emu.shoot_through and not emu.locked
