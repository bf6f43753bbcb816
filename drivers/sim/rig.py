"""Bench wiring of the pilot and power-path emulators to emulated HAL objects.

PilotRig: an EmulatedPwm for the CP output, an EV (drivers/sim/ev.py) on it, and the
pilot ADC either as a fast native ADC (`adc="burst"`: EmulatedAdc sampling the PWM
waveform) or as an ADS1115 on an EmulatedI2C (`adc="ads1115"`: AIN0 = positive peak
detector, AIN1 = negative peak detector, AIN2 = PP), each through the board divider.
`pilot_spec()` / `pp_spec()` give the dicts drivers/pilot/pilot.py and proximity.py build from.

RelayRig: a ContactorEmulator, LockEmulator and RcdEmulator (drivers/sim/relays.py);
`contactor_spec()`, `lock_spec()`, `rcd_spec()` give the driver specs.

Used by tests, by tools with --emulate and by the desktop simulator.
"""

from drivers.hal.emulated import EmulatedAdc, EmulatedI2C, EmulatedPwm
from drivers.pilot.ads1115 import ADS1115
from drivers.pilot.divider import Divider
from drivers.sim.ads1115_emulator import ADS1115Emulator
from drivers.sim.ev import EV
from drivers.sim.relays import ContactorEmulator, LockEmulator, RcdEmulator

ADS1115_ADDRESS = 0x48


class PilotRig:
    def __init__(self, clock, adc="burst", divider=None, power_fn=None, **ev_options):
        self.clock = clock
        self.divider = divider if divider is not None else Divider()
        self.pwm = EmulatedPwm(freq=1000, clock=clock, name="cp_pwm", initial=None)
        self.ev = EV(self.pwm, clock, power_fn=power_fn, **ev_options)
        self.adc_kind = adc
        to_adc = self.divider.to_adc
        ev = self.ev
        if adc == "burst":
            self.adc = EmulatedAdc(lambda: to_adc(ev.sample_mv()), clock, name="cp_adc")
            self.pp_adc = EmulatedAdc(ev.pp_mv, clock, name="pp_adc")
        elif adc == "ads1115":
            self.i2c = EmulatedI2C(clock)
            self.ads = ADS1115Emulator({0: lambda: to_adc(ev.high_mv()), 1: lambda: to_adc(ev.low_mv()),
                                        2: ev.pp_mv}, clock)
            self.i2c.attach(ADS1115_ADDRESS, self.ads)
            driver = ADS1115(self.i2c, ADS1115_ADDRESS, clock=clock)
            self.adc_high = driver.input(0)
            self.adc_low = driver.input(1)
            self.pp_adc = driver.input(2)
        else:
            raise ValueError("adc must be 'burst' or 'ads1115'")

    def pilot_spec(self, **extra):
        spec = {"driver": "pilot", "pwm": self.pwm, "clock": self.clock,
                "divider": {"adc_at_low_mv": self.divider.adc_low, "adc_at_high_mv": self.divider.adc_high,
                            "cp_low_mv": self.divider.cp_low, "cp_high_mv": self.divider.cp_high}}
        if self.adc_kind == "burst":
            spec["mode"] = "burst"
            spec["adc"] = self.adc
        else:
            spec["mode"] = "peak"
            spec["adc_high"] = self.adc_high
            spec["adc_low"] = self.adc_low
        spec.update(extra)
        return spec

    def pp_spec(self):
        return {"driver": "proximity", "adc": self.pp_adc, "clock": self.clock}


class RelayRig:
    def __init__(self, clock, lock_travel_ms=300, rcd_trip_ms=20, rcd_test_works=True):
        self.clock = clock
        self.contactor = ContactorEmulator(clock)
        self.lock = LockEmulator(clock, travel_ms=lock_travel_ms)
        self.rcd = RcdEmulator(clock, trip_ms=rcd_trip_ms, test_works=rcd_test_works)

    def contactor_spec(self, **extra):
        spec = {"driver": "contactor", "coil": self.contactor.coil, "feedback": self.contactor.feedback,
                "feedback_type": self.contactor.feedback_type, "clock": self.clock}
        spec.update(extra)
        return spec

    def lock_spec(self, **extra):
        spec = {"driver": "lock", "lock_out": self.lock.lock_out, "unlock_out": self.lock.unlock_out,
                "feedback": self.lock.feedback, "clock": self.clock}
        spec.update(extra)
        return spec

    def rcd_spec(self, **extra):
        spec = {"driver": "rcd", "input": self.rcd.fault_out, "test_out": self.rcd.test_in, "clock": self.clock}
        spec.update(extra)
        return spec
