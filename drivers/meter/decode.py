"""Decoding of meter register words: IEEE-754 float32 and (un)signed 16/32/64-bit integers, big-endian.

Float energy is converted to integer Wh exactly from the float's bits (mantissa x 2^exponent x scale, rounded half
away from zero), so CPython and MicroPython (32-bit floats) give the same Wh. "Not available" sentinels (all 0xFF
for unsigned, 0x7FFF.. for signed, as ABB uses) and NaN/inf decode to None.
"""

import struct

WIDTH = {"f32": 4, "u16": 2, "s16": 2, "u32": 4, "s32": 4, "u64": 8, "s64": 8}


def _uint(data):
    n = 0
    for b in data:
        n = (n << 8) | b
    return n


def f32_is_finite(data):
    return (_uint(data) >> 23) & 0xFF != 0xFF


def f32(data):
    """4 bytes big-endian -> float, or None for NaN/inf."""
    if not f32_is_finite(data):
        return None
    return struct.unpack(">f", bytes(data))[0]


def f32_scaled_int(data, scale):
    """round(float32 value x integer `scale`) computed exactly with integers; None for NaN/inf."""
    bits = _uint(data)
    exp = (bits >> 23) & 0xFF
    if exp == 0xFF:
        return None
    mant = bits & 0x7FFFFF
    if exp:
        mant |= 0x800000
        e = exp - 150
    else:
        e = -149
    num = mant * scale
    if e >= 0:
        v = num << e
    else:
        den = 1 << -e
        v = (2 * num + den) // (2 * den)
    return -v if bits >> 31 else v


def integer(data, kind):
    """Big-endian integer of type u16/s16/u32/s32/u64/s64; None for the "not available" sentinels."""
    n = _uint(data)
    bits = 8 * len(data)
    if kind[0] == "u":
        return None if n == (1 << bits) - 1 else n
    if n == (1 << (bits - 1)) - 1:
        return None
    if n >> (bits - 1):
        n -= 1 << bits
    return n


def value(data, kind):
    """Decode one field: float for f32, int for integer types, None when not available."""
    if kind == "f32":
        return f32(data)
    return integer(data, kind)
