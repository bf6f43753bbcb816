"""Modbus RTU energy-meter emulator: SDM630, SDM120 and ABB B23 register maps behind a real RTU slave.

It answers FC 03/04 reads and FC 16 writes with correct CRCs, stays silent for other slave addresses and for
requests with a bad CRC, and answers exception 01 (function not served), 02 (a register in the range does not
exist) or 03 (bad count). The electrical state is settable (voltage, current per phase, power factor, frequency);
the energy registers grow with the power and the time of the clock, integrated in integer mW.ms. Change the state
through the set_* methods (the register map is cached between changes).

Fault injection: `inject_crc_error(n)`, `inject_timeout(n)` (no answer), `inject_exception(code, n)`,
`inject_wrong_address(n)`, `set_lost(True)` (device gone), `reset_energy(wh)` (meter reset / replacement: the
register drops), `set_energy_unavailable(True)` (NaN on SDM, the all-FF sentinel on ABB).
"""

import struct

from drivers.meter import abb_b23 as abb
from drivers.meter import sdm
from drivers.meter.modbus_rtu import READ_HOLDING, READ_INPUT, WRITE_MULTIPLE, crc_ok, with_crc
from drivers.sim.byte_device import ByteDevice

MODELS = ("sdm630", "sdm120", "abb_b23")
_WH = 3600000000          # mW.ms per Wh


def _f32_words(x):
    b = struct.pack(">f", x)
    return [(b[0] << 8) | b[1], (b[2] << 8) | b[3]]


def _int_words(n, words):
    if n < 0:
        n += 1 << (16 * words)
    return [(n >> (16 * (words - 1 - i))) & 0xFFFF for i in range(words)]


