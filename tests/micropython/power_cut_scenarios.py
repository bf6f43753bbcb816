"""Power-cut torture of the core on PowerCutStorage (issue 14): charging sessions cut at random instants, where a
cut drops every write not yet fsynced; half the cuts come in the middle of a write, which is torn, and the frames
the station would have sent after it never leave. Over the whole run the scripted CSMS must see no
transaction lost, no gap in any transaction's MeterValues, no journaled message lost, and no message sent again
after its answer was received. Runs on CPython (tests/reliability/test_power_cut_storage.py) and MicroPython.
"""

import json

from tests.micropython.core_harness import Bench, expect
from tests.micropython.power_cut_storage import PowerCutStorage

TX_ACTIONS = ("StartTransaction", "StopTransaction", "MeterValues")
INTERVAL_S = 10


class Rng:
    """xorshift32: the same sequence on every target (MicroPython's random lacks most helpers)."""

    def __init__(self, seed):
        self.x = (seed & 0xFFFFFFFF) or 1

    def getrandbits(self, n):
        x = self.x
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.x = x
        return x >> (32 - n) if n < 32 else x

    def below(self, n):
        return self.getrandbits(16) % n


class Torture:
    def __init__(self, seed, tear=True):
        self.rng = Rng(seed)
        self.store = PowerCutStorage(tear=tear)
        self.bench = Bench(store=self.store)
        self.energy = [0, 1000, 5000]
        self.session = [None, None, None]      # per connector: None, "plugged" or the idTag charging
        self.tags = 0
        self.durable_ids = {}                  # journaled message ids that were durable at some cut
        self.received = {}                     # message id -> frames sent when the station finished its answer
        self.sent_at_death = None              # how many frames had left when the power failed mid-write
        self.store.on_death = self._died
        self.tx_ids = {}                       # (connector, idTag, timestamp) -> transactionId, so a repeat gets the same
        b = self.bench
        b.answers["StartTransaction"] = self._start
        self._watch()
        b.connect()
        got = b.csms_call("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": str(INTERVAL_S)})
        expect(got == ("result", {"status": "Accepted"}), repr(got))
        self.readings()

    def _start(self, payload):
        key = (payload["connectorId"], payload["idTag"], payload["timestamp"])
        if key not in self.tx_ids:
            self.tx_ids[key] = 101 + len(self.tx_ids)
        return {"transactionId": self.tx_ids[key], "idTagInfo": {"status": "Accepted"}}

    def _died(self):
        self.sent_at_death = len(self.bench.frames)

    def _watch(self):
        """Note every answer the station processed while its power was on."""
        station = self.bench.station
        inner = station.receive

        def receive(text, now):
            inner(text, now)
            frame = json.loads(text)
            base = frame[1].split("/")[0]
            if frame[0] == 3 and not self.store.dead and base not in self.received:
                self.received[base] = len(self.bench.frames)
        station.receive = receive

    def readings(self):
        for cid in (1, 2):
            if self.session[cid] is not None and self.session[cid] != "plugged":
                self.energy[cid] += 1 + self.rng.below(40)
            self.bench.meter(cid, self.energy[cid])

    def step(self):
        b = self.bench
        cid = 1 + self.rng.below(2)
        what = self.rng.below(10)
        state = self.session[cid]
        if what < 5:
            b.advance(self.rng.below(INTERVAL_S * 1500))
            self.readings()
        elif state is None:
            b.plug(cid)
            self.session[cid] = "plugged"
        elif state == "plugged":
            self.tags += 1
            tag = "T" + str(self.tags)
            b.tag(tag, cid)
            self.session[cid] = tag
        elif what < 8:
            b.tag(state)
            b.unplug(cid)
            self.session[cid] = None
        elif what == 8:
            b.disconnect()
            b.advance(self.rng.below(20000))
            self.readings()
            b.connect()

    def steps(self, count):
        if self.rng.below(2):
            self.store.arm(self.rng.below(8))
        for _ in range(count):
            if self.store.dead:
                return
            self.step()

    def cut(self):
        b = self.bench
        if self.store.dead:
            # Nothing after the failed write happened: its frames never left, its answers never came.
            b.frames = b.frames[:self.sent_at_death]
        else:
            for entry in b.station.feature["outbox"].journal.pending:
                self.durable_ids[entry.id] = entry.action
        self.store.cut(self.rng)
        self.bench.restart()
        self._watch()
        self.session = [None, None, None]       # the EVs leave while the power is off
        self.bench.connect()
        self.readings()

    def settle(self):
        b = self.bench
        for _ in range(50):
            b.advance(10000)
            self.readings()
            outbox = b.station.feature["outbox"]
            busy = [c for c in b.station.connectors[1:] if c.transaction is not None]
            for c in busy:
                b.unplug(c.id)
            if not busy and not outbox.journal.pending:
                return
        raise AssertionError("the station did not settle")


