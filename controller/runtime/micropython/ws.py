"""A small RFC 6455 WebSocket client over asyncio streams: the MicroPython runtime's link to the CSMS.

It runs on MicroPython 1.27 and on CPython (the tests run it on both against the `websockets` server).

    ws = await connect("ws://host:9000/ocpp/CP1", subprotocol="ocpp1.6", headers={...}, ssl=ctx)
    text = await ws.recv()          # a whole message: str for text, bytes for binary; raises ConnectionClosed
    await ws.send(text)             # one frame (or fragments of `fragment` bytes), masked as a client must
    await ws.ping(); await ws.wait_pong(timeout_s)
    await ws.close(1000, "bye")

What it does: the opening handshake (Sec-WebSocket-Key / Accept checked, the subprotocol required), masking of
every client frame, reassembly of fragmented messages with control frames in between, automatic pongs, the close
handshake with the peer's code, and a limit on the size of one message (`max_size`; 1009 closes a larger one).
Protocol errors from the server (masked frames, reserved bits, bad opcodes, oversized or fragmented control
frames, a continuation without a start, bad UTF-8) close the connection with 1002 / 1007. A connection that ends
in the middle of a frame raises ConnectionClosed with code 1006. One task receives; others may send and ping.
"""

import asyncio
import binascii
import struct

try:
    import hashlib
    _sha1 = hashlib.sha1 if hasattr(hashlib, "sha1") else None
except ImportError:
    _sha1 = None

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CONT = 0
TEXT = 1
BINARY = 2
CLOSE = 8
PING = 9
PONG = 10
MAX_HEAD_LINES = 64
MAX_HEAD_LINE = 4096


class ConnectionClosed(Exception):
    """The connection is over: `code` is the peer's close code, 1006 when it simply went away."""

    def __init__(self, code, reason=""):
        super().__init__("closed: " + str(code) + (" " + reason if reason else ""))
        self.code = code
        self.reason = reason


class HandshakeError(Exception):
    """The server did not open a WebSocket (`status` is its HTTP status, 0 when the answer was not HTTP)."""

    def __init__(self, text, status=0):
        super().__init__(text)
        self.status = status


def parse_url(url):
    """(secure, host, port, path) of a ws:// or wss:// URL."""
    if url.startswith("ws://"):
        secure, rest = False, url[5:]
    elif url.startswith("wss://"):
        secure, rest = True, url[6:]
    else:
        raise ValueError("not a ws:// or wss:// URL: " + url)
    cut = rest.find("/")
    hostport, path = (rest, "/") if cut < 0 else (rest[:cut], rest[cut:])
    port = 443 if secure else 80
    if hostport.startswith("["):
        end = hostport.find("]")
        host = hostport[1:end]
        if hostport[end + 1:end + 2] == ":":
            port = int(hostport[end + 2:])
    elif ":" in hostport:
        host, text = hostport.rsplit(":", 1)
        port = int(text)
    else:
        host = hostport
    if not host:
        raise ValueError("no host in URL: " + url)
    return secure, host, port, path


def quote(text):
    """Percent-encode a path segment (a charge point id) as RFC 3986 asks."""
    out = []
    for b in text.encode():
        if 48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122 or b in b"-._~":
            out.append(chr(b))
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def b64(data):
    return binascii.b2a_base64(data).decode().strip()


def accept_key(key):
    """The Sec-WebSocket-Accept value for a Sec-WebSocket-Key (RFC 6455 §4.2.2)."""
    data = key.encode() + GUID
    if _sha1 is not None:
        return b64(_sha1(data).digest())
    from controller.runtime.micropython import sha1
    return b64(sha1.digest(data))


def random_bytes(n):
    try:
        import os
        return os.urandom(n)
    except (ImportError, AttributeError, NotImplementedError):
        import random
        return bytes([random.getrandbits(8) for _ in range(n)])


def mask(data, key, start=0):
    """`data` XOR the 4-byte `key`, repeated from offset `start` (in place on a bytearray, which is returned)."""
    buf = data if isinstance(data, bytearray) else bytearray(data)
    k0, k1, k2, k3 = key[0], key[1], key[2], key[3]
    n = len(buf)
    i = start
    end4 = n - ((n - start) % 4)
    while i < end4:
        buf[i] ^= k0
        buf[i + 1] ^= k1
        buf[i + 2] ^= k2
        buf[i + 3] ^= k3
        i += 4
    while i < n:
        buf[i] ^= key[(i - start) % 4]
        i += 1
    return buf


def frame(opcode, payload, fin=True):
    """A masked client frame, built in one buffer (no copies of the payload beyond it: heap on a board)."""
    n = len(payload)
    first = (0x80 if fin else 0) | opcode
    if n < 126:
        head = struct.pack("!BB", first, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", first, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", first, 0x80 | 127, n)
    key = random_bytes(4)
    start = len(head) + 4
    buf = bytearray(start + n)
    buf[0:len(head)] = head
    buf[len(head):start] = key
    buf[start:] = payload
    return mask(buf, key, start)


