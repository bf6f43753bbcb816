"""Transactions: starting and stopping them, from a tag, the CSMS or the EV, and across power cuts.

A start needs an authorization (see authorization.py), a plugged EV, a usable connector and, on a socket, a locked
cable; whichever comes last starts it. An authorization without an EV lapses after ConnectionTimeOut. The
StartTransaction record in the journal also opens the transaction and the StopTransaction record ends it, so
after a power cut every transaction is either open (and is then closed with reason PowerLoss, at the energy and
time it had reached) or closed, never half of each.

Stop rules: the starting idTag stops without Authorize (TC_068); another idTag stops when its parentIdTag is the
transaction's (TC_069); the EV unplugging stops with EVDisconnected when StopTransactionOnEVSideDisconnect is true;
a StartTransaction answer other than Accepted stops with DeAuthorized or suspends charging, per
StopTransactionOnInvalidId and MaxEnergyOnInvalidId.
"""

from controller import clock
from controller import config
from controller import connector as conn
from controller.feature import Feature
from controller.features.authorization import same_tag
from controller.rpc import DEFER
from controller.transaction import Transaction

RECOVERY_WAIT_MS = 5000      # how long a transaction found open after a restart waits for a meter reading
UNLOCK_WAIT_MS = 5000


class Transactions(Feature):
    NAME = "transactions"

    def __init__(self, station):
        Feature.__init__(self, station)
        self.fixed = {}
        self.max_amps = {}
        for spec in station.board["connectors"]:
            self.fixed[spec["id"]] = spec.get("cable") == "fixed"
            self.max_amps[spec["id"]] = spec.get("max_amps", 32)
        all_fixed = not (False in [self.fixed[k] for k in self.fixed])
        self.KEYS = (
            config.Key("ConnectionTimeOut", config.INT, 60, minimum=1, maximum=3600),
            config.Key("StopTransactionOnEVSideDisconnect", config.BOOL, True),
            config.Key("StopTransactionOnInvalidId", config.BOOL, True),
            config.Key("MaxEnergyOnInvalidId", config.INT, 0, minimum=0),
            config.Key("TransactionMessageAttempts", config.INT, 3, minimum=1, maximum=100),
            config.Key("TransactionMessageRetryInterval", config.INT, 60, minimum=0, maximum=86400),
            # A fixed cable cannot be unlocked: on a station with only fixed cables the key is read-only and
            # false (errata 3.83); elsewhere it applies to the sockets.
            config.Key("UnlockConnectorOnEVSideDisconnect", config.BOOL, not all_fixed,
                       access="R" if all_fixed else "RW", persist=not all_fixed),
        )
        self.recovered = {}       # connector id -> (Transaction, deadline) found open after a restart
        self.deciding = []        # idTags (upper case) whose authorization is under way: a re-read is ignored

    def actions(self):
        return {"RemoteStartTransaction": self.remote_start, "RemoteStopTransaction": self.remote_stop,
                "UnlockConnector": self.unlock_connector}

    # ---- plumbing --------------------------------------------------------------------------------------------
    def _outbox(self):
        return self.st.feature["outbox"]

    def _meter(self):
        return self.st.feature["metering"]

    def _auth(self):
        return self.st.feature["authorization"]

    def _hw(self, cmd):
        self.st.emit(("hw", cmd))

    def start(self, now):
        outbox = self._outbox()
        outbox.on_confirmed("StartTransaction", self._start_confirmed)
        outbox.on_confirmed("StopTransaction", self._stop_confirmed)
        for ref in sorted(outbox.journal.open_tx):
            tx = Transaction.from_record(ref, outbox.journal.open_tx[ref])
            c = self.st.connector(tx.connector_id)
            if c is not None and c.id > 0:
                self.recovered[c.id] = (tx, now + RECOVERY_WAIT_MS, outbox.journal.open_tx[ref].get("w"))
                self.st.log.warning("transaction " + str(ref) + " on connector " + str(c.id) +
                                    " was open at the power cut; it will be closed with reason PowerLoss")

    def usable(self, c):
        zero = self.st.zero
        return (c is not None and c.id > 0 and c.fault is None and zero.fault is None and not c.lock_fault and
                c.availability == conn.OPERATIVE and zero.availability == conn.OPERATIVE and
                c.transaction is None and c.id not in self.recovered and c.scheduled is None and not c.maintenance)

    def _by_ref(self, ref):
        for c in self.st.connectors:
            if c.transaction is not None and c.transaction.ref == ref:
                return c
        return None

    def _pick(self, cid, id_tag=None, parent=None):
        """The connector a tag (or a remote start without connectorId) is for, or None. Given the idTag, a
        connector reserved for another one is not for it, and the one reserved for it comes first."""
        res = self.st.feature.get("reservation") if id_tag is not None else None
        if cid is not None:
            c = self.st.connector(cid)
            return c if self._open(c, res, id_tag, parent) else None
        free = [c for c in self.st.connectors[1:] if self._open(c, res, id_tag, parent)]
        for c in free:
            if res is not None and res.reserved_for(c, id_tag, parent) is not None:
                return c
        for c in free:
            if c.plugged:
                return c
        return free[0] if free else None

    def _open(self, c, res, id_tag, parent):
        return self.usable(c) and c.pending is None and (res is None or res.admits(c, id_tag, parent))

    # ---- events ----------------------------------------------------------------------------------------------
    def on_event(self, event, now):
        kind = event.get("type")
        if kind == "tag":
            self._tag(event.get("id_tag"), event.get("connector"), now)
            return
        if kind == "power_loss":
            for c in self.st.connectors[1:]:
                if c.transaction is not None:
                    self.stop(c, "PowerLoss", now)
            return
        c = self.st.connector(event.get("connector"))
        if c is None or c.id == 0:
            if kind == "fault" and c is not None:
                for other in self.st.connectors[1:]:
                    if other.transaction is not None:
                        self.stop(other, "Other", now)
            return
        if kind == "plug":
            if c.transaction is not None:
                self._energize(c, now)
            elif c.pending is None:
                self._adopt_pending(c)
            self._try_start(c, now)
        elif kind == "unplug":
            if c.transaction is not None:
                self._ev_disconnected(c, now)
            elif c.locked and not c.cable_in and not self.fixed[c.id]:
                self._unlock(c)
        elif kind == "lock_state":
            c.locked = bool(event.get("locked"))
            if c.locked:
                self._try_start(c, now)
            else:
                self._unlock_done(c, "Unlocked")
        elif kind == "lock_failed":
            if event.get("locked"):
                c.lock_fault = True
                c.lock_requested = False
                c.pending = None
                c.preparing = False
                self.st.log.warning("cable lock failed on connector " + str(c.id) + ": no transaction")
            else:
                self._unlock_done(c, "UnlockFailed")
        elif kind == "fault" and c.transaction is not None:
            self.stop(c, "Other", now)
        elif kind in ("ev_suspended", "ev_resumed") and c.transaction is not None:
            self._energize(c, now)

    def _adopt_pending(self, c):
        """An EV plugged into a connector other than the one an identification picked: it moves here."""
        if not self.usable(c):
            return
        res = self.st.feature.get("reservation")
        for other in self.st.connectors[1:]:
            p = other.pending
            if p is not None and p.get("movable") and not other.plugged and \
                    self._open(c, res, p["id_tag"], p.get("parent")):
                other.pending = None
                other.preparing = False
                c.pending = p
                c.preparing = True
                return

    def meter_arrived(self, c, now):
        entry = self.recovered.get(c.id)
        if entry is not None:
            self._close_recovered(c, entry, now)
        tx = c.transaction
        if tx is not None and getattr(tx, "cap_wh", None) is not None and \
                self._meter().register(c) >= tx.cap_wh and not c.evse_suspended:
            c.evse_suspended = True
            self._energize(c, now)

    # ---- identification --------------------------------------------------------------------------------------
    def _tag(self, id_tag, cid, now):
        if not isinstance(id_tag, str) or not 1 <= len(id_tag) <= 20:
            self.st.log.warning("ignored a tag that is not a valid idTag: " + repr(id_tag)[:40])
            return
        if id_tag.upper() in self.deciding:
            self.st.log.info("idTag " + id_tag + " read again while its authorization is under way; ignored")
            return
        for c in self.st.connectors[1:]:
            if c.locked_for is not None and same_tag(c.locked_for, id_tag) and c.transaction is None:
                c.locked_for = None
                self._unlock(c)
                return
        for c in self.st.connectors[1:]:
            if c.transaction is not None and same_tag(c.transaction.id_tag, id_tag):
                self.stop(c, "Local", now, id_tag)
                return
        for c in self.st.connectors[1:]:
            if c.pending is not None and same_tag(c.pending["id_tag"], id_tag):
                self.st.log.info("idTag presented again: identification on connector " + str(c.id) + " cancelled")
                c.pending = None
                c.preparing = False
                return
        grouped = [c for c in self.st.connectors[1:] if c.transaction is not None and c.transaction.parent]
        target = self._pick(cid)
        if not grouped and target is None:
            self.st.log.info("idTag " + id_tag + " presented but no connector is free")
            return

        def decided(ok, info, when):
            if id_tag.upper() in self.deciding:
                self.deciding.remove(id_tag.upper())
            parent = info.get("parentIdTag") if ok else None
            for c in grouped:
                if parent and c.transaction is not None and same_tag(parent, c.transaction.parent):
                    self.stop(c, "Local", when, id_tag)
                    return
            if not ok:
                self.st.log.info("idTag " + id_tag + " not authorized (" + str(info.get("status")) + ")")
                return
            spot = self._pick(cid, id_tag, parent)
            if spot is not None:
                self._authorized(spot, id_tag, info, when, False, movable=cid is None)
            elif target is not None:
                self.st.log.info("idTag " + id_tag + ": the connector is reserved for another idTag or taken")

        self.deciding.append(id_tag.upper())
        self._auth().authorize(id_tag, now, decided)

    def _authorized(self, c, id_tag, info, now, remote, movable=False):
        c.finishing = False       # a new session on a cable still in: Finishing -> Preparing -> Charging
        c.pending = {"id_tag": id_tag, "parent": info.get("parentIdTag"), "remote": remote, "movable": movable,
                     "expires": now + self.st.config.get("ConnectionTimeOut") * 1000}
        c.preparing = True
        self.st.log.info("idTag " + id_tag + " authorized on connector " + str(c.id) +
                         ("" if c.plugged else "; waiting for the EV"))
        # Record Preparing now: if the start follows at once, the connector must not skip from Finishing or
        # Available straight to Charging within one step.
        self.st.feature["status"].refresh(now)
        self._try_start(c, now)

    def tick(self, now):
        for c in self.st.connectors[1:]:
            p = c.pending
            if p is not None and not c.plugged and now >= p["expires"]:
                self.st.log.info("no EV within ConnectionTimeOut on connector " + str(c.id) + "; cancelled")
                c.pending = None
                c.preparing = False
            if c.unlock_token is not None and now >= c.unlock_token[1]:
                self._unlock_done(c, "UnlockFailed")
        for cid in list(self.recovered):
            entry = self.recovered[cid]
            if now >= entry[1]:
                self._close_recovered(self.st.connectors[cid], entry, now)

    def deadline(self):
        best = None
        for c in self.st.connectors[1:]:
            for due in ((c.pending["expires"] if c.pending is not None and not c.plugged else None),
                        (c.unlock_token[1] if c.unlock_token is not None else None)):
                if due is not None and (best is None or due < best):
                    best = due
        for entry in self.recovered.values():
            if best is None or entry[1] < best:
                best = entry[1]
        return best

    # ---- starting --------------------------------------------------------------------------------------------
    def _try_start(self, c, now):
        if c.pending is None or not c.plugged or c.transaction is not None or not self.usable(c):
            return
        if not self.fixed[c.id] and not c.locked:
            if not c.lock_requested:
                c.lock_requested = True
                self._hw({"cmd": "lock", "connector": c.id, "locked": True})
            return
        self._begin(c, now)

    def _begin(self, c, now):
        p = c.pending
        meter = self._meter()
        ref = self._outbox().journal.new_ref()
        epoch = self.st.clock.epoch_ms(now)
        tx = Transaction(ref, c.id, p["id_tag"], p.get("parent"), meter.register(c), epoch, p.get("remote"))
        c.pending = None
        c.preparing = False
        c.finishing = False
        c.lock_requested = False
        c.transaction = tx
        meter.transaction_started(c, tx, now)
        stamp = clock.format_iso(epoch)
        payload = {"connectorId": c.id, "idTag": tx.id_tag, "meterStart": tx.meter_start, "timestamp": stamp}
        res = self.st.feature.get("reservation")
        reservation = res.reserved_for(c, tx.id_tag, tx.parent) if res is not None else None
        if reservation is not None:
            payload["reservationId"] = reservation
        self._outbox().push("StartTransaction", payload, ref, "start", now, progress=(tx.meter_start, stamp),
                            opens=tx.to_record())
        if reservation is not None:
            res.consume(reservation, now)       # after the Start is durable: a power cut keeps the reservation
        self.st.log.info("transaction started on connector " + str(c.id) + " for idTag " + tx.id_tag +
                         " at " + str(tx.meter_start) + " Wh")
        self._energize(c, now)

    def _energize(self, c, now):
        self.st.feature["energy"].refresh(c, now)

    def _start_confirmed(self, entry, payload, now):
        if payload is None:
            self.st.log.error("StartTransaction for transaction " + str(entry.ref) + " was never confirmed; "
                              "its later messages carry transactionId -1")
            return
        info = payload["idTagInfo"]
        self._auth().remember(entry.payload["idTag"], info, now)
        c = self._by_ref(entry.ref)
        if c is None:
            return
        self.st.log.info("the central system numbered the transaction on connector " + str(c.id) + ": " +
                         str(payload["transactionId"]))
        if info["status"] == "Accepted":
            return
        tx = c.transaction
        tx.deauthorized = True
        if self.st.config.get("StopTransactionOnInvalidId"):
            self.stop(c, "DeAuthorized", now)
            return
        allowance = self.st.config.get("MaxEnergyOnInvalidId")
        if allowance > 0:
            tx.cap_wh = tx.meter_start + allowance
            self.meter_arrived(c, now)
        else:
            c.evse_suspended = True
            self._energize(c, now)

    def _stop_confirmed(self, entry, payload, now):
        if payload is not None and payload.get("idTagInfo") and entry.payload.get("idTag"):
            self._auth().remember(entry.payload["idTag"], payload["idTagInfo"], now)

    # ---- stopping --------------------------------------------------------------------------------------------
    def stop(self, c, reason, now, id_tag=None, at_ms=None, meter_floor=0, unlock=True):
        tx = c.transaction
        if tx is None:
            return
        meter = self._meter()
        epoch = at_ms if at_ms is not None else self.st.clock.epoch_ms(now)
        payload = {"transactionId": 0, "meterStop": max(meter.register(c), tx.meter_start, meter_floor),
                   "timestamp": clock.format_iso(epoch), "reason": reason}
        if id_tag or tx.id_tag:
            payload["idTag"] = id_tag or tx.id_tag
        data = meter.transaction_data(c, tx, now)
        if data:
            payload["transactionData"] = data
        self._outbox().push("StopTransaction", payload, tx.ref, "stop", now, ends=True)
        c.transaction = None
        c.evse_suspended = False
        c.finishing = c.plugged or c.cable_in
        self._energize(c, now)
        meter.transaction_stopped(c, now)
        self.st.log.info("transaction on connector " + str(c.id) + " stopped (" + reason + ") at " +
                         str(payload["meterStop"]) + " Wh")
        if not self.fixed[c.id]:
            if reason == "DeAuthorized":
                c.locked_for = tx.id_tag
            elif unlock:
                self._unlock(c)
        self.st.feature["availability"].apply_scheduled(c)

    def _ev_disconnected(self, c, now):
        registry = self.st.config
        if registry.get("StopTransactionOnEVSideDisconnect"):
            unlock = self.fixed[c.id] or registry.get("UnlockConnectorOnEVSideDisconnect")
            self.stop(c, "EVDisconnected", now, unlock=unlock)
        else:
            self._energize(c, now)

    def _close_recovered(self, c, entry, now):
        tx, deadline, progress = entry
        del self.recovered[c.id]
        at_ms = None
        floor = tx.meter_start
        if progress:
            floor = max(floor, progress[0])
            at_ms = clock.parse_iso(progress[1])
        c.transaction = tx
        self.stop(c, "PowerLoss", now, at_ms=at_ms, meter_floor=floor)

    def before_reset(self, kind, now):
        reason = "HardReset" if kind == "Hard" else "SoftReset"
        for c in self.st.connectors[1:]:
            if c.transaction is not None:
                self.stop(c, reason, now)

    # ---- CSMS requests ---------------------------------------------------------------------------------------
    def remote_start(self, payload, now):
        if self.st.registration != "accepted":
            return {"status": "Rejected"}
        cid = payload.get("connectorId")
        if cid == 0:
            return {"status": "Rejected"}
        id_tag = payload["idTag"]
        parent = (self._auth().lookup(id_tag, now) or {}).get("parentIdTag")   # the list's, else the cache's
        c = self._pick(cid, id_tag, parent)
        if c is None:
            return {"status": "Rejected"}
        c.finishing = False
        c.pending = {"id_tag": id_tag, "parent": parent, "remote": True, "movable": False,
                     "expires": now + self.st.config.get("ConnectionTimeOut") * 1000}
        c.preparing = True

        def go(when):
            if c.pending is None or c.pending.get("id_tag") != id_tag:
                return
            if not self.st.config.get("AuthorizeRemoteTxRequests"):
                self._authorized(c, id_tag, {"parentIdTag": parent} if parent else {}, when, True)
                return

            def decided(ok, info, at):
                if ok:
                    self._authorized(c, id_tag, info, at, True)
                else:
                    self.st.log.info("remote start for " + id_tag + " not authorized")
                    c.pending = None
                    c.preparing = False

            self._auth().authorize(id_tag, when, decided)

        self.st.after_reply(go)
        return {"status": "Accepted"}

    def remote_stop(self, payload, now):
        journal = self._outbox().journal
        for c in self.st.connectors[1:]:
            tx = c.transaction
            if tx is not None and journal.transaction_id(tx.ref) == payload["transactionId"]:
                self.st.after_reply(lambda when: self.stop(c, "Remote", when))
                return {"status": "Accepted"}
        return {"status": "Rejected"}

    def unlock_connector(self, payload, now):
        c = self.st.connector(payload["connectorId"])
        if c is None or c.id == 0 or self.fixed[c.id]:
            return {"status": "NotSupported"}
        token = self.st.defer()
        if c.transaction is not None:
            self.stop(c, "UnlockCommand", now, unlock=False)
        c.unlock_token = (token, now + UNLOCK_WAIT_MS)
        c.locked_for = None
        self._unlock(c)
        return DEFER

    def _unlock(self, c):
        self._hw({"cmd": "lock", "connector": c.id, "locked": False})

    def _unlock_done(self, c, status):
        if status == "Unlocked":
            c.locked = False
        if c.unlock_token is not None:
            token = c.unlock_token[0]
            c.unlock_token = None
            self.st.complete(token, {"status": status})
