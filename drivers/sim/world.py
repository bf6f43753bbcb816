"""The simulated world of the desktop-sim board: EVs on the connectors, an RFID reader, meters, relays and lock.

It is the station's hardware seam in simulation: `poll(now)` returns hardware events and `apply(cmd)` takes the
core's hardware commands, exactly as the board drivers do on a real station. The control API calls the other
methods (plug, present a tag, inject faults). The world outlives the station process: plugged cables and meter
registers are persisted, so a restart or a power cut finds the EV where it was.
"""

from controller import storage

DOC = "sim_world.json"
METER_PERIOD_MS = 1000
MJ_PER_WH = 3600000


class SimConnector:
    def __init__(self, spec):
        self.id = spec["id"]
        self.fixed = spec.get("cable") == "fixed"
        self.phases = spec.get("phases", 1)
        self.max_amps = spec.get("max_amps", 32)
        self.plugged = False
        self.cable_in = False
        self.ev_suspended = False
        self.ev_max_amps = 32
        self.offered_amps = 0
        self.contactor = False
        self.locked = False
        self.lock_fails = False
        self.energy_wh = 0
        self.energy_mj = 0         # remainder below one Wh, in millijoules
        self.amps = 0

    def draw_amps(self):
        if not (self.plugged and self.contactor) or self.ev_suspended:
            return 0
        return min(self.offered_amps, self.ev_max_amps)

    def to_doc(self):
        return {"plugged": self.plugged, "cable_in": self.cable_in, "energy_wh": self.energy_wh,
                "ev_max_amps": self.ev_max_amps, "ev_suspended": self.ev_suspended, "locked": self.locked}


class SimWorld:
    def __init__(self, board, store, now=0):
        self.board = board
        self.store = store
        self.volts = board["rating"]["volts"]
        self.connectors = [SimConnector(c) for c in board["connectors"]]
        self.events = []
        self.faults = {}
        self.power_loss_pending = False
        self.last_poll = now
        self.last_meter = None
        saved = storage.load_doc(store, DOC, {})
        for c in self.connectors:
            doc = saved.get(str(c.id)) if isinstance(saved, dict) else None
            if isinstance(doc, dict):
                c.plugged = doc.get("plugged") is True
                c.cable_in = doc.get("cable_in") is True
                c.locked = doc.get("locked") is True
                c.energy_wh = doc.get("energy_wh", 0) if isinstance(doc.get("energy_wh"), int) else 0
                c.ev_max_amps = doc.get("ev_max_amps", 32)
                c.ev_suspended = doc.get("ev_suspended") is True
            if c.plugged:
                self.events.append({"type": "plug", "connector": c.id})

    def _save(self):
        doc = {}
        for c in self.connectors:
            doc[str(c.id)] = c.to_doc()
        storage.save_doc(self.store, DOC, doc)

    def connector(self, cid):
        for c in self.connectors:
            if c.id == cid:
                return c
        raise ValueError("no connector " + str(cid) + " on this board")

    # ---- control API -----------------------------------------------------------------------------------------
    def plug(self, cid, ev_max_amps=None):
        c = self.connector(cid)
        if ev_max_amps is not None:
            c.ev_max_amps = ev_max_amps
        if not c.plugged:
            c.plugged = True
            c.cable_in = True
            self._save()
            self.events.append({"type": "plug", "connector": cid})

    def unplug(self, cid, side="both"):
        """Unplug the EV; on a socket, side "ev" leaves the cable in the station's socket."""
        c = self.connector(cid)
        if side not in ("both", "ev"):
            raise ValueError('side must be "both" or "ev"')
        if c.plugged or (side == "both" and c.cable_in):
            c.plugged = False
            c.ev_suspended = False
            if side == "both" or c.fixed:
                c.cable_in = False
            self._save()
            self.events.append({"type": "unplug", "connector": cid, "side": "both" if not c.cable_in else "ev"})

    def suspend(self, cid, suspended):
        c = self.connector(cid)
        c.ev_suspended = bool(suspended)
        self._save()
        self.events.append({"type": "ev_suspended" if suspended else "ev_resumed", "connector": cid})

    def present_tag(self, id_tag, cid=None):
        event = {"type": "tag", "id_tag": id_tag}
        if cid is not None:
            event["connector"] = cid
        self.events.append(event)

    def inject_fault(self, cid, error_code, info=None):
        if cid != 0:
            self.connector(cid)
        self.faults[cid] = (error_code, info)
        self.events.append({"type": "fault", "connector": cid, "error_code": error_code, "info": info})

    def clear_fault(self, cid):
        if self.faults.pop(cid, None) is not None:
            self.events.append({"type": "fault_cleared", "connector": cid})

    def set_lock_fails(self, cid, fails):
        self.connector(cid).lock_fails = bool(fails)

    def warn_power_loss(self):
        self.events.append({"type": "power_loss"})

    # ---- the hardware seam -----------------------------------------------------------------------------------
    def apply(self, cmd):
        kind = cmd.get("cmd")
        c = self.connector(cmd.get("connector", 1))
        if kind == "contactor":
            c.contactor = bool(cmd.get("on"))
        elif kind == "current_limit":
            c.offered_amps = cmd.get("amps", 0)
        elif kind == "lock":
            if c.fixed:
                return
            if c.lock_fails:
                self.events.append({"type": "lock_failed", "connector": c.id, "locked": bool(cmd.get("locked"))})
            else:
                c.locked = bool(cmd.get("locked"))
                self._save()
                self.events.append({"type": "lock_state", "connector": c.id, "locked": c.locked})

    def poll(self, now):
        dt = now - self.last_poll
        self.last_poll = now
        changed = False
        for c in self.connectors:
            c.amps = c.draw_amps()
            if c.amps and dt > 0:
                c.energy_mj += c.amps * self.volts * c.phases * dt
                whole = c.energy_mj // MJ_PER_WH
                if whole:
                    c.energy_wh += whole
                    c.energy_mj -= whole * MJ_PER_WH
                    changed = True
        if changed:
            self._save()
        if self.last_meter is None or now - self.last_meter >= METER_PERIOD_MS:
            self.last_meter = now
            for c in self.connectors:
                self.events.append({"type": "meter", "connector": c.id, "energy_wh": c.energy_wh,
                                    "values": self.meter_values(c)})
        out = self.events
        self.events = []
        return out

    def meter_values(self, c):
        return {"Energy.Active.Import.Register": c.energy_wh, "Power.Active.Import": c.amps * self.volts * c.phases,
                "Current.Import": c.amps, "Current.Offered": c.offered_amps, "Voltage": self.volts}

    def state(self):
        out = []
        for c in self.connectors:
            out.append({"id": c.id, "plugged": c.plugged, "cable_in": c.cable_in, "ev_suspended": c.ev_suspended, "contactor": c.contactor,
                        "locked": c.locked, "lock_fails": c.lock_fails, "offered_amps": c.offered_amps,
                        "amps": c.amps, "energy_wh": c.energy_wh, "fixed_cable": c.fixed})
        return {"connectors": out, "faults": dict((str(k), v[0]) for k, v in self.faults.items())}
