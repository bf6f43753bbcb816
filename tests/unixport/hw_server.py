"""The desktop-sim hardware (wire-level emulators and the real drivers on them) in the test process, served to a
station on the unix port over controller/runtime/micropython/hw_link.py's JSON lines. The test plays the EV and
the driver on `rig` directly (plug, present_tag, unplug)."""

import asyncio
import json
import time

from controller.storage import FileStorage
from drivers.sim.desktop_rig import DesktopRig


def now_ms():
    return time.monotonic_ns() // 1000000


class HardwareServer:
    def __init__(self, board, data_dir):
        self.rig = DesktopRig(board, FileStorage(data_dir), now_ms())
        self.server = None
        self.polls = 0
        self.commands = []

    async def start(self):
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return "127.0.0.1:%d" % self.server.sockets[0].getsockname()[1]

    async def stop(self):
        self.server.close()
        await self.server.wait_closed()

    async def _client(self, reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                message = json.loads(line)
                if "poll" in message:
                    self.polls += 1
                    answer = self.rig.poll(now_ms())
                else:
                    self.commands.append(message["apply"])
                    self.rig.apply(message["apply"])
                    answer = {"ok": True}
                writer.write(json.dumps(answer).encode() + b"\n")
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
