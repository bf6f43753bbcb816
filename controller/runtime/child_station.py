"""A station in a child process, and a client for its control API (CPython). The demo and the tests use it.

`StationProcess(workdir, csms_url, **settings)` writes a settings file, runs `python -m controller.runtime.cli
run` on it, and talks to the simulator's control API on a port it picked. `kill()` is a power cut (SIGKILL).
`extra_env` and `extra_args` go to the child (e.g. NOTIFY_SOCKET, `--log-format json`); with `stdout_file=True`
the child writes its output straight into station.log instead of a pipe (so a test can name that file in
JOURNAL_STREAM).
"""

import asyncio
import json
import os
import signal
import socket
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StationProcess:
    def __init__(self, workdir, csms_url, cp_id="CP1", echo=None, extra_env=None, extra_args=(), stdout_file=False,
                 **settings):
        self.workdir = str(workdir)
        self.cp_id = cp_id
        self.echo = echo                 # fn(line) to show the station's log live, or None
        self.extra_env = extra_env or {}
        self.extra_args = list(extra_args)
        self.stdout_file = stdout_file
        self.api_port = free_port()
        self.settings = {"charge_point_id": cp_id, "csms_url": csms_url,
                         "data_dir": os.path.join(self.workdir, "data"), "sim_api_port": self.api_port,
                         "reconnect": {"min_s": 0.2, "max_s": 1}, "dashboard": {"port": 0}}
        self.settings.update(settings)
        self.config_path = os.path.join(self.workdir, "settings.json")
        self.log_path = os.path.join(self.workdir, "station.log")
        self.proc = None
        self._pump = None

    async def start(self):
        with open(self.config_path, "w") as f:
            json.dump(self.settings, f)
        env = dict(os.environ, PYTHONPATH=ROOT, PYTHONUNBUFFERED="1")
        env.update(self.extra_env)
        argv = [sys.executable, "-m", "controller.runtime.cli", "run", "--config", self.config_path] + self.extra_args
        if self.stdout_file:
            with open(self.log_path, "ab") as out:
                self.proc = await asyncio.create_subprocess_exec(*argv, stdout=out, stderr=asyncio.subprocess.STDOUT,
                                                                 cwd=ROOT, env=env)
        else:
            self.proc = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE,
                                                             stderr=asyncio.subprocess.STDOUT, cwd=ROOT, env=env)
            self._pump = asyncio.ensure_future(self._copy_output(self.proc.stdout))
        return await self.wait_api()

    async def _copy_output(self, stream):
        with open(self.log_path, "ab") as log:
            while True:
                line = await stream.readline()
                if not line:
                    return
                log.write(line)
                log.flush()
                if self.echo is not None:
                    self.echo(line.decode(errors="replace").rstrip("\n"))

    async def wait_api(self, timeout=15):
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while loop.time() < end:
            if self.proc.returncode is not None:
                raise RuntimeError("the station exited with " + str(self.proc.returncode) + ":\n" + self.log_text())
            try:
                return await self.api("GET", "/state")
            except OSError:
                await asyncio.sleep(0.05)
        raise RuntimeError("the station's control API did not come up:\n" + self.log_text())

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

    def dashboard_url(self):
        """The dashboard's address (its port is written to the data folder once it serves)."""
        with open(os.path.join(self.settings["data_dir"], "dashboard.port")) as f:
            return "http://127.0.0.1:" + f.read().strip() + "/"

    async def post(self, path, **body):
        return await self.api("POST", path, body)

    async def state(self):
        return await self.api("GET", "/state")

    async def kill(self):
        """A power cut: SIGKILL, no goodbye."""
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()
        await self._drain()

    async def stop(self):
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        await self._drain()

    async def _drain(self):
        if self._pump is not None:
            try:
                await asyncio.wait_for(self._pump, 2)
            except asyncio.TimeoutError:
                self._pump.cancel()
            self._pump = None

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-6000:]
        except OSError:
            return ""