def check(frames, durable_ids, received, tx_ids):
    """Figures of the run; raises AssertionError on a lost transaction, a MeterValues gap, a lost message or a
    message sent again after its answer."""
    repeats = []
    calls = {}
    order = []
    for index in range(len(frames)):
        frame = frames[index]
        if frame[0] != 2 or frame[2] not in TX_ACTIONS:
            continue
        base = frame[1].split("/")[0]
        if base in calls:
            if received.get(base, index + 1) <= index:
                repeats.append(frame[2] + " #" + frame[1])
            continue               # else sent again because its answer was lost in a cut: allowed
        calls[base] = (frame[2], frame[3])
        order.append(base)
    lost = [i for i in durable_ids if i not in calls]
    starts = [calls[i][1] for i in order if calls[i][0] == "StartTransaction"]
    tx_ids = [tx_ids[(p["connectorId"], p["idTag"], p["timestamp"])] for p in starts]
    stops = {}
    samples = {}
    for i in order:
        action, payload = calls[i]
        if action == "StopTransaction":
            stops[payload["transactionId"]] = stops.get(payload["transactionId"], 0) + 1
        elif action == "MeterValues" and "transactionId" in payload:
            for mv in payload["meterValue"]:
                samples.setdefault(payload["transactionId"], []).append(mv)
    unstopped = [t for t in tx_ids if stops.get(t, 0) != 1]
    gaps = 0
    for tx_id in samples:
        periodic = [mv["timestamp"] for mv in samples[tx_id]
                    if mv["sampledValue"][0].get("context") == "Sample.Periodic"]
        if periodic != sorted(periodic) or len(set(periodic)) != len(periodic):
            gaps += 1
        from controller.clock import parse_iso
        stamps = [parse_iso(t) for t in periodic]
        for a, z in zip(stamps, stamps[1:]):
            if z - a != INTERVAL_S * 1000:
                gaps += 1
    figures = {"transactions": len(starts), "stops": sum(stops.values()), "tx_with_meter_values": len(samples),
               "lost": len(lost), "unstopped": len(unstopped), "gaps": gaps, "repeats_after_answer": len(repeats)}
    expect(not lost, "journaled messages never delivered: " + repr(lost[:5]))
    expect(not repeats, "sent again after the answer was received: " + repr(repeats[:5]))
    expect(not unstopped, "transactions not stopped exactly once: " + repr(unstopped[:5]) + " " + repr(figures))
    expect(gaps == 0, "MeterValues gaps: " + repr(figures))
    expect(not repeats, "sent again after the answer was received: " + repr(repeats[:5]))
    return figures


def run(cuts=200, seed=20261207, steps=12, tear=True):
    t = Torture(seed, tear)
    for _ in range(cuts):
        t.steps(1 + t.rng.below(steps))
        t.cut()
    t.settle()
    figures = check(t.bench.frames, t.durable_ids, t.received, t.tx_ids)
    figures["cuts"] = t.store.cuts
    figures["torn"] = t.store.torn
    expect(figures["transactions"] >= cuts // 4, "the sessions really ran: " + repr(figures))
    return figures


def power_cut_torture_30_cuts():
    """The short run for MicroPython's suite; tests/reliability runs 200 cuts."""
    return run(cuts=30)


SCENARIOS = (power_cut_torture_30_cuts,)
