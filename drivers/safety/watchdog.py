"""Watchdog outputs: a line that toggles while the contactor is commanded on, and the board's hang watchdog.

Some power stages keep their relay powered only while a watchdog line toggles: the EVSE Pi HAT wants GPIO4 at
100 Hz-100 kHz (1 kHz recommended) whenever the relay is on, else it raises a synthetic GFI that drops the relay
(reference/hardware.md §4.1, §4.4, §6 row 26). `Watchdog` drives such a line:

* `set(on, now_ms)`: the contactor command. The station calls it with True before the coil closes and with False
  after the coil opened; off leaves the line at its safe level (low).
* `poll(now_ms)`: the station calls it at every hardware poll. Each call renews a lease of `lease_ms`; a polled
  toggle flips its pin here (at most every half period of `hz`, so its frequency is half the poll rate at most).
* `expire(now_ms)`: the fail-safe for a free-running output. A PwmOut (hardware PWM on MicroPython, the GPIO
  library's software PWM on a Pi) would go on toggling if the station hung, so something outside the station's
  loop calls expire(): once the lease has run out the line goes to its safe level, and the next poll starts it
  again. On CPython that is drivers/safety/watchdog_keeper_cpython.py; on MicroPython the hardware watchdog below
  resets the board, which stops every output. A polled toggle needs no keeper: when polling stops, so does it.

Hang watchdog: with `wdt` (a factory taking a timeout in ms and returning an object with `feed()`, such as the
MicroPython HAL's `wdt`, i.e. machine.WDT) and `wdt_ms`, the first poll starts the hardware watchdog and every poll
feeds it: if the station stops polling for `wdt_ms`, the board resets. It cannot be stopped once started.

Events (poll returns them, never raises): {"type": "watchdog_fault", "error_code": "OtherError", "info": ...} once
when the line or the hardware watchdog raises OSError; {"type": "watchdog_ok"} when it works again.

Spec keys for build(spec, hal): "driver" ("toggle", or "wdt" for the hang watchdog alone), "pin" (the line; toggle
only), "hz" (1000), "mode" ("auto": a PwmOut where the HAL has one for a plain pin (`hal.pin_pwm`), else a polled
toggle; "pwm": a PwmOut or the device cannot be opened; "toggle": always polled), "lease_ms" (2000: longer than
the longest poll, which a meter that stopped answering stretches to about a second), "wdt_ms" (none), "clock".
"""

from drivers.hal.errors import BusError

RUN_DUTY = 500          # a square wave
CODE = "OtherError"
MODES = ("auto", "pwm", "toggle")


