"""OCPP 1.6 measurand keys used by the meter drivers, their units, and the read() result shapes.

A key is an OCPP measurand, optionally followed by "." and a phase: "Voltage.L1", "Current.Import.L2",
"Power.Active.Import" (total). `split_key("Current.Import.L1") == ("Current.Import", "L1")`.
"""

ENERGY_IMPORT = "Energy.Active.Import.Register"
ENERGY_EXPORT = "Energy.Active.Export.Register"
POWER = "Power.Active.Import"
CURRENT = "Current.Import"
VOLTAGE = "Voltage"
FREQUENCY = "Frequency"
POWER_FACTOR = "Power.Factor"

PHASES = ("L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1")

UNITS = {ENERGY_IMPORT: "Wh", ENERGY_EXPORT: "Wh", POWER: "W", CURRENT: "A", VOLTAGE: "V", FREQUENCY: "Hz",
         POWER_FACTOR: ""}

POWER_METER_FAILURE = "PowerMeterFailure"


def split_key(key):
    """("Measurand", "Phase") or ("Measurand", None)."""
    i = key.rfind(".")
    if i > 0 and key[i + 1:] in PHASES:
        return key[:i], key[i + 1:]
    return key, None


def unit_of(key):
    return UNITS.get(split_key(key)[0], "")


def phased(measurand, phases):
    """Keys for one measurand on several phases: phased("Voltage", 3) -> ["Voltage.L1", ...]."""
    return ["%s.L%d" % (measurand, i + 1) for i in range(phases)]


def ok_result(energy_wh, values, notice=None):
    r = {"ok": True, "energy_wh": energy_wh, "values": values}
    if notice:
        r["notice"] = notice
    return r


def fail_result(info):
    return {"ok": False, "error_code": POWER_METER_FAILURE, "info": info}
