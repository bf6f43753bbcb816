"""The CPython runtime: pumps WebSocket frames, hardware events and timers into the core, and carries out its
effects. This and its siblings in controller/runtime/ are the only asyncio code.

One connection at a time, client role, subprotocol ocpp1.6, URL `<csms>/<chargePointId>`. Reconnects with
exponential back-off and full jitter; WebSocket pings per WebSocketPingInterval with a pong deadline; a Reset
re-executes the process so the station really restarts. Every way out of the process (a restart, SIGTERM or
SIGINT, a stop after an error) first calls `Station.flush()`, so no acknowledgement or deferred write is lost.
"""

import asyncio
import gc
import os
import random
import sys
import time

import websockets
from websockets.asyncio.client import connect

from controller import log
from controller.runtime import cpython_security as security
from controller.runtime import systemd_notify
from controller.runtime.files_cpython import KINDS as FILE_EFFECTS, FileEffects
from controller.journal import NAME as JOURNAL_FILE
from controller.station import Station
from controller.storage import FaultyStorage, FileStorage

MAX_WS_MESSAGE = 4 * 1024 * 1024   # larger than the core's frame limit, so oversize frames get a CALLERROR
HARDWARE_POLL_S = 0.1           # with no EV plugged in
HARDWARE_POLL_EV_S = 0.04       # with one: two agreeing pilot samples, so C -> B opens the contactor within 100 ms
HARDWARE_POLL_MIN_S = 0.01      # under sim_time_scale the polls come faster too, down to this


class LazyCryptoPort:
    """crypto_cpython.CryptoPort, imported at its first use: `cryptography` adds about 10 MiB and 80 ms to a start,
    and a station that is never given a certificate never needs it."""

    def __init__(self):
        self._port = None

    def __getattr__(self, name):
        if self._port is None:
            from controller.runtime.crypto_cpython import CryptoPort
            self._port = CryptoPort()
        return getattr(self._port, name)


_SCALE = [1, 0]                 # simulated time runs this many times faster than real time, from this instant


def set_time_scale(scale):
    """Run the station's clock `scale` times faster (the settings' sim_time_scale; desktop-sim only, where the
    simulated EV and meters follow the same clock), so a long charging schedule plays in seconds."""
    _SCALE[1] = now_ms()
    _SCALE[0] = scale


def now_ms():
    real = time.monotonic_ns() // 1000000
    if _SCALE[0] == 1:
        return real
    return _SCALE[1] + int((real - _SCALE[1]) * _SCALE[0])


def real_s(ms):
    """A span of station time (ms) in real seconds, for the event loop's timers."""
    return ms / 1000 / _SCALE[0]


