"""The journal: a power-safe, append-only record log of transaction messages and transaction state.

Every record is framed as  b"J" | length (4 bytes, big-endian) | CRC-32 (4 bytes) | JSON.  Reading stops at the
first torn or corrupt record (a power cut mid-write) and the file is then rewritten without it. Compaction writes
only what is still live to a new file and renames it over the old one, so a cut at any instant leaves either the
old or the new journal, both complete.

Records ("k" is the kind):
    h  header: journal nonce and the next sequence number and transaction ref (first record of a compacted file)
    m  a message to deliver: id, seq, action, payload, tx ref, kind (start, stop, periodic, clock, other)
    a  the CSMS answered it (with the transactionId, for a StartTransaction)
    f  the CSMS failed to process it: attempts so far
    d  discarded: attempts exhausted, or dropped by the bound policy
    o  a transaction still open at the last compaction (what recovery needs to close it)
A StartTransaction record also opens its transaction ("o" field) and a StopTransaction record ends it ("e"),
in the same record, so no power cut can separate a message from the state it implies. A message record is fsynced before the message is first sent. Acknowledgements are appended at once and made
durable by `sync()`, which the outbox calls at the end of the core step that received the answer, before any later
frame leaves: neither a process kill nor a power cut repeats a message whose answer was received.
"""

import json
import os
import struct

try:
    from binascii import crc32
except ImportError:  # ports built without binascii.crc32
    crc32 = None

NAME = "journal.log"
DROPPABLE = ("periodic", "clock")


def _crc(data):
    if crc32 is not None:
        return crc32(data) & 0xFFFFFFFF
    c = 0xFFFFFFFF
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ (0xEDB88320 if c & 1 else 0)
    return c ^ 0xFFFFFFFF


def frame(record):
    body = json.dumps(record).encode()
    return b"J" + struct.pack(">II", len(body), _crc(body)) + body


def parse(data):
    """(records, clean) where clean is False when a torn or corrupt tail was cut off."""
    records = []
    pos = 0
    n = len(data)
    while pos < n:
        if n - pos < 9 or data[pos:pos + 1] != b"J":
            return records, False
        length, crc = struct.unpack(">II", data[pos + 1:pos + 9])
        body = data[pos + 9:pos + 9 + length]
        if len(body) != length or _crc(body) != crc:
            return records, False
        try:
            records.append(json.loads(body))
        except ValueError:
            return records, False
        pos += 9 + length
    return records, True


def _nonce():
    try:
        raw = os.urandom(3)
    except Exception:
        import random
        raw = bytes([random.getrandbits(8) for _ in range(3)])
    return "".join("%02x" % b for b in raw)


class Entry:
    """A message waiting in the journal for the CSMS to acknowledge it."""

    def __init__(self, record):
        self.id = record["i"]
        self.seq = record["s"]
        self.action = record["a"]
        self.payload = record["p"]
        self.ref = record.get("t")
        self.kind = record.get("c", "other")
        self.attempts = 0
        self.retry_at = None
        self.sent_on = None          # the connection number it was last sent on
        self.resends = 0


