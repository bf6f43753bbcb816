"""Residual current monitor (RCM/RCD, 6 mA DC / 30 mA AC) input with self-test and latch reset.

The module's fault output is a DigitalIn (active = tripped; polarity is the HAL's).
poll(now_ms) confirms a trip only if the input is still active on a re-check at least
`recheck_ms` (1 ms) after it was first seen, which rejects spikes (SmartEVSE). A board
can call notify() from a pin IRQ: it only sets a flag, and the next poll re-checks.
A trip is latched until reset(), which only succeeds once the input is inactive.

Self-test: self_test(now_ms) makes the module see a residual current, and it must trip by
`test_timeout_ms` (500 ms) after the start:
* test "steady" (default): the test output is held active until the trip, then released;
* test "burst": the test output toggles `test_cycles` (10) times at `test_hz` (60 Hz), an
  alternating current for a module that senses through a current transformer, where a steady
  level shows nothing (the EVSE Pi HAT's GFI test wire, reference/hardware.md §4.4). The burst
  is a blocking loop on the clock (10 cycles at 60 Hz: 167 ms), run only with the contactor open.
Then the trip must go away again:
* a module that clears by itself must be inactive within `clear_timeout_ms` (1500 ms) after
  the test output is released;
* a latching module has a reset output (`reset_out`, the HAT's GFI reset): `reset_after_ms`
  (100 ms) after the trip the reset is pulsed for `reset_ms` (10 ms), and the input must then
  be inactive within `clear_timeout_ms`. A latching module found tripped when the test starts
  is reset first; if that does not clear it, the test fails.
With `clear_hold_ms` > 0 the input must also stay inactive that long (the HAT: 100 ms).
A trip during a self-test is expected and is not reported as a ground fault; a passing
self-test clears a latched self-test failure ("rcd_reset").

reset(): with a reset output and the input active, pulses the reset first (the caller keeps
the contactor open: the HAT ignores its reset while the relay is on).

This is the second line of defence: the RCD hardware must interrupt the contactor
coil on its own. The core opens the contactor on an "rcd_fault" event.

Events: {"type": "rcd_fault", "fault": "trip"|"selftest"|"stuck"|"io", "error_code":
"GroundFailure", "info": ...}, {"type": "rcd_selftest", "ok": True|False},
{"type": "rcd_reset"}.

Spec keys for build(spec, hal): "input" (DigitalIn, required), "test_out" (DigitalOut,
optional), "recheck_ms" (1), "test_timeout_ms" (500), "clear_timeout_ms" (1500), "test"
("steady" or "burst"), "test_hz" (60), "test_cycles" (10), "reset_out" (DigitalOut,
optional), "reset_ms" (10), "reset_after_ms" (100), "clear_hold_ms" (0), "clock" (optional).
"""

CODE = "GroundFailure"
INFO = {
    "trip": "residual current detected",
    "selftest": "RCD self-test failed: no trip within the test window",
    "stuck": "RCD stays tripped after its self-test",
    "io": "RCD input error",
}
SELFTEST_FAULTS = ("selftest", "stuck")
TESTS = ("steady", "burst")
OPTIONS = ("recheck_ms", "test_timeout_ms", "clear_timeout_ms", "test", "test_hz", "test_cycles", "reset_out",
           "reset_ms", "reset_after_ms", "clear_hold_ms")

IDLE = "idle"
TESTING = "testing"         # waiting for the trip
HOLDING = "holding"         # tripped; waiting reset_after_ms before the reset pulse
RELEASING = "releasing"     # waiting for the input to clear
CLEAR_HOLD = "clear_hold"   # cleared; must stay clear clear_hold_ms


