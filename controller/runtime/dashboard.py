"""The station's local web dashboard (CPython runtime): one page with the station at a glance, kept live by
server-sent events, and on the desktop-sim board the simulator's controls (docs/dashboard.md).

    GET  /                 the page (controller/runtime/dashboard_static/)
    GET  /api/state        everything the page shows, as JSON, with the last 200 OCPP frames
    GET  /api/events       server-sent events: "state" once a second, "frame" for every OCPP frame
    POST /api/sim/<name>   desktop-sim only: the control API's POST /<name> (docs/control-api.md)

It binds 127.0.0.1 by default. Binding any other address needs `dashboard.password_hash` in the settings (HTTP
Basic auth, any user name); the settings check refuses to start without one. With a hash set, every request needs
the password, on loopback too.
"""

import asyncio
import collections
import json
import os
import time

from controller import clock as clockmod
from controller.runtime.dashboard_auth import check_basic_auth
from controller.runtime.http_server import BadRequest, read_request, respond, response_head

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dashboard_static")
FILES = {"/": ("index.html", "text/html; charset=utf-8"), "/app.js": ("app.js", "text/javascript; charset=utf-8"),
         "/style.css": ("style.css", "text/css; charset=utf-8")}
FRAMES_KEPT = 200
STATE_EVERY_S = 1.0
MAX_CLIENTS = 16
PAYLOAD_CHARS = 240


