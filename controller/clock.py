"""ISO 8601 / RFC 3339 timestamps and the station's wall clock, without `datetime`.

Time inside the core is integer milliseconds: `now_ms` is monotonic and comes from the runtime; the wall clock is
an offset on top of it that BootNotification and Heartbeat `currentTime` correct.
"""

MS_PER_DAY = 86400000


def days_from_civil(y, m, d):
    """Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm)."""
    if m <= 2:
        y -= 1
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z):
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return (y + 1 if m <= 2 else y, m, d)


def _pad(n, width):
    s = str(n)
    return "0" * (width - len(s)) + s


def format_iso(epoch_ms, with_ms=True):
    """UTC timestamp such as 2026-11-22T00:40:23.123Z."""
    days = epoch_ms // MS_PER_DAY
    rest = epoch_ms - days * MS_PER_DAY
    y, m, d = civil_from_days(days)
    secs = rest // 1000
    text = _pad(y, 4) + "-" + _pad(m, 2) + "-" + _pad(d, 2) + "T" + _pad(secs // 3600, 2) + ":" + \
        _pad(secs // 60 % 60, 2) + ":" + _pad(secs % 60, 2)
    if with_ms:
        text += "." + _pad(rest % 1000, 3)
    return text + "Z"


def _digits(s, start, count):
    part = s[start:start + count]
    if len(part) != count:
        return None
    for ch in part:
        if ch < "0" or ch > "9":
            return None
    return int(part)


def _days_in_month(y, m):
    if m == 2:
        return 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28
    return 30 if m in (4, 6, 9, 11) else 31


def parse_iso(s):
    """Epoch milliseconds for an RFC 3339 date-time, or None when `s` is not one.

    Accepts any number of fractional digits (truncated to ms), `Z`/`z` or a `+hh:mm`/`-hh:mm` offset.
    """
    if not isinstance(s, str) or len(s) < 20:
        return None
    y = _digits(s, 0, 4)
    mo = _digits(s, 5, 2)
    d = _digits(s, 8, 2)
    h = _digits(s, 11, 2)
    mi = _digits(s, 14, 2)
    sec = _digits(s, 17, 2)
    if None in (y, mo, d, h, mi, sec) or s[4] != "-" or s[7] != "-" or s[10] not in "Tt" \
            or s[13] != ":" or s[16] != ":":
        return None
    if not (1 <= mo <= 12 and 1 <= d <= _days_in_month(y, mo) and h < 24 and mi < 60 and sec <= 60):
        return None
    i = 19
    ms = 0
    if s[i] == ".":
        j = i + 1
        while j < len(s) and "0" <= s[j] <= "9":
            j += 1
        if j == i + 1:
            return None
        ms = int((s[i + 1:j] + "00")[:3])
        i = j
    tail = s[i:]
    if tail in ("Z", "z"):
        offset = 0
    elif len(tail) == 6 and tail[0] in "+-" and tail[3] == ":":
        oh = _digits(tail, 1, 2)
        om = _digits(tail, 4, 2)
        if oh is None or om is None or oh > 23 or om > 59:
            return None
        offset = (oh * 60 + om) * 60000
        if tail[0] == "-":
            offset = -offset
    else:
        return None
    if sec == 60:
        sec = 59  # a leap second is folded into the second before it
    epoch = (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) * 1000 + ms
    return epoch - offset


class WallClock:
    """Maps monotonic `now_ms` to UTC epoch ms. `is_set` is False until a trusted source set it."""

    def __init__(self, epoch_ms=0, now_ms=0, trusted=False):
        self.offset = epoch_ms - now_ms
        self.is_set = trusted
        self.on_set = None     # fn(jump_ms, now_ms) after every set: the security log notes large jumps

    def set(self, epoch_ms, now_ms):
        jump = epoch_ms - now_ms - self.offset
        self.offset = epoch_ms - now_ms
        self.is_set = True
        if self.on_set is not None:
            self.on_set(jump, now_ms)

    def epoch_ms(self, now_ms):
        return now_ms + self.offset

    def iso(self, now_ms):
        return format_iso(self.epoch_ms(now_ms))
