"""The watchdog line driver (drivers/safety/watchdog.py) against emulated pins, an emulated PWM and the emulated
EVSE Pi HAT (drivers/sim/pi_hat_gfi.py): it toggles only while the contactor is commanded on, stops when the
station stops polling (by itself when polled, through the keeper when free-running PWM), runs at its frequency,
and feeds the board's hardware watchdog (hardware.md §4.1, §4.4, §6 row 26)."""

import threading
import time

import pytest

from drivers.hal.clock import FakeClock
from drivers.hal.emulated import EmulatedHal, EmulatedPin, EmulatedPwm
from drivers.hal.errors import BusError
from drivers.safety import watchdog as wd_mod
from drivers.safety.watchdog_keeper_cpython import Keeper
from drivers.sim.pi_hat_gfi import PiHatGfi, PiHatHal


class Edges:
    """Counts the changes of an emulated pin (its own history keeps only the last 32)."""

    def __init__(self, pin, clock):
        self.times = []
        pin.watch(lambda p: self.times.append(clock.ticks_ms()))

    def between(self, start, end):
        return len([t for t in self.times if start <= t < end])


def run(clock, devices, ms, step=1):
    events = []
    for _ in range(ms // step):
        clock.advance(step)
        for dev in devices:
            events += dev.poll()
    return events


def polled(hz=1000, **kw):
    clock = FakeClock()
    pin = EmulatedPin(clock=clock, name="wd")
    return clock, pin, wd_mod.Watchdog(out=pin, clock=clock, hz=hz, **kw)


def free_running(hz=1000, **kw):
    clock = FakeClock()
    pwm = EmulatedPwm(freq=hz, clock=clock, name="wd")
    return clock, pwm, wd_mod.Watchdog(pwm=pwm, clock=clock, hz=hz, **kw)


# ---- a polled toggle -----------------------------------------------------------------------------------------------

def test_polled_line_toggles_only_while_the_contactor_is_on():
    clock, pin, wd = polled()
    edges = Edges(pin, clock)
    assert run(clock, [wd], 100) == [] and edges.times == [] and pin.get() is False
    wd.set(True)
    run(clock, [wd], 100)
    assert edges.between(100, 201) == 101              # one flip per poll: 1 ms polls give 500 Hz
    wd.set(False)
    assert pin.get() is False                           # off is the safe level, at once
    mark = len(edges.times)
    run(clock, [wd], 100)
    assert len(edges.times) == mark


def test_polled_line_stops_when_polling_stops():
    clock, pin, wd = polled()
    edges = Edges(pin, clock)
    wd.set(True)
    run(clock, [wd], 50)
    clock.advance(500)                                  # the station hangs: no poll
    assert edges.between(51, 1000) == 0
    run(clock, [wd], 10)                                # it comes back: the line goes on
    assert edges.between(551, 561) == 10


def test_polled_line_never_flips_faster_than_its_frequency():
    clock, pin, wd = polled(hz=50)                      # half period 10 ms
    edges = Edges(pin, clock)
    wd.set(True)
    run(clock, [wd], 200)
    assert edges.between(1, 201) == 20                  # 50 Hz although polled at 1 kHz


# ---- a free-running PWM line and its keeper -------------------------------------------------------------------------

def test_pwm_line_runs_a_square_wave_at_its_frequency_while_on():
    clock, pwm, wd = free_running(hz=1000)
    assert pwm.duty() == 0
    wd.set(True)
    assert pwm.duty() == 500 and pwm.freq == 1000 and wd.running
    run(clock, [wd], 100)
    assert [d for _, d in pwm.history] == [500]         # polling does not touch a running PWM
    wd.set(False)
    assert pwm.duty() == 0 and not wd.running


def test_pwm_line_stops_when_the_lease_runs_out_and_starts_again_with_the_next_poll():
    clock, pwm, wd = free_running(lease_ms=2000)
    keeper = Keeper([wd])
    wd.set(True)
    run(clock, [wd], 100)
    clock.advance(2000)
    assert keeper.check() == 0 and pwm.duty() == 500    # exactly at the lease: still alive
    clock.advance(1)
    assert keeper.check() == 1 and pwm.duty() == 0 and wd.expiries == 1
    assert keeper.check() == 0                          # stopped once
    wd.poll()
    assert pwm.duty() == 500 and wd.running             # the station is back and still wants power


def test_expire_leaves_an_idle_line_alone():
    clock, pwm, wd = free_running(lease_ms=100)
    clock.advance(10000)
    assert wd.expire() is False and pwm.history == []


def test_keeper_thread_stops_a_line_of_a_station_that_stopped_polling():
    clock, pwm, wd = free_running(lease_ms=100)
    wd.set(True)
    wd.poll()
    stopped = threading.Event()
    pwm.watch(lambda p: stopped.set() if p.duty() == 0 else None)
    keeper = Keeper([wd], period_ms=5).start()
    try:
        time.sleep(0.05)
        assert pwm.duty() == 500                        # within the lease: the keeper leaves it running
        clock.advance(101)
        assert stopped.wait(5)                          # the thread saw the lease run out
        assert wd.expiries == 1
    finally:
        keeper.stop()


# ---- output errors, the hardware watchdog --------------------------------------------------------------------------

class FailingPin(EmulatedPin):
    fail = False

    def set(self, active):
        if self.fail:
            raise BusError(5, "GPIO write failed")
        EmulatedPin.set(self, active)


def test_an_output_error_is_one_fault_event_then_ok_again():
    clock = FakeClock()
    pin = FailingPin(clock=clock)
    wd = wd_mod.Watchdog(out=pin, clock=clock)
    wd.set(True)
    pin.fail = True
    events = run(clock, [wd], 5)
    assert events == [{"type": "watchdog_fault", "error_code": "OtherError",
                       "info": "watchdog output failed: [Errno 5] GPIO write failed"}]
    assert not wd.running
    pin.fail = False
    assert run(clock, [wd], 2) == [{"type": "watchdog_ok"}] and wd.running


class Wdt:
    """machine.WDT stand-in."""
    made = []

    def __init__(self, timeout_ms):
        self.timeout_ms = timeout_ms
        self.feeds = 0
        Wdt.made.append(self)

    def feed(self):
        self.feeds += 1


def test_hardware_watchdog_starts_at_the_first_poll_and_is_fed_by_every_poll():
    Wdt.made = []
    clock = FakeClock()
    wd = wd_mod.Watchdog(clock=clock, wdt=Wdt, wdt_ms=4000)     # the "wdt" driver: no line
    assert Wdt.made == [] and wd.output is None
    run(clock, [wd], 10)
    assert [(w.timeout_ms, w.feeds) for w in Wdt.made] == [(4000, 10)]
    wd.set(True)                                                 # no line to toggle: nothing breaks
    assert run(clock, [wd], 3) == [] and Wdt.made[0].feeds == 13


# ---- build() and the HAL -------------------------------------------------------------------------------------------

class WdtHal(PiHatHal):
    """The emulated HAT's HAL (PWM on plain pins, as the Pi's and MicroPython's HALs have) with a hardware watchdog."""

    def __init__(self):
        clock = FakeClock()
        PiHatHal.__init__(self, PiHatGfi(clock), clock)

    def wdt(self, timeout_ms):
        return Wdt(timeout_ms)


def test_build_takes_pwm_where_the_hal_has_it_and_a_polled_toggle_otherwise():
    hal = WdtHal()
    wd = wd_mod.build({"driver": "toggle", "pin": 4, "hz": 2000}, hal)
    assert wd.output == "pwm" and wd.pwm is hal.hat.watchdog_pwm and wd.pwm.freq == 2000 and wd.free_running
    wd = wd_mod.build({"driver": "toggle", "pin": 4, "mode": "toggle"}, WdtHal())
    assert wd.output == "toggle" and not wd.free_running
    wd = wd_mod.build({"driver": "toggle", "pin": 4}, EmulatedHal())
    assert wd.output == "toggle"
    with pytest.raises(BusError):
        wd_mod.build({"driver": "toggle", "pin": 4, "mode": "pwm"}, EmulatedHal())
    with pytest.raises(BusError):
        wd_mod.build({"driver": "wdt", "wdt_ms": 4000}, EmulatedHal())
    wd = wd_mod.build({"driver": "wdt", "wdt_ms": 4000}, WdtHal())
    assert wd.output is None and wd.wdt_ms == 4000


# ---- against the emulated HAT ---------------------------------------------------------------------------------------

def hat_with(line):
    clock = FakeClock()
    hat = PiHatGfi(clock)
    if line == "pwm":
        hat.watchdog_pwm.freq = 1000
        wd = wd_mod.Watchdog(pwm=hat.watchdog_pwm, clock=clock, hz=1000)
    else:
        wd = wd_mod.Watchdog(out=hat.watchdog_pin, clock=clock, hz=1000)
    return clock, hat, wd


def power(hat, wd, on):
    """What the station does: the line before the coil closes, the coil open before the line stops."""
    if on:
        wd.set(True)
        hat.relay_in.set(True)
    else:
        hat.relay_in.set(False)
        wd.set(False)


@pytest.mark.parametrize("line", ["pwm", "toggle"])
def test_the_hat_keeps_its_relay_on_while_the_line_toggles(line):
    clock, hat, wd = hat_with(line)
    power(hat, wd, True)
    run(clock, [wd], 3000, step=1 if line == "toggle" else 100)
    assert hat.power_on and not hat.tripped
    power(hat, wd, False)
    clock.advance(1000)
    assert not hat.tripped and not hat.power_on


@pytest.mark.parametrize("line", ["pwm", "toggle"])
def test_the_hat_drops_its_relay_when_the_station_hangs(line):
    clock, hat, wd = hat_with(line)
    keeper = Keeper([wd])
    power(hat, wd, True)
    run(clock, [wd], 200, step=1 if line == "toggle" else 100)
    for _ in range(50):                                  # the station hangs for 2.5 s; only the keeper runs
        clock.advance(50)
        keeper.check()
    assert hat.tripped and hat.cause == "watchdog" and not hat.power_on


def test_the_hat_raises_a_gfi_for_a_relay_on_without_the_watchdog():
    clock = FakeClock()
    hat = PiHatGfi(clock)
    hat.relay_in.set(True)
    clock.advance(21)
    assert hat.tripped and hat.cause == "watchdog"


def test_a_pwm_line_below_100_hz_is_no_watchdog_for_the_hat():
    clock = FakeClock()
    hat = PiHatGfi(clock)
    hat.watchdog_pwm.freq = 50
    wd = wd_mod.Watchdog(pwm=hat.watchdog_pwm, clock=clock, hz=50)
    power(hat, wd, True)
    run(clock, [wd], 100, step=10)
    assert hat.tripped and hat.cause == "watchdog"
