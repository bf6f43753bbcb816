"""The real station as a child process, with its control API, for tests that go over real WebSockets.

`station_env(tmp_path, ...)` starts a bench CSMS and the station (`python -m controller.runtime.cli run`) on
loopback and yields both; on exit it stops them and fails the test if the CSMS saw a protocol violation or the
station recorded an illegal status transition.
"""

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys

from bench_csms import BenchCSMS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StationProcess:
    def __init__(self, workdir, csms_url, cp_id="CP1", **settings):
        self.workdir = str(workdir)
        self.cp_id = cp_id
        self.api_port = free_port()
        self.settings = {"charge_point_id": cp_id, "csms_url": csms_url, "data_dir": os.path.join(self.workdir, "data"),
                         "sim_api_port": self.api_port, "reconnect": {"min_s": 0.2, "max_s": 1}}
        self.settings.update(settings)
        self.config_path = os.path.join(self.workdir, "settings.json")
        self.log_path = os.path.join(self.workdir, "station.log")
        self.proc = None

    def write_settings(self):
        with open(self.config_path, "w") as f:
            json.dump(self.settings, f)

    async def start(self):
        self.write_settings()
        log = open(self.log_path, "ab")
        env = dict(os.environ, PYTHONPATH=ROOT, PYTHONUNBUFFERED="1")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "controller.runtime.cli", "run", "--config", self.config_path,
            stdout=log, stderr=asyncio.subprocess.STDOUT, cwd=ROOT, env=env)
        log.close()
        await self.wait_api()

    async def wait_api(self, timeout=15):
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while loop.time() < end:
            if self.proc.returncode is not None:
                raise AssertionError("station exited with " + str(self.proc.returncode) + ":\n" + self.log_text())
            try:
                return await self.api("GET", "/state")
            except OSError:
                await asyncio.sleep(0.05)
        raise AssertionError("the station's control API did not come up:\n" + self.log_text())

    async def api(self, method, path, body=None):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.api_port)
        data = json.dumps(body).encode() if body is not None else b""
        writer.write((method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + str(len(data)) +
                      "\r\n\r\n").encode() + data)
        await writer.drain()
        raw = await reader.read()
        writer.close()
        head, _, payload = raw.partition(b"\r\n\r\n")
        answer = json.loads(payload)
        if not head.startswith(b"HTTP/1.1 200"):
            raise ValueError("control API " + path + ": " + head.split(b"\r\n")[0].decode() + " " + str(answer))
        return answer

    async def post(self, path, **body):
        return await self.api("POST", path, body)

    async def state(self):
        return await self.api("GET", "/state")

    async def status_of(self, connector):
        return (await self.state())["connectors"][connector]["status"]

    async def kill(self):
        """A power cut: SIGKILL, no goodbye."""
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self):
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-6000:]
        except OSError:
            return ""


@contextlib.asynccontextmanager
async def station_env(tmp_path, boot=None, csms_kwargs=None, start=True, **settings):
    csms = BenchCSMS(**(csms_kwargs or {}))
    if boot:
        csms.boot_responses = list(boot)
    await csms.start()
    scheme = "wss" if settings.get("security_profile", 0) >= 2 else "ws"
    station = StationProcess(tmp_path, csms.url.replace("ws://", scheme + "://", 1), **settings)
    try:
        if start:
            await station.start()
        yield csms, station
        if station.proc is not None and station.proc.returncode is None:
            state = await station.state()
            assert state["violations"] == [], state["violations"]
        csms.assert_clean()
    except BaseException:
        sys.stderr.write("---- station log ----\n" + station.log_text() + "\n---- CSMS ledger ----\n" +
                         csms.tail(25) + "\n")
        raise
    finally:
        await station.stop()
        await csms.stop()


def run(coro):
    return asyncio.run(coro)
