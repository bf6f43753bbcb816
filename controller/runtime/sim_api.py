"""The simulator's control API: JSON over HTTP on 127.0.0.1, for tests, the demo and CSMS developers.

    GET  /state                                   station and simulated-hardware state
    POST /plug        {"connector": 1, "ev_max_amps": 16}
    POST /unplug      {"connector": 1, "side": "ev"}   (side "ev" leaves the cable in a socket)
    POST /tag         {"id_tag": "04A1B2C3", "connector": 1}
    POST /ev          {"connector": 1, "suspended": true}
    POST /fault       {"connector": 0, "error_code": "GroundFailure", "info": "test"}
    POST /clear-fault {"connector": 0}
    POST /lock        {"connector": 1, "fails": true}
    POST /network     {"up": false}
    POST /power-loss  {}
    POST /device-fault {"connector": 1, "kind": "weld"|"lock-jam"|"rcd-trip"|"meter-offline"|"reader-dead"|
                        "diode-short"|"diode-missing"|"cp-short"}   (a fault inside an emulated device; the real
                        drivers must notice it; /clear-fault repairs the connector's devices)
    POST /storage-fault {"fails": true}        (the station's document writes fail until {"fails": false})
    POST /unlock-fault {"connector": 1, "fails": true}   (the next unlock of that connector's cable fails)
    POST /freeze-poll {"seconds": 5}           (the next hardware poll hangs that long inside the driver call)

Every answer is a JSON object; errors are HTTP 400 with {"error": "..."}. See docs/control-api.md.
"""

import asyncio
import json

from controller.runtime.http_server import BadRequest, read_request, respond


class ControlApi:
    def __init__(self, runtime, world, host="127.0.0.1", port=0):
        self.runtime = runtime
        self.world = world
        self.host = host
        self.port = port
        self.server = None

    async def start(self):
        self.server = await asyncio.start_server(self._client, self.host, self.port)
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self):
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    def _routes(self):
        w = self.world
        return {
            "/plug": lambda b: w.plug(_int(b, "connector"), b.get("ev_max_amps")),
            "/unplug": lambda b: w.unplug(_int(b, "connector"), b.get("side", "both")),
            "/tag": lambda b: w.present_tag(_str(b, "id_tag"), b.get("connector")),
            "/ev": lambda b: w.suspend(_int(b, "connector"), bool(b.get("suspended"))),
            "/fault": lambda b: w.inject_fault(_int(b, "connector"), _str(b, "error_code"), b.get("info")),
            "/clear-fault": lambda b: w.clear_fault(_int(b, "connector")),
            "/lock": lambda b: w.set_lock_fails(_int(b, "connector"), bool(b.get("fails"))),
            "/network": lambda b: self.runtime.set_network(bool(b.get("up"))),
            "/power-loss": lambda b: w.warn_power_loss(),
            "/device-fault": lambda b: self._device_fault(_int(b, "connector"), _str(b, "kind")),
            "/storage-fault": lambda b: setattr(self.runtime.store, "fails", bool(b.get("fails"))),
            "/unlock-fault": lambda b: w.set_unlock_fails(_int(b, "connector"), bool(b.get("fails"))),
            "/freeze-poll": lambda b: w.freeze_poll(_seconds(b, "seconds")),
        }

    def _device_fault(self, cid, kind):
        w = self.world
        faults = {
            "weld": lambda: w.weld(cid),
            "lock-jam": lambda: w.jam_lock(cid),
            "rcd-trip": lambda: w.rcd_trip(cid),
            "meter-offline": lambda: w.meter_offline(cid),
            "reader-dead": lambda: w.reader_dead(),
            "diode-short": lambda: w.ev_diode(cid, "shorted"),
            "diode-missing": lambda: w.ev_diode(cid, "missing"),
            "cp-short": lambda: w.cp_short(cid),
        }
        if kind not in faults:
            raise ValueError("kind must be one of " + ", ".join(sorted(faults)))
        faults[kind]()

    def handle(self, method, path, body):
        if method == "GET" and path == "/state":
            state = self.runtime.snapshot()
            state["hardware"] = self.world.state()
            state["network_up"] = self.runtime.network_up
            return 200, state
        route = self._routes().get(path)
        if method != "POST" or route is None:
            return 404, {"error": "no such endpoint: " + method + " " + path + " (see docs/control-api.md)"}
        try:
            data = json.loads(body or b"{}")
            if not isinstance(data, dict):
                raise ValueError("the body must be a JSON object")
            route(data)
        except (ValueError, KeyError, TypeError) as e:
            return 400, {"error": str(e)}
        self.runtime.hardware_wake.set()
        return 200, {"ok": True}

    async def _client(self, reader, writer):
        try:
            method, path, _, body = await read_request(reader)
            status, answer = self.handle(method, path, body)
        except BadRequest as e:
            status, answer = e.status, {"error": str(e)}
        except Exception as e:
            status, answer = 400, {"error": "bad request: " + str(e)}
        await respond(writer, status, "application/json", json.dumps(answer).encode())

def _int(body, field):
    value = body.get(field)
    if value is True or value is False or not isinstance(value, int):
        raise ValueError(field + " must be an integer")
    return value


def _seconds(body, field):
    value = body.get(field)
    if value is True or value is False or not isinstance(value, (int, float)) or not 0 < value <= 600:
        raise ValueError(field + " must be a number of seconds above 0, at most 600")
    return value


def _str(body, field):
    value = body.get(field)
    if not isinstance(value, str) or not value:
        raise ValueError(field + " must be a non-empty string")
    return value
