"""A storage double for real power cuts (issue 14): what was not fsynced is gone.

`PowerCutStorage` is the storage port in RAM, like MemoryStorage, but it keeps for each file the bytes that are
durable and the writes made since its last fsync. `cut(rng)` is the power going: every write since the last fsync
of each file is dropped, and with `tear` the first of them may survive in part (a torn write). An atomic document
(write, fsync, rename, directory fsync in FileStorage) is durable at once. It also counts fsyncs and bytes
written, for the flash-wear figures. `arm(n)` makes the power go in the middle of a later write instead: the
n+1-th write from now is torn (with `tear`) and every write after it is lost, until `cut`. Runs on CPython and
MicroPython.
"""


class PowerCutStorage:
    def __init__(self, tear=True):
        self.durable = {}        # name -> bytes that survive a cut
        self.volatile = {}       # name -> [bytes, ...] appended since the last fsync of that file
        self.tear = tear
        self.fsyncs = 0
        self.bytes_written = 0
        self.cuts = 0
        self.torn = 0
        self.writes_left = None  # armed: writes still to come before the one the power fails in
        self.dead = False        # the power failed: nothing written reaches the flash
        self.on_death = None     # called once when the power fails mid-write

    def _alive(self, name, data, append):
        """False when this write is lost; the write the power fails in leaves a torn prefix of an append."""
        if self.dead:
            return False
        if self.writes_left is None:
            return True
        if self.writes_left > 0:
            self.writes_left -= 1
            return True
        self.writes_left = None
        self.dead = True
        if append and self.tear and len(data) > 1:
            self.durable[name] = self.durable.get(name, b"") + data[:len(data) // 2]
            self.torn += 1
        if self.on_death is not None:
            self.on_death()
        return False

    def arm(self, writes):
        self.writes_left = writes

    def _current(self, name):
        data = self.durable.get(name)
        pending = self.volatile.get(name)
        if pending:
            data = (data or b"") + b"".join(pending)
        return data

    def read(self, name):
        return self._current(name)

    def read_at(self, name, offset, length):
        data = self._current(name)
        return None if data is None else data[offset:offset + length]

    def write_atomic(self, name, data):
        self.write_atomic_chunks(name, [data])

    def write_atomic_chunks(self, name, chunks):
        data = b"".join([bytes(c) for c in chunks])
        if not self._alive(name, data, False):
            return
        self.bytes_written += len(data)
        self.fsyncs += 2             # the file, then its directory after the rename
        self.volatile.pop(name, None)
        self.durable[name] = data

    def append(self, name, data, sync=True):
        data = bytes(data)
        if not self._alive(name, data, True):
            return
        self.bytes_written += len(data)
        self.volatile.setdefault(name, []).append(data)
        if sync:
            self.sync(name)

    def sync(self, name):
        if self.dead:
            return
        pending = self.volatile.pop(name, None)
        if pending:
            self.fsyncs += 1
            self.durable[name] = self.durable.get(name, b"") + b"".join(pending)

    def remove(self, name):
        self.durable.pop(name, None)
        self.volatile.pop(name, None)

    def size(self, name):
        data = self._current(name)
        return 0 if data is None else len(data)

    def unsynced(self):
        """Bytes a cut now would lose."""
        return sum([sum([len(w) for w in ws]) for ws in self.volatile.values()])

    def cut(self, rng=None):
        """The power goes: drop what was not fsynced; with `tear` and `rng`, keep part of one lost write."""
        self.cuts += 1
        self.dead = False
        self.writes_left = None
        for name in list(self.volatile):
            pending = self.volatile.pop(name)
            if self.tear and rng is not None and pending and rng.getrandbits(1):
                first = pending[0]
                keep = rng.getrandbits(16) % len(first) if len(first) > 1 else 0
                if keep:
                    self.durable[name] = self.durable.get(name, b"") + first[:keep]
                    self.torn += 1