async def _read_head(reader):
    status = None
    headers = {}
    for _ in range(MAX_HEAD_LINES):
        line = await reader.readline()
        if not line:
            raise HandshakeError("the server closed the connection during the handshake")
        if len(line) > MAX_HEAD_LINE:
            raise HandshakeError("handshake line too long")
        line = line.decode().strip()
        if status is None:
            parts = line.split(" ")
            if len(parts) < 2 or not parts[0].startswith("HTTP/"):
                raise HandshakeError("not an HTTP answer: " + line[:80])
            try:
                status = int(parts[1])
            except ValueError:
                raise HandshakeError("not an HTTP status: " + line[:80])
            continue
        if not line:
            return status, headers
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    raise HandshakeError("handshake head too long")


async def connect(url, subprotocol="ocpp1.6", headers=None, ssl=None, max_size=65536, timeout_s=10,
                  server_hostname=None):
    """Open a WebSocket; raises HandshakeError, OSError or asyncio.TimeoutError when it cannot."""
    secure, host, port, path = parse_url(url)
    if secure and ssl is None:
        ssl = True
    if not secure:
        ssl = None
    if ssl is None:
        opening = asyncio.open_connection(host, port)
    else:
        opening = asyncio.open_connection(host, port, ssl=ssl, server_hostname=server_hostname or host)
    reader, writer = await asyncio.wait_for(opening, timeout_s)
    try:
        key = b64(random_bytes(16))
        lines = ["GET " + path + " HTTP/1.1", "Host: " + host + ":" + str(port), "Upgrade: websocket",
                 "Connection: Upgrade", "Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: 13"]
        if subprotocol:
            lines.append("Sec-WebSocket-Protocol: " + subprotocol)
        for name in (headers or {}):
            lines.append(name + ": " + headers[name])
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        status, answer = await asyncio.wait_for(_read_head(reader), timeout_s)
        if status != 101:
            raise HandshakeError("the server answered HTTP " + str(status) + " instead of 101", status)
        if answer.get("upgrade", "").lower() != "websocket" or \
                "upgrade" not in answer.get("connection", "").lower():
            raise HandshakeError("the server did not upgrade to WebSocket", status)
        if answer.get("sec-websocket-accept") != accept_key(key):
            raise HandshakeError("wrong Sec-WebSocket-Accept", status)
        agreed = answer.get("sec-websocket-protocol")
        if subprotocol and agreed != subprotocol:
            raise HandshakeError("the server did not agree to subprotocol " + subprotocol + " (it answered " +
                                 repr(agreed) + ")", status)
    except BaseException:
        _close_transport(writer)
        raise
    return WebSocket(reader, writer, max_size, agreed)


def _close_transport(writer):
    try:
        writer.close()
        sock = getattr(writer, "s", None)  # MicroPython's Stream.close() leaves the socket open
        if sock is not None:
            sock.close()
    except Exception:
        pass


