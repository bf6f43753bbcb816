"""The RCD driver's HAT-style self-test (drivers/safety/rcd.py, test "burst" with a reset output) against the
emulated EVSE Pi HAT GFI (drivers/sim/pi_hat_gfi.py): 10 cycles at 60 Hz trip a working GFI and the test passes
after the reset pulse; a dead GFI is a failed self-test; the reset pulse clears a latched trip (hardware.md §4.3,
§4.4, §6 rows 12-13)."""

from drivers.hal.clock import FakeClock
from drivers.safety import rcd as rcd_mod
from drivers.sim.pi_hat_gfi import PiHatGfi
from drivers.sim.relays import RcdEmulator

HAT_RCD = {"test": "burst", "test_hz": 60, "test_cycles": 10, "test_timeout_ms": 200, "reset_after_ms": 100,
           "clear_hold_ms": 100}


def make(test_works=True, **kw):
    clock = FakeClock(1000)
    hat = PiHatGfi(clock, test_works=test_works)
    spec = {"input": hat.fault_out, "test_out": hat.test_in, "reset_out": hat.reset_in, "clock": clock}
    spec.update(HAT_RCD)
    spec.update(kw)
    return clock, hat, rcd_mod.build(spec)


def run(clock, dev, ms, step=10):
    events = []
    for _ in range(ms // step):
        clock.advance(step)
        events += dev.poll()
    return events


def rises(pin, clock):
    times = []
    pin.watch(lambda p: times.append(clock.ticks_ms()) if p.get() else None)
    return times


def test_burst_is_ten_cycles_at_60_hz():
    clock, hat, dev = make()
    starts = rises(hat.test_in, clock)
    falls = []
    hat.test_in.watch(lambda p: falls.append(clock.ticks_ms()) if not p.get() else None)
    assert dev.self_test() is True
    assert len(starts) == 10 and len(falls) == 10
    assert starts[0] == 1000 and clock.ticks_ms() == 1167    # 10 periods of 16.7 ms in one blocking burst
    periods = [b - a for a, b in zip(starts, starts[1:])]
    assert set(periods) <= {16, 17} and sum(periods) == 150  # 60 Hz on average, to the millisecond
    assert all(f - r in (8, 9) for r, f in zip(starts, falls))
    assert hat.test_in.get() is False                        # the burst ends low


def test_burst_trips_a_working_gfi_and_the_test_passes_after_the_reset_pulse():
    clock, hat, dev = make()
    resets = rises(hat.reset_in, clock)
    dev.self_test()
    assert hat.tripped and hat.cause == "test"
    events = run(clock, dev, 400)
    assert events == [{"type": "rcd_selftest", "ok": True}]   # the test's trip is no ground fault
    assert len(resets) == 1 and resets[0] >= 1167 + 100      # reset about 100 ms after the trip was seen
    assert not hat.tripped and not dev.tripped and dev.fault is None and dev.last_test_ok is True


def test_a_dead_gfi_fails_the_self_test():
    clock, hat, dev = make(test_works=False)
    dev.self_test()
    events = run(clock, dev, 300)
    assert events == [{"type": "rcd_selftest", "ok": False},
                      {"type": "rcd_fault", "fault": "selftest", "error_code": "GroundFailure",
                       "info": "RCD self-test failed: no trip within the test window"}]
    assert dev.tripped and dev.fault == "selftest" and dev.last_test_ok is False


def test_a_steady_test_level_does_not_trip_the_hats_gfi():
    clock, hat, dev = make(test="steady")
    dev.self_test()
    assert hat.test_in.get() is True
    events = run(clock, dev, 600)
    assert {"type": "rcd_selftest", "ok": False} in events and hat.test_in.get() is False
    assert not hat.tripped


def test_the_reset_pulse_clears_a_latched_trip_once_the_residual_current_is_gone():
    clock, hat, dev = make()
    hat.leak(dc_ma=10)
    events = run(clock, dev, 100)
    assert [e["fault"] for e in events] == ["trip"]
    hat.leak()
    run(clock, dev, 100)
    assert hat.tripped and dev.tripped                       # the HAT's latch holds with the current gone
    assert dev.reset() is True and hat.resets == 1
    assert dev.poll() == [{"type": "rcd_reset"}]
    assert not hat.tripped and not dev.tripped
    assert run(clock, dev, 100) == []


def test_the_reset_pulse_does_not_clear_while_the_current_flows():
    clock, hat, dev = make()
    hat.leak(ac_ma=40)
    run(clock, dev, 100)
    assert dev.reset() is False and hat.resets == 1 and hat.tripped and dev.tripped


def test_a_gfi_found_tripped_is_reset_before_the_test():
    clock, hat, dev = make()
    hat.leak(dc_ma=10)
    clock.advance(50)
    hat.leak()
    assert hat.tripped
    assert dev.self_test() is True
    assert hat.resets == 1                                    # cleared first, then the burst
    assert run(clock, dev, 400) == [{"type": "rcd_selftest", "ok": True}]
    assert hat.resets == 2


def test_a_gfi_that_stays_tripped_fails_the_self_test():
    clock, hat, dev = make()
    hat.leak(dc_ma=10)                                        # residual current all along
    clock.advance(50)
    assert dev.self_test() is True
    events = dev.poll()
    assert events[0] == {"type": "rcd_selftest", "ok": False}
    assert events[1]["fault"] == "stuck" and events[1]["error_code"] == "GroundFailure"


def test_a_gfi_that_trips_again_within_the_clear_hold_fails():
    clock, hat, dev = make()
    dev.self_test()
    run(clock, dev, 200)                                      # tripped, reset pulsed, now holding clear
    assert dev.test == "clear_hold"
    hat.leak(dc_ma=10)
    events = run(clock, dev, 100)
    assert {"type": "rcd_selftest", "ok": False} in events and dev.fault == "stuck"


def test_a_passing_test_clears_an_earlier_self_test_failure():
    clock, hat, dev = make(test_works=False)
    dev.self_test()
    run(clock, dev, 300)
    assert dev.fault == "selftest"
    hat.test_works = True                                     # repaired
    dev.self_test()
    assert run(clock, dev, 400) == [{"type": "rcd_selftest", "ok": True}, {"type": "rcd_reset"}]
    assert not dev.tripped and dev.fault is None


def test_a_passing_test_does_not_clear_a_real_trip():
    clock = FakeClock()
    emu = RcdEmulator(clock)
    dev = rcd_mod.Rcd(emu.fault_out, emu.test_in, clock)
    emu.leak(dc_ma=10)
    run(clock, dev, 50, step=1)
    emu.leak()
    assert dev.fault == "trip"
    dev.self_test()
    assert run(clock, dev, 100, step=1) == [{"type": "rcd_selftest", "ok": True}]
    assert dev.fault == "trip" and dev.tripped                 # only a reset clears a residual-current trip


def test_burst_works_on_a_module_that_clears_by_itself():
    clock = FakeClock()
    hat = PiHatGfi(clock)
    dev = rcd_mod.Rcd(hat.fault_out, hat.test_in, clock, test="burst")      # no reset output
    dev.self_test()
    assert hat.tripped and dev.poll() == [] and dev.test == "releasing"
    hat.latched = False                                        # a module without a latch lets go by itself
    assert run(clock, dev, 50, step=1) == [{"type": "rcd_selftest", "ok": True}]
