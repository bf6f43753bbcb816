"""Authorization: deciding whether an idTag may charge, and the persisted authorization cache.

Online, an idTag is checked with Authorize.req unless LocalPreAuthorize lets a cached Accepted entry start at once.
Offline (or while not registered, or when Authorize gets no answer), LocalAuthorizeOffline lets a cached Accepted
entry start, and AllowOfflineTxForUnknownId lets an id we know nothing about start; an id we know as anything but
Accepted, or whose entry has expired, is refused either way (OCPP 1.6 §3.5).

A Local Authorization List entry (features/local_list.py) comes before the cache, and listed ids are never cached.
The cache holds the last IdTagInfo of every id the CSMS told us about (Authorize, Start and Stop answers), keys
compared case-insensitively. When full, invalid entries go first, then the least recently updated. It reaches the
disk 2 s after a change (ClearCache at once), off the path between a CSMS answer and the next message.
"""

from controller import clock
from controller import config
from controller import storage
from controller.feature import Feature

CACHE_DOC = "auth_cache.json"


def same_tag(a, b):
    return a is not None and b is not None and a.upper() == b.upper()


class Authorization(Feature):
    NAME = "authorization"
    KEYS = (
        config.Key("AuthorizeRemoteTxRequests", config.BOOL, True),
        config.Key("LocalAuthorizeOffline", config.BOOL, True),
        config.Key("LocalPreAuthorize", config.BOOL, False),
        config.Key("AllowOfflineTxForUnknownId", config.BOOL, False),
        config.Key("AuthorizationCacheEnabled", config.BOOL, True),
    )

    def __init__(self, station):
        Feature.__init__(self, station)
        self.cache = {}
        self.max_entries = station.options.get("auth_cache_entries", 1000)
        self.unsaved = storage.DeferredWrite()

    def actions(self):
        return {"ClearCache": self.clear_cache}

    def start(self, now):
        doc = storage.load_doc(self.st.store, CACHE_DOC, {})
        self.cache = doc if isinstance(doc, dict) else {}

    def clear_cache(self, payload, now):
        self.cache = {}
        storage.save_doc(self.st.store, CACHE_DOC, self.cache)
        return {"status": "Accepted"}

    # ---- the cache -------------------------------------------------------------------------------------------
    def remember(self, id_tag, info, now):
        """Store an IdTagInfo the CSMS gave for `id_tag` (no-op when the cache is disabled or the list has it)."""
        local_list = self.st.feature.get("local_list")
        if local_list is not None and local_list.answered(id_tag, info, now):
            return
        if not id_tag or not isinstance(info, dict) or not self.st.config.get("AuthorizationCacheEnabled"):
            return
        entry = {"s": info.get("status"), "u": self.st.clock.epoch_ms(now)}
        if info.get("expiryDate"):
            entry["e"] = clock.parse_iso(info["expiryDate"])
        if info.get("parentIdTag"):
            entry["p"] = info["parentIdTag"]
        self.cache[id_tag.upper()] = entry
        if len(self.cache) > self.max_entries:
            self._evict()
        self.unsaved.touch(now)

    def tick(self, now):
        if self.unsaved.take(now) and not storage.try_save_doc(self.st.store, CACHE_DOC, self.cache):
            self.unsaved.touch(now)     # the storage failed: try again later

    def deadline(self):
        return self.unsaved.deadline()

    def flush(self, now):
        if self.unsaved.take_all():
            storage.try_save_doc(self.st.store, CACHE_DOC, self.cache)

    def _evict(self):
        victim = None
        for key, entry in self.cache.items():
            rank = (0 if entry.get("s") != "Accepted" else 1, entry.get("u", 0))
            if victim is None or rank < victim[0]:
                victim = (rank, key)
        del self.cache[victim[1]]

    def lookup(self, id_tag, now):
        """The locally known IdTagInfo for `id_tag` ({"status", "parentIdTag"?}), or None when unknown."""
        local_list = self.st.feature.get("local_list")
        listed = local_list.entry(id_tag, now) if local_list is not None else None
        if listed is not None:
            return listed
        if not self.st.config.get("AuthorizationCacheEnabled"):
            return None
        entry = self.cache.get(id_tag.upper())
        if entry is None:
            return None
        status = entry.get("s")
        expiry = entry.get("e")
        if status == "Accepted" and expiry is not None and self.st.clock.epoch_ms(now) >= expiry:
            status = "Expired"
        info = {"status": status}
        if entry.get("p"):
            info["parentIdTag"] = entry["p"]
        return info

    # ---- deciding --------------------------------------------------------------------------------------------
    def authorize(self, id_tag, now, done, force_request=False):
        """Decide on `id_tag`; calls done(accepted, info, now) now or when the CSMS answers."""
        st = self.st
        local = self.lookup(id_tag, now)
        if st.online and st.registration == "accepted":
            if not force_request and local is not None and local["status"] == "Accepted" and \
                    st.config.get("LocalPreAuthorize"):
                done(True, local, now)
                return

            def answered(payload, when):
                info = payload["idTagInfo"]
                self.remember(id_tag, info, when)
                done(info["status"] == "Accepted", self._with_listed_parent(id_tag, info, when), when)

            def unanswered(code, description, when):
                if code in ("Disconnected", "Timeout"):
                    self._offline(id_tag, self.lookup(id_tag, when), when, done)
                else:
                    done(False, {"status": "Invalid"}, when)

            st.call("Authorize", {"idTag": id_tag}, answered, unanswered)
            return
        self._offline(id_tag, local, now, done)

    def _with_listed_parent(self, id_tag, info, now):
        """The CSMS's IdTagInfo, with the local list's parentIdTag when the answer gives none (a reservation held
        for that parent must still admit the tag)."""
        local_list = self.st.feature.get("local_list")
        listed = local_list.entry(id_tag, now) if local_list is not None and not info.get("parentIdTag") else None
        if listed is None or not listed.get("parentIdTag"):
            return info
        out = dict(info)
        out["parentIdTag"] = listed["parentIdTag"]
        return out

    def _offline(self, id_tag, local, now, done):
        registry = self.st.config
        if local is not None:
            ok = local["status"] == "Accepted" and registry.get("LocalAuthorizeOffline")
            done(ok, local, now)
        elif registry.get("AllowOfflineTxForUnknownId"):
            done(True, {"status": "Accepted"}, now)
        else:
            done(False, {"status": "Invalid"}, now)
