"""Start-up, answer latency and memory of the real station process, measured from a lean WebSocket server.

The server here does no validation or logging, so the figures are the station's, not the bench CSMS's.
"""

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time

from websockets.asyncio.server import serve

from controller.runtime.child_station import ROOT, free_port


class LeanCSMS:
    def __init__(self):
        self.boot_at = None
        self.ws = None
        self.ready = asyncio.Event()
        self.answers = asyncio.Queue()

    async def handler(self, ws):
        self.ws = ws
        async for text in ws:
            frame = json.loads(text)
            if frame[0] == 2:
                if frame[2] == "BootNotification" and self.boot_at is None:
                    self.boot_at = time.perf_counter()
                reply = {"status": "Accepted", "currentTime": "2026-01-01T00:00:00Z", "interval": 86400} \
                    if frame[2] == "BootNotification" else {}
                await ws.send(json.dumps([3, frame[1], reply]))
                if frame[2] == "StatusNotification" and frame[3]["connectorId"] == 2:
                    self.ready.set()
            else:
                self.answers.put_nowait((time.perf_counter(), frame))


async def start_station(csms_port, workdir, api_port):
    settings = {"charge_point_id": "BENCH", "csms_url": "ws://127.0.0.1:%d/ocpp" % csms_port,
                "data_dir": os.path.join(workdir, "data"), "sim_api_port": api_port, "log_level": "warning"}
    path = os.path.join(workdir, "settings.json")
    with open(path, "w") as f:
        json.dump(settings, f)
    t0 = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "controller.runtime.cli", "run", "--config",
                                                path, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL,
                                                env=dict(os.environ, PYTHONPATH=ROOT))
    return proc, t0


async def settled(api_port):
    """Wait until the station's simulated hardware is up (its control API answers), then a little more: the
    latency figure is the steady state, not the start-up."""
    for _ in range(400):
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", api_port)
            writer.close()
            break
        except OSError:
            await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


async def one_run(calls):
    csms = LeanCSMS()
    port = free_port()
    async with serve(csms.handler, "127.0.0.1", port, subprotocols=["ocpp1.6"]):
        with tempfile.TemporaryDirectory() as workdir:
            api_port = free_port()
            proc, t0 = await start_station(port, workdir, api_port)
            try:
                await asyncio.wait_for(csms.ready.wait(), 20)
                startup = csms.boot_at - t0
                await settled(api_port)
                latencies = []
                for i in range(calls):
                    sent = time.perf_counter()
                    await csms.ws.send(json.dumps([2, "b%d" % i, "GetConfiguration", {"key": ["HeartbeatInterval"]}]))
                    got, frame = await csms.answers.get()
                    assert frame[1] == "b%d" % i, frame
                    latencies.append((got - sent) * 1000)
                await asyncio.sleep(0.2)
                rss = rss_mib(proc.pid)
            finally:
                proc.terminate()
                await proc.wait()
    return startup, latencies, rss


def core_only(calls=5000):
    """The sans-I/O core alone, in this process: a GetConfiguration frame in, its answer out (microseconds)."""
    from controller import log
    from tests.micropython.core_harness import Bench
    log.set_sink(lambda level, name, text: None, log.ERROR)
    bench = Bench()
    bench.connect()
    station = bench.station
    out = []
    for i in range(calls):
        text = '[2,"c%d","GetConfiguration",{"key":["HeartbeatInterval"]}]' % i
        start = time.perf_counter()
        station.receive(text, bench.now)
        station.take_effects()
        out.append((time.perf_counter() - start) * 1e6)
    return out


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100.0 * (len(ordered) - 1))))]


async def main_async(calls=1000, starts=5, progress=print):
    startups = []
    rss = None
    latencies = []
    for i in range(starts):
        progress("  run %d/%d: starting the station%s" % (i + 1, starts, " and sending %d calls" % calls if i == 0
                                                            else ""))
        startup, lat, mem = await one_run(calls if i == 0 else 0)
        startups.append(startup)
        if i == 0:
            latencies, rss = lat, mem
    return startups, latencies, rss


def run(calls=1000, starts=5, progress=print):
    return asyncio.run(main_async(calls, starts, progress))


def summarize(startups, latencies, rss):
    from bench import seeds
    core = core_only()
    lines = [
        "the core alone (frame in -> answer out, in process): p50 %.0f us, p99 %.0f us"
        % (percentile(core, 50), percentile(core, 99)),
        "CSMS CALL -> station answer (GetConfiguration, %d calls on loopback): p50 %.3f ms, p99 %.3f ms, max %.3f ms"
        % (len(latencies), percentile(latencies, 50), percentile(latencies, 99), max(latencies)),
        "   target p99 <= 1 ms; MicroOcpp p99 %.2f ms, open-ocpp p99 %.0f ms; %s"
        % (seeds.MICROOCPP_GETCONFIG_P99_MS, seeds.OPEN_OCPP_P99_MS, seeds.seed_response_line()),
        "process start -> first BootNotification on the wire: median %.3f s, min %.3f s over %d starts "
        "(target <= 0.25 s)" % (statistics.median(startups), min(startups), len(startups)),
        "RSS after boot: %.1f MiB (target <= 30 MiB)" % rss,
    ]
    return lines
