"""Proximity pilot (PP): resistor coding -> cable current rating (IEC 61851-1, hardware.md §3.8).

The board measures Rc (between PP and PE) through a pull-up to a reference voltage;
defaults are the common 1 kOhm to 3.3 V. `decode(mv)` returns a dict
{"ohms", "amps", "amps_1ph", "status"} where status is "ok", "no_cable" (> 2200 Ohm,
open) or "error" (< 75 Ohm). `Proximity` polls an AnalogIn and reports changes.

Spec keys for build(spec, hal): "adc" (AnalogIn, required), "pullup_ohm" (1000),
"vref_mv" (3300), "clock" (optional).
"""

OK = "ok"
NO_CABLE = "no_cable"
ERROR = "error"

# (upper bound in ohms, exclusive, 3-phase amps, 1-phase amps)
_BANDS = (
    (75, None, None),
    (150, 63, 70),
    (330, 32, 32),
    (1000, 20, 20),
    (2201, 13, 13),
)


def ohms(mv, pullup_ohm=1000, vref_mv=3300):
    """Rc in ohms from the voltage at the PP node; None when open (mv >= vref)."""
    if mv >= vref_mv:
        return None
    if mv <= 0:
        return 0
    return (pullup_ohm * mv + (vref_mv - mv) // 2) // (vref_mv - mv)


def decode_ohms(rc):
    """Rc (ohms or None for open) -> {"ohms", "amps", "amps_1ph", "status"}."""
    if rc is not None:
        for limit, amps, amps_1ph in _BANDS:
            if rc < limit:
                if amps is None:
                    return {"ohms": rc, "amps": None, "amps_1ph": None, "status": ERROR}
                return {"ohms": rc, "amps": amps, "amps_1ph": amps_1ph, "status": OK}
    return {"ohms": rc, "amps": 0, "amps_1ph": 0, "status": NO_CABLE}


def decode(mv, pullup_ohm=1000, vref_mv=3300):
    """PP node voltage in mV -> cable rating dict (see decode_ohms)."""
    return decode_ohms(ohms(mv, pullup_ohm, vref_mv))


class Proximity:
    """PP input on an AnalogIn; poll() reports a change once two readings agree."""

    def __init__(self, adc, pullup_ohm=1000, vref_mv=3300):
        self.adc = adc
        self.pullup_ohm = pullup_ohm
        self.vref_mv = vref_mv
        self.value = None
        self._candidate = None

    def read(self):
        """One reading: the decode() dict plus "mv"; status "error" if the ADC fails."""
        try:
            mv = self.adc.read_mv()
        except OSError as exc:
            return {"ohms": None, "amps": None, "amps_1ph": None, "status": ERROR,
                    "mv": None, "info": "PP ADC: %s" % (exc,)}
        result = decode(mv, self.pullup_ohm, self.vref_mv)
        result["mv"] = mv
        return result

    def poll(self, now_ms=None):
        """Returns a list with a {"type": "pp", ...} event when the rating changed."""
        reading = self.read()
        key = (reading["status"], reading["amps"])
        events = []
        if key == self._candidate and (self.value is None or key != (self.value["status"], self.value["amps"])):
            self.value = reading
            event = {"type": "pp", "status": reading["status"], "amps": reading["amps"],
                     "amps_1ph": reading["amps_1ph"], "ohms": reading["ohms"], "mv": reading["mv"]}
            if reading["status"] == ERROR:
                event["error_code"] = "OtherError"
                event["info"] = reading.get("info", "PP resistor out of range")
            events.append(event)
        self._candidate = key
        return events


def build(spec, hal=None):
    """Proximity from a board spec dict (keys in the module docstring)."""
    return Proximity(spec["adc"], spec.get("pullup_ohm", 1000), spec.get("vref_mv", 3300))
