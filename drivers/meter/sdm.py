"""Eastron SDM630 (3-phase) and SDM120 (1-phase) register maps (hardware.md §2.2).

All measurements are input registers (FC 04), IEEE-754 float32, big-endian, high word first; V, A, W, Hz and kWh.
Energy (kWh) becomes integer Wh exactly at the driver boundary. SDM120 factory default: 2400 baud 8N1, id 1.
Per-phase energies (SDM630 V2 only) are not read.

`build(spec, hal)`: spec["driver"] is "sdm630" or "sdm120"; other keys as drivers.meter.modbus_meter.build_modbus_meter.
"""

from drivers.meter.measurands import (CURRENT, ENERGY_EXPORT, ENERGY_IMPORT, FREQUENCY, POWER, POWER_FACTOR,
                                      VOLTAGE)
from drivers.meter.modbus_meter import build_modbus_meter
from drivers.meter.modbus_rtu import READ_INPUT

# register addresses (PDU, 0-based; "30001" = 0x0000)
V_L1, V_L2, V_L3 = 0x0000, 0x0002, 0x0004
I_L1, I_L2, I_L3 = 0x0006, 0x0008, 0x000A
P_L1, P_L2, P_L3 = 0x000C, 0x000E, 0x0010
PF_L1, PF_L2, PF_L3 = 0x001E, 0x0020, 0x0022
P_TOTAL = 0x0034
PF_TOTAL = 0x003E
FREQ = 0x0046
E_IMPORT = 0x0048
E_EXPORT = 0x004A
E_TOTAL = 0x0156

_ENERGY_FIELDS = [
    (ENERGY_IMPORT, E_IMPORT, "f32", 1000, None),
    (ENERGY_EXPORT, E_EXPORT, "f32", 1000, None),
    (FREQUENCY, FREQ, "f32", 1, 2),
]

SDM630 = {
    "name": "SDM630",
    "phases": 3,
    "blocks": [(READ_INPUT, FREQ, 6), (READ_INPUT, V_L1, 18), (READ_INPUT, PF_L1, 6),
               (READ_INPUT, P_TOTAL, 2), (READ_INPUT, PF_TOTAL, 2)],
    "fields": _ENERGY_FIELDS + [
        (VOLTAGE + ".L1", V_L1, "f32", 1, 1), (VOLTAGE + ".L2", V_L2, "f32", 1, 1),
        (VOLTAGE + ".L3", V_L3, "f32", 1, 1),
        (CURRENT + ".L1", I_L1, "f32", 1, 2), (CURRENT + ".L2", I_L2, "f32", 1, 2),
        (CURRENT + ".L3", I_L3, "f32", 1, 2),
        (POWER + ".L1", P_L1, "f32", 1, 0), (POWER + ".L2", P_L2, "f32", 1, 0), (POWER + ".L3", P_L3, "f32", 1, 0),
        (POWER_FACTOR + ".L1", PF_L1, "f32", 1, 3), (POWER_FACTOR + ".L2", PF_L2, "f32", 1, 3),
        (POWER_FACTOR + ".L3", PF_L3, "f32", 1, 3),
        (POWER, P_TOTAL, "f32", 1, 0),
        (POWER_FACTOR, PF_TOTAL, "f32", 1, 3),
    ],
}

SDM120 = {
    "name": "SDM120",
    "phases": 1,
    "blocks": [(READ_INPUT, FREQ, 6), (READ_INPUT, V_L1, 2), (READ_INPUT, I_L1, 2), (READ_INPUT, P_L1, 2),
               (READ_INPUT, PF_L1, 2)],
    "fields": _ENERGY_FIELDS + [
        (VOLTAGE + ".L1", V_L1, "f32", 1, 1),
        (CURRENT + ".L1", I_L1, "f32", 1, 2),
        (POWER, P_L1, "f32", 1, 0),
        (POWER_FACTOR, PF_L1, "f32", 1, 3),
    ],
}

MODELS = {"sdm630": SDM630, "sdm120": SDM120}


def build(spec, hal=None):
    return build_modbus_meter(MODELS[spec.get("driver", "sdm630")], spec, hal)
