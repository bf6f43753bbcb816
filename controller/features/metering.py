"""Meter values: meter readings from the hardware, sampled and clock-aligned MeterValues, and StopTransaction data.

Energy registers are integer Wh and never go backwards: when a meter's raw register drops (reset, replacement,
32-bit wrap) an offset absorbs the drop, so reported = raw + offset (hardware.md §6 row 7). Offsets persist.

Sampled values (MeterValuesSampledData, context Sample.Periodic) go every MeterValueSampleInterval seconds from
the start of a transaction, stamped at exact multiples of the interval. Clock-aligned values
(MeterValuesAlignedData, Sample.Clock) go at every multiple of ClockAlignedDataInterval of the UTC day, stamped
exactly on the boundary, for every connector and for connector 0, the main meter (the sum of the connectors'
registers). All of them go through the journal, so they survive being offline and power cuts.
"""

from controller import config
from controller import storage
from controller.clock import format_iso
from controller.feature import Feature

PHASES = ("L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1")
OFFSETS_DOC = "meter_offsets.json"
DEFAULT = ["Energy.Active.Import.Register"]


def split_phase(item):
    dot = item.rfind(".")
    if dot > 0 and item[dot + 1:] in PHASES:
        return item[:dot], item[dot + 1:]
    return item, None


def unit_of(measurand):
    if measurand.startswith("Energy.Active"):
        return "Wh"
    if measurand.startswith("Energy.Reactive"):
        return "varh"
    if measurand in ("Power.Active.Import", "Power.Active.Export", "Power.Offered"):
        return "W"
    if measurand.startswith("Power.Reactive"):
        return "var"
    if measurand.startswith("Current"):
        return "A"
    if measurand == "Voltage":
        return "V"
    if measurand == "Temperature":
        return "Celsius"
    if measurand == "SoC":
        return "Percent"
    return None


def format_value(value):
    if isinstance(value, float):
        text = "%.3f" % value
        text = text.rstrip("0").rstrip(".")
        return text if text not in ("", "-0") else "0"
    return str(value)


