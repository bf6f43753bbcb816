"""The Local Authorization List on disk: one sorted file of fixed-width records, searched without loading it.

The file ("local_list.bin") holds, in order:
    records  `count` records of REC bytes, sorted by key: key (the idTag in upper case, NUL-padded to KEY bytes),
             status (one letter), expiry (13 digits, epoch ms, 0 = none), parentIdTag (NUL-padded to KEY), "\\n"
    index    the key of every BLOCK-th record, KEY bytes each
    trailer  REC bytes: "LAL1 <version> <count>", space-padded, "\\n"
It is replaced as a whole through the storage port's atomic write, so the version and the entries always match
and a failed or interrupted write leaves the old list. In RAM: the index (KEY bytes per BLOCK entries: 6.3 KB for
10,000 entries) and one block at a time, both while looking up and while merging an update.
"""

FILE = "local_list.bin"
KEY = 20                  # idTag and parentIdTag are CiString20: at most 20 printable ASCII characters
REC = KEY + 1 + 13 + KEY + 1
BLOCK = 32
MAGIC = b"LAL1"

STATUS_CODE = {"Accepted": b"A", "Blocked": b"B", "Expired": b"E", "Invalid": b"I", "ConcurrentTx": b"C"}
CODE_STATUS = {}
for _name in STATUS_CODE:
    CODE_STATUS[STATUS_CODE[_name][0]] = _name


class ListTooLong(Exception):
    pass


def _pad(raw):
    return raw + bytes(KEY - len(raw))


def _field(text):
    if not isinstance(text, str) or not 1 <= len(text) <= KEY:
        raise ValueError("an idTag has 1 to 20 characters")
    for ch in text:
        if not " " <= ch <= "~":
            raise ValueError("an idTag is printable ASCII")
    return _pad(text.encode())


def key_of(id_tag):
    """The sort key of an idTag; ValueError when it is not 1-20 printable ASCII characters."""
    _field(id_tag)
    return _pad(id_tag.upper().encode())


def record(key, status, expiry_ms, parent):
    """One record; `parent` is an idTag or None, `expiry_ms` an epoch ms or None."""
    code = STATUS_CODE.get(status)
    if code is None:
        raise ValueError("unknown status " + repr(status))
    stamp = str(int(expiry_ms or 0))
    if len(stamp) > 13:
        raise ValueError("expiryDate out of range")
    stamp = "0" * (13 - len(stamp)) + stamp
    tail = _field(parent) if parent else bytes(KEY)     # kept as given; compared case-insensitively when used
    return key + code + stamp.encode() + tail + b"\n"


def decode(rec):
    """(status, expiry_ms or None, parentIdTag or None) of a record."""
    expiry = int(rec[KEY + 1:KEY + 14])
    parent = rec[KEY + 14:KEY + 14 + KEY].rstrip(b"\x00")
    return CODE_STATUS.get(rec[KEY], "Invalid"), (expiry or None), (parent.decode() if parent else None)


def _trailer(version, count):
    text = MAGIC + b" " + str(version).encode() + b" " + str(count).encode()
    return text + b" " * (REC - 1 - len(text)) + b"\n"


def _blocks(count):
    return (count + BLOCK - 1) // BLOCK


def _next(iterator):
    for item in iterator:
        return item
    return None


class ListStore:
    def __init__(self, store, name=FILE):
        self.store = store
        self.name = name
        self.version = 0
        self.count = 0
        self.index = b""

    def load(self):
        """Read the trailer and the index; an absent or damaged file is an empty list. False if damaged."""
        self.version, self.count, self.index = 0, 0, b""
        size = self.store.size(self.name)
        if size == 0:
            return True
        tail = self.store.read_at(self.name, size - REC, REC) or b""
        parts = tail.split()
        try:
            if len(parts) != 3 or parts[0] != MAGIC:
                raise ValueError("no trailer")
            version, count = int(parts[1]), int(parts[2])
        except ValueError:
            return False
        blocks = _blocks(count)
        if count < 0 or size != count * REC + blocks * KEY + REC:
            return False
        index = self.store.read_at(self.name, count * REC, blocks * KEY) or b""
        if len(index) != blocks * KEY:
            return False
        self.version, self.count, self.index = version, count, index
        return True

    def _block(self, b):
        n = min(BLOCK, self.count - b * BLOCK)
        data = self.store.read_at(self.name, b * BLOCK * REC, n * REC) or b""
        return data, len(data) // REC

    def lookup(self, id_tag):
        """(status, expiry_ms or None, parentIdTag or None) for `id_tag`, or None when the list lacks it."""
        if self.count == 0:
            return None
        try:
            key = key_of(id_tag)
        except ValueError:
            return None
        index = self.index
        lo, hi = 0, len(index) // KEY
        while lo < hi:
            mid = (lo + hi) // 2
            if index[mid * KEY:(mid + 1) * KEY] <= key:
                lo = mid + 1
            else:
                hi = mid
        if lo == 0:
            return None
        data, n = self._block(lo - 1)
        lo, hi = 0, n
        while lo < hi:
            mid = (lo + hi) // 2
            probe = data[mid * REC:mid * REC + KEY]
            if probe == key:
                return decode(data[mid * REC:(mid + 1) * REC])
            if probe < key:
                lo = mid + 1
            else:
                hi = mid
        return None

    def _old_records(self):
        for b in range(_blocks(self.count)):
            data, n = self._block(b)
            for i in range(n):
                yield data[i * REC:(i + 1) * REC]

    def _merged(self, changes, keep_old):
        """The records of the new list, in key order: the old ones (if kept) with `changes` applied."""
        old = self._old_records() if keep_old else iter(())
        current = _next(old)
        for key, rec in changes:
            while current is not None and current[:KEY] < key:
                yield current
                current = _next(old)
            if current is not None and current[:KEY] == key:
                current = _next(old)
            if rec is not None:
                yield rec
        while current is not None:
            yield current
            current = _next(old)

    def _chunks(self, version, records, limit, result):
        index = bytearray()
        buf = bytearray()
        count = 0
        for rec in records:
            if count % BLOCK == 0:
                index.extend(rec[:KEY])
                if buf:
                    yield bytes(buf)
                    buf = bytearray()
            count += 1
            if count > limit:
                raise ListTooLong("more than " + str(limit) + " entries")
            buf.extend(rec)
        if buf:
            yield bytes(buf)
        yield bytes(index)
        yield _trailer(version, count)
        result.append((count, bytes(index)))

    def rewrite(self, version, changes, full, limit):
        """Replace the list: `changes` is a key-sorted list of (key, record or None to delete), applied to the old
        list (Differential) or to an empty one (Full). Raises ListTooLong over `limit` entries and the storage's
        error when the write fails; either way the old list stays, on disk and here."""
        result = []
        self.store.write_atomic_chunks(self.name, self._chunks(version, self._merged(changes, not full), limit,
                                                               result))
        self.version = version
        self.count, self.index = result[0]
