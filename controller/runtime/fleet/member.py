"""One station of the fleet: the real core on its own journal, the EV model, and one WebSocket to the CSMS.

Nothing here polls. The station wakes when a frame arrives, when its core's next deadline comes (one loop timer,
moved only when the deadline moves), when its behaviour schedules an EV action, and every few seconds while it
delivers energy (a meter reading).
"""

import asyncio
import json
import random
import time

import websockets
from websockets.asyncio.client import connect

from controller.runtime import cpython_security as security
from controller.runtime.fleet.ev_model import BOARD, EvModel
from controller.settings import IDENTITY_DEFAULTS
from controller.station import Station
from controller.storage import FileStorage, MemoryStorage

METER_UPDATE_MS = 5000
MAX_MESSAGE = 4 * 1024 * 1024


def now_ms():
    return time.monotonic_ns() // 1000000


class FleetStation:
    def __init__(self, fleet, cp_id, data_dir, seed):
        self.fleet = fleet
        self.cp_id = cp_id
        self.data_dir = data_dir
        self.rng = random.Random(seed)
        self.loop = asyncio.get_running_loop()
        self.store = FileStorage(data_dir) if data_dir else MemoryStorage()
        self.ws = None
        self.queue = None
        self.tick_handle = None
        self.tick_at = None
        self.meter_handle = None
        self.closing = False
        self.attempt = 0
        self.boot()

    # ---- the core --------------------------------------------------------------------------------------------
    def boot(self):
        """Build the core on the station's storage: at start, and again for a Reset (a real station restarts)."""
        now = now_ms()
        identity = dict(IDENTITY_DEFAULTS)
        identity["model"] = "SC-Fleet"
        identity["serial"] = self.cp_id[-25:]
        self.core = Station(identity, BOARD, self.store, now=now, wall_ms=time.time_ns() // 1000000,
                            options={"security_profile": 0, "authorization_key": None})
        self.core.rpc.on_frame = self._on_frame
        for name, value in self.fleet.config_overrides:
            self.core.config.change(name, value)
        metering = self.core.feature["metering"]
        self.ev = EvModel(metering.raw[1] or 0)
        self.inject([self.ev.reading()], now)

    def inject(self, events, now, due=None):
        for event in events:
            self.core.event(event, now)
        self.apply_effects(now if due is None else due)

    def apply_effects(self, due):
        pending = []
        while True:
            effects = self.core.take_effects()
            if not effects:
                break
            for effect in effects:
                kind = effect[0]
                if kind == "send":
                    if self.queue is not None:
                        self.queue.put_nowait((effect[1], due))
                elif kind == "hw":
                    pending.extend(self.ev.apply(effect[1], now_ms()))
                elif kind == "reset":
                    self.loop.call_soon(self._reset, effect[1])
                elif kind == "reconnect":
                    self._drop()
                else:
                    self.fleet.stats.error("unsupported effect " + str(kind))
            now = now_ms()
            for event in pending:
                self.core.event(event, now)
            pending = []
        self._meter_timer()
        self._schedule_tick()

    def _schedule_tick(self):
        deadline = self.core.next_deadline()
        if deadline == self.tick_at:
            return
        if self.tick_handle is not None:
            self.tick_handle.cancel()
        self.tick_at = deadline
        self.tick_handle = None if deadline is None else self.loop.call_at(deadline / 1000, self._on_tick)

    def _on_tick(self):
        due = self.tick_at
        self.tick_handle = None
        self.tick_at = None
        now = now_ms()
        self.fleet.stats.tick(now - due)
        self.core.tick(now)
        self.apply_effects(due)

    def _meter_timer(self):
        if self.ev.charging() and self.meter_handle is None:
            self.meter_handle = self.loop.call_later(METER_UPDATE_MS / 1000, self._on_meter)

    def _on_meter(self):
        self.meter_handle = None
        now = now_ms()
        events = self.ev.advance(now)
        self.inject(events + [self.ev.reading()], now)

    def _reset(self, kind):
        self.fleet.stats.count("resets")
        self._drop()
        if self.tick_handle is not None:
            self.tick_handle.cancel()
        self.tick_handle = None
        self.tick_at = None
        self.boot()

    # ---- the EV's actions (called by the behaviour) ----------------------------------------------------------
    def plug(self, need_wh):
        now = now_ms()
        self.inject(self.ev.plug(need_wh, now), now)

    def tag(self, id_tag):
        self.inject([{"type": "tag", "id_tag": id_tag}], now_ms())

    def unplug(self):
        now = now_ms()
        self.inject(self.ev.unplug(now), now)

    def busy(self):
        return self.ev.plugged or self.core.connectors[1].transaction is not None

    # ---- the link --------------------------------------------------------------------------------------------
    async def run(self):
        url = security.connection_url(self.fleet.csms_url, self.cp_id)
        while not self.closing:
            try:
                async with connect(url, subprotocols=["ocpp1.6"], max_size=MAX_MESSAGE, ping_interval=None,
                                   open_timeout=30, close_timeout=2, user_agent_header=None) as ws:
                    if ws.subprotocol != "ocpp1.6":
                        raise ConnectionError("no ocpp1.6 subprotocol")
                    self.attempt = 0
                    await self._session(ws)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                self.fleet.stats.error("connect: " + _kind(e))
            if self.closing:
                return
            self.attempt += 1
            ceiling = min(60.0, 1.0 * (2 ** min(self.attempt, 6)))
            await asyncio.sleep(self.rng.uniform(ceiling / 2, ceiling))

    async def _session(self, ws):
        self.ws = ws
        self.queue = asyncio.Queue()
        self.fleet.stats.connected(1)
        writer = asyncio.ensure_future(self._writer(ws, self.queue))
        try:
            now = now_ms()
            self.core.connected(now)
            self.apply_effects(now)
            async for message in ws:
                now = now_ms()
                self.core.receive(message, now)
                self.apply_effects(now)
        except websockets.ConnectionClosed:
            pass
        finally:
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)
            self.ws = None
            self.queue = None
            self.fleet.stats.connected(-1)
            if not self.closing:
                self.fleet.stats.error("disconnected")
            now = now_ms()
            self.core.disconnected(now)
            self.apply_effects(now)

    async def _writer(self, ws, queue):
        while True:
            text, due = await queue.get()
            await ws.send(text)
            self.fleet.stats.sent(now_ms() - due)

    def _drop(self):
        if self.ws is not None:
            self.ws.transport.abort()

    async def close(self):
        self.closing = True
        for handle in (self.tick_handle, self.meter_handle):
            if handle is not None:
                handle.cancel()
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(1001, "fleet stopping"), 2)
            except Exception:
                pass

    # ---- records ---------------------------------------------------------------------------------------------
    def _on_frame(self, direction, kind, action, msg_id, latency_ms, text):
        self.fleet.stats.frame(direction, kind, action, latency_ms, text)
        ledger = self.fleet.ledger
        if ledger is not None:
            ledger.write(json.dumps({"t": round(time.time(), 3), "cp": self.cp_id, "dir": direction, "kind": kind,
                                     "action": action, "id": msg_id, "latency_ms": latency_ms,
                                     "frame": text}) + "\n")


def _kind(e):
    text = str(e) or e.__class__.__name__
    return e.__class__.__name__ + (": " + text[:60] if text != e.__class__.__name__ else "")
