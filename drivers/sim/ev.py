"""An electric vehicle on the control pilot, for tests, tools and the desktop simulator.

Electrical model (hardware.md §3.1): the EVSE drives +12 V / -12 V through 1 kOhm; the
EV connects a diode (0.7 V) and 2.74 kOhm (state B), switched to 882 Ohm (C) or
246 Ohm (D, ventilation) by S2. The EV's diode can be "ok", "shorted" or "missing" (a
plain resistor: both halves load symmetrically) or "open" (the EV is invisible). An
optional CP-PE short (e.g. 80 Ohm, IEC A.4.9) loads both halves. Resulting levels:
B 8.98 V, C 5.99 V, D 2.93 V, low -12 V; shorted diode in B +-8.79 V; 80 Ohm +-0.89 V.

What an ADC would read is offered four ways (all in CP mV, before the board divider):
high_mv()/low_mv() (peak-hold detectors), sample_mv() (a fast ADC sampling every
`sample_step_us` microseconds through the PWM period: burst reads see both plateaus)
and average_mv() (a slow ADC such as an ADS1115 averaging the PWM).

Behaviour, all timed by the injected clock: plug() A->B; S2 closes (B->C, or D with
ventilation) `react_ms` after the EV wants to charge and the duty offers >= 6 A, and
opens again when the offer goes away (unless ignore_pwm_removal: the EV stays in C),
on suspend() or when it no longer wants to charge. Current draw (current_ma()) is
min(EV maximum, decoded duty) while in C/D and power is on (power_fn), reaching a new
value `follow_ms` after the duty changed, plus overdraw_ma when over-drawing.
The cable's PP resistor (cable_ohms) gives pp_mv() for a 1 kOhm / 3.3 V pull-up.
"""

from drivers.pilot.duty import duty_to_ma

R_SOURCE = 1000
V_DIODE = 700
R_B = 2740
R_C = 882
R_D = 246
SUPPLY_MV = 12000


def node_mv(source_mv, r_ev, diode, r_short):
    """Voltage at the CP for one source level, EV branch (r_ev ohms or None) and a short (ohms or None)."""
    g = 1.0 / R_SOURCE
    num = source_mv / R_SOURCE
    if r_short:
        g += 1.0 / r_short
    if r_ev is not None and diode in ("shorted", "missing"):
        g += 1.0 / r_ev
        return int(round(num / g))
    v = num / g
    if r_ev is not None and diode == "ok" and v > V_DIODE:
        v = (num + V_DIODE / r_ev) / (g + 1.0 / r_ev)
    return int(round(v))


