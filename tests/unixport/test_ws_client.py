"""The MicroPython runtime's WebSocket client (controller/runtime/micropython/ws.py) against a real `websockets`
server on 127.0.0.1, run by CPython and by the MicroPython 1.27 unix port: handshake and subprotocol, fragments
both ways with a ping inside, a 64 KiB frame, the size limit, ping/pong, close codes both ways, a server that drops
the connection inside a frame, a server without ocpp1.6, Basic auth."""

import asyncio
import os

import pytest

from tests.unixport import interpreters
from tests.unixport.ws_server import WsTestServer

SCRIPT = os.path.join(interpreters.ROOT, "tests", "unixport", "ws_checks.py")
CHECKS = 11


async def run_checks(argv, env):
    server = WsTestServer()
    url = await server.start()
    try:
        proc = await asyncio.create_subprocess_exec(*argv, SCRIPT, url, stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.PIPE, cwd=interpreters.ROOT,
                                                    env=env)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        await server.stop()
    return proc.returncode, out.decode(), err.decode(), server


@pytest.mark.parametrize("target", ["cpython", "micropython"])
def test_ws_client(target):
    if target == "cpython":
        argv, env = interpreters.cpython(), dict(os.environ, PYTHONPATH=interpreters.ROOT)
    else:
        argv, env = interpreters.micropython(), interpreters.env()
    code, out, err, server = asyncio.run(run_checks(argv, env))
    assert code == 0 and "FAIL" not in out and out.rstrip().endswith("%d passed, 0 failed" % CHECKS), out + err
    assert server.closes.get("/echo") and 1001 in server.closes["/echo"], server.closes   # our close code arrived
    assert 1009 in server.closes.get("/big", []), server.closes   # the limit closes with 1009
