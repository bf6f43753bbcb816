"""Reservation profile: ReserveNow and CancelReservation (OCPP 1.6 §5.13, §5.2), kept across power cuts.

A reservation holds a connector for an idTag until its expiryDate: only that idTag, or a tag whose parentIdTag
(learnt from Authorize or the cache) is the reservation's parentIdTag, may start there, and its StartTransaction
carries the reservationId, which ends the reservation. A reservation for connector 0 (when
ReserveConnectorZeroSupported) holds no connector in particular: other users may take connectors as long as one
free connector is left for each connector-0 reservation; those last free connectors show Reserved.

A reservation ends when it expires, when it is cancelled, and when its connector (for connector 0: the station, or
every connector) becomes Unavailable or Faulted. The reservations are one document written atomically through the
storage port before ReserveNow or CancelReservation is answered Accepted; when the write fails (a storage fault)
the answer is Rejected and the reservations stay as they were, in RAM and on disk alike. An ending the station
cannot refuse (expiry, use by a transaction, Unavailable or Faulted) is written again every second until it sticks.

What the board may say (board "reservation": {"supported": false, "connector_zero": false}): without
reservations, ReserveNow and CancelReservation are answered Rejected and the profile is not listed; without
connector 0, ReserveNow(0) is Rejected. Both default to true (the seeds' R-1).

A connector goes to Reserved only from a status the 4.9 table allows: one that was Preparing (a reserved user's
identification lapsed) passes through Available first.
"""

from controller import clock
from controller import config
from controller import connector as conn
from controller import storage
from controller.feature import Feature
from controller.features.authorization import same_tag

DOC = "reservations.json"
ACCEPTED = "Accepted"
REJECTED = "Rejected"
OCCUPIED = "Occupied"


def matches(r, id_tag, parent):
    """Whether `id_tag` (with the parentIdTag the CSMS gave it) may use reservation `r`."""
    return same_tag(r["tag"], id_tag) or (r.get("parent") is not None and same_tag(r["parent"], parent))


