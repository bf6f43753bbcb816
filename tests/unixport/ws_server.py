"""A `websockets` server with one path per WebSocket behaviour, for tests/unixport/ws_checks.py.

    /echo/...   echoes every message           /fragments  "abc" "de" "f" with a ping between, then "pong seen"
    /big        sends 64 KiB, answers a length  /close      closes with 4000 "bye"
    /drop       drops the TCP connection inside a frame     /noproto   accepts without a subprotocol
    /auth       Basic auth CP1:secret, else HTTP 401
`closes` records the close code each client sent (per path).
"""

import asyncio
import base64

from websockets.asyncio.server import serve


class WsTestServer:
    def __init__(self):
        self.closes = {}
        self.paths = []
        self.server = None

    async def start(self):
        self.server = await serve(self._handler, "127.0.0.1", 0, subprotocols=["ocpp1.6"],
                                  select_subprotocol=self._select, process_request=self._process,
                                  max_size=1 << 20, ping_interval=None)
        self.port = self.server.sockets[0].getsockname()[1]
        return "ws://127.0.0.1:%d" % self.port

    async def stop(self):
        self.server.close()
        await self.server.wait_closed()

    def _select(self, connection, offered):
        if connection.request.path == "/noproto":
            return None
        return "ocpp1.6" if "ocpp1.6" in offered else None

    def _process(self, connection, request):
        if request.path == "/auth":
            good = "Basic " + base64.b64encode(b"CP1:secret").decode()
            if request.headers.get("Authorization") != good:
                return connection.respond(401, "bad credentials\n")
        return None

    async def _handler(self, sock):
        path = sock.request.path
        self.paths.append(path)
        try:
            if path.startswith("/echo"):
                async for message in sock:
                    await sock.send(message)
            elif path == "/fragments":
                proto = sock.protocol
                proto.send_text(b"abc", fin=False)
                sock.send_data()
                waiter = await sock.ping(b"mid")
                proto.send_continuation(b"de", fin=False)
                proto.send_continuation(b"f", fin=True)
                sock.send_data()
                await asyncio.wait_for(waiter, 3)
                await sock.send("pong seen")
                async for _ in sock:
                    pass
            elif path == "/big":
                await sock.send("x" * 65536)
                async for message in sock:
                    await sock.send(str(len(message)))
            elif path == "/close":
                await sock.close(4000, "bye")
            elif path == "/drop":
                sock.transport.write(b"\x81\x7e\x01\x00" + b"z" * 40)
                await asyncio.sleep(0.05)
                sock.transport.abort()
            elif path == "/auth":
                await sock.send("welcome CP1")
                async for _ in sock:
                    pass
            else:
                async for _ in sock:
                    pass
        except Exception:
            pass
        finally:
            if sock.protocol.close_rcvd is not None:
                self.closes.setdefault(path, []).append(sock.protocol.close_rcvd.code)
