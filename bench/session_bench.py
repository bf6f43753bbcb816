"""Charging-session benchmarks against the real station process and a lean CSMS (no validation, no logging):

- RemoteStartTransaction -> StartTransaction.req and RemoteStopTransaction -> StopTransaction.req, EV plugged,
  simulated hardware with no contactor delay;
- the replay of 24 simulated hours offline at MeterValueSampleInterval=10 s (8,640 MeterValues plus the Start
  and the Stop), from connection until the queue is empty, checked for order and completeness; and the journal's
  size on disk before and after compaction.
"""

import asyncio
import json
import os
import sys
import tempfile
import time

from websockets.asyncio.server import serve

from bench.station_bench import percentile
from controller.runtime.child_station import ROOT, free_port
from controller.storage import FileStorage


class LeanCSMS:
    def __init__(self):
        self.ws = None
        self.ready = asyncio.Event()
        self.waiters = {}
        self.received = []
        self.tx = 0
        self.done = asyncio.Event()
        self.first_at = None

    async def handler(self, ws):
        self.ws = ws
        async for text in ws:
            frame = json.loads(text)
            now = time.perf_counter()
            if frame[0] != 2:
                continue
            action, payload = frame[2], frame[3]
            if self.first_at is None and action != "BootNotification":
                self.first_at = now
            self.received.append((now, action, payload))
            reply = {}
            if action == "BootNotification":
                reply = {"status": "Accepted", "currentTime": "2026-01-01T00:00:00Z", "interval": 86400}
            elif action == "Authorize":
                reply = {"idTagInfo": {"status": "Accepted"}}
            elif action == "StartTransaction":
                self.tx += 1
                reply = {"transactionId": self.tx, "idTagInfo": {"status": "Accepted"}}
            await ws.send(json.dumps([3, frame[1], reply]))
            if action == "StatusNotification" and payload["connectorId"] == 2:
                self.ready.set()
            waiter = self.waiters.pop(action, None)
            if waiter is not None:
                waiter.set_result(now)
            if action == "StopTransaction":
                self.done.set()

    def expect(self, action):
        future = asyncio.get_running_loop().create_future()
        self.waiters[action] = future
        return future

    async def call(self, action, payload):
        await self.ws.send(json.dumps([2, "b%d" % time.perf_counter_ns(), action, payload]))


async def start_station(port, data_dir, api_port):
    settings = {"charge_point_id": "BENCH", "csms_url": "ws://127.0.0.1:%d/ocpp" % port, "data_dir": data_dir,
                "sim_api_port": api_port, "log_level": "warning"}
    path = os.path.join(os.path.dirname(data_dir), "settings.json")
    with open(path, "w") as f:
        json.dump(settings, f)
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "controller.runtime.cli", "run", "--config",
                                                path, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL,
                                                env=dict(os.environ, PYTHONPATH=ROOT))


