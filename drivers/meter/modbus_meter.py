"""Table-driven Modbus RTU energy meter: a model is data (register blocks + fields), not code.

A model is a dict:
  "name":   "SDM630"
  "blocks": [(fc, start, count), ...]        registers read each cycle, energy block first
  "fields": [(key, register, type, scale, decimals), ...]
key is a measurand key (drivers.meter.measurands), type one of drivers.meter.decode.WIDTH. decimals None marks an
integer Wh energy field: float32 values are scaled exactly (scale 1000 for kWh -> Wh), integers are multiplied by
scale. Other fields are display values: value x scale rounded to `decimals` (0 gives an int).

`read()` returns {"ok": True, "energy_wh": int, "values": {...}} or
{"ok": False, "error_code": "PowerMeterFailure", "info": "..."}; it reads every block (the client retries each),
and a sample is all-or-nothing: any failed block, or an unavailable/invalid energy register, fails the read and
leaves the energy counter untouched. Energy.Active.Import.Register follows the monotonic rule (drivers.meter.energy).
"""

from drivers.hal.clock import clock_from
from drivers.meter import decode
from drivers.meter.energy import CountedMeter, EnergyCounter
from drivers.meter.measurands import ENERGY_IMPORT, fail_result, ok_result
from drivers.meter.modbus_rtu import ModbusClient, ModbusError


def _round(x, decimals):
    if decimals == 0:
        return int(round(x))
    return round(x, decimals)


class ModbusMeter(CountedMeter):
    def __init__(self, client, address, model, energy_offset_wh=0, energy_last_raw_wh=None, max_power_w=None):
        self.client = client
        self.address = address
        self.model = model
        self.energy = EnergyCounter(energy_offset_wh, energy_last_raw_wh, max_power_w, client.clock)
        self.last_error = None
        self._field_blocks = []
        for field in model["fields"]:
            self._field_blocks.append(self._block_of(field))

    def _block_of(self, field):
        reg, width = field[1], decode.WIDTH[field[2]] // 2
        for i, (fc, start, count) in enumerate(self.model["blocks"]):
            if start <= reg and reg + width <= start + count:
                return i
        raise ValueError("register 0x%04X of %s is in no block" % (reg, field[0]))

    @property
    def name(self):
        return self.model["name"]

    def measurands(self):
        return [f[0] for f in self.model["fields"]]

    def read(self):
        """One complete sample; never raises."""
        try:
            return self._read()
        except ModbusError as exc:
            return self._fail("%s at Modbus id %d: %s" % (self.name, self.address, exc))
        except Exception as exc:
            return self._fail("%s at Modbus id %d: internal error %r" % (self.name, self.address, exc))

    def _fail(self, info):
        self.last_error = info
        return fail_result(info)

    def _read(self):
        data = []
        for fc, start, count in self.model["blocks"]:
            data.append(self.client.read(self.address, fc, start, count))
        values = {}
        raw_energy = None
        for field, bi in zip(self.model["fields"], self._field_blocks):
            key, reg, kind, scale, decimals = field
            start = self.model["blocks"][bi][1]
            off = 2 * (reg - start)
            raw = data[bi][off:off + decode.WIDTH[kind]]
            if decimals is None:
                if kind == "f32":
                    v = decode.f32_scaled_int(raw, scale)
                else:
                    v = decode.integer(raw, kind)
                    if v is not None:
                        v *= scale
                if key == ENERGY_IMPORT:
                    raw_energy = v
                    continue
            else:
                v = decode.value(raw, kind)
                if v is not None:
                    v = _round(v * scale, decimals)
            if v is not None:
                values[key] = v
        if raw_energy is None:
            return self._fail("%s at Modbus id %d: energy register not available" % (self.name, self.address))
        try:
            energy_wh, notice = self.energy.update(raw_energy)
        except ValueError as exc:
            return self._fail("%s at Modbus id %d: %s" % (self.name, self.address, exc))
        values[ENERGY_IMPORT] = energy_wh
        self.last_error = None
        return ok_result(energy_wh, values, notice)


def build_modbus_meter(model, spec, hal=None):
    """A ModbusMeter for `model` from a board spec.

    Spec keys: "bus" (a serial object, or an existing ModbusClient shared with other meters on the same RS-485
    line), "address" (default 1), "baud" (for the frame gap, default 9600), "timeout_ms" (300), "retries" (2),
    "clock", "energy_offset_wh" (0), "energy_last_raw_wh" (None), "max_power_w" (None = no jump check).
    """
    bus = spec["bus"]
    if isinstance(bus, ModbusClient):
        client = bus
    else:
        client = ModbusClient(bus, clock_from(spec, hal), baudrate=spec.get("baud", 9600),
                              timeout_ms=spec.get("timeout_ms", 300), retries=spec.get("retries", 2))
    return ModbusMeter(client, spec.get("address", 1), model, spec.get("energy_offset_wh", 0),
                       spec.get("energy_last_raw_wh"), spec.get("max_power_w"))