class Journal:
    def __init__(self, store, max_pending=20000, compact_bytes=1 << 20):
        self.store = store
        self.max_pending = max_pending
        self.compact_bytes = compact_bytes
        self.pending = []            # Entry objects in delivery order
        self.tx_ids = {}             # tx ref -> transactionId from the CSMS (-1: none ever came)
        self.open_tx = {}            # tx ref -> the "o" record of a transaction not yet ended
        self.nonce = None
        self.next_seq = 1
        self.next_ref = 1
        self.unsynced = 0
        self.dropped = 0
        self._load()

    # ---- loading and compaction ------------------------------------------------------------------------------
    def _load(self):
        raw = self.store.read(NAME) or b""
        records, clean = parse(raw)
        by_id = {}
        for r in records:
            kind = r.get("k")
            if kind == "h":
                self.nonce = r["n"]
                self.next_seq = max(self.next_seq, r["s"])
                self.next_ref = max(self.next_ref, r["r"])
                for ref, tx_id in r.get("x", {}).items():
                    self.tx_ids[int(ref)] = tx_id
            elif kind == "m":
                self._apply_tx(r)
                entry = Entry(r)
                by_id[entry.id] = entry
                self.pending.append(entry)
                self.next_seq = max(self.next_seq, entry.seq + 1)
            elif kind in ("a", "d"):
                entry = by_id.pop(r["i"], None)
                if entry is not None:
                    self.pending.remove(entry)
                    if kind == "a" and "x" in r and entry.ref is not None:
                        self.tx_ids[entry.ref] = r["x"]
                    if kind == "d" and entry.action == "StartTransaction" and entry.ref is not None:
                        self.tx_ids[entry.ref] = -1
            elif kind == "f":
                entry = by_id.get(r["i"])
                if entry is not None:
                    entry.attempts = r["n"]
            elif kind == "o":
                self.open_tx[r["r"]] = r
                self.next_ref = max(self.next_ref, r["r"] + 1)
        if self.nonce is None:
            self.nonce = _nonce()
        if not clean or not records:
            self.compact()

    def live_records(self):
        live_refs = set(self.open_tx)
        for e in self.pending:
            if e.ref is not None:
                live_refs.add(e.ref)
        ids = {}
        for ref in live_refs:
            if ref in self.tx_ids:
                ids[str(ref)] = self.tx_ids[ref]
        out = [{"k": "h", "n": self.nonce, "s": self.next_seq, "r": self.next_ref, "x": ids}]
        for ref in sorted(self.open_tx):
            out.append(self.open_tx[ref])
        for e in self.pending:
            out.append({"k": "m", "i": e.id, "s": e.seq, "a": e.action, "p": e.payload, "t": e.ref, "c": e.kind})
            if e.attempts:
                out.append({"k": "f", "i": e.id, "n": e.attempts})
        return out

    def compact(self):
        self.tx_ids = dict((int(k), v) for k, v in self.live_records()[0]["x"].items())
        data = b"".join(frame(r) for r in self.live_records())
        self.store.write_atomic(NAME, data)
        self.unsynced = 0

    def maybe_compact(self):
        if self.store.size(NAME) > self.compact_bytes and len(self.pending) < self.max_pending // 4:
            self.compact()

    # ---- writing ---------------------------------------------------------------------------------------------
    def _append(self, record, sync):
        self.store.append(NAME, frame(record), sync)
        if not sync:
            self.unsynced += 1

    def sync(self):
        if self.unsynced:
            self.store.sync(NAME)
            self.unsynced = 0

    def new_ref(self):
        ref = self.next_ref
        self.next_ref += 1
        return ref

    def enqueue(self, action, payload, ref=None, kind="other", progress=None, opens=None, ends=False):
        """Make a message durable (fsync) and queue it; returns its Entry. Bounded: see `_make_room`.

        `progress` ([Wh, timestamp]) records how far the open transaction `ref` had got at this message.
        `opens` (a transaction record) / `ends` open or end transaction `ref` in the same record as its
        StartTransaction / StopTransaction, so no power cut can separate the two."""
        self._make_room()
        seq = self.next_seq
        self.next_seq += 1
        record = {"k": "m", "i": self.nonce + "-" + str(seq), "s": seq, "a": action, "p": payload, "t": ref,
                  "c": kind}
        if opens is not None:
            record["o"] = opens
        if ends:
            record["e"] = 1
        if progress is not None:
            record["w"] = list(progress)
        self._apply_tx(record)
        self._append(record, True)
        self.unsynced = 0
        entry = Entry(record)
        self.pending.append(entry)
        return entry

    def _make_room(self):
        """Over the bound, the oldest periodic or clock-aligned sample goes first; never a Start or a Stop."""
        if len(self.pending) < self.max_pending:
            return
        for i in range(1, len(self.pending)):      # index 0 may be in flight
            if self.pending[i].kind in DROPPABLE:
                entry = self.pending.pop(i)
                self._append({"k": "d", "i": entry.id}, False)
                self.dropped += 1
                return

    def ack(self, entry, tx_id=None):
        record = {"k": "a", "i": entry.id}
        if tx_id is not None:
            record["x"] = tx_id
            self.tx_ids[entry.ref] = tx_id
        self._append(record, False)
        self._remove(entry)

    def failed(self, entry):
        entry.attempts += 1
        self._append({"k": "f", "i": entry.id, "n": entry.attempts}, False)

    def discard(self, entry):
        self._append({"k": "d", "i": entry.id}, False)
        if entry.action == "StartTransaction" and entry.ref is not None:
            self.tx_ids[entry.ref] = -1
        self._remove(entry)

    def _remove(self, entry):
        if entry in self.pending:
            self.pending.remove(entry)

    def _apply_tx(self, record):
        """Track open transactions from a message record's "o" / "e" / "w" fields."""
        ref = record.get("t")
        if "o" in record:
            opened = dict(record["o"])
            opened["k"] = "o"
            opened["r"] = ref
            self.open_tx[ref] = opened
            self.next_ref = max(self.next_ref, ref + 1)
        tx = self.open_tx.get(ref)
        if tx is not None and "w" in record:
            tx["w"] = record["w"]
        if record.get("e"):
            self.open_tx.pop(ref, None)

    def transaction_id(self, ref):
        """The CSMS's transactionId for a local ref, -1 if none will come, None if not known yet."""
        return self.tx_ids.get(ref)
