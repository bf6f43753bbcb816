"""Cable-lock actuator (IEC 62196-2 socket) with position feedback, non-blocking.

A motor lock on an H-bridge: `lock_out` drives towards locked, `unlock_out` towards
unlocked (never both). lock()/unlock() start an attempt; poll(now_ms) runs it:
  pulse `pulse_ms` (600) -> both outputs off -> after `check_ms` (800, from the pulse
  start) read the feedback -> done, or wait `retry_gap_ms` (1000) and pulse again,
  up to `retries` (3) attempts -> "lock_fault" ConnectorLockFailure.
So a lock attempt never blocks the main loop. Without a feedback input the lock is
time-based (Hella type): the position is assumed after the pulse.

Events from poll(): {"type": "lock", "locked": True|False}, {"type": "lock_fault",
"fault": "lock_failed"|"unlock_failed"|"unexpected_unlock"|"unexpected_lock"|"io",
"error_code": "ConnectorLockFailure", "info": ...}. A fault is latched until reset();
a new lock()/unlock() request is still executed (an unlock must always be tried).

unlock_on_power_loss(): called by the runtime's power-fail handler while running on
residual energy; drives one unlock pulse synchronously through the clock (the loop
is gone by then) and returns whether the feedback reports unlocked.

Spec keys for build(spec, hal): "lock_out", "unlock_out" (DigitalOut, required),
"feedback" (DigitalIn, active = locked; optional), "pulse_ms" (600), "check_ms" (800),
"retries" (3), "retry_gap_ms" (1000), "clock" (optional).
"""

from drivers.hal.clock import or_system

IDLE = "idle"
PULSE = "pulse"
SETTLE = "settle"
GAP = "gap"

CODE = "ConnectorLockFailure"
INFO = {
    "lock_failed": "cable lock did not lock",
    "unlock_failed": "cable lock did not unlock",
    "unexpected_unlock": "cable lock opened without a command",
    "unexpected_lock": "cable lock closed without a command",
    "io": "cable lock I/O error",
}


class CableLock:
    def __init__(self, lock_out, unlock_out, feedback=None, clock=None, pulse_ms=600, check_ms=800,
                 retries=3, retry_gap_ms=1000):
        clock = or_system(clock)
        self.lock_out = lock_out
        self.unlock_out = unlock_out
        self.feedback = feedback
        self.clock = clock
        self.pulse_ms = pulse_ms
        self.check_ms = check_ms if check_ms >= pulse_ms else pulse_ms
        self.retries = retries if retries > 0 else 1
        self.retry_gap_ms = retry_gap_ms
        self.target = None        # True = locking, False = unlocking, None = idle
        self.locked = None        # last known position (None = unknown)
        self.fault = None
        self.attempts = 0
        self.phase = IDLE
        self._phase_at = None
        self._events = []
        self._outputs(None)
        if feedback is not None:
            self.locked = self._read()

    @property
    def busy(self):
        return self.phase != IDLE

    def _read(self):
        return bool(self.feedback.get())

    def _outputs(self, towards):
        """Drive towards locked (True), unlocked (False), or stop (None); off first."""
        try:
            self.lock_out.set(False)
            self.unlock_out.set(False)
            if towards is True:
                self.lock_out.set(True)
            elif towards is False:
                self.unlock_out.set(True)
            return True
        except OSError as exc:
            self._latch("io", str(exc))
            return False

    def lock(self, now_ms=None):
        self._request(True, now_ms)

    def unlock(self, now_ms=None):
        self._request(False, now_ms)

    def _request(self, target, now_ms):
        if now_ms is None:
            now_ms = self.clock.ticks_ms()
        if self.phase != IDLE and self.target == target:
            return
        if self.phase == IDLE and self.feedback is not None and self.locked == target:
            self._events.append({"type": "lock", "locked": target, "attempts": 0})
            return
        self.target = target
        self.attempts = 0
        self._start_pulse(now_ms)

    def _start_pulse(self, now_ms):
        self.attempts += 1
        self.phase = PULSE
        self._phase_at = now_ms
        if not self._outputs(self.target):
            self.phase = IDLE

    def reset(self):
        self.fault = None

    def _latch(self, fault, info=None):
        if self.fault is None:
            self.fault = fault
            text = INFO[fault] if info is None else INFO[fault] + ": " + info
            self._events.append({"type": "lock_fault", "fault": fault, "error_code": CODE, "info": text,
                                 "attempts": self.attempts})

    def poll(self, now_ms=None):
        """Advance the lock state machine; returns events, never raises."""
        if now_ms is None:
            now_ms = self.clock.ticks_ms()
        try:
            self._step(now_ms)
        except OSError as exc:
            self._outputs(None)
            self.phase = IDLE
            self._latch("io", str(exc))
        events = self._events
        self._events = []
        return events

    def _step(self, now_ms):
        elapsed = self.clock.ticks_diff(now_ms, self._phase_at) if self._phase_at is not None else 0
        if self.phase == PULSE and elapsed >= self.pulse_ms:
            self._outputs(None)
            self.phase = SETTLE
        if self.phase == SETTLE and elapsed >= self.check_ms:
            if self.feedback is None or self._read() == self.target:
                self._done()
            elif self.attempts < self.retries:
                self.phase = GAP
                self._phase_at = now_ms
            else:
                self.phase = IDLE
                if self.feedback is not None:
                    self.locked = self._read()
                self._latch("lock_failed" if self.target else "unlock_failed")
                self.target = None
            return
        if self.phase == GAP and elapsed >= self.retry_gap_ms:
            self._start_pulse(now_ms)
            return
        if self.phase == IDLE and self.feedback is not None and self.locked is not None:
            position = self._read()
            if position != self.locked:
                self.locked = position
                self._latch("unexpected_lock" if position else "unexpected_unlock")
                self._events.append({"type": "lock", "locked": position, "commanded": False})

    def _done(self):
        self.phase = IDLE
        self.locked = self.target
        self._events.append({"type": "lock", "locked": self.target, "attempts": self.attempts})
        self.target = None

    def unlock_on_power_loss(self):
        """Blocking single unlock pulse for the power-fail path. True if unlocked (or no feedback)."""
        try:
            self._outputs(False)
            self.clock.sleep_ms(self.pulse_ms)
            self._outputs(None)
            self.phase = IDLE
            self.target = None
            if self.feedback is None:
                self.locked = False
                return True
            self.locked = self._read()
            return not self.locked
        except OSError:
            return False


def build(spec, hal=None):
    """CableLock from a board spec dict (keys in the module docstring)."""
    return CableLock(spec["lock_out"], spec["unlock_out"], spec.get("feedback"), spec.get("clock"),
                     spec.get("pulse_ms", 600), spec.get("check_ms", 800), spec.get("retries", 3),
                     spec.get("retry_gap_ms", 1000))