class Watchdog:
    def __init__(self, out=None, pwm=None, clock=None, hz=1000, lease_ms=2000, wdt=None, wdt_ms=None):
        if clock is None:
            from drivers.hal.clock import SystemClock
            clock = SystemClock()
        if hz is True or hz is False or not isinstance(hz, int) or hz <= 0:
            raise ValueError("hz must be a positive whole number")
        self.out = out
        self.pwm = pwm
        self.clock = clock
        self.hz = hz
        self.half_ms = 500 // hz
        self.lease_ms = lease_ms
        self.wdt_ms = wdt_ms
        self._make_wdt = wdt if wdt_ms else None
        self._wdt = None
        self.on = False             # the contactor command
        self.running = False        # the line is toggling
        self.expiries = 0           # times the lease ran out while the line toggled
        self.fault = None
        self._fed_at = None
        self._flip_at = None
        self._level = False
        self._events = []
        self._safe()

    @property
    def output(self):
        """"pwm" (free-running), "toggle" (polled) or None (the hang watchdog alone)."""
        if self.pwm is not None:
            return "pwm"
        return "toggle" if self.out is not None else None

    @property
    def free_running(self):
        return self.pwm is not None

    def set(self, on, now_ms=None):
        """Follow the contactor command: start toggling (on) or go to the safe level (off)."""
        now = self.clock.ticks_ms() if now_ms is None else now_ms
        self.on = on is True
        if self.on:
            self._fed_at = now
            if not self.running:
                self._start(now)
        else:
            self._safe()

    def poll(self, now_ms=None):
        """Renew the lease, feed the hang watchdog, flip a polled toggle; returns events."""
        now = self.clock.ticks_ms() if now_ms is None else now_ms
        self._fed_at = now
        if self._make_wdt is not None:
            self._feed()
        if self.on:
            if not self.running:
                self._start(now)
            elif self.out is not None and self.clock.ticks_diff(now, self._flip_at) >= self.half_ms:
                self._flip(not self._level, now)
        events = self._events
        self._events = []
        return events

    def expire(self, now_ms=None):
        """The keeper's check: stop a toggling line whose lease has run out. True when it stopped it."""
        fed = self._fed_at
        if not self.running or fed is None:
            return False
        now = self.clock.ticks_ms() if now_ms is None else now_ms
        if self.clock.ticks_diff(now, fed) <= self.lease_ms:
            return False
        self._safe()
        self.expiries += 1
        return True

    def stop(self):
        """Safe level now and no toggling until the next set(True) (the station shutting down)."""
        self.on = False
        self._safe()

    # ---- output ------------------------------------------------------------------------------------------------
    def _start(self, now):
        if self.pwm is not None:
            if self._write_pwm(RUN_DUTY):
                self.running = True
        elif self.out is not None:
            self.running = self._flip(True, now)

    def _flip(self, level, now):
        try:
            self.out.set(level)
        except OSError as exc:
            self._io(exc)
            return False
        self._level = level
        self._flip_at = now
        self._ok()
        return True

    def _write_pwm(self, duty):
        try:
            self.pwm.set_duty(duty)
        except OSError as exc:
            self._io(exc)
            return False
        self._ok()
        return True

    def _safe(self):
        self.running = False
        if self.pwm is not None:
            self._write_pwm(0)
        elif self.out is not None:
            self._flip(False, self._flip_at)

    def _feed(self):
        try:
            if self._wdt is None:
                self._wdt = self._make_wdt(self.wdt_ms)
            self._wdt.feed()
        except OSError as exc:
            self._io(exc, "hardware watchdog")

    def _io(self, exc, what="watchdog output"):
        self.running = False
        if self.fault is None:
            self.fault = what + " failed: " + str(exc)
            self._events.append({"type": "watchdog_fault", "error_code": CODE, "info": self.fault})

    def _ok(self):
        if self.fault is not None:
            self.fault = None
            self._events.append({"type": "watchdog_ok"})


def build(spec, hal=None):
    """Watchdog from a board spec dict (keys in the module docstring); the line is opened through `hal`."""
    clock = spec.get("clock")
    if clock is None:
        clock = getattr(hal, "clock", None)
    hz = spec.get("hz", 1000)
    out = pwm = None
    pin = spec.get("pin") if spec.get("driver") != "wdt" else None
    if pin is not None:
        mode = spec.get("mode", "auto")
        if mode not in MODES:
            raise ValueError("watchdog mode must be one of " + ", ".join(MODES))
        if mode != "toggle":
            make = getattr(hal, "pin_pwm", None)
            pwm = make(pin, hz) if make is not None else None
            if pwm is None and mode == "pwm":
                raise BusError(19, "no PWM for watchdog pin %r on this HAL" % (pin,))
        if pwm is None:
            out = hal.output(pin, False)
    wdt_ms = spec.get("wdt_ms")
    wdt = None
    if wdt_ms:
        wdt = getattr(hal, "wdt", None)
        if wdt is None:
            raise BusError(19, "this HAL has no hardware watchdog for wdt_ms")
    return Watchdog(out, pwm, clock, hz, spec.get("lease_ms", 2000), wdt, wdt_ms)
