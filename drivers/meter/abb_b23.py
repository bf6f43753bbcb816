"""ABB B23 / B24 (3-phase) register map (hardware.md §2.3): holding registers (FC 03), big-endian integers.

Voltage u32 0.1 V, current u32 0.01 A, active power s32 0.01 W (total, L1-L3), frequency u16 0.01 Hz, power factor
s16 0.001, import/export active energy u64 0.01 kWh (all four registers are read: the low 32 bits alone wrap).
"Value not available" sentinels (all FF unsigned, 7FFF.. signed) are left out of the values; an unavailable energy
register fails the read.

`build(spec, hal)`: keys as drivers.meter.modbus_meter.build_modbus_meter.
"""

from drivers.meter.measurands import (CURRENT, ENERGY_EXPORT, ENERGY_IMPORT, FREQUENCY, POWER, POWER_FACTOR,
                                      VOLTAGE)
from drivers.meter.modbus_meter import build_modbus_meter
from drivers.meter.modbus_rtu import READ_HOLDING

E_IMPORT = 0x5000
E_EXPORT = 0x5004
V_L1, V_L2, V_L3 = 0x5B00, 0x5B02, 0x5B04
I_L1, I_L2, I_L3 = 0x5B0C, 0x5B0E, 0x5B10
P_TOTAL, P_L1, P_L2, P_L3 = 0x5B14, 0x5B16, 0x5B18, 0x5B1A
FREQ = 0x5B2C
PF_TOTAL, PF_L1, PF_L2, PF_L3 = 0x5B3A, 0x5B3B, 0x5B3C, 0x5B3D

ABB_B23 = {
    "name": "ABB B23",
    "phases": 3,
    "blocks": [(READ_HOLDING, E_IMPORT, 8), (READ_HOLDING, V_L1, 6), (READ_HOLDING, I_L1, 6),
               (READ_HOLDING, P_TOTAL, 8), (READ_HOLDING, FREQ, 1), (READ_HOLDING, PF_TOTAL, 4)],
    "fields": [
        (ENERGY_IMPORT, E_IMPORT, "u64", 10, None),
        (ENERGY_EXPORT, E_EXPORT, "u64", 10, None),
        (VOLTAGE + ".L1", V_L1, "u32", 0.1, 1), (VOLTAGE + ".L2", V_L2, "u32", 0.1, 1),
        (VOLTAGE + ".L3", V_L3, "u32", 0.1, 1),
        (CURRENT + ".L1", I_L1, "u32", 0.01, 2), (CURRENT + ".L2", I_L2, "u32", 0.01, 2),
        (CURRENT + ".L3", I_L3, "u32", 0.01, 2),
        (POWER, P_TOTAL, "s32", 0.01, 0),
        (POWER + ".L1", P_L1, "s32", 0.01, 0), (POWER + ".L2", P_L2, "s32", 0.01, 0),
        (POWER + ".L3", P_L3, "s32", 0.01, 0),
        (FREQUENCY, FREQ, "u16", 0.01, 2),
        (POWER_FACTOR, PF_TOTAL, "s16", 0.001, 3),
        (POWER_FACTOR + ".L1", PF_L1, "s16", 0.001, 3), (POWER_FACTOR + ".L2", PF_L2, "s16", 0.001, 3),
        (POWER_FACTOR + ".L3", PF_L3, "s16", 0.001, 3),
    ],
}


def build(spec, hal=None):
    return build_modbus_meter(ABB_B23, spec, hal)
