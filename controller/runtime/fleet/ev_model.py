"""The lightweight hardware of a fleet station: one fixed-cable connector without a control pilot, a contactor
that follows the core's command, and an EV that draws what it is offered until its battery is full.

The wire-level emulators of the desktop simulator (PN532 frames, Modbus RTU, the pilot) cost a poll loop per
station; at fleet scale that polling is what would dominate, so a fleet station models the hardware at the level
of the core's events instead: plug, unplug, tag, meter readings, contactor and lock states.
"""

BOARD = {
    "name": "fleet-sim",
    "description": "fleet mode: one fixed-cable 3-phase connector, no pilot, an EV that draws what it is offered",
    "hal": "emulated",
    "rating": {"amps": 32, "phases": 3, "volts": 230},
    "connectors": [{"id": 1, "cable": "fixed", "max_amps": 32, "phases": 3}],
    "measurands": ["Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Current.Offered",
                   "Voltage"],
}

VOLTS = 230
PHASES = 3


class EvModel:
    """Connector 1 of a fleet station. `apply(cmd, now)` and the behaviour's actions return core events."""

    def __init__(self, energy_wh=0):
        self.energy_mwh = energy_wh * 1000     # integer mWh, so short meter steps are not rounded away
        self.offered = 32
        self.contactor = False
        self.plugged = False
        self.need_wh = 0                       # what the EV still wants
        self.suspended = False
        self.last_ms = None

    def amps(self):
        if not (self.contactor and self.plugged) or self.suspended:
            return 0
        return min(self.offered, 32)

    def advance(self, now):
        """Integrate the energy drawn since the last call; the EV suspends when its battery is full."""
        events = []
        if self.last_ms is not None and now > self.last_ms:
            mwh = self.amps() * VOLTS * PHASES * (now - self.last_ms) // 3600
            if mwh and self.need_wh * 1000 <= mwh:
                mwh = self.need_wh * 1000
            self.energy_mwh += mwh
            self.need_wh = max(0, self.need_wh - mwh // 1000)
            if self.amps() and self.need_wh == 0:
                self.suspended = True
                events.append({"type": "ev_suspended", "connector": 1})
        self.last_ms = now
        return events

    def reading(self):
        amps = self.amps()
        return {"type": "meter", "connector": 1, "energy_wh": self.energy_mwh // 1000,
                "values": {"Power.Active.Import": amps * VOLTS * PHASES, "Current.Import": amps,
                           "Current.Offered": self.offered, "Voltage": VOLTS}}

    def apply(self, cmd, now):
        events = self.advance(now)
        kind = cmd.get("cmd")
        if kind == "contactor":
            self.contactor = bool(cmd.get("on"))
            events.append({"type": "contactor_state", "connector": 1, "on": self.contactor})
            events.append(self.reading())
        elif kind in ("current_limit", "pilot"):
            self.offered = max(0, int(cmd.get("amps") or 0))
        elif kind in ("lock", "unlock"):
            events.append({"type": "lock_state", "connector": 1, "locked": kind == "lock"})
        return events

    def plug(self, need_wh, now):
        events = self.advance(now)
        self.plugged = True
        self.suspended = False
        self.need_wh = need_wh
        events.append({"type": "plug", "connector": 1})
        return events

    def unplug(self, now):
        events = self.advance(now)
        self.plugged = False
        events.append({"type": "unplug", "connector": 1})
        events.append(self.reading())
        return events

    def charging(self):
        return self.amps() > 0
