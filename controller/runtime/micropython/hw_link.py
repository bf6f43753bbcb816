"""The hardware seam (`poll(now) -> events`, `apply(command)`) over one TCP line to another process.

The unix-port tests run the station on MicroPython and keep the desktop-sim emulators and their drivers in the
CPython test process (tests/unixport/hw_server.py), so the interpreter's heap holds the station alone, as on a
board. Each call is one JSON line and one answer line on 127.0.0.1:

    {"poll": <now>}       -> [event, ...]
    {"apply": <command>}  -> {"ok": true}
"""

import json
import socket


class HardwareLink:
    blocking = False

    def __init__(self, host, port):
        addr = socket.getaddrinfo(host, port)[0][-1]
        self.sock = socket.socket()
        self.sock.connect(addr)

    def _ask(self, message):
        self.sock.write(json.dumps(message).encode() + b"\n")
        line = self.sock.readline()
        if not line:
            raise OSError("hardware link closed")
        return json.loads(line)

    def poll(self, now):
        return self._ask({"poll": now})

    def apply(self, command):
        self._ask({"apply": command})
