"""A tiny hand-written OCPP 1.6-J client for testing the bench CSMS: raw frames, no validation, no logic."""

import asyncio
import functools
import json

from websockets.asyncio.client import connect

BOOT = {"chargePointVendor": "TestVendor", "chargePointModel": "RawStation"}
TIMEOUT = 5


def async_test(fn):
    """Run an async test function in a fresh event loop (no pytest-asyncio here)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(asyncio.wait_for(fn(*args, **kwargs), 20))
    return wrapper


class RawStation:
    def __init__(self, ws):
        self.ws = ws
        self.count = 0

    @classmethod
    async def connect(cls, base_url, cp_id="CP001", subprotocols=("ocpp1.6",), **kwargs):
        ws = await connect("%s/%s" % (base_url, cp_id), subprotocols=list(subprotocols) or None,
                           open_timeout=TIMEOUT, **kwargs)
        return cls(ws)

    async def send(self, frame):
        await self.ws.send(frame if isinstance(frame, (str, bytes)) else json.dumps(frame))

    async def recv(self):
        return json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT))

    async def call(self, action, payload, msg_id=None):
        """Send a CALL and return the next frame received (the CSMS's answer)."""
        self.count += 1
        await self.send([2, msg_id or "m%d" % self.count, action, payload])
        return await self.recv()

    async def boot(self):
        return await self.call("BootNotification", BOOT)

    async def answer_next(self, payload):
        """Receive the CSMS's next CALL, answer it with `payload`, return the CALL."""
        frame = await self.recv()
        await self.send([3, frame[1], payload])
        return frame

    async def close(self):
        await self.ws.close()
