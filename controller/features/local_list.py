"""Local Authorization List Management: SendLocalList, GetLocalListVersion, and the list's say in authorization.

Versions: GetLocalListVersion answers -1 while LocalAuthListEnabled is false and 0 while the list is empty (OCPP
1.6 §5.11, TC_042); that reported version is the one a Differential update must exceed, else VersionMismatch
(TC_043_2). A Full update may carry any version >= 0; a negative version is Failed.

An update is Failed, and the list stays exactly as it was, when it has more entries than SendLocalListMaxLength,
would leave more than LocalAuthListMaxLength, names an idTag twice, has a Full entry without idTagInfo, or cannot be
written (storage fault). While the list is disabled SendLocalList answers NotSupported and the list is not used.

Authorization (authorization.py asks `entry` and `answered`): a listed idTag is judged by its list entry, never by
the cache, and is never cached. When the CSMS answers for a listed idTag with another status than the list's
(Authorize, StartTransaction or StopTransaction answers), a StatusNotification for connector 0 with errorCode
LocalListConflict reports it; the station's status is unchanged and the list is left for the CSMS to fix.
The list lives on disk (controller/local_list_store.py), so 10,000 entries cost a few KB of RAM.
"""

from controller import clock
from controller import config
from controller.feature import Feature
from controller.local_list_store import ListStore, ListTooLong, key_of, record


class LocalList(Feature):
    NAME = "local_list"
    PROFILE = "LocalAuthListManagement"

    def __init__(self, station):
        Feature.__init__(self, station)
        options = station.options
        self.KEYS = (
            config.Key("LocalAuthListEnabled", config.BOOL, True),
            config.Key("LocalAuthListMaxLength", config.INT, options.get("local_list_max", 10000), access="R",
                       persist=False),
            config.Key("SendLocalListMaxLength", config.INT, options.get("send_local_list_max", 400), access="R",
                       persist=False),
        )
        self.list = ListStore(station.store)

    def actions(self):
        return {"GetLocalListVersion": self.get_version, "SendLocalList": self.send_local_list}

    def start(self, now):
        if not self.list.load():
            self.st.log.error("the local authorization list on disk is damaged; starting with an empty list")

    def enabled(self):
        return self.st.config.get("LocalAuthListEnabled")

    def version(self):
        return self.list.version if self.list.count else 0

    # ---- CSMS requests ---------------------------------------------------------------------------------------
    def get_version(self, payload, now):
        return {"listVersion": self.version() if self.enabled() else -1}

    def send_local_list(self, payload, now):
        if not self.enabled():
            return {"status": "NotSupported"}
        version = payload["listVersion"]
        full = payload["updateType"] == "Full"
        entries = payload.get("localAuthorizationList") or []
        if not full and version <= self.version():
            return {"status": "VersionMismatch"}
        changes, problem = self._changes(entries, full, version)
        if problem is None:
            try:
                self.list.rewrite(version, changes, full, self.st.config.get("LocalAuthListMaxLength"))
            except ListTooLong as e:
                problem = str(e)
            except Exception as e:          # the storage port failed: the old list is intact
                problem = "not stored: " + str(e)
        if problem is not None:
            self.st.log.warning("SendLocalList " + payload["updateType"] + " v" + str(version) + " Failed: " +
                                problem)
            return {"status": "Failed"}
        self.st.log.info("local authorization list now version " + str(version) + " with " +
                         str(self.list.count) + " entries")
        return {"status": "Accepted"}

    def _changes(self, entries, full, version):
        """(key-sorted [(key, record or None)], None) or (None, why the update is Failed)."""
        if version < 0:
            return None, "negative listVersion"
        if len(entries) > self.st.config.get("SendLocalListMaxLength"):
            return None, "more than SendLocalListMaxLength entries"
        changes = {}
        for entry in entries:
            info = entry.get("idTagInfo")
            try:
                key = key_of(entry["idTag"])
                rec = None
                if info is not None:
                    expiry = clock.parse_iso(info["expiryDate"]) if info.get("expiryDate") else None
                    rec = record(key, info["status"], expiry, info.get("parentIdTag"))
            except ValueError as e:
                return None, str(e)
            if key in changes:
                return None, "idTag " + entry["idTag"] + " twice"
            if rec is None and full:
                return None, "a Full update needs idTagInfo for " + entry["idTag"]
            changes[key] = rec
        return [(k, changes[k]) for k in sorted(changes)], None

    # ---- for authorization -----------------------------------------------------------------------------------
    def entry(self, id_tag, now):
        """The list's IdTagInfo for `id_tag` ({"status", "parentIdTag"?}), or None (not listed, or disabled)."""
        if not self.enabled():
            return None
        found = self.list.lookup(id_tag)
        if found is None:
            return None
        status, expiry, parent = found
        if status == "Accepted" and expiry is not None and self.st.clock.epoch_ms(now) >= expiry:
            status = "Expired"
        info = {"status": status}
        if parent:
            info["parentIdTag"] = parent
        return info

    def answered(self, id_tag, info, now):
        """The CSMS gave `info` for `id_tag`: True when the list holds the idTag (then it must not be cached);
        a status other than the list's is reported as a LocalListConflict."""
        listed = self.entry(id_tag, now) if id_tag else None
        if listed is None:
            return False
        if isinstance(info, dict) and info.get("status") != listed["status"]:
            self.st.log.warning("LocalListConflict: the list says " + listed["status"] + " for " + id_tag +
                                ", the central system " + str(info.get("status")))
            zero = self.st.zero
            self.st.call("StatusNotification", {
                "connectorId": 0, "status": zero.reported or zero.status or "Available",
                "errorCode": "LocalListConflict", "timestamp": self.st.now_iso(now),
                "info": ("list " + listed["status"] + ", CSMS " + str(info.get("status")))[:50]})
        return True
