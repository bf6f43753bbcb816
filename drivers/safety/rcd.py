"""Residual current monitor (RCM/RCD, 6 mA DC / 30 mA AC) input with self-test.

The module's fault output is a DigitalIn (active = tripped; polarity is the HAL's).
poll(now_ms) confirms a trip only if the input is still active on a re-check at least
`recheck_ms` (1 ms) after it was first seen, which rejects spikes (SmartEVSE). A board
can call notify() from a pin IRQ: it only sets a flag, and the next poll re-checks.
A trip is latched until reset(), which only succeeds once the input is inactive.

Self-test: self_test(now_ms) drives the test output; the module must trip within
`test_timeout_ms` (500 ms), then after the test output is released the input must go
inactive again within `clear_timeout_ms` (1500 ms). A trip during a self-test is
expected and is not reported as a ground fault.

This is the second line of defence: the RCD hardware must interrupt the contactor
coil on its own. The core opens the contactor on an "rcd_fault" event.

Events: {"type": "rcd_fault", "fault": "trip"|"selftest"|"stuck"|"io", "error_code":
"GroundFailure", "info": ...}, {"type": "rcd_selftest", "ok": True|False},
{"type": "rcd_reset"}.

Spec keys for build(spec, hal): "input" (DigitalIn, required), "test_out" (DigitalOut,
optional), "recheck_ms" (1), "test_timeout_ms" (500), "clear_timeout_ms" (1500),
"clock" (optional).
"""

CODE = "GroundFailure"
INFO = {
    "trip": "residual current detected",
    "selftest": "RCD self-test failed: no trip within the test window",
    "stuck": "RCD stays tripped after its self-test",
    "io": "RCD input error",
}

IDLE = "idle"
TESTING = "testing"
RELEASING = "releasing"


class Rcd:
    def __init__(self, input_pin, test_out=None, clock=None, recheck_ms=1, test_timeout_ms=500,
                 clear_timeout_ms=1500):
        if clock is None:
            from drivers.hal.clock import SystemClock
            clock = SystemClock()
        self.input = input_pin
        self.test_out = test_out
        self.clock = clock
        self.recheck_ms = recheck_ms
        self.test_timeout_ms = test_timeout_ms
        self.clear_timeout_ms = clear_timeout_ms
        self.tripped = False          # latched
        self.fault = None
        self.test = IDLE
        self.last_test_ok = None
        self._seen_at = None
        self._flag = False
        self._test_at = None
        self._events = []
        if test_out is not None:
            test_out.set(False)

    def notify(self):
        """IRQ-safe: remember an edge; the next poll() re-checks the input."""
        self._flag = True

    def self_test(self, now_ms=None):
        """Start a self-test. Returns False if no test output is configured or one is running."""
        if self.test_out is None or self.test != IDLE:
            return False
        if now_ms is None:
            now_ms = self.clock.ticks_ms()
        try:
            self.test_out.set(True)
        except OSError as exc:
            self._latch("io", str(exc))
            return False
        self.test = TESTING
        self._test_at = now_ms
        self._seen_at = None
        return True

    def reset(self):
        """Clear the latch if the input is inactive. Returns True when cleared."""
        try:
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
        if self.test == TESTING:
            self._poll_test(active, now_ms)
        elif self.test == RELEASING:
            self._poll_release(active, now_ms)
        else:
            self._poll_trip(active, now_ms)
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
        if active or elapsed > self.test_timeout_ms:
            try:
                self.test_out.set(False)
            except OSError as exc:
                self._latch("io", str(exc))
            self.last_test_ok = active
            self._test_at = now_ms
            if active:
                self.test = RELEASING
            else:
                self.test = IDLE
                self._events.append({"type": "rcd_selftest", "ok": False})
                self._latch("selftest")

    def _poll_release(self, active, now_ms):
        if not active:
            self.test = IDLE
            self._seen_at = None
            self._events.append({"type": "rcd_selftest", "ok": True})
        elif self.clock.ticks_diff(now_ms, self._test_at) > self.clear_timeout_ms:
            self.test = IDLE
            self.last_test_ok = False
            self._events.append({"type": "rcd_selftest", "ok": False})
            self._latch("stuck")


def build(spec, hal=None):
    """Rcd from a board spec dict (keys in the module docstring)."""
    return Rcd(spec["input"], spec.get("test_out"), spec.get("clock"), spec.get("recheck_ms", 1),
               spec.get("test_timeout_ms", 500), spec.get("clear_timeout_ms", 1500))