async def post(port, path, body):
    for _ in range(200):               # the control API comes up once the simulated hardware is built
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            break
        except OSError:
            await asyncio.sleep(0.05)
    data = json.dumps(body).encode()
    writer.write(("POST %s HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % (path, len(data))).encode() + data)
    await writer.drain()
    await reader.read()
    writer.close()


async def remote_latency(cycles, progress):
    csms = LeanCSMS()
    port = free_port()
    async with serve(csms.handler, "127.0.0.1", port, subprotocols=["ocpp1.6"]):
        with tempfile.TemporaryDirectory() as work:
            api = free_port()
            proc = await start_station(port, os.path.join(work, "data"), api)
            try:
                await asyncio.wait_for(csms.ready.wait(), 20)
                # Connector 2 has a fixed cable: no lock actuator in the way, as on a tethered station.
                await post(api, "/plug", {"connector": 2})
                await asyncio.sleep(0.3)
                starts, stops = [], []
                for i in range(cycles):
                    if i % 50 == 0:
                        progress("  remote start/stop cycle %d/%d" % (i, cycles))
                    waiter = csms.expect("StartTransaction")
                    sent = time.perf_counter()
                    await csms.call("RemoteStartTransaction", {"connectorId": 2, "idTag": "BENCH%d" % (i % 10)})
                    starts.append((await asyncio.wait_for(waiter, 5) - sent) * 1000)
                    await asyncio.sleep(0.02)
                    waiter = csms.expect("StopTransaction")
                    sent = time.perf_counter()
                    await csms.call("RemoteStopTransaction", {"transactionId": csms.tx})
                    stops.append((await asyncio.wait_for(waiter, 5) - sent) * 1000)
                    await asyncio.sleep(0.02)
            finally:
                proc.terminate()
                await proc.wait()
    return starts, stops


class NoSyncStorage(FileStorage):
    """Only for building the benchmark's offline day quickly: what is measured is the replay."""

    def append(self, name, data, sync=True):
        FileStorage.append(self, name, data, False)


def offline_day(data_dir, hours=24, interval_s=10):
    """Drive the core through `hours` of simulated offline charging; returns the journal's size in bytes."""
    sys.path.insert(0, ROOT)
    from controller import log
    from tests.micropython.core_harness import Bench
    import boards
    log.set_sink(lambda level, name, text: None, log.ERROR)
    store = NoSyncStorage(data_dir)
    b = Bench(store=store, board=boards.load("desktop-sim"))
    b.connect()
    b.station.receive(json.dumps([2, "cfg", "ChangeConfiguration", {"key": "MeterValueSampleInterval",
                                                                    "value": str(interval_s)}]), b.now)
    b.flush()
    b.meter(1, 0)
    b.disconnect()
    b.plug(1)
    b.event({"type": "lock_state", "connector": 1, "locked": True})
    b.station.feature["authorization"].remember("BENCH", {"status": "Accepted"}, b.now)
    b.tag("BENCH", 1)
    wh = 0
    for _ in range(hours * 3600 // interval_s):
        wh += 30
        b.meter(1, wh)
        b.advance(interval_s * 1000)
    b.tag("BENCH")
    return store.size("journal.log"), len(b.station.feature["outbox"].journal.pending)


async def replay(progress, hours=24):
    with tempfile.TemporaryDirectory() as work:
        data = os.path.join(work, "data")
        progress("  simulating %d hours offline (core with a fake clock)..." % hours)
        size_before, queued = offline_day(data, hours)
        csms = LeanCSMS()
        port = free_port()
        async with serve(csms.handler, "127.0.0.1", port, subprotocols=["ocpp1.6"]):
            progress("  replaying %d queued messages to the CSMS..." % queued)
            proc = await start_station(port, data, free_port())
            try:
                await asyncio.wait_for(csms.done.wait(), 120)
                elapsed = time.perf_counter() - csms.first_at
                await asyncio.sleep(1.0)
            finally:
                proc.terminate()
                await proc.wait()
        size_after = os.path.getsize(os.path.join(data, "journal.log"))
    tx = [(a, p) for t, a, p in csms.received if a in ("StartTransaction", "MeterValues", "StopTransaction")]
    stamps = [p["meterValue"][0]["timestamp"] for a, p in tx if a == "MeterValues"]
    in_order = tx[0][0] == "StartTransaction" and tx[-1][0] == "StopTransaction" and stamps == sorted(stamps) \
        and len(set(stamps)) == len(stamps)
    return {"queued": queued, "delivered": len(tx), "meter_values": len(stamps), "seconds": elapsed,
            "in_order": in_order, "journal_bytes_before": size_before, "journal_bytes_after": size_after}


def run(cycles=200, progress=print):
    starts, stops = asyncio.run(remote_latency(cycles, progress))
    day = asyncio.run(replay(progress))
    return starts, stops, day


def summarize(starts, stops, day):
    from bench import seeds
    return [
        "RemoteStart -> StartTransaction.req (%d cycles): p50 %.1f ms, p99 %.1f ms, max %.1f ms "
        "(target p99 <= 20 ms; seed stations %s s)" % (len(starts), percentile(starts, 50), percentile(starts, 99),
                                                       max(starts), "/".join("%.2f" % s for s in seeds.SEED_REMOTE_START_S)),
        "RemoteStop -> StopTransaction.req (%d cycles): p50 %.1f ms, p99 %.1f ms, max %.1f ms "
        "(target p99 <= 20 ms; seed stations %s s)" % (len(stops), percentile(stops, 50), percentile(stops, 99),
                                                       max(stops), "/".join("%.2f" % s for s in seeds.SEED_REMOTE_STOP_S)),
        "replay of 24 h offline (%d MeterValues + Start + Stop): %.2f s until the queue was empty, %s, "
        "%d of %d delivered (target <= 10 s)" % (day["meter_values"], day["seconds"],
                                                  "in order" if day["in_order"] else "OUT OF ORDER",
                                                  day["delivered"], day["queued"]),
        "journal on disk: %.2f MB after the offline day, %d bytes after compaction"
        % (day["journal_bytes_before"] / 1e6, day["journal_bytes_after"]),
    ]
