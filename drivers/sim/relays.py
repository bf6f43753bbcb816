"""Emulated power-path hardware: contactor with feedback, cable lock with feedback, RCD module.

Each emulator owns EmulatedPin objects the drivers use: outputs the driver sets
(coil, lock/unlock motor, RCD test) and inputs the driver reads (feedback, RCD fault).
Inputs are computed from the clock at the moment they are read, so no emulator needs
polling and every delay follows the injected clock.

ContactorEmulator: the auxiliary contact follows the coil after `close_ms`/`open_ms`.
  Faults: weld() - the contacts weld at the next closing (stay closed after the coil
  drops); fail_close() - the contacts never close; force_feedback(value) - the
  feedback wire reads `value` regardless (None to release); invert_feedback_at(t) -
  from clock time t on, the feedback reads the opposite of the contacts (spurious); repair() undoes them all
  (a welded contactor opens when its coil is off).
LockEmulator: a motor moving the pin while lock_out or unlock_out is driven, needing
  `travel_ms` of drive to go from one end to the other; feedback active = locked.
  Faults: jam(direction, pulses) - the next `pulses` drives towards "lock", "unlock"
  or "both" do not move it (None = for ever). `shoot_through` records both outputs on.
RcdEmulator: fault output active while residual current >= 6 mA DC or >= 30 mA AC,
  after `trip_ms`; the test input simulates a residual current when `test_works`.
  glitch() makes the next single read of the fault output active (a spike).
"""

from drivers.hal.emulated import EmulatedPin


class ComputedInput(EmulatedPin):
    """An EmulatedPin used as DigitalIn whose state comes from `fn()` at each read."""

    def __init__(self, fn, active_low=False, clock=None, name=None):
        EmulatedPin.__init__(self, active_low=active_low, clock=clock, name=name)
        self.fn = fn

    def get(self):
        self.drive(self.fn())
        return EmulatedPin.get(self)


def _elapsed(clock, since):
    return clock.ticks_diff(clock.ticks_ms(), since)


class ContactorEmulator:
    def __init__(self, clock, close_ms=30, open_ms=20, feedback_type="no", coil_active_low=False,
                 feedback_active_low=False):
        self.clock = clock
        self.close_ms = close_ms
        self.open_ms = open_ms
        self.feedback_type = feedback_type
        self.coil = EmulatedPin(active_low=coil_active_low, clock=clock, name="coil")
        self.feedback = ComputedInput(self._feedback, active_low=feedback_active_low, clock=clock,
                                      name="contactor_feedback")
        self.welded = False
        self._weld_next = False
        self._fail_close = False
        self._forced = None
        self._invert_at = None
        self._coil_at = clock.ticks_ms()
        self._contacts = False
        self._coil_state = False
        self.coil.watch(self._coil_changed)

    def weld(self):
        self._weld_next = True

    def fail_close(self, fail=True):
        self._fail_close = fail

    def force_feedback(self, value):
        self._forced = value

    def invert_feedback_at(self, t_ms):
        self._invert_at = t_ms

    def repair(self):
        self._settle()
        self.welded = False
        self._weld_next = False
        self._fail_close = False
        self._forced = None
        self._invert_at = None
        self._coil_at = self.clock.ticks_ms()

    def _coil_changed(self, pin):
        self._settle()
        self._coil_state = pin.get()
        self._coil_at = self.clock.ticks_ms()

    def _settle(self):
        """Bring the contacts up to date with the coil as of now."""
        if self._coil_state == self._contacts:
            return
        delay = self.close_ms if self._coil_state else self.open_ms
        if _elapsed(self.clock, self._coil_at) < delay:
            return
        if self._coil_state:
            if not self._fail_close:
                self._contacts = True
                if self._weld_next:
                    self.welded = True
        elif not self.welded:
            self._contacts = False

    @property
    def closed(self):
        self._settle()
        return self._contacts

    def _feedback(self):
        if self._forced is not None:
            return self._forced
        closed = self.closed
        if self._invert_at is not None and self.clock.ticks_diff(self.clock.ticks_ms(), self._invert_at) >= 0:
            closed = not closed
        return closed if self.feedback_type == "no" else not closed