class EV:
    def __init__(self, pwm, clock, max_amps=32, react_ms=300, follow_ms=1000, diode="ok",
                 ventilation=False, sample_step_us=4, power_fn=None, cable_ohms=220):
        self.pwm = pwm
        self.clock = clock
        self.max_ma = max_amps * 1000
        self.react_ms = react_ms
        self.follow_ms = follow_ms
        self.diode = diode
        self.ventilation = ventilation
        self.sample_step_us = sample_step_us
        self.power_fn = power_fn
        self.cable_ohms = cable_ohms
        self.plugged = False
        self.wants_charge = True
        self.suspended = False
        self.ignore_pwm_removal = False
        self.overdraw_ma = 0
        self.short_ohms = None
        self.s2 = False
        self._s2_want_since = None
        self._draw_ma = 0
        self._target_ma = 0
        self._target_at = None
        self._phase_us = 0
        self._levels = None
        self._levels_key = None
        self._offer_duty = False      # duty the cached offer was decoded from (False = none yet)
        self._offer_ma = None

    # ---- control ------------------------------------------------------------------------
    def plug(self):
        self.plugged = True
        self.s2 = False
        self._s2_want_since = None

    def unplug(self):
        self.plugged = False
        self.s2 = False
        self._s2_want_since = None
        self._draw_ma = 0
        self._target_ma = 0

    def suspend(self):
        self.suspended = True
        self.update()

    def resume(self):
        self.suspended = False
        self.update()

    def set_diode(self, diode):
        if diode not in ("ok", "shorted", "missing", "open"):
            raise ValueError("diode must be ok, shorted, missing or open")
        self.diode = diode

    def short_cp(self, ohms=80):
        """Short CP to PE through `ohms` (None removes the short)."""
        self.short_ohms = ohms

    # ---- behaviour ----------------------------------------------------------------------
    def offered_ma(self):
        duty = self.pwm.duty()
        if duty != self._offer_duty or self._offer_duty is False:
            self._offer_duty = duty
            self._offer_ma = duty_to_ma(duty)
        return self._offer_ma

    def state(self):
        """The EV's own state letter: A (unplugged), B, C or D."""
        if not self.plugged:
            return "A"
        if not self.s2:
            return "B"
        return "D" if self.ventilation else "C"

    def update(self, now_ms=None):
        """Advance the EV's reactions to `now_ms` (default: the clock). Reads call this."""
        if now_ms is None:
            now_ms = self.clock.ticks_ms()
        if not self.plugged:
            return
        offered = self.offered_ma()
        want = self.wants_charge and not self.suspended and offered is not None
        if self.s2 and not want and self.ignore_pwm_removal and self.wants_charge and not self.suspended:
            want = True
        if want == self.s2:
            self._s2_want_since = None
        elif self._s2_want_since is None:
            self._s2_want_since = now_ms
            if self.react_ms <= 0:
                self.s2 = want
        elif self.clock.ticks_diff(now_ms, self._s2_want_since) >= self.react_ms:
            self.s2 = want
            self._s2_want_since = None
        self._update_draw(now_ms, offered)

    def _update_draw(self, now_ms, offered):
        powered = self.power_fn() if self.power_fn is not None else True
        if not (self.s2 and powered):
            self._draw_ma = 0
            self._target_ma = 0
            self._target_at = None
            return
        if offered is None:
            # PWM removed but S2 still closed (reacting, or ignoring it): keep drawing
            target = self._target_ma
        else:
            target = (offered if offered < self.max_ma else self.max_ma) + self.overdraw_ma
        if target != self._target_ma:
            self._target_ma = target
            self._target_at = now_ms
        if self._target_at is not None and self.clock.ticks_diff(now_ms, self._target_at) >= self.follow_ms:
            self._draw_ma = self._target_ma

    def current_ma(self):
        self.update()
        return self._draw_ma

    # ---- what the EVSE measures ---------------------------------------------------------
    def resistance(self):
        """Ohms of the EV branch the EVSE sees, or None (open)."""
        if not self.plugged or self.diode == "open":
            return None
        if not self.s2:
            return R_B
        return R_D if self.ventilation else R_C

    def levels(self):
        """(positive level, negative level) at the CP in mV for the present EV and faults."""
        self.update()
        r = self.resistance()
        if self._levels is None or self._levels_key[0] != r or self._levels_key[1] != self.diode \
                or self._levels_key[2] != self.short_ohms:
            # cached: burst sampling reads this hundreds of times per PWM period
            self._levels_key = (r, self.diode, self.short_ohms)
            self._levels = (node_mv(SUPPLY_MV, r, self.diode, self.short_ohms),
                            node_mv(-SUPPLY_MV, r, self.diode, self.short_ohms))
        return self._levels

    def high_mv(self):
        """Positive peak: the + plateau during PWM, or the steady level."""
        duty = self.pwm.duty()
        pos, neg = self.levels()
        return neg if duty == 0 else pos

    def low_mv(self):
        """Negative peak: the - plateau during PWM, or the steady level."""
        duty = self.pwm.duty()
        pos, neg = self.levels()
        return pos if duty is None else neg

    def sample_mv(self):
        """One fast ADC sample; consecutive calls walk through the PWM period."""
        duty = self.pwm.duty()
        pos, neg = self.levels()
        self._phase_us = (self._phase_us + self.sample_step_us) % 1000
        if duty is None:
            return pos
        return pos if self._phase_us < duty else neg

    def average_mv(self):
        """What a slow (averaging) ADC reads."""
        duty = self.pwm.duty()
        pos, neg = self.levels()
        if duty is None:
            return pos
        return (pos * duty + neg * (1000 - duty)) // 1000

    def pp_mv(self, pullup_ohm=1000, vref_mv=3300):
        """Voltage at the PP node for the plugged cable (vref when unplugged)."""
        if not self.plugged or self.cable_ohms is None:
            return vref_mv
        return (vref_mv * self.cable_ohms + (self.cable_ohms + pullup_ohm) // 2) // (self.cable_ohms + pullup_ohm)
