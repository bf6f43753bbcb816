"""Control-pilot driver: 1 kHz PWM out, pilot voltage in, CP state and fault events.

Output through a PwmOut (permille; None = steady +12 V, 0 = steady -12 V):
  set_current(amps)  - offer a current (duty per drivers/pilot/duty.py); below 6 A or
                       None = steady +12 V (A/B1: nothing offered); 0 = state F (-12 V)
  set_digital()      - 5 % (ISO 15118 / DIN 70121 high-level communication)
Changing the duty between two PWM values less than `min_change_ms` (5 s, IEC) after
the previous change is not refused - rate limiting is the core's job - but the
"pilot_duty" event says too_soon=True so the core's misbehaviour is visible.

Input: the voltage at the CP, measured through a board divider (drivers/pilot/divider.py):
  mode "burst": one fast ADC (ESP32/RP2 AnalogIn) read `samples` times in a row,
                covering at least one PWM period; max = high plateau, min = low plateau.
  mode "peak":  two ADC channels behind positive/negative peak-hold circuits
                (adc_high, adc_low), optional `peak_reset` DigitalOut pulsed after each
                read. The only way to use a slow ADC such as the ADS1115.
With the emulator the ADC sources come from drivers/sim/ev.py.

poll(now_ms) -> list of events (never raises):
  {"type": "pilot", "state": "B", "mv": 8980, "low_mv": -12000, "duty": 267}  state change
  {"type": "pilot_fault", "fault": "diode", "error_code": "EVCommunicationError", "info": ...}
  {"type": "pilot_fault_cleared", "fault": "diode"}
  {"type": "pilot_duty", "duty": 267, "amps": 16, "at_ms": ..., "since_last_ms": ..., "too_soon": False}
Faults: "diode" (latched until state A), "short" (state E / CP-PE short), "state_f"
(-12 V measured while not driving F), "out_of_range" (PilotFault band), "ventilation"
(state D when not supported), "adc" (the ADC read failed).

Spec keys for build(spec, hal): "pwm" (PwmOut, required), "mode" ("burst"), "adc"
(burst), "adc_high"/"adc_low" (peak), "peak_reset" (DigitalOut, optional), "samples"
(250), "divider" (dict for Divider.from_spec), "interval_ms" (20), "ventilation"
(False: state D is a fault), "min_change_ms" (5000), "clock" (optional).
"""

from drivers.hal.clock import or_system
from drivers.pilot import classify as cls
from drivers.pilot.divider import Divider
from drivers.pilot.duty import HLC_PERMILLE, amps_to_duty, duty_to_ma

FAULT_CODES = {
    cls.DIODE: ("EVCommunicationError", "EV diode missing or shorted (no -12 V low level)"),
    cls.SHORT: ("OtherError", "CP shorted to PE or pilot supply missing (state E)"),
    "state_f": ("OtherError", "pilot at -12 V (state F) while the EVSE is not driving F"),
    "out_of_range": ("OtherError", "pilot voltage outside every state band"),
    cls.VENTILATION: ("OtherError", "VentilationNotAvailable: EV requests state D"),
    "adc": ("OtherError", "pilot ADC read failed"),
}