class LockEmulator:
    def __init__(self, clock, travel_ms=300, locked=False, feedback_active_low=False):
        self.clock = clock
        self.travel_ms = travel_ms
        self.position = travel_ms if locked else 0      # ms of travel towards locked
        self.lock_out = EmulatedPin(clock=clock, name="lock_motor_a")
        self.unlock_out = EmulatedPin(clock=clock, name="lock_motor_b")
        self.feedback = ComputedInput(self._feedback, active_low=feedback_active_low, clock=clock,
                                      name="lock_feedback")
        self.shoot_through = False
        self.pulses = {"lock": 0, "unlock": 0}
        self._jam = {"lock": 0, "unlock": 0}
        self._direction = 0         # +1 locking, -1 unlocking, 0 stopped
        self._moving = False        # the present drive actually moves the pin
        self._since = clock.ticks_ms()
        self.lock_out.watch(self._drive_changed)
        self.unlock_out.watch(self._drive_changed)

    def jam(self, direction="both", pulses=None):
        """Make the next `pulses` drives towards `direction` ineffective (None = for ever, 0 = clear)."""
        for d in (("lock", "unlock") if direction == "both" else (direction,)):
            self._jam[d] = -1 if pulses is None else pulses

    def _integrate(self):
        now = self.clock.ticks_ms()
        if self._direction and self._moving:
            self.position += self._direction * self.clock.ticks_diff(now, self._since)
            if self.position > self.travel_ms:
                self.position = self.travel_ms
            elif self.position < 0:
                self.position = 0
        self._since = now

    def _drive_changed(self, pin):
        self._integrate()
        a = self.lock_out.get()
        b = self.unlock_out.get()
        if a and b:
            self.shoot_through = True
            self._direction = 0
            return
        direction = 1 if a else (-1 if b else 0)
        if direction and direction != self._direction:
            name = "lock" if direction > 0 else "unlock"
            self.pulses[name] += 1
            jam = self._jam[name]
            self._moving = jam == 0
            if jam > 0:
                self._jam[name] = jam - 1
        self._direction = direction

    @property
    def locked(self):
        self._integrate()
        return self.position >= self.travel_ms

    def _feedback(self):
        return self.locked


class RcdEmulator:
    DC_TRIP_MA = 6
    AC_TRIP_MA = 30

    def __init__(self, clock, trip_ms=20, test_works=True, fault_active_low=False):
        self.clock = clock
        self.trip_ms = trip_ms
        self.test_works = test_works
        self.test_in = EmulatedPin(clock=clock, name="rcd_test")
        self.fault_out = ComputedInput(self._fault, active_low=fault_active_low, clock=clock,
                                       name="rcd_fault")
        self.dc_ma = 0
        self.ac_ma = 0
        self._glitch = 0
        self._residual_since = None
        self.test_in.watch(self._inputs_changed)

    def leak(self, dc_ma=0, ac_ma=0):
        """Set the residual current seen by the module."""
        self.dc_ma = dc_ma
        self.ac_ma = ac_ma
        self._inputs_changed(None)

    def glitch(self, reads=1):
        """The next `reads` reads of the fault output see a spike."""
        self._glitch = reads

    def _residual(self):
        if self.test_in.get() and self.test_works:
            return True
        return self.dc_ma >= self.DC_TRIP_MA or self.ac_ma >= self.AC_TRIP_MA

    def _inputs_changed(self, pin):
        if not self._residual():
            self._residual_since = None
        elif self._residual_since is None:
            self._residual_since = self.clock.ticks_ms()

    @property
    def tripped(self):
        return self._residual_since is not None and _elapsed(self.clock, self._residual_since) >= self.trip_ms

    def _fault(self):
        if self._glitch > 0:
            self._glitch -= 1
            return True
        return self.tripped
