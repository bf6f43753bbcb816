"""The MicroPython main loop: pumps WebSocket frames, hardware events and the core's timers, carries out effects.

One task keeps the connection (dial, session, back-off with jitter, the network brought up again when it is
down); the session adds a writer and a WebSocket pinger (WebSocketPingInterval, with a pong deadline). The main
loop itself polls the hardware every 100 ms (40 ms with an EV plugged), ticks the core when its deadline is due
(at least once a second), and feeds the hardware watchdog: a stuck loop stops feeding it and the board resets.
Monotonic time is ticks.Ticks (wrap-around handled); wall time comes from the CSMS (Boot, Heartbeat) in the core.
"""

import asyncio
import gc
import random

from controller import log
from controller.runtime.micropython import ws
from controller.runtime.micropython.ticks import Ticks
from controller.station import Station

MAX_MESSAGE = 65536          # the core's own frame limit; a larger message is closed with 1009
POLL_MS = 100
POLL_EV_MS = 40
TICK_AT_LEAST_MS = 1000


class Runtime:
    def __init__(self, settings, board, store, hardware=None, wdt=None, network=None, ticks=None, heap=None):
        self.settings = settings
        self.hardware = hardware
        self.wdt = wdt
        self.network = network
        self.heap = heap             # fn(label) sampling the live heap, or None
        self.ticks = ticks or Ticks()
        self.log = log.get("runtime")
        self.station = Station(settings["identity"], board, store, now=self.ticks.now(),
                               options={"security_profile": settings["security_profile"],
                                        "authorization_key": settings["authorization_key"],
                                        "await_hardware": True})
        self.outbox = []
        self.send_ready = asyncio.Event()
        self.ws = None
        self.attempt = 0
        self.stopped = False
        self.reset = None            # "Soft" | "Hard" once the CSMS asked for it
        self._early = []
        self._last_tick = 0

    # ---- effects ---------------------------------------------------------------------------------------------
    def apply_effects(self):
        for effect in self.station.take_effects():
            kind = effect[0]
            if kind == "send":
                if self.ws is not None:
                    self.outbox.append(effect[1])
                    self.send_ready.set()
            elif kind == "hw":
                if self.hardware is None:
                    self._early.append(effect[1])
                else:
                    self.hardware.apply(effect[1])
            elif kind == "reset":
                self.reset = effect[1]
            elif kind == "reconnect":
                self.log.info("reconnecting: " + effect[1])
                if self.ws is not None:
                    self.ws.abort()

    def attach_hardware(self, hardware):
        self.hardware = hardware
        for cmd in self._early:
            hardware.apply(cmd)
        self._early = []

    # ---- the main loop ---------------------------------------------------------------------------------------
    async def run(self):
        """Runs until stopped or a Reset; returns the reset kind (None when stopped)."""
        conn = asyncio.create_task(self._connection_loop())
        try:
            while not self.stopped:
                self.step()
                if self.reset is not None and not self.outbox:
                    break
                plugged = False
                for c in self.station.connectors[1:]:
                    if c.plugged:
                        plugged = True
                await asyncio.sleep_ms(POLL_EV_MS if plugged else POLL_MS)
        finally:
            conn.cancel()
            if self.ws is not None:
                try:
                    await self.ws.close(1001, "station reset" if self.reset else "station stopping", 1)
                except Exception:
                    pass
        return self.reset

    def step(self):
        st = self.station
        now = self.ticks.now()
        if self.hardware is not None:
            for event in self.hardware.poll(now):
                st.event(event, now)
            if not st.hardware_known:
                st.event({"type": "hardware_ready"}, now)
        deadline = st.next_deadline()
        if (deadline is not None and now >= deadline) or now - self._last_tick >= TICK_AT_LEAST_MS:
            self._last_tick = now
            st.tick(now)
        self.apply_effects()
        if self.wdt is not None:
            self.wdt.feed()
        if self.heap is not None:
            self.heap("session")

    # ---- the connection --------------------------------------------------------------------------------------
    def _url(self):
        return self.settings["csms_url"].rstrip("/") + "/" + ws.quote(self.settings["charge_point_id"])

    def _headers(self):
        params = self.station.feature["security"].connection()
        key = params["key"]
        if params["profile"] in (1, 2) and key:
            return {"Authorization": "Basic " + ws.b64(self.settings["charge_point_id"].encode() + b":" + key)}
        return {}

    def _tls(self):
        profile = self.settings["security_profile"]
        if profile < 2:
            return None
        return tls_context(profile, self.settings["tls"])

    def _backoff_ms(self):
        rc = self.settings["reconnect"]
        ceiling = min(rc["max_s"], rc["min_s"] * (2 ** min(self.attempt, 16))) * 1000
        self.attempt += 1
        return int(ceiling / 2 + random.getrandbits(16) * ceiling / 2 / 65536)

    async def _connection_loop(self):
        url = self._url()
        while not self.stopped and self.reset is None:
            if self.network is not None and not self.network.up():
                await self.network.connect()
            if self.network is None or self.network.up():
                try:
                    sock = await ws.connect(url, headers=self._headers(), ssl=self._tls(), max_size=MAX_MESSAGE)
                    self.attempt = 0
                    await self._session(sock)
                except asyncio.CancelledError:
                    raise
                except Exception as e:
                    self.log.warning("connection to " + url + " failed: " + repr(e))
            if self.stopped or self.reset is not None:
                return
            delay = self._backoff_ms()
            self.log.info("reconnecting in " + str(delay) + " ms")
            await asyncio.sleep_ms(delay)

    async def _session(self, sock):
        self.ws = sock
        self.outbox = []
        self.log.info("connected to " + self.settings["csms_url"])
        writer = asyncio.create_task(self._writer(sock))
        pinger = asyncio.create_task(self._pinger(sock))
        self.station.connected(self.ticks.now())
        self.apply_effects()
        try:
            while True:
                message = await sock.recv()
                if isinstance(message, str):
                    self.station.receive(message, self.ticks.now())
                    message = None
                    self.apply_effects()
        except ws.ConnectionClosed as e:
            self.log.warning("disconnected from the central system (" + str(e.code) + ")")
        finally:
            writer.cancel()
            pinger.cancel()
            self.ws = None
            self.outbox = []
            self.station.disconnected(self.ticks.now())
            self.apply_effects()
            gc.collect()

    async def _writer(self, sock):
        while True:
            while self.outbox:
                await sock.send(self.outbox.pop(0))
            self.send_ready.clear()
            await self.send_ready.wait()

    async def _pinger(self, sock):
        while True:
            interval = self.station.config.get("WebSocketPingInterval")
            if interval <= 0:
                await asyncio.sleep(1)
                continue
            await asyncio.sleep(interval)
            await sock.ping()
            if not await sock.wait_pong(max(interval, 5)):
                self.log.warning("no pong within " + str(max(interval, 5)) + " s; dropping the connection")
                sock.abort()
                return


def tls_context(profile, tls):
    """An `ssl`/`tls` client context: the CSMS checked against tls.ca_file; profile 3 adds the client certificate.
    Raises OSError on a port built without TLS (the unix build the tests use)."""
    try:
        import ssl
    except ImportError:
        try:
            import tls as ssl
        except ImportError:
            raise OSError("this MicroPython build has no TLS (ssl/tls module): security profile " + str(profile) +
                          " needs a firmware with it")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = ssl.CERT_REQUIRED
    with open(tls["ca_file"], "rb") as f:
        ctx.load_verify_locations(cadata=f.read())
    if profile == 3:
        ctx.load_cert_chain(tls["client_cert"], tls["client_key"])
    return ctx
