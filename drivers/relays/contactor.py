"""Contactor with auxiliary (mirror) feedback contact: command, supervision, closing count.

set(on, now_ms) commands the coil. The feedback must agree within `agree_ms` (250 ms)
and stay agreeing for `debounce_ms` (10 ms); then a "contactor" event confirms it.
Faults (latched until reset(), which then re-checks the feedback; event "contactor_fault"):
  "welded"      commanded off, feedback still on after agree_ms   -> PowerSwitchFailure
  "no_close"    commanded on, feedback still off after agree_ms   -> PowerSwitchFailure
                (the coil is switched off again)
  "spurious"    feedback changed with no command (held debounce_ms) -> OtherError
  "io"          the coil or feedback pin raised OSError            -> PowerSwitchFailure
While a fault is latched a close command is refused ("contactor_refused"); open always works.

Relay wear: closings are at least `min_interval_ms` (10 s) apart. A close asked for
earlier is delayed, not dropped: "contactor_delayed" reports until_ms, and the coil
closes on the first poll at or after it (an open command cancels it). `closings`
counts coil closings (pass the persisted count as `closings`).

feedback_type: "no" (feedback active = closed), "nc" (active = open) or "none" (no
supervision: every command is confirmed at once). Pin polarity (active_low) is the HAL's.

Spec keys for build(spec, hal): "coil" (DigitalOut, required), "feedback" (DigitalIn),
"feedback_type" ("no" if feedback given, else "none"), "agree_ms" (250), "debounce_ms"
(10), "min_interval_ms" (10000), "closings" (0), "clock" (optional).
"""

from drivers.hal.clock import or_system

CODES = {
    "welded": ("PowerSwitchFailure", "contactor welded: feedback stays closed after open command"),
    "no_close": ("PowerSwitchFailure", "contactor failed to close: no feedback after close command"),
    "spurious": ("OtherError", "contactor feedback changed without a command"),
    "io": ("PowerSwitchFailure", "contactor I/O error"),
}


class Contactor:
    def __init__(self, coil, feedback=None, clock=None, feedback_type=None, agree_ms=250,
                 debounce_ms=10, min_interval_ms=10000, closings=0):
        clock = or_system(clock)
        if feedback_type is None:
            feedback_type = "none" if feedback is None else "no"
        if feedback_type not in ("no", "nc", "none"):
            raise ValueError("feedback_type must be 'no', 'nc' or 'none'")
        if feedback_type != "none" and feedback is None:
            raise ValueError("feedback_type %r needs a feedback input" % feedback_type)
        self.coil = coil
        self.feedback = feedback
        self.feedback_type = feedback_type
        self.clock = clock
        self.agree_ms = agree_ms
        self.debounce_ms = debounce_ms
        self.min_interval_ms = min_interval_ms
        self.closings = closings
        self.commanded = False        # what the coil is driven to
        self.confirmed = False        # last state the feedback confirmed
        self.fault = None
        self._cmd_at = None           # time of the last coil command (None = settled)
        self._agree_at = None
        self._disagree_at = None
        self._last_close = None
        self._close_pending = False   # a close delayed by min_interval_ms
        self._events = []
        # start-up counts as an open command, so a contactor welded since before
        # boot is reported as welded
        self._drive(False, clock.ticks_ms())

    def read_closed(self):
        """Contact state from the feedback input (True = closed); None without feedback."""
        if self.feedback_type == "none":
            return None
        active = self.feedback.get()
        return active if self.feedback_type == "no" else not active

    @property
    def closed(self):
        return self.confirmed

    @property
    def pending_close(self):
        return self._close_pending

    def set(self, on, now_ms=None):
        """Command the contactor. Returns True if the coil follows now, False if the
        close is delayed (min interval) or refused (fault latched)."""
        if now_ms is None:
            now_ms = self.clock.ticks_ms()
        if not on:
            self._close_pending = False
            if self.commanded:
                self._drive(False, now_ms)
            return True
        if self.fault is not None:
            self._events.append({"type": "contactor_refused", "fault": self.fault})
            return False
        if self.commanded:
            return True
        if self._last_close is not None:
            wait = self.min_interval_ms - self.clock.ticks_diff(now_ms, self._last_close)
            if wait > 0:
                if not self._close_pending:
                    self._close_pending = True
                    self._events.append({"type": "contactor_delayed", "until_ms": now_ms + wait,
                                         "wait_ms": wait})
                return False
        self._close(now_ms)
        return True

    def _close(self, now_ms):
        self._close_pending = False
        self._last_close = now_ms
        self.closings += 1
        self._drive(True, now_ms)

    def _drive(self, on, now_ms):
        try:
            self.coil.set(on)
        except OSError as exc:
            self._latch("io", str(exc))
            return
        self.commanded = on
        self._cmd_at = now_ms
        self._agree_at = None
        if self.feedback_type == "none":
            self._settle(on)

    def _settle(self, on):
        self._cmd_at = None
        if on != self.confirmed:
            self.confirmed = on
            self._events.append({"type": "contactor", "on": on})

    def _latch(self, fault, info=None):
        if self.fault is not None:
            return
        self.fault = fault
        code, text = CODES[fault]
        self._events.append({"type": "contactor_fault", "fault": fault, "error_code": code,
                             "info": text if info is None else text + ": " + info})

    def reset(self, now_ms=None):
        """Clear a latched fault (manual reset by a technician or the core's policy). The feedback is then checked
        against the command again as after a fresh command: a contactor still welded is reported welded again,
        one that was repaired is confirmed with a "contactor" event."""
        self.fault = None
        self._disagree_at = None
        if self.feedback_type != "none":
            self._cmd_at = self.clock.ticks_ms() if now_ms is None else now_ms
            self._agree_at = None

    def poll(self, now_ms=None):
        """Supervise the feedback and run a delayed close; returns events, never raises."""
        if now_ms is None:
            now_ms = self.clock.ticks_ms()
        if self._close_pending and self.fault is None \
                and self.clock.ticks_diff(now_ms, self._last_close) >= self.min_interval_ms:
            self._close(now_ms)
        if self.feedback_type != "none":
            try:
                closed = self.read_closed()
            except OSError as exc:
                self._latch("io", str(exc))
                closed = None
            if closed is not None:
                self._supervise(closed, now_ms)
        events = self._events
        self._events = []
        return events

    def _supervise(self, closed, now_ms):
        diff = self.clock.ticks_diff
        if self._cmd_at is not None:
            if closed == self.commanded:
                if self._agree_at is None:
                    self._agree_at = now_ms
                if diff(now_ms, self._agree_at) >= self.debounce_ms:
                    self._settle(closed)
            else:
                self._agree_at = None
                if diff(now_ms, self._cmd_at) > self.agree_ms:
                    self._cmd_at = None
                    if self.commanded:
                        self._latch("no_close")
                        self._drive(False, now_ms)
                    else:
                        self._latch("welded")
            return
        if closed == self.confirmed:
            self._disagree_at = None
            return
        if self._disagree_at is None:
            self._disagree_at = now_ms
        if diff(now_ms, self._disagree_at) >= self.debounce_ms:
            self._disagree_at = None
            self._latch("spurious")
            self.confirmed = closed
            self._events.append({"type": "contactor", "on": closed, "commanded": self.commanded})


def build(spec, hal=None):
    """Contactor from a board spec dict (keys in the module docstring)."""
    return Contactor(spec["coil"], spec.get("feedback"), spec.get("clock"), spec.get("feedback_type"),
                     spec.get("agree_ms", 250), spec.get("debounce_ms", 10),
                     spec.get("min_interval_ms", 10000), spec.get("closings", 0))
