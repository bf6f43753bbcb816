"""Authorization: its configuration keys, the persisted authorization cache, and ClearCache.

The cache maps an idTag (compared case-insensitively) to the last IdTagInfo the CSMS gave for it.
"""

from controller import config
from controller import storage
from controller.feature import Feature

CACHE_DOC = "auth_cache.json"


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

    def actions(self):
        return {"ClearCache": self.clear_cache}

    def start(self, now):
        doc = storage.load_doc(self.st.store, CACHE_DOC, {})
        self.cache = doc if isinstance(doc, dict) else {}

    def clear_cache(self, payload, now):
        self.cache = {}
        storage.save_doc(self.st.store, CACHE_DOC, self.cache)
        return {"status": "Accepted"}