class WebSocket:
    def __init__(self, reader, writer, max_size, subprotocol=None):
        self.reader = reader
        self.writer = writer
        self.max_size = max_size
        self.subprotocol = subprotocol
        self.pong = asyncio.Event()
        self.closed = None           # the ConnectionClosed once the connection is over
        self.close_sent = False
        self.peer_closed = asyncio.Event()
        self.receiving = False       # a task is inside recv(): it will see the peer's close frame

    # ---- sending ---------------------------------------------------------------------------------------------
    async def _write(self, data):
        if self.closed is not None:
            raise self.closed
        try:
            self.writer.write(data)
            await self.writer.drain()
        except (OSError, EOFError) as e:
            self._lost("write failed: " + str(e))
            raise self.closed

    async def send(self, message, fragment=0):
        """Send a str as a text message or bytes as a binary one; `fragment` > 0 splits it into such frames."""
        if isinstance(message, str):
            opcode, data = TEXT, message.encode()
        else:
            opcode, data = BINARY, bytes(message)
        if fragment <= 0 or len(data) <= fragment:
            await self._write(frame(opcode, data))
            return
        off = 0
        first = True
        while off < len(data):
            part = data[off:off + fragment]
            off += len(part)
            await self._write(frame(opcode if first else CONT, part, off >= len(data)))
            first = False

    async def ping(self, payload=b""):
        self.pong.clear()
        await self._write(frame(PING, payload))

    async def wait_pong(self, timeout_s):
        """True when a pong came within `timeout_s` seconds of the last ping."""
        try:
            await asyncio.wait_for(self.pong.wait(), timeout_s)
            return True
        except asyncio.TimeoutError:
            return False

    async def close(self, code=1000, reason="", timeout_s=2):
        """The closing handshake: send our close frame, wait for the peer's (read here if nobody else does)."""
        if self.closed is None and not self.close_sent:
            self.close_sent = True
            try:
                await self._write(frame(CLOSE, struct.pack("!H", code) + reason.encode()[:120]))
            except ConnectionClosed:
                pass
        if self.closed is None:
            try:
                await asyncio.wait_for(self.peer_closed.wait() if self.receiving else self._until_closed(),
                                       timeout_s)
            except (asyncio.TimeoutError, ConnectionClosed):
                pass
        if self.closed is None:
            self.closed = ConnectionClosed(code, reason)
        _close_transport(self.writer)

    async def _until_closed(self):
        while True:
            await self.recv()

    def abort(self):
        """Drop the connection at once, no closing handshake."""
        self._lost("aborted")
        _close_transport(self.writer)

    def _lost(self, reason):
        if self.closed is None:
            self.closed = ConnectionClosed(1006, reason)
        self.peer_closed.set()

    # ---- receiving -------------------------------------------------------------------------------------------
    async def _fail(self, code, reason):
        if self.closed is None and not self.close_sent:
            self.close_sent = True
            try:
                self.writer.write(frame(CLOSE, struct.pack("!H", code) + reason.encode()[:120]))
                await self.writer.drain()
            except Exception:
                pass
        if self.closed is None:
            self.closed = ConnectionClosed(code, reason)
        self.peer_closed.set()
        _close_transport(self.writer)
        raise self.closed

    async def _exactly(self, n):
        try:
            data = await self.reader.readexactly(n)
        except (EOFError, OSError) as e:
            self._lost("connection ended inside a frame" + (": " + str(e) if str(e) else ""))
            _close_transport(self.writer)
            raise self.closed
        return data

    async def _frame(self):
        """(fin, opcode, payload) of the next frame."""
        b0, b1 = struct.unpack("!BB", await self._exactly(2))
        if b0 & 0x70:
            await self._fail(1002, "reserved bits set")
        if b1 & 0x80:
            await self._fail(1002, "a server must not mask its frames")
        fin = (b0 & 0x80) != 0
        opcode = b0 & 0x0F
        n = b1 & 0x7F
        if opcode >= 8:
            if not fin or n > 125:
                await self._fail(1002, "bad control frame")
            if opcode > PONG:
                await self._fail(1002, "unknown opcode " + str(opcode))
        elif opcode > BINARY:
            await self._fail(1002, "unknown opcode " + str(opcode))
        if n == 126:
            n = struct.unpack("!H", await self._exactly(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", await self._exactly(8))[0]
        if n > self.max_size:
            await self._fail(1009, "frame of " + str(n) + " bytes is over the limit of " + str(self.max_size))
        payload = await self._exactly(n) if n else b""
        return fin, opcode, payload

    async def recv(self):
        """The next whole message (str or bytes). Answers pings and notes pongs meanwhile."""
        if self.closed is not None:
            raise self.closed
        self.receiving = True
        try:
            return await self._message()
        finally:
            self.receiving = False

    async def _message(self):
        parts = None
        kind = None
        size = 0
        while True:
            fin, opcode, payload = await self._frame()
            if opcode == PING:
                await self._write(frame(PONG, payload))
                continue
            if opcode == PONG:
                self.pong.set()
                continue
            if opcode == CLOSE:
                await self._on_close(payload)
            if opcode == CONT:
                if parts is None:
                    await self._fail(1002, "continuation without a message")
            else:
                if parts is not None:
                    await self._fail(1002, "a new message inside a fragmented one")
                parts = []
                kind = opcode
                size = 0
            size += len(payload)
            if size > self.max_size:
                await self._fail(1009, "message over the limit of " + str(self.max_size) + " bytes")
            parts.append(payload)
            if fin:
                data = parts[0] if len(parts) == 1 else b"".join(parts)
                parts = None
                if kind == BINARY:
                    return data
                try:
                    return data.decode()
                except UnicodeError:
                    await self._fail(1007, "text message is not UTF-8")

    async def _on_close(self, payload):
        code, reason = 1005, ""
        if len(payload) >= 2:
            code = struct.unpack("!H", payload[:2])[0]
            try:
                reason = payload[2:].decode()
            except UnicodeError:
                reason = ""
        if not self.close_sent:
            self.close_sent = True
            try:
                echo = payload[:2] if len(payload) >= 2 else b""
                self.writer.write(frame(CLOSE, echo))
                await self.writer.drain()
            except Exception:
                pass
        self.closed = ConnectionClosed(code, reason)
        self.peer_closed.set()
        _close_transport(self.writer)
        raise self.closed
