"""The transaction-message outbox: journaled StartTransaction, MeterValues and StopTransaction, delivered in order.

Messages go out one at a time, oldest first, ahead of any other CALL waiting in the RPC queue, and only once the
station is registered. Each keeps its message id across reconnects and restarts; a retry on the same connection
adds "/n" to it, since OCPP-J forbids reusing a CALL id on one connection. A message the CSMS failed to process
(CALLERROR, or an answer that is not valid) is retried after TransactionMessageRetryInterval × attempts, and after
TransactionMessageAttempts tries it is discarded. A timeout or a lost connection is not a failure: the message
goes again, with the same id, when the link is back. MeterValues and StopTransaction carry the transactionId the
CSMS gave the StartTransaction before them, or -1 if it never gave one (errata 3.18).
"""

from controller.feature import Feature
from controller.journal import Journal

SYNC_DELAY_MS = 20


class Outbox(Feature):
    NAME = "outbox"

    def __init__(self, station):
        Feature.__init__(self, station)
        options = station.options
        self.journal = Journal(station.store, max_pending=options.get("journal_max_messages", 20000),
                               compact_bytes=options.get("journal_compact_bytes", 1 << 20))
        self.in_flight = None
        self.sync_at = None
        self.listeners = {}      # action -> [fn(entry, payload, now)] called when the CSMS confirms

    def on_confirmed(self, action, fn):
        self.listeners.setdefault(action, []).append(fn)

    def push(self, action, payload, ref=None, kind="other", now=0, progress=None, opens=None, ends=False):
        """Journal a message (durably) and send it when its turn comes; see Journal.enqueue for the options."""
        entry = self.journal.enqueue(action, payload, ref, kind, progress, opens, ends)
        self.pump(now)
        return entry

    def backlog(self):
        return len(self.journal.pending)

    def idle(self):
        """Nothing in the journal can make progress now: all answered, or the station may not send."""
        st = self.st
        return (self.in_flight is None and not self.journal.pending) or not st.online or \
            st.registration != "accepted"

    def flush(self, now):
        self.journal.sync()

    # ---- delivery --------------------------------------------------------------------------------------------
    def on_accepted(self, now):
        self.pump(now)

    def on_connected(self, now):
        self.pump(now)

    def on_disconnected(self, now):
        self.in_flight = None

    def tick(self, now):
        if self.sync_at is not None and now >= self.sync_at:
            self.journal.sync()
            self.sync_at = None
        self.pump(now)

    def deadline(self):
        best = self.sync_at
        head = self.journal.pending[0] if self.journal.pending else None
        if head is not None and self.in_flight is None and head.retry_at is not None and self.st.online:
            best = head.retry_at if best is None else min(best, head.retry_at)
        return best

    def pump(self, now):
        st = self.st
        if self.in_flight is not None or not st.online or st.registration != "accepted":
            return
        pending = self.journal.pending
        if not pending:
            return
        head = pending[0]
        if head.retry_at is not None and now < head.retry_at:
            return
        payload = head.payload
        if head.action != "StartTransaction" and head.ref is not None and "transactionId" in payload:
            tx_id = self.journal.transaction_id(head.ref)
            payload = dict(payload)
            payload["transactionId"] = -1 if tx_id is None else tx_id
        msg_id = head.id
        if head.sent_on == st.connections:
            # A message id may not be reused on one connection: a retry on the same link gets a suffix.
            head.resends += 1
            msg_id = head.id + "/" + str(head.resends)
        head.sent_on = st.connections
        self.in_flight = head
        st.call(head.action, payload, self._confirmed, self._failed, msg_id=msg_id, front=True)

    def _mark_dirty(self, now):
        if self.sync_at is None:
            self.sync_at = now + SYNC_DELAY_MS
        if self.journal.unsynced >= 100:
            self.journal.sync()
            self.sync_at = None

    def _confirmed(self, payload, now):
        entry = self.in_flight
        self.in_flight = None
        if entry is None:
            return
        tx_id = payload.get("transactionId") if entry.action == "StartTransaction" else None
        self.journal.ack(entry, tx_id)
        self._mark_dirty(now)
        for fn in self.listeners.get(entry.action, ()):
            fn(entry, payload, now)
        if not self.journal.pending:
            self.journal.maybe_compact()
        self.pump(now)

    def _failed(self, code, description, now):
        entry = self.in_flight
        self.in_flight = None
        if entry is None:
            return
        if code in ("Disconnected", "Timeout"):
            entry.retry_at = None if code == "Disconnected" else now
            return
        self.journal.failed(entry)
        self._mark_dirty(now)
        registry = self.st.config
        if entry.attempts >= registry.get("TransactionMessageAttempts"):
            self.st.log.error(entry.action + " " + entry.id + " discarded after " + str(entry.attempts) +
                              " attempts: " + code + " " + description)
            self.journal.discard(entry)
            for fn in self.listeners.get(entry.action, ()):
                fn(entry, None, now)
        else:
            entry.retry_at = now + registry.get("TransactionMessageRetryInterval") * 1000 * entry.attempts
            self.st.log.warning(entry.action + " " + entry.id + " failed (" + code + "); retry " +
                                str(entry.attempts + 1) + " in " + str((entry.retry_at - now) // 1000) + " s")
        self.pump(now)
