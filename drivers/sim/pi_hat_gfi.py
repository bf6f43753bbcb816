"""Emulated EVSE Pi HAT GFI and power watchdog (reference/hardware.md §4.1, §4.4), for the GFI self-test and the
watchdog line.

`PiHatGfi(clock, ...)` is an RcdEmulator whose fault output is a latch, as on the HAT (a flip-flop behind the
GFI's current transformer). The latch is set by:
* residual current (`leak()`, the RcdEmulator thresholds, after `trip_ms`);
* a test current on `test_in`: `trip_cycles` (3) whole periods in a row between 40 and 83 Hz; a steady level on the
  test wire is DC through the transformer and sets nothing;
* the relay being on (`relay_in`, GPIO17) while the power watchdog (GPIO4) is not toggling for longer than
  `watchdog_grace_ms` (20 ms: the HAT wants at least 100 Hz). The watchdog line is either `watchdog_pin` (edges
  count) or `watchdog_pwm` (alive while its duty is 1..999 permille at 100 Hz-100 kHz).
A rising edge on `reset_in` (GPIO27) clears the latch unless the relay is on or residual current still flows.
While the latch is set the HAT keeps its relay off: `relay_test` (GPIO23) reads `power_on`, the relay coil
command and no latch. `cause` names what set the latch last; `test_works = False` makes the test wire useless
(a dead GFI), `glitch()` works as on RcdEmulator.

`PiHatHal(hat, clock, pin_pwm=True)`: the HAT's lines on an EmulatedHal under their BCM numbers, for a board like
boards/raspberry-pi.json run on the emulated HAL.
"""

from drivers.hal.emulated import EmulatedHal, EmulatedPin, EmulatedPwm
from drivers.sim.relays import ComputedInput, RcdEmulator

TEST_PERIOD_MS = (12, 25)       # 83 Hz .. 40 Hz: 60 Hz with margin either way
WATCHDOG_HZ = (100, 100000)


class PiHatGfi(RcdEmulator):
    def __init__(self, clock, trip_ms=20, test_works=True, trip_cycles=3, watchdog_grace_ms=20,
                 fault_active_low=False):
        RcdEmulator.__init__(self, clock, trip_ms, test_works, fault_active_low)
        self.trip_cycles = trip_cycles
        self.watchdog_grace_ms = watchdog_grace_ms
        self.reset_in = EmulatedPin(clock=clock, name="gfi_reset")
        self.relay_in = EmulatedPin(clock=clock, name="relay")
        self.relay_test = ComputedInput(lambda: self.power_on, clock=clock, name="relay_test")
        self.watchdog_pin = EmulatedPin(clock=clock, name="watchdog")
        self.watchdog_pwm = EmulatedPwm(clock=clock, name="watchdog_pwm")
        self.latched = False
        self.cause = None
        self.resets = 0
        self._cycles = 0
        self._rise_at = None
        self._relay_on = False      # the relay as of the last update (watchers run after a pin changed)
        self._relay_at = None
        self._alive_at = None
        self._pwm_was_alive = False
        self.test_in.watch(self._test_edge)
        self.reset_in.watch(self._reset_edge)
        self.relay_in.watch(self._relay_changed)
        self.watchdog_pin.watch(self._watchdog_changed)
        self.watchdog_pwm.watch(self._watchdog_changed)

    # ---- what sets the latch -----------------------------------------------------------------------------------
    def _residual(self):
        return self.dc_ma >= self.DC_TRIP_MA or self.ac_ma >= self.AC_TRIP_MA

    def leak(self, dc_ma=0, ac_ma=0):
        self._update()
        RcdEmulator.leak(self, dc_ma, ac_ma)

    def _latch(self, cause):
        if not self.latched:
            self.latched = True
            self.cause = cause

    def _test_edge(self, pin):
        if not pin.get():
            return
        now = self.clock.ticks_ms()
        if self._rise_at is not None and \
                TEST_PERIOD_MS[0] <= self.clock.ticks_diff(now, self._rise_at) <= TEST_PERIOD_MS[1]:
            self._cycles += 1
        else:
            self._cycles = 0
        self._rise_at = now
        if self.test_works and self._cycles >= self.trip_cycles:
            self._latch("test")

    def _pwm_alive(self):
        duty = self.watchdog_pwm.duty()
        return duty is not None and duty != 0 and WATCHDOG_HZ[0] <= self.watchdog_pwm.freq <= WATCHDOG_HZ[1]

    def _update(self):
        """Bring the latch up to date as of now (the emulator has no thread: it catches up when looked at)."""
        now = self.clock.ticks_ms()
        since = self._residual_since
        if since is not None and self.clock.ticks_diff(now, since) >= self.trip_ms:
            self._latch("residual")
        if self._pwm_was_alive:
            self._alive_at = now
        if self._relay_on:
            since = self._relay_at
            if self._alive_at is not None and self.clock.ticks_diff(self._alive_at, since) > 0:
                since = self._alive_at
            if self.clock.ticks_diff(now, since) > self.watchdog_grace_ms:
                self._latch("watchdog")

    def _watchdog_changed(self, source):
        self._update()
        self._pwm_was_alive = self._pwm_alive()
        self._alive_at = self.clock.ticks_ms()

    def _relay_changed(self, pin):
        self._update()
        self._relay_on = pin.get()
        if self._relay_on:
            self._relay_at = self.clock.ticks_ms()

    def _reset_edge(self, pin):
        if not pin.get():
            return
        self._update()
        if self.relay_in.get():
            return
        self.resets += 1
        if not self._residual():
            self.latched = False
            self._cycles = 0

    # ---- what the Pi reads -------------------------------------------------------------------------------------
    @property
    def tripped(self):
        self._update()
        return self.latched

    @property
    def power_on(self):
        return self.relay_in.get() and not self.tripped


class PiHatHal(EmulatedHal):
    """An EmulatedHal with a PiHatGfi's lines under their BCM numbers (4 watchdog, 17 relay, 22 GFI, 23 relay test,
    24 GFI test, 27 GFI reset) and, like the Pi's HAL with RPi.GPIO, PWM on plain pins (`pin_pwm`, which sets the
    frequency it was asked for); with `pin_pwm=False` it has none, so a watchdog line is toggled at each poll."""

    def __init__(self, hat, clock, pin_pwm=True):
        EmulatedHal.__init__(self, None, clock)
        self.hat = hat
        self.has_pin_pwm = pin_pwm
        for pin, line in ((4, hat.watchdog_pin), (17, hat.relay_in), (22, hat.fault_out), (23, hat.relay_test),
                          (24, hat.test_in), (27, hat.reset_in)):
            self.add_pin(pin, line)
        self.add_pwm(4, hat.watchdog_pwm)

    def pin_pwm(self, value, freq):
        if not self.has_pin_pwm:
            return None
        pwm = self.pwm(value, 0)
        pwm.freq = freq
        return pwm
