"""Board divider between the +-12 V control pilot and an ADC input (linear, two-point).

A pilot measuring circuit maps the CP voltage onto the ADC range with a resistor
network and an offset: adc = adc_at_low + (cp - cp_low) * (adc_at_high - adc_at_low)
/ (cp_high - cp_low). The default maps -12 V -> 250 mV and +12 V -> 3250 mV
(1/8 gain, 1.75 V offset), which fits a 3.3 V ADC and the ADS1115 +-4.096 V range.
Calibrate per board: measure the ADC at steady -12 V (state F) and +12 V (state A).
"""

from drivers.pilot.duty import div_round


class Divider:
    def __init__(self, adc_at_low_mv=250, adc_at_high_mv=3250, cp_low_mv=-12000, cp_high_mv=12000):
        if adc_at_high_mv == adc_at_low_mv or cp_high_mv == cp_low_mv:
            raise ValueError("divider calibration points must differ")
        self.adc_low = adc_at_low_mv
        self.adc_high = adc_at_high_mv
        self.cp_low = cp_low_mv
        self.cp_high = cp_high_mv

    def to_cp(self, adc_mv):
        """ADC input mV -> pilot mV."""
        return self.cp_low + div_round((adc_mv - self.adc_low) * (self.cp_high - self.cp_low),
                                        self.adc_high - self.adc_low)

    def to_adc(self, cp_mv):
        """Pilot mV -> ADC input mV (what the emulated ADC should see)."""
        return self.adc_low + div_round((cp_mv - self.cp_low) * (self.adc_high - self.adc_low),
                                         self.cp_high - self.cp_low)

    @classmethod
    def from_spec(cls, spec):
        """Divider from a dict with optional adc_at_low_mv, adc_at_high_mv, cp_low_mv, cp_high_mv."""
        if spec is None:
            return cls()
        return cls(spec.get("adc_at_low_mv", 250), spec.get("adc_at_high_mv", 3250),
                   spec.get("cp_low_mv", -12000), spec.get("cp_high_mv", 12000))
