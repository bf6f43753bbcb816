"""ChangeAvailability: Operative / Inoperative per connector or for the whole station, persisted across restarts.

A connector with a running transaction answers Scheduled and changes when the transaction ends
(`apply_scheduled`). The state, scheduled changes included, is written atomically so a power cut keeps it.
"""

from controller import connector as conn
from controller import storage
from controller.feature import Feature

DOC = "availability.json"


class Availability(Feature):
    NAME = "availability"

    def actions(self):
        return {"ChangeAvailability": self.change_availability}

    def start(self, now):
        saved = storage.load_doc(self.st.store, DOC, {})
        for c in self.st.connectors:
            entry = saved.get(str(c.id))
            if isinstance(entry, dict):
                if entry.get("a") in (conn.OPERATIVE, conn.INOPERATIVE):
                    c.availability = entry["a"]
                if entry.get("s") in (conn.OPERATIVE, conn.INOPERATIVE):
                    c.scheduled = entry["s"]
        # A scheduled change whose transaction did not survive the restart applies now.
        for c in self.st.connectors:
            if c.scheduled is not None and c.transaction is None:
                c.availability = c.scheduled
                c.scheduled = None

    def save(self):
        doc = {}
        for c in self.st.connectors:
            doc[str(c.id)] = {"a": c.availability, "s": c.scheduled}
        storage.try_save_doc(self.st.store, DOC, doc)     # on a storage fault it holds until the next change

    def change_availability(self, payload, now):
        cid = payload["connectorId"]
        wanted = payload["type"]
        target = self.st.connector(cid)
        if target is None:
            return {"status": "Rejected"}
        targets = self.st.connectors if cid == 0 else [target]
        scheduled = False
        for c in targets:
            if c.transaction is not None:
                c.scheduled = None if c.availability == wanted else wanted
                scheduled = scheduled or c.scheduled is not None
            else:
                c.availability = wanted
                c.scheduled = None
        self.save()
        return {"status": "Scheduled" if scheduled else "Accepted"}

    def apply_scheduled(self, c):
        """Called when the transaction on connector `c` has ended."""
        if c.scheduled is not None:
            c.availability = c.scheduled
            c.scheduled = None
            self.save()
