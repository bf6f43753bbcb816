"""The station core: wires the features together, takes events, gives effects.

Inputs (each takes the caller's monotonic `now` in ms): `connected`, `disconnected`, `receive(text)`,
`event(dict)`, `tick`. Outputs: `take_effects()` returns what the runtime must do, in order:
    ("send", text)            put this frame on the WebSocket
    ("hw", command_dict)      drive the hardware (contactor, lock, current limit...)
    ("reset", "Soft"|"Hard")  restart the station (everything is already flushed: see `restart`)
    ("reconnect", reason)     close the WebSocket and connect again (new credentials)
and `next_deadline()` says when `tick` is next due.
"""

from controller import clock as clockmod
from controller import config
from controller import log
from controller import rpc as rpcmod
from controller.connector import Connector
from controller.features import DEFAULT_FEATURES

ARROWS = {"out": "->", "in": "<-"}


class Station:
    def __init__(self, identity, board, store, now=0, wall_ms=0, options=None, features=None):
        self.identity = identity
        self.board = board
        self.store = store
        self.options = options or {}
        self.config = config.Registry(store)
        self.clock = clockmod.WallClock(wall_ms, now)
        self.rpc = rpcmod.Rpc()
        self.rpc.gate = self._gate
        self.rpc.on_frame = self._on_frame
        self.effects = []
        self.online = False
        self.connections = 0           # counts WebSocket connections, to tell a retry on the same link
        self.registration = "none"     # none | pending | rejected | accepted
        self.triggered = []            # actions the CSMS asked for with TriggerMessage (allowed while Pending)
        self.last_call_sent = now
        self.last_now = now            # the latest `now` of any input, for hooks that are not given one
        self.violations = []
        # False until the hardware's first readings are in (runtime option "await_hardware"): until then the
        # connectors' statuses are guesses and are not reported.
        self.hardware_known = not self.options.get("await_hardware", False)
        self.traffic = log.get("ocpp")
        self.log = log.get("station")
        self.connectors = [Connector(i) for i in range(len(board["connectors"]) + 1)]
        self.frame_watchers = []       # fn(direction, kind, msg_id, text) for every frame (security events)
        self.features = []
        self.feature = {}
        for cls in (features or DEFAULT_FEATURES):
            f = cls(self)
            self.features.append(f)
            self.feature[f.NAME] = f
            self.config.add_all(f.KEYS)
            self.rpc.handlers.update(f.actions())
        # Features with an `after_step(now)` hook run it at the end of every input, once its frames are queued.
        self.step_hooks = [f.after_step for f in self.features if getattr(f, "after_step", None) is not None]
        for f in self.features:
            f.start(now)
        self._pump(now)

    # ---- inputs ----------------------------------------------------------------------------------------------
    def connected(self, now):
        self.last_now = now
        self.online = True
        self.connections += 1
        for f in self.features:
            f.on_connected(now)
        self._pump(now)

    def disconnected(self, now):
        self.last_now = now
        self.online = False
        self.rpc.fail_all("connection lost", now)
        for f in self.features:
            f.on_disconnected(now)
        self._pump(now)

    def receive(self, text, now):
        self.last_now = now
        for out in self.rpc.receive(text, now):
            self.effects.append(("send", out))
        for fn in self.rpc.take_after_reply():
            fn(now)
        self._pump(now)

    def event(self, event, now):
        self.last_now = now
        for f in self.features:
            f.on_event(event, now)
        self._pump(now)

    def tick(self, now):
        self.last_now = now
        self.rpc.tick(now)
        for f in self.features:
            f.tick(now)
        self._pump(now)

    # ---- outputs ---------------------------------------------------------------------------------------------
    def take_effects(self):
        out = self.effects
        self.effects = []
        return out

    def next_deadline(self):
        best = self.rpc.deadline()
        for f in self.features:
            d = f.deadline()
            if d is not None and (best is None or d < best):
                best = d
        return best

    # ---- for features ----------------------------------------------------------------------------------------
    @property
    def zero(self):
        return self.connectors[0]

    def connector(self, cid):
        if isinstance(cid, int) and not isinstance(cid, bool) and 0 <= cid < len(self.connectors):
            return self.connectors[cid]
        return None

    def call(self, action, payload, on_result=None, on_error=None, msg_id=None, front=False):
        return self.rpc.call(action, payload, on_result, on_error, msg_id, front)

    def emit(self, effect):
        self.effects.append(effect)

    def after_reply(self, fn):
        """Run `fn(now)` once the answer to the CALL being handled is queued (e.g. reset after Reset.conf)."""
        self.rpc.after_reply.append(fn)

    def defer(self):
        """For a handler that answers later: returns a token; answer with `complete(token, payload)`."""
        return self.rpc.defer()

    def complete(self, token, payload):
        if self.online:
            self.effects.append(("send", self.rpc.complete(token, payload)))

    def security_event(self, kind, tech_info=None, now=None):
        """Record a security event (features/security_events.py): logged, and sent to the CSMS."""
        events = self.feature.get("security_events")
        if events is not None:
            events.raise_event(kind, tech_info, self.last_now if now is None else now)

    def flush(self, now=None):
        """Write and fsync everything still pending: journal acknowledgements, the authorization cache, the
        meters' deferred readings, configuration. Called before every restart the station performs itself
        (`restart`) and by the runtime when it is told to stop (SIGTERM)."""
        for f in self.features:
            f.flush(now)
        self.config.flush()

    def restart(self, kind, now):
        """Restart the station ("Soft" or "Hard") once transactions are ended and their messages answered, after
        a flush: the one way any feature restarts the station (see features/reset.py)."""
        self.feature["reset"].restart(kind, now)

    def violation(self, text):
        self.violations.append(text)
        self.log.error("BUG: " + text)

    def now_iso(self, now):
        return self.clock.iso(now)

    def _gate(self, action):
        if self.registration == "accepted" or action == "BootNotification":
            return True
        return self.registration == "pending" and action in self.triggered

    def _pump(self, now):
        self.feature["status"].refresh(now)
        while self.online:
            text = self.rpc.next_frame(now)
            if text is None:
                break
            self.last_call_sent = now
            self.effects.append(("send", text))
        for fn in self.step_hooks:
            fn(now)

    def _on_frame(self, direction, kind, action, msg_id, latency_ms, text):
        line = ARROWS.get(direction, direction) + " " + kind + " " + (action or "?") + " #" + str(msg_id)
        if latency_ms is not None:
            line += " (" + str(latency_ms) + " ms)"
        detail = _detail(kind, text)
        if detail:
            line += " " + (detail if len(detail) <= 160 else detail[:157] + "...")
        self.traffic.info(line)
        for fn in self.frame_watchers:
            fn(direction, kind, msg_id, text)


def _detail(kind, text):
    """The part of a frame worth reading in a log line: the payload, or the error code and text. The
    AuthorizationKey never reaches a log (Security Whitepaper)."""
    if '"AuthorizationKey"' in text:
        return '{"key": "AuthorizationKey", "value": "<not logged>"}'
    if kind == "CALLERROR":
        cut = text.find(",", text.find(",") + 1)
        return text[cut + 1:-1].strip() if cut > 0 else ""
    brace = text.find("{")
    return text[brace:-1] if brace >= 0 and kind in ("CALL", "CALLRESULT", "BADRESULT") else text[:80]