class Reservation(Feature):
    NAME = "reservation"
    PROFILE = "Reservation"

    def __init__(self, station):
        Feature.__init__(self, station)
        caps = station.board.get("reservation") or {}
        self.supported = caps.get("supported", True) is not False
        if self.supported:
            zero = caps.get("connector_zero", True) is not False
            self.KEYS = (config.Key("ReserveConnectorZeroSupported", config.BOOL, zero, access="R", persist=False),)
        else:
            self.PROFILE = None
        self.items = {}          # reservationId -> {"id", "c", "tag", "parent", "exp" (epoch ms)}
        self.holding = []        # connector ids held for connector-0 reservations at the last settle
        self.retry = False       # a connector waits one step in Available before it shows Reserved
        self.unsaved = storage.DeferredWrite(1000)   # an ending that could not be written yet

    def actions(self):
        return {"ReserveNow": self.reserve_now, "CancelReservation": self.cancel_reservation}

    def start(self, now):
        doc = storage.load_doc(self.st.store, DOC, [])
        for r in (doc if isinstance(doc, list) else []):
            if isinstance(r, dict) and isinstance(r.get("id"), int) and isinstance(r.get("exp"), int) and \
                    self.st.connector(r.get("c")) is not None and isinstance(r.get("tag"), str):
                self.items[r["id"]] = r

    def _save(self):
        """Write the reservations; False when the storage failed (the caller then puts back what it changed).
        An ending the station cannot refuse (expiry, a start, a fault) is written again later until it sticks."""
        if storage.try_save_doc(self.st.store, DOC, [self.items[k] for k in sorted(self.items)]):
            self.unsaved.due_at = None
            return True
        self.st.log.error("reservations not written: the storage failed")
        return False

    def _save_or_retry(self, now):
        if not self._save():
            self.unsaved.touch(now)

    def tick(self, now):
        if self.unsaved.take(now):
            self._save_or_retry(now)

    # ---- CSMS requests ---------------------------------------------------------------------------------------
    def reserve_now(self, payload, now):
        if not self.supported:
            return {"status": REJECTED}
        cid = payload["connectorId"]
        rid = payload["reservationId"]
        c = self.st.connector(cid)
        expiry = clock.parse_iso(payload["expiryDate"])
        if c is None or (cid == 0 and not self.st.config.get("ReserveConnectorZeroSupported")):
            return {"status": REJECTED}
        if expiry is None or expiry <= self.st.clock.epoch_ms(now):
            self.st.log.info("ReserveNow " + str(rid) + ": expiryDate already passed")
            return {"status": REJECTED}
        old = self.items.pop(rid, None)          # the same reservationId replaces the old reservation
        status = self._zero_status() if cid == 0 else self._connector_status(c)
        if status == ACCEPTED:
            self.items[rid] = {"id": rid, "c": cid, "tag": payload["idTag"], "parent": payload.get("parentIdTag"),
                               "exp": expiry}
            if not self._save():
                status = REJECTED
                del self.items[rid]
        if status != ACCEPTED and old is not None:
            self.items[rid] = old
        self.st.log.info("ReserveNow " + str(rid) + " on connector " + str(cid) + " for " + payload["idTag"] +
                         " until " + payload["expiryDate"] + ": " + status)
        return {"status": status}

    def cancel_reservation(self, payload, now):
        rid = payload["reservationId"]
        if rid not in self.items:
            return {"status": REJECTED}
        r = self.items.pop(rid)
        if not self._save():
            self.items[rid] = r                  # still on disk, so still here: it must not come back later
            return {"status": REJECTED}
        self.st.log.info("reservation " + str(rid) + " on connector " + str(r["c"]) + " cancelled")
        return {"status": ACCEPTED}

    # ---- what a connector may take ---------------------------------------------------------------------------
    def on_connector(self, c):
        """The reservation for connector `c` itself (not one for connector 0), or None."""
        for rid in self.items:
            if self.items[rid]["c"] == c.id:
                return self.items[rid]
        return None

    def _free(self, c):
        """`c` could be given to anyone: usable, nobody identified on it, not Finishing, not reserved itself."""
        return self.st.feature["transactions"].usable(c) and c.pending is None and not c.finishing and \
            self.on_connector(c) is None

    def _engaged(self, r):
        """A connector-0 reservation whose user is already identified on a connector needs no other one."""
        for c in self.st.connectors[1:]:
            if c.pending is not None and matches(r, c.pending["id_tag"], c.pending.get("parent")):
                return True
        return False

    def _zero_holds(self):
        """(the connectors held for connector-0 reservations, those reservations)."""
        zs = [self.items[k] for k in sorted(self.items) if self.items[k]["c"] == 0 and not self._engaged(self.items[k])]
        if not zs:
            return [], zs
        open_ = self._open()
        return (open_ if len(open_) <= len(zs) else []), zs

    def _open(self):
        """The connectors a connector-0 reservation can count on; an EV plugged into a held one does not
        release it."""
        return [c for c in self.st.connectors[1:] if self._free(c) and (not c.plugged or c.id in self.holding)]

    def admits(self, c, id_tag, parent):
        """Whether `id_tag` may be identified on connector `c` as far as reservations go."""
        r = self.on_connector(c)
        if r is not None:
            return matches(r, id_tag, parent)
        held, zs = self._zero_holds()
        if c not in held:
            return True
        for z in zs:
            if matches(z, id_tag, parent):
                return True
        return False

    def reserved_for(self, c, id_tag, parent):
        """The reservationId a transaction of `id_tag` on `c` uses, or None (an exact idTag before a parent)."""
        r = self.on_connector(c)
        if r is not None:
            return r["id"] if matches(r, id_tag, parent) else None
        best = None
        for k in sorted(self.items):
            z = self.items[k]
            if z["c"] == 0 and matches(z, id_tag, parent):
                if same_tag(z["tag"], id_tag):
                    return z["id"]
                best = best if best is not None else z["id"]
        return best

    def consume(self, rid, now):
        """The transaction that carries reservation `rid` has started: the reservation is over."""
        if self.items.pop(rid, None) is not None:
            self._save_or_retry(now)
            self.st.log.info("reservation " + str(rid) + " used by a transaction; it ends")

    # ---- ReserveNow answers ----------------------------------------------------------------------------------
    def _connector_status(self, c):
        zero = self.st.zero
        if c.fault is not None or c.lock_fault or zero.fault is not None:
            return "Faulted"
        if c.availability == conn.INOPERATIVE or zero.availability == conn.INOPERATIVE:
            return "Unavailable"
        if not self._free(c) or c.plugged or c in self._zero_holds()[0]:
            return OCCUPIED
        return ACCEPTED

    def _zero_status(self):
        zero = self.st.zero
        if zero.fault is not None:
            return "Faulted"
        if zero.availability == conn.INOPERATIVE:
            return "Unavailable"
        zs = self._zero_holds()[1]
        open_ = self._open()
        if len(open_) > len(zs) and [c for c in open_ if not c.plugged]:
            return ACCEPTED
        # No connector to spare: a free one held for others, or one in use, makes the station Occupied.
        statuses = [self._connector_status(c) for c in self.st.connectors[1:]]
        if OCCUPIED in statuses or ACCEPTED in statuses:
            return OCCUPIED
        return "Faulted" if "Faulted" in statuses else "Unavailable"

    # ---- keeping the facts true ------------------------------------------------------------------------------
    def _ended(self, r):
        """Why reservation `r` cannot stand any longer (its connector is Unavailable or Faulted), or None. Faults
        count once the hardware's first readings are in, so a restart does not end a reservation on a guess."""
        known = self.st.hardware_known
        zero = self.st.zero
        if (known and zero.fault is not None) or zero.availability == conn.INOPERATIVE:
            return "the station is " + ("Unavailable" if zero.availability == conn.INOPERATIVE else "Faulted")
        targets = self.st.connectors[1:] if r["c"] == 0 else [self.st.connectors[r["c"]]]
        for c in targets:
            if c.availability != conn.INOPERATIVE and not (known and (c.fault is not None or c.lock_fault)):
                return None
        return "connector " + str(r["c"]) + " is Unavailable or Faulted"

    def settle(self, now):
        """Before the statuses are derived: end what has expired or cannot stand, and mark reserved connectors."""
        epoch = self.st.clock.epoch_ms(now)
        ended = False
        for rid in sorted(self.items):
            r = self.items[rid]
            why = "it expired" if epoch >= r["exp"] else self._ended(r)
            if why is not None:
                del self.items[rid]
                ended = True
                self.st.log.info("reservation " + str(rid) + " on connector " + str(r["c"]) + " ended: " + why)
        if ended:
            self._save_or_retry(now)
        held, zs = self._zero_holds()
        self.holding = [c.id for c in held]
        self.retry = False
        for c in self.st.connectors[1:]:
            want = self.on_connector(c) or (zs[0] if c in held else None)
            if want is not None and c.status is not None and not conn.allowed(c.status, conn.RESERVED):
                # Only Preparing -> Available -> Reserved is meant here; anything else just waits for its event.
                self.retry = self.retry or (c.status == conn.PREPARING and not (c.plugged or c.preparing))
                want = None
            c.reserved = want

    def deadline(self):
        if self.retry:
            return 0          # at once: the connector has just been derived Available
        best = self.unsaved.deadline()
        for rid in self.items:
            due = self.items[rid]["exp"] - self.st.clock.offset
            if best is None or due < best:
                best = due
        return best
