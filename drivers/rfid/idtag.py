"""idTag formation from card UIDs and idTag comparison (OCPP 1.6 §3.9, hardware.md §1.6).

Rule: the UID bytes in reception order (byte 0 first), upper-case hex, no separators; 4 bytes -> 8 chars,
7 -> 14, 10 -> 20 (IdToken is CiString20). EM4100 tags (5 bytes) give 10 hex chars by default, or the 8-char
32-bit form, or the 10-digit decimal printed on many cards. idTags compare case-insensitively everywhere.
"""

MAX_LEN = 20

EM_HEX10 = "hex10"     # 14008EC793 (version byte + 32-bit number)
EM_HEX8 = "hex8"       # 008EC793
EM_DEC10 = "dec10"     # 0009357203
EM_FORMATS = (EM_HEX10, EM_HEX8, EM_DEC10)


def hex_upper(data):
    """Bytes as upper-case hex without separators."""
    return "".join("%02X" % b for b in data)


def from_uid(uid):
    """idTag for an ISO 14443 UID (bytes). Raises ValueError for an empty UID or one longer than 10 bytes."""
    uid = bytes(uid)
    if not uid:
        raise ValueError("empty UID")
    if 2 * len(uid) > MAX_LEN:
        raise ValueError("UID of %d bytes does not fit an idTag of %d chars" % (len(uid), MAX_LEN))
    return hex_upper(uid)


def from_em4100(data, fmt=EM_HEX10):
    """idTag for the 5 data bytes of an EM4100 tag in one of EM_FORMATS."""
    data = bytes(data)
    if len(data) != 5:
        raise ValueError("EM4100 data is 5 bytes")
    if fmt == EM_HEX10:
        return hex_upper(data)
    if fmt == EM_HEX8:
        return hex_upper(data[1:])
    if fmt == EM_DEC10:
        n = (data[1] << 24) | (data[2] << 16) | (data[3] << 8) | data[4]
        return "%010d" % n
    raise ValueError("unknown EM4100 idTag format %r" % (fmt,))


def is_valid(id_tag):
    """True for a CiString20: 1..20 printable ASCII characters."""
    if not isinstance(id_tag, str) or not 0 < len(id_tag) <= MAX_LEN:
        return False
    for ch in id_tag:
        if not 0x20 <= ord(ch) <= 0x7E:
            return False
    return True


def normalize(id_tag):
    """The form used as a key when comparing (upper case)."""
    return id_tag.upper()


def equals(a, b):
    """Case-insensitive idTag comparison (CiString20); None never equals anything."""
    if a is None or b is None:
        return False
    return a.upper() == b.upper()
