"""SHA-1 in pure Python, for the WebSocket handshake's Sec-WebSocket-Accept on ports without hashlib.sha1.

Only a few dozen bytes are hashed per connection, so speed does not matter; `digest(data)` returns 20 bytes.
"""

import struct

_MASK = 0xFFFFFFFF


def _rol(x, n):
    return ((x << n) | (x >> (32 - n))) & _MASK


def digest(data):
    h = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0]
    n = len(data)
    data = bytes(data) + b"\x80" + b"\x00" * ((55 - n) % 64) + struct.pack(">Q", n * 8)
    for off in range(0, len(data), 64):
        w = list(struct.unpack(">16I", data[off:off + 64]))
        for i in range(16, 80):
            w.append(_rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1))
        a, b, c, d, e = h
        for i in range(80):
            if i < 20:
                f, k = (b & c) | (~b & d), 0x5A827999
            elif i < 40:
                f, k = b ^ c ^ d, 0x6ED9EBA1
            elif i < 60:
                f, k = (b & c) | (b & d) | (c & d), 0x8F1BBCDC
            else:
                f, k = b ^ c ^ d, 0xCA62C1D6
            a, b, c, d, e = (_rol(a, 5) + (f & _MASK) + e + k + w[i]) & _MASK, a, _rol(b, 30), c, d
        h = [(h[0] + a) & _MASK, (h[1] + b) & _MASK, (h[2] + c) & _MASK, (h[3] + d) & _MASK, (h[4] + e) & _MASK]
    return struct.pack(">5I", h[0], h[1], h[2], h[3], h[4])