class Pilot:
    def __init__(self, pwm, adc=None, adc_high=None, adc_low=None, divider=None, clock=None,
                 mode="burst", samples=250, interval_ms=20, ventilation=False,
                 min_change_ms=5000, peak_reset=None):
        clock = or_system(clock)
        if mode == "burst" and adc is None:
            raise ValueError("mode 'burst' needs adc")
        if mode == "peak" and (adc_high is None or adc_low is None):
            raise ValueError("mode 'peak' needs adc_high and adc_low")
        if mode not in ("burst", "peak"):
            raise ValueError("mode must be 'burst' or 'peak'")
        self.pwm = pwm
        self.adc = adc
        self.adc_high = adc_high
        self.adc_low = adc_low
        self.peak_reset = peak_reset
        self.divider = divider if divider is not None else Divider()
        self.clock = clock
        self.mode = mode
        self.samples = samples if samples > 0 else 1
        self.interval_ms = interval_ms
        self.min_change_ms = min_change_ms
        self.classifier = cls.Classifier(ventilation)
        self.duty = None
        self.amps = None
        self.state = None
        self.fault = None
        self.high_mv = None
        self.low_mv = None
        self._last_read = None
        self._last_change = None
        self._pending = []
        pwm.set_duty(None)

    # ---- output -------------------------------------------------------------------

    def set_current(self, amps, now_ms=None):
        """Offer `amps` (None or < 6 A: steady +12 V; 0: state F). Returns the duty set."""
        if amps is None:
            duty = None
        elif amps == 0:
            duty = 0
        else:
            duty = amps_to_duty(amps)
        self._apply(duty, amps, now_ms)
        return duty

    def set_digital(self, now_ms=None):
        """5 %: high-level communication required."""
        self._apply(HLC_PERMILLE, None, now_ms)
        return HLC_PERMILLE

    def offered_ma(self):
        """Current an EV may draw at the present duty (mA), or None."""
        return duty_to_ma(self.duty)

    def _apply(self, duty, amps, now_ms):
        self.amps = amps
        if duty == self.duty:
            return
        if now_ms is None:
            now_ms = self.clock.ticks_ms()
        since = None
        if self._last_change is not None:
            since = self.clock.ticks_diff(now_ms, self._last_change)
        too_soon = (since is not None and since < self.min_change_ms
                    and cls.pwm_on(duty) and cls.pwm_on(self.duty)
                    and duty != HLC_PERMILLE and self.duty != HLC_PERMILLE)
        self.pwm.set_duty(duty)
        self.duty = duty
        self._last_change = now_ms
        self._pending.append({"type": "pilot_duty", "duty": duty, "amps": amps, "at_ms": now_ms,
                              "since_last_ms": since, "too_soon": too_soon})

    # ---- input --------------------------------------------------------------------

    def measure(self):
        """(high_mv, low_mv) at the CP. Raises OSError when the ADC fails."""
        if self.mode == "peak":
            high = self.divider.to_cp(self.adc_high.read_mv())
            low = self.divider.to_cp(self.adc_low.read_mv())
            if self.peak_reset is not None:
                self.peak_reset.set(True)
                self.peak_reset.set(False)
            return high, low
        lo = hi = self.adc.read_mv()
        for _ in range(self.samples - 1):
            mv = self.adc.read_mv()
            if mv > hi:
                hi = mv
            elif mv < lo:
                lo = mv
        a = self.divider.to_cp(hi)
        b = self.divider.to_cp(lo)
        return (a, b) if a >= b else (b, a)

    def poll(self, now_ms=None):
        """Measure (at most every interval_ms) and return events; never raises."""
        if now_ms is None:
            now_ms = self.clock.ticks_ms()
        events = self._pending
        self._pending = []
        if self._last_read is not None and self.clock.ticks_diff(now_ms, self._last_read) < self.interval_ms:
            return events
        self._last_read = now_ms
        try:
            high, low = self.measure()
        except OSError as exc:
            self.high_mv = None
            self.low_mv = None
            self._set_fault("adc", events, "pilot ADC read failed: %s" % (exc,))
            return events
        self.high_mv = high
        self.low_mv = low
        state, fault = self.classifier.update(high, low, self.duty)
        if state is not None and state != self.state:
            self.state = state
            events.append({"type": "pilot", "state": state, "mv": high, "low_mv": low, "duty": self.duty})
        if state == cls.PILOT_FAULT:
            fault = "out_of_range"
        elif fault is None and state == cls.E:
            fault = cls.SHORT
        elif fault is None and state == cls.F and self.duty != 0:
            fault = "state_f"
        if state is not None or fault is not None:
            self._set_fault(fault, events)
        return events

    def _set_fault(self, fault, events, info=None):
        if fault == self.fault:
            return
        if self.fault is not None:
            events.append({"type": "pilot_fault_cleared", "fault": self.fault})
        self.fault = fault
        if fault is not None:
            code, text = FAULT_CODES[fault]
            events.append({"type": "pilot_fault", "fault": fault, "error_code": code,
                           "info": info or text, "mv": self.high_mv, "low_mv": self.low_mv})

    @property
    def diode_seen(self):
        """True once a blocking EV diode was measured since plug-in (needed before closing)."""
        return self.classifier.diode_seen

    def status(self):
        """Snapshot for tools and the web page."""
        return {"state": self.state, "mv": self.high_mv, "low_mv": self.low_mv, "duty": self.duty,
                "amps": self.amps, "fault": self.fault, "diode_seen": self.classifier.diode_seen}


def build(spec, hal=None):
    """Pilot from a board spec dict (keys in the module docstring)."""
    return Pilot(spec["pwm"], adc=spec.get("adc"), adc_high=spec.get("adc_high"),
                 adc_low=spec.get("adc_low"), divider=Divider.from_spec(spec.get("divider")),
                 clock=spec.get("clock"), mode=spec.get("mode", "burst"),
                 samples=spec.get("samples", 250), interval_ms=spec.get("interval_ms", 20),
                 ventilation=spec.get("ventilation", False),
                 min_change_ms=spec.get("min_change_ms", 5000), peak_reset=spec.get("peak_reset"))