class Dashboard:
    def __init__(self, runtime, board, settings, control_api=None):
        self.runtime = runtime
        self.board = board
        self.settings = settings
        self.options = settings["dashboard"]
        self.control_api = control_api
        self.frames = collections.deque(maxlen=FRAMES_KEPT)
        self.clients = []
        self.server = None
        self.port = None
        self.auth_cache = {}
        self._hook_frames()

    # ---- serving ---------------------------------------------------------------------------------------------
    async def start(self):
        host, port = self.options["bind"], self.options["port"]
        try:
            self.server = await asyncio.start_server(self._client, host, port)
        except OSError as e:
            if port == 0:
                raise
            self.runtime.log.warning("dashboard: port " + str(port) + " is busy (" + str(e) + "); using a free one")
            self.server = await asyncio.start_server(self._client, host, 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    def url(self):
        host = self.options["bind"]
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        return "http://" + (("[" + shown + "]") if ":" in shown else shown) + ":" + str(self.port) + "/"

    async def stop(self):
        for queue in list(self.clients):
            queue.put_nowait(None)
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _client(self, reader, writer):
        try:
            method, path, headers, body = await read_request(reader)
        except BadRequest as e:
            await respond(writer, e.status, "application/json", json.dumps({"error": str(e)}).encode())
            return
        stored = self.options.get("password_hash")
        if stored and not check_basic_auth(headers.get("authorization"), stored, self.auth_cache):
            await respond(writer, 401, "application/json", b'{"error": "password required"}',
                          {"WWW-Authenticate": 'Basic realm="station dashboard", charset="UTF-8"'})
            return
        try:
            if method == "GET" and path in FILES:
                name, kind = FILES[path]
                with open(os.path.join(STATIC, name), "rb") as f:
                    await respond(writer, 200, kind, f.read())
            elif method == "GET" and path == "/api/state":
                state = self.state()
                state["frames"] = list(self.frames)
                await respond(writer, 200, "application/json", json.dumps(state).encode())
            elif method == "GET" and path == "/api/events":
                await self._events(writer)
            elif method == "POST" and path.startswith("/api/sim/"):
                status, answer = self._sim(path[len("/api/sim"):], body)
                await respond(writer, status, "application/json", json.dumps(answer).encode())
            else:
                await respond(writer, 404, "application/json", json.dumps({"error": "no such page: " + method +
                                                                            " " + path}).encode())
        except (ConnectionError, asyncio.CancelledError):
            writer.close()
        except Exception as e:
            self.runtime.log.error("dashboard: " + repr(e))
            await respond(writer, 500, "application/json", json.dumps({"error": str(e)}).encode())

    def _sim(self, path, body):
        if self.control_api is None:
            return 404, {"error": "the simulator's controls exist only on the desktop-sim board"}
        return self.control_api.handle("POST", path, body)

    async def _events(self, writer):
        if len(self.clients) >= MAX_CLIENTS:
            await respond(writer, 503, "application/json", b'{"error": "too many dashboard clients"}')
            return
        queue = asyncio.Queue(maxsize=FRAMES_KEPT)
        self.clients.append(queue)
        writer.write(response_head(200, "text/event-stream", None, {"Connection": "keep-alive"}))
        try:
            next_state = 0.0
            while True:
                now = time.monotonic()
                if now >= next_state:
                    writer.write(_event("state", self.state()))
                    next_state = now + STATE_EVERY_S
                try:
                    frame = await asyncio.wait_for(queue.get(), max(0.0, next_state - time.monotonic()))
                except asyncio.TimeoutError:
                    frame = False
                if frame is None:
                    break
                if frame is not False:
                    writer.write(_event("frame", frame))
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.clients.remove(queue)
            writer.close()

    # ---- what the page shows ---------------------------------------------------------------------------------
    def _hook_frames(self):
        rpc = self.runtime.station.rpc
        inner = rpc.on_frame

        def on_frame(direction, kind, action, msg_id, latency_ms, text):
            inner(direction, kind, action, msg_id, latency_ms, text)
            frame = {"t": round(time.time(), 3), "dir": direction, "kind": kind, "action": action, "id": msg_id,
                     "latency_ms": latency_ms, "text": _shown(text)}
            self.frames.append(frame)
            for queue in self.clients:
                if not queue.full():
                    queue.put_nowait(frame)

        rpc.on_frame = on_frame

    def state(self):
        rt = self.runtime
        st = rt.station
        snap = rt.snapshot()
        hw = _hardware_state(rt.hardware)
        sim = hw.get("connectors") if "devices" in hw else None
        ports = (hw.get("devices") or hw).get("connectors") or []
        connectors = []
        for c in snap["connectors"]:
            entry = dict(c)
            core = st.connectors[c["id"]]
            tx = core.transaction
            entry["id_tag"] = tx.id_tag if tx is not None else None
            entry["transaction_id"] = _transaction_id(st, tx)
            if c["id"] > 0:
                port = ports[c["id"] - 1] if c["id"] - 1 < len(ports) else {}
                values = port.get("values") or {}
                entry["pilot_state"] = port.get("pilot_state")
                entry["offered_amps"] = port.get("offered_amps")
                entry["amps"] = values.get("Current.Import")
                entry["power_w"] = values.get("Power.Active.Import")
                entry["energy_wh"] = port.get("energy_wh")
                entry["session_wh"] = (port.get("energy_wh") - tx.meter_start
                                       if tx is not None and port.get("energy_wh") is not None else None)
                if sim is not None and c["id"] - 1 < len(sim):
                    entry["sim"] = sim[c["id"] - 1]
            connectors.append(entry)
        pending = st.feature["outbox"].journal.pending
        return {"charge_point_id": snap["charge_point_id"], "registration": snap["registration"],
                "online": snap["online"], "clock": snap["clock"], "violations": snap["violations"],
                "link": {"state": _link_state(rt), "csms_url": self.settings["csms_url"],
                         "security_profile": st.config.get("SecurityProfile")},
                "journal": {"waiting": len(pending), "oldest_age_s": _oldest_age_s(st, pending)},
                "connectors": connectors,
                "config": [st.config.describe(k) for k in st.config.readable()],
                "firmware": _feature_status(st, "firmware"), "diagnostics": _feature_status(st, "diagnostics"),
                "identity": {k: v for k, v in st.identity.items() if v},
                "board": {"name": self.board.get("name"), "description": self.board.get("description")},
                "simulator": self.control_api is not None, "network_up": rt.network_up}


def _event(name, data):
    return ("event: " + name + "\ndata: " + json.dumps(data) + "\n\n").encode()


def _shown(text):
    if '"AuthorizationKey"' in text:
        return '(a frame that carries the AuthorizationKey: not shown)'
    return text if len(text) <= PAYLOAD_CHARS else text[:PAYLOAD_CHARS - 3] + "..."


def _hardware_state(hardware):
    try:
        return hardware.state() if hardware is not None else {}
    except Exception:
        return {}


def _link_state(rt):
    if not rt.network_up:
        return "network down"
    if rt.station.online:
        return "connected"
    return "connecting"


def _transaction_id(station, tx):
    if tx is None:
        return None
    found = station.feature["outbox"].journal.transaction_id(tx.ref)
    return found if found is not None and found != -1 else None


def _oldest_age_s(station, pending):
    """Age of the oldest message waiting, from its own timestamp (every transaction message has one)."""
    for entry in pending[:1]:
        p = entry.payload
        stamp = p.get("timestamp") or (p.get("meterValue") or [{}])[0].get("timestamp")
        at = clockmod.parse_iso(stamp) if stamp else None
        if at is not None:
            return max(0, (station.clock.epoch_ms(_now_ms()) - at) // 1000)
    return None


def _now_ms():
    from controller.runtime.cpython import now_ms
    return now_ms()


def _feature_status(station, name):
    feature = station.feature.get(name)
    status = getattr(feature, "status", None)
    if callable(status):
        status = status()
    return {"status": status if isinstance(status, str) else "Idle"}
