"""A fake systemd for tests: a real AF_UNIX datagram socket that records every notify message with its time.

`NotifyListener(address)` binds a path or an `@name` (abstract) socket; `env()` is what the station needs to talk
to it; `wait(key, value_part)` waits for a `KEY=value` line; `messages` holds (monotonic time, {KEY: value}).
"""

import asyncio
import socket
import time


class NotifyListener:
    def __init__(self, address):
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + address[1:] if address.startswith("@") else address)
        self.sock.setblocking(False)
        self.messages = []
        self._task = None
        self._arrived = asyncio.Event()

    def env(self, watchdog_ms=None):
        out = {"NOTIFY_SOCKET": self.address}
        if watchdog_ms is not None:
            out["WATCHDOG_USEC"] = str(watchdog_ms * 1000)
        return out

    async def __aenter__(self):
        self._task = asyncio.ensure_future(self._receive())
        return self

    async def __aexit__(self, *exc):
        self._task.cancel()
        self.sock.close()

    async def _receive(self):
        loop = asyncio.get_running_loop()
        while True:
            data = await loop.sock_recv(self.sock, 4096)
            fields = {}
            for line in data.decode().splitlines():
                key, _, value = line.partition("=")
                fields[key] = value
            self.messages.append((time.monotonic(), fields))
            self._arrived.set()

    def times(self, key, since=0.0, until=None):
        return [t for t, f in self.messages if key in f and t >= since and (until is None or t <= until)]

    def values(self, key):
        return [f[key] for _, f in self.messages if key in f]

    async def wait(self, key, part="", timeout=15.0, since=0.0):
        end = time.monotonic() + timeout
        while True:
            for t, fields in self.messages:
                if t >= since and key in fields and part in fields[key]:
                    return t
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("no " + key + "=*" + part + "* within " + str(timeout) + " s; got " +
                                     repr([f for _, f in self.messages][-12:]))
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), left)
            except asyncio.TimeoutError:
                pass