class Rcd:
    def __init__(self, input_pin, test_out=None, clock=None, recheck_ms=1, test_timeout_ms=500,
                 clear_timeout_ms=1500, test="steady", test_hz=60, test_cycles=10, reset_out=None, reset_ms=10,
                 reset_after_ms=100, clear_hold_ms=0):
        if clock is None:
            from drivers.hal.clock import SystemClock
            clock = SystemClock()
        if test not in TESTS:
            raise ValueError("test must be 'steady' or 'burst'")
        self.input = input_pin
        self.test_out = test_out
        self.reset_out = reset_out
        self.clock = clock
        self.recheck_ms = recheck_ms
        self.test_timeout_ms = test_timeout_ms
        self.clear_timeout_ms = clear_timeout_ms
        self.test_mode = test
        self.test_hz = test_hz
        self.test_cycles = test_cycles
        self.reset_ms = reset_ms
        self.reset_after_ms = reset_after_ms
        self.clear_hold_ms = clear_hold_ms
        self.tripped = False          # latched
        self.fault = None
        self.test = IDLE
        self.last_test_ok = None
        self._seen_at = None
        self._flag = False
        self._test_at = None
        self._events = []
        for out in (test_out, reset_out):
            if out is not None:
                out.set(False)

    @property
    def testing(self):
        """A self-test is running (the station holds closings meanwhile)."""
        return self.test != IDLE

    def notify(self):
        """IRQ-safe: remember an edge; the next poll() re-checks the input."""
        self._flag = True

    def self_test(self, now_ms=None):
        """Start a self-test. Returns False if no test output is configured or one is running."""
        if self.test_out is None or self.test != IDLE:
            return False
        if now_ms is None:
            now_ms = self.clock.ticks_ms()
        self._seen_at = None
        try:
            if self.reset_out is not None and self.input.get():
                self._pulse_reset()
                if self.input.get():
                    self._test_failed("stuck")
                    return True
            if self.test_mode == "burst":
                self._burst()
            else:
                self.test_out.set(True)
        except OSError as exc:
            self._release()
            self._latch("io", str(exc))
            return False
        self.test = TESTING
        self._test_at = now_ms
        return True

    def _burst(self):
        """test_cycles periods at test_hz on the test output; each edge on its rounded time from the start."""
        start = self.clock.ticks_ms()
        level = False
        for k in range(1, 2 * self.test_cycles + 1):
            level = not level
            self.test_out.set(level)
            due = (k * 2000 + 2 * self.test_hz) // (4 * self.test_hz)      # round(k * 1000 / (2 * hz))
            wait = due - self.clock.ticks_diff(self.clock.ticks_ms(), start)
            if wait > 0:
                self.clock.sleep_ms(wait)

    def _pulse_reset(self):
        self.reset_out.set(True)
        self.clock.sleep_ms(self.reset_ms)
        self.reset_out.set(False)

    def _release(self):
        """The test output back to inactive; an error here latches io."""
        try:
            self.test_out.set(False)
        except OSError as exc:
            self._latch("io", str(exc))

    def reset(self):
        """Clear the latch if the input is inactive (after a reset pulse, when there is a reset output).
        Returns True when cleared."""
        try:
            if self.reset_out is not None and self.input.get():
                self._pulse_reset()
            if self.input.get():
                return False
        except OSError:
            return False
        if self.tripped or self.fault is not None:
            self._events.append({"type": "rcd_reset"})
        self.tripped = False
        self.fault = None
        self._seen_at = None
        return True

    def _latch(self, fault, info=None):
        self.tripped = True
        if self.fault is None:
            self.fault = fault
            text = INFO[fault] if info is None else INFO[fault] + ": " + info
            self._events.append({"type": "rcd_fault", "fault": fault, "error_code": CODE, "info": text})

    def poll(self, now_ms=None):
        """Watch the input / run the self-test; returns events, never raises."""
        if now_ms is None:
            now_ms = self.clock.ticks_ms()
        try:
            active = bool(self.input.get())
        except OSError as exc:
            self._latch("io", str(exc))
            return self._take()
        if self.test == IDLE:
            self._poll_trip(active, now_ms)
        else:
            self._poll_test(active, now_ms)
        return self._take()

    def _take(self):
        events = self._events
        self._events = []
        return events

    def _poll_trip(self, active, now_ms):
        if self._flag:
            self._flag = False
            if self._seen_at is None:
                self._seen_at = now_ms
        if not active:
            self._seen_at = None
            return
        if self._seen_at is None:
            self._seen_at = now_ms
            if self.recheck_ms > 0:
                return
        if self.clock.ticks_diff(now_ms, self._seen_at) >= self.recheck_ms and not self.tripped:
            self._latch("trip")

    def _poll_test(self, active, now_ms):
        elapsed = self.clock.ticks_diff(now_ms, self._test_at)
        if self.test == TESTING:
            if active or elapsed > self.test_timeout_ms:
                if self.test_mode == "steady":
                    self._release()
                if not active:
                    self._test_failed("selftest")
                    return
                self._next(HOLDING if self.reset_out is not None else RELEASING, now_ms)
        elif self.test == HOLDING:
            if elapsed >= self.reset_after_ms:
                try:
                    self._pulse_reset()
                except OSError as exc:
                    self._test_failed("io", str(exc))
                    return
                self._next(RELEASING, now_ms)
        elif self.test == RELEASING:
            if not active:
                if self.clear_hold_ms > 0:
                    self._next(CLEAR_HOLD, now_ms)
                else:
                    self._test_passed()
            elif elapsed > self.clear_timeout_ms:
                self._test_failed("stuck")
        elif active:                                # CLEAR_HOLD: it tripped again by itself
            self._test_failed("stuck")
        elif elapsed >= self.clear_hold_ms:
            self._test_passed()

    def _next(self, phase, now_ms):
        self.test = phase
        self._test_at = now_ms

    def _test_passed(self):
        self.test = IDLE
        self._seen_at = None
        self.last_test_ok = True
        self._events.append({"type": "rcd_selftest", "ok": True})
        if self.fault in SELFTEST_FAULTS:
            self.tripped = False
            self.fault = None
            self._events.append({"type": "rcd_reset"})

    def _test_failed(self, fault, info=None):
        self.test = IDLE
        self.last_test_ok = False
        self._events.append({"type": "rcd_selftest", "ok": False})
        self._latch(fault, info)


def build(spec, hal=None):
    """Rcd from a board spec dict (keys in the module docstring)."""
    kw = {}
    for key in OPTIONS:
        if key in spec:
            kw[key] = spec[key]
    return Rcd(spec["input"], spec.get("test_out"), spec.get("clock"), **kw)