class Metering(Feature):
    NAME = "metering"

    def __init__(self, station):
        Feature.__init__(self, station)
        self.supported = station.board.get("measurands") or DEFAULT
        check = self.supports_all
        self.KEYS = (
            config.Key("MeterValueSampleInterval", config.INT, 60, minimum=0, maximum=86400),
            config.Key("ClockAlignedDataInterval", config.INT, 0, minimum=0, maximum=86400),
            config.Key("MeterValuesSampledData", config.CSL, DEFAULT, check=check,
                       max_items_key="MeterValuesSampledDataMaxLength"),
            config.Key("MeterValuesSampledDataMaxLength", config.INT, 16, access="R", persist=False),
            config.Key("MeterValuesAlignedData", config.CSL, DEFAULT, check=check,
                       max_items_key="MeterValuesAlignedDataMaxLength"),
            config.Key("MeterValuesAlignedDataMaxLength", config.INT, 16, access="R", persist=False),
            config.Key("StopTxnSampledData", config.CSL, DEFAULT, check=check,
                       max_items_key="StopTxnSampledDataMaxLength"),
            config.Key("StopTxnSampledDataMaxLength", config.INT, 16, access="R", persist=False),
            config.Key("StopTxnAlignedData", config.CSL, [], check=check,
                       max_items_key="StopTxnAlignedDataMaxLength"),
            config.Key("StopTxnAlignedDataMaxLength", config.INT, 16, access="R", persist=False),
        )
        n = len(station.connectors)
        self.raw = [None] * n          # last raw register per connector (None until the meter spoke)
        self.values = [{} for _ in range(n)]
        self.offsets = [0] * n
        self.next_sample = [None] * n  # now_ms of the next sampled value, per connector with a transaction
        self.next_aligned = None       # (now_ms due, epoch_ms boundary)
        self.unsaved = storage.DeferredWrite()

    def supports_all(self, items):
        for item in items:
            base = split_phase(item)[0]
            if item not in self.supported and base not in self.supported:
                return False
        return True

    def start(self, now):
        doc = storage.load_doc(self.st.store, OFFSETS_DOC, {})
        for c in self.st.connectors:
            entry = doc.get(str(c.id)) if isinstance(doc, dict) else None
            if isinstance(entry, dict):
                self.offsets[c.id] = entry.get("o", 0)
                self.raw[c.id] = entry.get("r")
        self.st.config.on_change("ClockAlignedDataInterval", lambda value: self._reschedule_aligned())
        self.st.config.on_change("MeterValueSampleInterval", lambda value: self._reschedule_sampled())

    def _save_offsets(self):
        doc = {}
        for c in self.st.connectors:
            doc[str(c.id)] = {"o": self.offsets[c.id], "r": self.raw[c.id]}
        storage.try_save_doc(self.st.store, OFFSETS_DOC, doc)     # on a storage fault: again at the next change

    # ---- readings --------------------------------------------------------------------------------------------
    def on_event(self, event, now):
        if event.get("type") != "meter":
            return
        c = self.st.connector(event.get("connector"))
        wh = event.get("energy_wh")
        if c is None or c.id == 0 or wh is True or wh is False or not isinstance(wh, int):
            return
        last = self.raw[c.id]
        if last is not None and wh < last:
            self.offsets[c.id] += last - wh
            self.st.log.warning("meter on connector " + str(c.id) + " went back from " + str(last) + " to " +
                                str(wh) + " Wh; the reported register keeps counting up")
            self.raw[c.id] = wh
            self._save_offsets()
        self.raw[c.id] = wh
        values = event.get("values")
        self.values[c.id] = values if isinstance(values, dict) else {}
        listener = getattr(self.st.feature.get("transactions"), "meter_arrived", None)
        if listener is not None:
            listener(c, now)

    def known(self, c):
        return self.raw[c.id] is not None

    def register(self, c):
        """The monotonic energy register of connector `c` (or of the main meter for connector 0), in Wh."""
        if c.id == 0:
            total = 0
            for other in self.st.connectors[1:]:
                total += self.register(other)
            return total
        raw = self.raw[c.id]
        return (raw or 0) + self.offsets[c.id]

    def sample(self, c, measurands, context, epoch_ms):
        """One MeterValue: {"timestamp", "sampledValue": [...]} for the measurands the meter has."""
        values = []
        for item in measurands:
            base, phase = split_phase(item)
            if base == "Energy.Active.Import.Register":
                value = self.register(c)
            elif c.id == 0:
                continue
            else:
                value = self.values[c.id].get(item, self.values[c.id].get(base))
                if value is None:
                    continue
            sv = {"value": format_value(value), "context": context, "measurand": base, "location": "Outlet"}
            unit = unit_of(base)
            if unit is not None:
                sv["unit"] = unit
            if phase is not None:
                sv["phase"] = phase
            values.append(sv)
        return {"timestamp": format_iso(epoch_ms), "sampledValue": values}

    # ---- sampled values during a transaction ----------------------------------------------------------------
    def transaction_started(self, c, tx, now):
        interval = self.st.config.get("MeterValueSampleInterval")
        self.next_sample[c.id] = now + interval * 1000 if interval > 0 else None
        tx.sample_base = now
        stop_items = self.st.config.get("StopTxnSampledData")
        if stop_items:
            tx.begin = self.sample(c, stop_items, "Transaction.Begin", self.st.clock.epoch_ms(now))

    def transaction_stopped(self, c, now):
        self.next_sample[c.id] = None
        self.unsaved.touch(now)     # the last raw reading, to catch a meter swapped while we are off

    def transaction_data(self, c, tx, now):
        sampled = self.st.config.get("StopTxnSampledData")
        data = []
        if sampled:
            if tx.begin is not None:
                data.append(tx.begin)
            data.append(self.sample(c, sampled, "Transaction.End", self.st.clock.epoch_ms(now)))
        if self.st.config.get("StopTxnAlignedData"):
            data.extend(tx.aligned)
        return data

    def _reschedule_sampled(self):
        interval = self.st.config.get("MeterValueSampleInterval")
        for c in self.st.connectors[1:]:
            tx = c.transaction
            if tx is None:
                continue
            if interval <= 0:
                self.next_sample[c.id] = None
            else:
                self.next_sample[c.id] = tx.sample_base + interval * 1000

    def _send(self, c, meter_value, kind, now):
        payload = {"connectorId": c.id, "meterValue": [meter_value]}
        tx = c.transaction
        if tx is not None:
            payload["transactionId"] = 0   # replaced by the CSMS's id when sent
        outbox = self.st.feature["outbox"]
        outbox.push("MeterValues", payload, tx.ref if tx is not None else None, kind, now,
                    progress=(self.register(c), meter_value["timestamp"]) if tx is not None else None)

    # ---- clock-aligned values --------------------------------------------------------------------------------
    def _reschedule_aligned(self):
        self.next_aligned = None

    def _plan_aligned(self, now):
        interval = self.st.config.get("ClockAlignedDataInterval")
        if interval <= 0:
            self.next_aligned = None
            return
        step = interval * 1000
        wall = self.st.clock.epoch_ms(now)
        boundary = (wall // step + 1) * step
        self.next_aligned = (now + boundary - wall, boundary)

    def on_accepted(self, now):
        self._plan_aligned(now)

    def flush(self, now):
        if self.unsaved.take_all():
            self._save_offsets()

    def tick(self, now):
        if self.unsaved.take(now):
            self._save_offsets()
        interval = self.st.config.get("MeterValueSampleInterval")
        for c in self.st.connectors[1:]:
            due = self.next_sample[c.id]
            if due is not None and now >= due and c.transaction is not None and interval > 0:
                items = self.st.config.get("MeterValuesSampledData") or DEFAULT
                self._send(c, self.sample(c, items, "Sample.Periodic", self.st.clock.epoch_ms(due)), "periodic", now)
                self.next_sample[c.id] = due + interval * 1000
        if self.next_aligned is None:
            if self.st.clock.is_set:
                self._plan_aligned(now)
            return
        due, boundary = self.next_aligned
        if self.st.clock.epoch_ms(due) != boundary:
            self._plan_aligned(now)     # the clock was corrected since the plan was made
            return
        if now < due:
            return
        items = self.st.config.get("MeterValuesAlignedData") or DEFAULT
        stop_items = self.st.config.get("StopTxnAlignedData")
        for c in self.st.connectors:
            self._send(c, self.sample(c, items, "Sample.Clock", boundary), "clock", now)
            if c.transaction is not None and stop_items:
                c.transaction.aligned.append(self.sample(c, stop_items, "Sample.Clock", boundary))
        self._plan_aligned(due + 1)

    def deadline(self):
        best = self.unsaved.deadline()
        for due in self.next_sample:
            if due is not None and (best is None or due < best):
                best = due
        if self.next_aligned is not None and (best is None or self.next_aligned[0] < best):
            best = self.next_aligned[0]
        return best