class ModbusMeterEmulator(ByteDevice):
    def __init__(self, model="sdm630", address=1, clock=None, voltage=230.0, current=0.0, power_factor=1.0,
                 frequency=50.0, energy_wh=0, export_wh=0):
        super().__init__()
        if model not in MODELS:
            raise ValueError("model must be one of %s" % (MODELS,))
        self.model = model
        self.address = address
        self.clock = clock
        self.phases = 1 if model == "sdm120" else 3
        self.voltage = [float(voltage)] * self.phases
        self.current = [0.0] * self.phases
        self.power_factor = float(power_factor)
        self.frequency = float(frequency)
        self.export_wh = int(export_wh)
        self.lost = False
        self.energy_unavailable = False
        self.requests = 0
        self.holding = {}
        if model != "abb_b23":
            self.holding = {0x0012: 0.0, 0x0014: float(address), 0x001C: 2.0}
        self._energy_wh = int(energy_wh)
        self._acc = 0
        self._last_ms = clock.ticks_ms() if clock is not None else None
        self._buf = b""
        self._version = 0
        self._cache = None
        self.set_current(current)

    # -- electrical state ------------------------------------------------------------------------------------
    def _changed(self):
        self._advance()
        self._version += 1

    def set_current(self, amps):
        """Current in A: one number for every phase, or a list per phase."""
        self._changed()
        if isinstance(amps, (list, tuple)):
            self.current = [float(a) for a in amps] + [0.0] * (self.phases - len(amps))
        else:
            self.current = [float(amps)] * self.phases

    def set_power(self, watts):
        """Total active power in W, spread evenly over the phases at the present voltage and power factor."""
        per_phase = float(watts) / self.phases
        self.set_current([per_phase / (v * self.power_factor) if v else 0.0 for v in self.voltage])

    def set_voltage(self, volts):
        self._changed()
        self.voltage = [float(volts)] * self.phases

    def power_w(self):
        return [v * i * self.power_factor for v, i in zip(self.voltage, self.current)]

    @property
    def energy_wh(self):
        self._advance()
        return self._energy_wh

    def reset_energy(self, wh=0):
        self._changed()
        self._energy_wh = int(wh)
        self._acc = 0

    def _advance(self):
        if self.clock is None:
            return
        now = self.clock.ticks_ms()
        if self._last_ms is not None:
            dt = self.clock.ticks_diff(now, self._last_ms)
            if dt > 0:
                total = sum(self.power_w())
                self._acc += int(total * 1000) * dt
                wh, self._acc = divmod(self._acc, _WH)
                self._energy_wh += wh
        self._last_ms = now

    # -- faults ----------------------------------------------------------------------------------------------
    def inject_crc_error(self, count=1):
        self._add("crc", count)

    def inject_timeout(self, count=1):
        self._add("timeout", count)

    def inject_exception(self, code=4, count=1):
        self._add("exception", count, code)

    def inject_wrong_address(self, count=1):
        self._add("address", count)

    def set_lost(self, lost=True):
        self.lost = lost

    def set_energy_unavailable(self, flag=True):
        self._version += 1
        self.energy_unavailable = flag

    # -- register maps ---------------------------------------------------------------------------------------
    def _sdm_inputs(self):
        regs = {}
        p = self.power_w()
        nan = float("nan")
        imp = nan if self.energy_unavailable else self._energy_wh / 1000
        exp = self.export_wh / 1000
        items = [(sdm.FREQ, self.frequency), (sdm.E_IMPORT, imp), (sdm.E_EXPORT, exp),
                 (sdm.E_TOTAL, imp + exp)]
        volt_regs = (sdm.V_L1, sdm.V_L2, sdm.V_L3)
        cur_regs = (sdm.I_L1, sdm.I_L2, sdm.I_L3)
        pow_regs = (sdm.P_L1, sdm.P_L2, sdm.P_L3)
        pf_regs = (sdm.PF_L1, sdm.PF_L2, sdm.PF_L3)
        for i in range(self.phases):
            items += [(volt_regs[i], self.voltage[i]), (cur_regs[i], self.current[i]), (pow_regs[i], p[i]),
                      (pf_regs[i], self.power_factor)]
        if self.phases == 3:
            items += [(sdm.P_TOTAL, sum(p)), (sdm.PF_TOTAL, self.power_factor)]
        for reg, x in items:
            w = _f32_words(x)
            regs[reg], regs[reg + 1] = w[0], w[1]
        return regs

    def _abb_holding(self):
        regs = {}
        p = self.power_w()

        def put(reg, n, words):
            for i, w in enumerate(_int_words(n, words)):
                regs[reg + i] = w

        if self.energy_unavailable:
            put(abb.E_IMPORT, (1 << 64) - 1, 4)
        else:
            put(abb.E_IMPORT, self._energy_wh // 10, 4)
        put(abb.E_EXPORT, self.export_wh // 10, 4)
        for i, reg in enumerate((abb.V_L1, abb.V_L2, abb.V_L3)):
            put(reg, int(round(self.voltage[i] * 10)), 2)
        for i, reg in enumerate((abb.I_L1, abb.I_L2, abb.I_L3)):
            put(reg, int(round(self.current[i] * 100)), 2)
        put(abb.P_TOTAL, int(round(sum(p) * 100)), 2)
        for i, reg in enumerate((abb.P_L1, abb.P_L2, abb.P_L3)):
            put(reg, int(round(p[i] * 100)), 2)
        put(abb.FREQ, int(round(self.frequency * 100)), 1)
        for reg in (abb.PF_TOTAL, abb.PF_L1, abb.PF_L2, abb.PF_L3):
            put(reg, int(round(self.power_factor * 1000)), 1)
        return regs

    def _sdm_holding(self):
        regs = {}
        for reg, x in self.holding.items():
            w = _f32_words(x)
            regs[reg], regs[reg + 1] = w[0], w[1]
        return regs

    def _registers(self, fc):
        """Register map for a function code, rebuilt only when the state or the energy changed."""
        self._advance()
        key = (fc, self._energy_wh, self._version)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        if self.model == "abb_b23":
            regs = self._abb_holding() if fc == READ_HOLDING else None
        elif fc == READ_INPUT:
            regs = self._sdm_inputs()
        else:
            regs = self._sdm_holding()
        self._cache = (key, regs)
        return regs

    # -- wire ------------------------------------------------------------------------------------------------
    def receive(self, data):
        self._buf += bytes(data)
        while len(self._buf) >= 8:
            fc = self._buf[1]
            n = 9 + self._buf[6] if fc == WRITE_MULTIPLE else 8
            if len(self._buf) < n:
                return
            frame, self._buf = self._buf[:n], self._buf[n:]
            if not crc_ok(frame):
                self._buf = b""        # the slave drops the whole line content until the next silence
                return
            self._handle(frame)

    def _reply(self, pdu):
        addr = self.address
        if self._take("address"):
            addr = (addr % 247) + 1
        frame = with_crc(bytes([addr]) + pdu)
        if self._take("crc"):
            frame = frame[:-1] + bytes([frame[-1] ^ 0xFF])
        self._out += frame

    def _handle(self, frame):
        if self.lost or frame[0] not in (self.address, 0):
            return
        self.requests += 1
        if self._take("timeout"):
            return
        broadcast = frame[0] == 0
        fc = frame[1]
        code = self._take("exception")
        if code is None:
            code, pdu = self._serve(fc, frame)
        if broadcast:
            return
        if code:
            self._reply(bytes([fc | 0x80, code]))
        else:
            self._reply(pdu)

    def _serve(self, fc, frame):
        start = (frame[2] << 8) | frame[3]
        count = (frame[4] << 8) | frame[5]
        if fc in (READ_HOLDING, READ_INPUT):
            regs = self._registers(fc)
            if regs is None:
                return 1, None
            if not 1 <= count <= 125:
                return 3, None
            out = b""
            for r in range(start, start + count):
                if r not in regs:
                    return 2, None
                out += bytes([regs[r] >> 8, regs[r] & 0xFF])
            return 0, bytes([fc, len(out)]) + out
        if fc == WRITE_MULTIPLE:
            if self.model == "abb_b23" or count * 2 != frame[6] or count % 2:
                return (2 if self.model == "abb_b23" else 3), None
            data = frame[7:7 + frame[6]]
            for i in range(0, count, 2):
                if start + i not in self.holding:
                    return 2, None
            for i in range(0, count, 2):
                self.holding[start + i] = struct.unpack(">f", data[2 * i:2 * i + 4])[0]
            self._version += 1
            return 0, bytes(frame[1:6])
        return 1, None