class StationRuntime:
    def __init__(self, settings, board, hardware=None, restart_argv=None):
        self.settings = settings
        self.board = board
        self.hardware = hardware
        self.restart_argv = restart_argv
        self.log = log.get("runtime")
        os.makedirs(settings["data_dir"], exist_ok=True)
        # FaultyStorage: the control API's storage fault makes the core's document writes fail (never the journal's).
        self.store = FaultyStorage(FileStorage(settings["data_dir"]), spared=(JOURNAL_FILE,))
        self.files = FileEffects(settings, self)
        options = {"security_profile": settings["security_profile"],
                   "authorization_key": settings["authorization_key"],
                   "tls_root": bool(settings["tls"].get("ca_file")),
                   "tls_client": bool(settings["tls"].get("client_cert")), "await_hardware": True,
                   "crypto": LazyCryptoPort()}
        options.update(self.files.boot_options())
        identity = dict(settings["identity"], firmware_version=options["firmware_boot"]["version"])
        self.station = Station(identity, board, self.store, now=now_ms(), wall_ms=time.time_ns() // 1000000,
                               options=options)
        self.ws = None
        self.outbox = None
        self.network_up = True
        self.network_changed = asyncio.Event()
        self._tick_handle = None
        self.hardware_wake = asyncio.Event()
        self.hardware_ready = asyncio.Event()
        self.first_frame_sent = asyncio.Event()
        self._early_commands = []
        if hardware is not None:
            self.hardware_ready.set()
        self.stopped = asyncio.Event()
        self.attempt = 0
        self.resetting = False
        self.poll_done_ms = None        # when the last hardware poll completed (the systemd watchdog's progress)
        self.supervisor = systemd_notify.Supervisor.from_env(self)   # None when not run by systemd

    # ---- effects ---------------------------------------------------------------------------------------------
    def attach_hardware(self, hardware):
        """The hardware is built while the station already dials the CSMS; commands given before wait here."""
        self.hardware = hardware
        for cmd in self._early_commands:
            hardware.apply(cmd)
        self._early_commands = []
        self.hardware_ready.set()
        # Everything built so far lives as long as the process: keep it out of the collector's full passes,
        # which would otherwise walk it and stall the loop for milliseconds.
        gc.collect()
        gc.freeze()

    def apply_effects(self):
        hardware_touched = False
        for effect in self.station.take_effects():
            kind = effect[0]
            if kind == "send":
                if self.outbox is not None:
                    self.outbox.put_nowait(effect[1])
            elif kind == "hw":
                if self.hardware is None:
                    self._early_commands.append(effect[1])
                else:
                    self.hardware.apply(effect[1])
                    hardware_touched = True
            elif kind == "reset":
                asyncio.get_running_loop().create_task(self._restart(effect[1]))
            elif kind in FILE_EFFECTS:
                self.files.apply(effect)
            elif kind == "reconnect":
                self.log.info("reconnecting: " + effect[1])
                if self.ws is not None:
                    asyncio.get_running_loop().create_task(self._reconnect(self.ws, self.outbox))
        if hardware_touched:
            self.hardware_wake.set()    # a command's result (lock closed, contactor fed back) is read at once
        self._schedule_tick()

    async def _reconnect(self, ws, outbox):
        """Close once what is queued (the answer that asked for the reconnect) is on the wire."""
        if outbox is not None:
            try:
                await asyncio.wait_for(outbox.join(), 2)
            except asyncio.TimeoutError:
                pass
        await ws.close()

    async def _restart(self, kind):
        if self.resetting:
            return
        self.resetting = True
        if self.outbox is not None:
            try:
                await asyncio.wait_for(self.outbox.join(), 2)
            except asyncio.TimeoutError:
                pass
        self.log.warning(kind + " reset: restarting the station process")
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(1001, "station reset"), 1)
            except Exception:
                pass
        if self.restart_argv is None:
            self.stopped.set()
            return
        self.station.flush(now_ms())     # answers that came while the link closed
        if self.supervisor is not None:
            self.supervisor.restarting(kind)
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(self.restart_argv[0], self.restart_argv)

    # ---- control (used by the simulator's control API) -----------------------------------------------------
    def set_network(self, up):
        self.network_up = bool(up)
        self.network_changed.set()
        if not up and self.ws is not None:
            self.log.warning("network dropped")
            self.ws.transport.abort()

    def snapshot(self):
        st = self.station
        connectors = []
        for c in st.connectors:
            code, info = c.error_code()
            connectors.append({"id": c.id, "status": c.status, "reported": c.reported, "error_code": code,
                               "info": info, "availability": c.availability, "scheduled": c.scheduled,
                               "plugged": c.plugged, "transaction": c.transaction is not None})
        return {"charge_point_id": self.settings["charge_point_id"], "registration": st.registration,
                "online": st.online, "connectors": connectors, "violations": list(st.violations),
                "journal_backlog": st.feature["outbox"].backlog(),
                "clock": st.clock.iso(now_ms()), "clock_set": st.clock.is_set}

    # ---- loops -----------------------------------------------------------------------------------------------
    async def run(self):
        loops = [asyncio.ensure_future(self._connection_loop()), asyncio.ensure_future(self._hardware_loop())]
        if self.supervisor is not None:
            loops.append(asyncio.ensure_future(self.supervisor.run()))
        self._schedule_tick()
        try:
            await self.stopped.wait()
            if self.supervisor is not None:
                self.supervisor.stopping()
            if self.ws is not None:
                try:
                    await asyncio.wait_for(self.ws.close(1001, "station shutting down"), 1)
                except Exception:
                    pass
        finally:
            if self._tick_handle is not None:
                self._tick_handle.cancel()
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            # SIGTERM, SIGINT, or a stop after an error: nothing pending stays unwritten (issue 15).
            self.station.flush(now_ms())

    def _schedule_tick(self):
        """Wake the core at its next deadline (at least once a second); re-planned after every input."""
        loop = asyncio.get_running_loop()
        deadline = self.station.next_deadline()
        delay = real_s(1000 if deadline is None else min(1000, max(0, deadline - now_ms())))
        if self._tick_handle is not None:
            if self._tick_handle.when() <= loop.time() + delay:
                return      # an earlier tick stays: inputs more often than once a second must not starve it
            self._tick_handle.cancel()
        self._tick_handle = loop.call_later(delay, self._on_tick)

    def _on_tick(self):
        self._tick_handle = None
        self.station.tick(now_ms())
        self.apply_effects()

    async def _hardware_loop(self):
        await self.hardware_ready.wait()
        while True:
            self.hardware_wake.clear()
            now = now_ms()
            if getattr(self.hardware, "blocking", False):
                events = await asyncio.to_thread(self.hardware.poll, now)
            else:
                events = self.hardware.poll(now)
            self.poll_done_ms = now_ms()
            for event in events:
                self.station.event(event, now_ms())
            if not self.station.hardware_known:
                self.station.event({"type": "hardware_ready"}, now_ms())
                events = True
            if events:
                self.apply_effects()
            try:
                ev = any(c.plugged for c in self.station.connectors[1:])
                await asyncio.wait_for(self.hardware_wake.wait(),
                                       max(HARDWARE_POLL_MIN_S, real_s(1000 * (HARDWARE_POLL_EV_S if ev else
                                                                               HARDWARE_POLL_S))))
            except asyncio.TimeoutError:
                pass

    def _backoff_s(self):
        rc = self.settings["reconnect"]
        ceiling = min(rc["max_s"], rc["min_s"] * (2 ** min(self.attempt, 16)))
        self.attempt += 1
        return random.uniform(ceiling / 2, ceiling)

    async def _connection_loop(self):
        s = self.settings
        while True:
            while not self.network_up:
                self.network_changed.clear()
                await self.network_changed.wait()
            registry = self.station.config
            params = self.station.feature["security"].connection()
            url = s["csms_url"]
            session_started = False
            try:
                url = security.url_for(s, params["profile"])
                ctx = security.tls_context(params, s["tls"], s["data_dir"])
                async with connect(url, subprotocols=["ocpp1.6"], ssl=ctx, max_size=MAX_WS_MESSAGE,
                                   additional_headers=security.handshake_headers(params["profile"],
                                                                                 s["charge_point_id"],
                                                                                 params["key"]),
                                   ping_interval=None, open_timeout=10, close_timeout=2,
                                   user_agent_header=None) as ws:
                    if ws.subprotocol != "ocpp1.6":
                        self.log.error("the CSMS did not agree to subprotocol ocpp1.6 (it answered " +
                                       repr(ws.subprotocol) + "); closing")
                        await ws.close(1002, "ocpp1.6 required")
                        raise ConnectionError("no ocpp1.6 subprotocol")
                    self.attempt = 0
                    session_started = True
                    await self._session(ws, registry)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                self.log.warning("connection to " + url + " (security profile " + str(params["profile"]) +
                                 ") failed: " + _reason(e))
                if not session_started:
                    kind = security.classify(e, params["profile"])
                    if kind is None and params["profile"] >= 2 and security.dropped_in_handshake(e):
                        kind = await asyncio.to_thread(security.diagnose, url)
                    self.station.event({"type": "connect_failed", "security_event": kind,
                                        "detail": _reason(e)[:200]}, now_ms())
                    self.apply_effects()
            if self.resetting or self.stopped.is_set():
                return
            delay = self._backoff_s()
            self.log.info("reconnecting in " + ("%.1f" % delay) + " s")
            await asyncio.sleep(delay)

    async def _session(self, ws, registry):
        self.ws = ws
        self.outbox = asyncio.Queue()
        self.log.info("connected to " + self.settings["csms_url"])
        writer = asyncio.ensure_future(self._writer(ws, self.outbox))
        pinger = asyncio.ensure_future(self._pinger(ws, registry))
        self.station.connected(now_ms())
        self.apply_effects()
        try:
            async for message in ws:
                self.station.receive(message, now_ms())
                self.apply_effects()
        except websockets.ConnectionClosed:
            pass
        finally:
            writer.cancel()
            pinger.cancel()
            self.ws = None
            self.outbox = None
            self.log.warning("disconnected from the central system")
            self.station.disconnected(now_ms())
            self.apply_effects()

    async def _writer(self, ws, outbox):
        while True:
            text = await outbox.get()
            try:
                await ws.send(text)
                self.first_frame_sent.set()
            finally:
                outbox.task_done()

    async def _pinger(self, ws, registry):
        while True:
            interval = registry.get("WebSocketPingInterval")
            if interval <= 0:
                await asyncio.sleep(1)
                continue
            await asyncio.sleep(interval)
            try:
                waiter = await ws.ping()
                await asyncio.wait_for(waiter, max(interval, 5))
            except asyncio.TimeoutError:
                self.log.warning("no pong within " + str(max(interval, 5)) + " s; dropping the connection")
                ws.transport.abort()
                return
            except websockets.ConnectionClosed:
                return


def _reason(e):
    text = str(e) or e.__class__.__name__
    return text if len(text) < 300 else text[:300] + "..."
