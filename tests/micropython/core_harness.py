"""A sans-I/O bench for the station core: a fake clock and a scripted CSMS that answers the station's CALLs.

Runs on CPython and MicroPython. Time is simulated: `advance(ms)` walks the core's deadlines, so hours of station
time take milliseconds. `frames` holds every frame the station sent, parsed.
"""

import json

from controller.station import Station
from controller.storage import MemoryStorage

EPOCH_2026 = 1795000000000  # 2026-11-18T...Z, the fake wall clock's start
IDENTITY = {"vendor": "TestVendor", "model": "TestModel", "serial": "SN-1", "firmware_version": "1.0"}
BOARD = {"name": "test", "hal": "emulated", "rating": {"amps": 32, "phases": 3, "volts": 230},
         "connectors": [{"id": 1, "cable": "socket", "max_amps": 32, "phases": 3},
                        {"id": 2, "cable": "fixed", "max_amps": 32, "phases": 3}],
         "measurands": ["Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage"]}


def expect(cond, what):
    """The scenarios' assertion: works the same on CPython and MicroPython (no pytest rewriting there)."""
    if not cond:
        raise AssertionError(what)


def iso(epoch_ms):
    from controller.clock import format_iso
    return format_iso(epoch_ms)


class Bench:
    def __init__(self, store=None, board=None, boot=None, start=0, options=None, features=None):
        self.now = start
        self.store = store if store is not None else MemoryStorage()
        self.board = board or BOARD
        self.boot = list(boot or [])        # answers for successive Boots: ("Accepted", interval), ...
        self.answers = {}                    # action -> fn(payload) -> payload, or None to stay silent
        self.frames = []                     # every frame the station sent, parsed
        self.calls = []                      # (action, payload) of the station's CALLs, in order
        self.resets = []
        self.held = []                       # CALLs left unanswered (silent answers)
        self.id_tags = {}                    # idTag -> IdTagInfo the scripted CSMS gives (default Accepted)
        self.next_tx_id = 100
        self.hw = []
        self.other = []                      # every other effect (download, install, upload...), in order
        self.lock_fails = False
        self.csms_ids = 0
        self.last_id = None
        self.options = options
        self.features = features
        self.station = Station(IDENTITY, self.board, self.store, now=self.now, wall_ms=EPOCH_2026 + self.now,
                               options=options, features=features)
        self.flush()

    # ---- the scripted CSMS ------------------------------------------------------------------------------------
    def answer(self, action, payload):
        if action in self.answers:
            fn = self.answers[action]
            return None if fn is None else fn(payload)
        wall = iso(EPOCH_2026 + self.now)
        if action == "BootNotification":
            status, interval = self.boot.pop(0) if self.boot else ("Accepted", 300)
            return {"status": status, "currentTime": wall, "interval": interval}
        if action == "Heartbeat":
            return {"currentTime": wall}
        if action == "Authorize":
            return {"idTagInfo": self.id_tags.get(payload["idTag"], {"status": "Accepted"})}
        if action == "StartTransaction":
            self.next_tx_id += 1
            return {"transactionId": self.next_tx_id,
                    "idTagInfo": self.id_tags.get(payload["idTag"], {"status": "Accepted"})}
        return {}

    def flush(self):
        while True:
            effects = self.station.take_effects()
            if not effects:
                return
            for effect in effects:
                if effect[0] == "reset":
                    self.resets.append(effect[1])
                if effect[0] == "hw":
                    self.hw.append(effect[1])
                    self.lock_reply(effect[1])
                if effect[0] not in ("send", "hw", "reset"):
                    self.other.append(effect)
                if effect[0] != "send":
                    continue
                frame = json.loads(effect[1])
                self.frames.append(frame)
                if frame[0] == 2:
                    self.calls.append((frame[2], frame[3]))
                    reply = self.answer(frame[2], frame[3])
                    if reply is None:
                        self.held.append(frame)
                    else:
                        self.station.receive(json.dumps([3, frame[1], reply]), self.now)

    # ---- driving the station ---------------------------------------------------------------------------------
    def connect(self):
        self.station.connected(self.now)
        self.flush()

    def disconnect(self):
        self.station.disconnected(self.now)
        self.flush()

    def event(self, event):
        self.station.event(event, self.now)
        self.flush()

    def lock_reply(self, cmd):
        if cmd.get("cmd") == "lock":
            kind = "lock_failed" if self.lock_fails else "lock_state"
            self.station.event({"type": kind, "connector": cmd["connector"], "locked": cmd["locked"]}, self.now)

    def meter(self, connector, wh, **values):
        values["Energy.Active.Import.Register"] = wh
        self.event({"type": "meter", "connector": connector, "energy_wh": wh, "values": values})

    def plug(self, connector):
        self.event({"type": "plug", "connector": connector})

    def unplug(self, connector, side="both"):
        self.event({"type": "unplug", "connector": connector, "side": side})

    def tag(self, id_tag, connector=None):
        event = {"type": "tag", "id_tag": id_tag}
        if connector is not None:
            event["connector"] = connector
        self.event(event)

    def hardware(self):
        """Hardware commands the station gave since the last call; lock commands are answered as a working
        lock would, unless `lock_fails`."""
        out = self.hw
        self.hw = []
        return out

    def advance(self, ms):
        target = self.now + ms
        while True:
            due = self.station.next_deadline()
            step = target if due is None or due > target else max(due, self.now)
            self.now = step
            self.station.tick(self.now)
            self.flush()
            if self.now >= target:
                return

    def send_raw(self, text):
        """Send a frame as the CSMS would; returns the frames the station answered with directly."""
        before = len(self.frames)
        self.station.receive(text, self.now)
        self.flush()
        return [f for f in self.frames[before:] if f[0] in (3, 4)]

    def csms_call(self, action, payload, msg_id=None):
        """The station's answer to a CSMS CALL: ("result", payload), ("error", code) or None if silent. Each
        CALL gets a new id (`last_id`): a repeated id is a replay to the station (AttemptedReplayAttacks)."""
        if msg_id is None:
            self.csms_ids += 1
            msg_id = "csms-" + str(self.csms_ids)
        self.last_id = msg_id
        answers = self.send_raw(json.dumps([2, msg_id, action, payload]))
        for frame in answers:
            if frame[1] == msg_id:
                return ("result", frame[2]) if frame[0] == 3 else ("error", frame[2])
        return None

    def reply_held(self, payload):
        frame = self.held.pop(0)
        self.station.receive(json.dumps([3, frame[1], payload]), self.now)
        self.flush()

    # ---- reading what happened -------------------------------------------------------------------------------
    def sent(self, action):
        return [p for a, p in self.calls if a == action]

    def mark(self):
        return len(self.calls)

    def since(self, mark, action=None):
        return [(a, p) for a, p in self.calls[mark:] if action is None or a == action]

    def statuses(self, mark=0):
        return [(p["connectorId"], p["status"]) for a, p in self.calls[mark:] if a == "StatusNotification"]

    def restart(self):
        """A power cycle: a new station on the same storage, at the same simulated time."""
        self.station = Station(IDENTITY, self.board, self.store, now=self.now, wall_ms=EPOCH_2026 + self.now,
                               options=self.options, features=self.features)
        self.flush()
