"""Control-pilot state classification from measured voltages (hardware.md §3.2, §3.5).

`classify(high_mv, prev)` maps the positive plateau (mV at the CP, not at the ADC) to
A..F or PILOT_FAULT, with the hysteresis bands of IEC 61851-1 Table A.4 as chargebyte
implements them: a voltage in a gap between two bands keeps the previous state.

`check(high_mv, low_mv, duty, state)` applies the diode and CP-short rules.

`Classifier` combines both with the two-in-a-row filter (a new state is accepted
only when two consecutive measurements agree) and the diode-fault latch.
"""

A = "A"
B = "B"
C = "C"
D = "D"
E = "E"
F = "F"
PILOT_FAULT = "PilotFault"

# check() results
OK = None
DIODE = "diode"
SHORT = "short"
VENTILATION = "ventilation"

MAX_DIFF_MV = 1200          # |V+ + V-| at or below this: the EV diode is not blocking
D_LOWER_MV = 2000           # below this V+ the pilot is shorted
NEG_OK_MV = -10000          # a blocking diode leaves V- at or below this


def classify(high_mv, prev=None):
    """Positive pilot level in mV -> state letter (or PILOT_FAULT), given the previous state."""
    v = high_mv
    if v > 13000:
        return PILOT_FAULT
    if v >= 11000:
        return A
    if v >= 10000:
        return A if prev == A else B
    if v >= 8000:
        return B
    if v >= 7000:
        return B if prev in (A, B) else C
    if v >= 5000:
        return C
    if v >= 4000:
        return C if prev in (A, B, C) else D
    if v >= 2000:
        return D
    if v >= -1000:
        return E
    if v >= -2000:
        return E if prev in (A, B, C, D, E) else PILOT_FAULT
    if v >= -10000:
        return PILOT_FAULT
    if v >= -11000:
        return F if prev == F else PILOT_FAULT
    if v >= -13000:
        return F
    return PILOT_FAULT


def pwm_on(duty):
    """True when the EVSE drives a real PWM (0 < duty < 100 %); None/0/1000 are steady levels."""
    return duty is not None and 0 < duty < 1000


def check(high_mv, low_mv, duty, state, ventilation=True):
    """Diode / short / ventilation rules (chargebyte CPUtils). Returns None or a fault name.

    low_mv may be None when only the positive level is measured; the rules that need
    it are then skipped.
    """
    nominal = pwm_on(duty)
    symmetric = low_mv is not None and abs(high_mv + low_mv) <= MAX_DIFF_MV
    if high_mv < D_LOWER_MV:
        if nominal and symmetric:
            return SHORT
        if not nominal and low_mv is not None and low_mv > NEG_OK_MV:
            return SHORT
    if nominal and high_mv > D_LOWER_MV and state != A and symmetric:
        return DIODE
    if not ventilation and state == D and low_mv is not None and low_mv <= NEG_OK_MV:
        return VENTILATION
    return OK


class Classifier:
    """Stateful CP evaluation: hysteresis, two-sample agreement, diode latch.

    update() returns (state, fault): the accepted state (None until two samples agree)
    and the fault name or None. A fault, like a state, needs two samples in a row;
    a diode fault then stays latched until state A.
    `diode_seen` tells whether a blocking diode (V- <= -10 V during PWM) was measured
    since the EV was plugged in: IEC 61851-1 asks for that before closing the contactor.
    """

    def __init__(self, ventilation=True):
        self.ventilation = ventilation
        self.reset()

    def reset(self):
        self.state = None
        self._candidate = None
        self._fault_candidate = None
        self.diode_latched = False
        self.diode_seen = False

    def update(self, high_mv, low_mv, duty):
        raw = classify(high_mv, self.state)
        if raw == self._candidate:
            self.state = raw
        self._candidate = raw
        state = self.state
        if state == A:
            self.diode_latched = False
            self.diode_seen = False
        # the diode rule excludes state A; use this sample's state, since the accepted
        # one lags a sample behind an unplug (A with PWM is symmetric too: +12/-12 V)
        sample_fault = check(high_mv, low_mv, duty, raw, self.ventilation)
        fault = sample_fault if sample_fault == self._fault_candidate else None
        self._fault_candidate = sample_fault
        if fault == DIODE:
            self.diode_latched = True
        elif pwm_on(duty) and low_mv is not None and low_mv <= NEG_OK_MV and state in (B, C, D):
            self.diode_seen = True
        if fault is None and self.diode_latched:
            fault = DIODE
        return state, fault
