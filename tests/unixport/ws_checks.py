"""The WebSocket client's checks against tests/unixport/ws_server.py, on CPython and on the unix port.

    python tests/unixport/ws_checks.py ws://127.0.0.1:PORT
    micropython tests/unixport/ws_checks.py ws://127.0.0.1:PORT      (MICROPYPATH from interpreters.env())

Prints the suite lines of tests/micropython/suite.py; the server side checks what only it can see.
"""

import sys

_HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
sys.path.insert(0, _HERE + "/../micropython")

import suite  # noqa: E402

import asyncio  # noqa: E402

from controller.runtime.micropython import ws  # noqa: E402

suite.imported()
BASE = sys.argv[1].rstrip("/")


async def opened(path, **kw):
    return await ws.connect(BASE + path, **kw)


async def closed_with(sock):
    try:
        await sock.recv()
    except ws.ConnectionClosed as e:
        return e.code
    raise AssertionError("the connection stayed open")


async def handshake_and_echo():
    sock = await opened("/echo/CP%201")
    suite.eq(sock.subprotocol, "ocpp1.6", "subprotocol")
    await sock.send("[2,\"1\",\"Heartbeat\",{}]")
    suite.eq(await sock.recv(), "[2,\"1\",\"Heartbeat\",{}]", "echo")
    await sock.send(b"\x00\x01\xff")
    suite.eq(await sock.recv(), b"\x00\x01\xff", "binary echo")
    await sock.close()


async def fragmented_send():
    sock = await opened("/echo")
    text = "0123456789" * 1000
    await sock.send(text, fragment=777)
    suite.eq(await sock.recv(), text, "the server reassembled 13 fragments")
    await sock.close()


async def fragmented_receive_with_ping_inside():
    sock = await opened("/fragments")
    suite.eq(await sock.recv(), "abcdef", "three fragments with a ping between them")
    suite.eq(await sock.recv(), "pong seen", "the server saw our pong")
    await sock.close()


async def frame_of_64_kib():
    sock = await opened("/big", max_size=70000)
    got = await sock.recv()
    suite.eq(len(got), 65536, "64 KiB from the server")
    suite.true(got == "x" * 65536, "content")
    await sock.send("y" * 65536)
    suite.eq(await sock.recv(), "65536", "64 KiB to the server")
    await sock.close()


async def over_the_limit():
    sock = await opened("/big", max_size=4096)
    suite.eq(await closed_with(sock), 1009, "message too big")


async def ping_pong():
    sock = await opened("/echo")
    receiver = asyncio.create_task(sock.recv())   # pongs are seen by the task that receives, as in the runtime
    await sock.ping(b"hi")
    suite.true(await sock.wait_pong(3), "pong within 3 s")
    await sock.send("done")
    suite.eq(await receiver, "done", "the receiver went on")
    await sock.close()


async def server_closes():
    sock = await opened("/close")
    suite.eq(await closed_with(sock), 4000, "the server's close code")
    suite.eq(sock.closed.reason, "bye", "the server's reason")


async def client_closes():
    sock = await opened("/echo")
    await sock.close(1001, "going away")
    suite.eq(sock.closed.code, 1001, "our close code, echoed")


async def drop_mid_frame():
    sock = await opened("/drop")
    suite.eq(await closed_with(sock), 1006, "abnormal closure")


async def no_subprotocol():
    try:
        await opened("/noproto")
    except ws.HandshakeError as e:
        suite.true("ocpp1.6" in str(e), str(e))
        return
    raise AssertionError("connected without ocpp1.6")


async def basic_auth():
    sock = await opened("/auth", headers={"Authorization": "Basic " + ws.b64(b"CP1:secret")})
    suite.eq(await sock.recv(), "welcome CP1", "the server checked the credentials")
    await sock.close()
    try:
        await opened("/auth", headers={"Authorization": "Basic " + ws.b64(b"CP1:wrong")})
    except ws.HandshakeError as e:
        suite.eq(e.status, 401, "status")
        return
    raise AssertionError("wrong credentials accepted")


async def main():
    for fn in (handshake_and_echo, fragmented_send, fragmented_receive_with_ping_inside, frame_of_64_kib,
               over_the_limit, ping_pong, server_closes, client_closes, drop_mid_frame, no_subprotocol, basic_auth):
        await suite.check_async(fn.__name__, fn)
    suite.finish()


asyncio.run(main())
