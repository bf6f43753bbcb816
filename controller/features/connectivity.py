"""Link settings the runtime acts on: WebSocket ping, CALL timeout, Basic-auth key and security profile.

AuthorizationKey is write-only: set as 32-40 hex digits (16-20 bytes), sent hex-decoded in the Basic header, never
disclosed. A new key makes the runtime reconnect with it.
"""

from controller import config
from controller.feature import Feature

HEX = "0123456789abcdefABCDEF"


def valid_hex_key(text):
    if not 32 <= len(text) <= 40 or len(text) % 2:
        return False
    for ch in text:
        if ch not in HEX:
            return False
    return True


class Connectivity(Feature):
    NAME = "connectivity"

    def __init__(self, station):
        Feature.__init__(self, station)
        profile = station.options.get("security_profile", 0)
        self.KEYS = (
            config.Key("WebSocketPingInterval", config.INT, 60, minimum=0, maximum=86400),
            config.Key("MessageTimeout", config.INT, 30, minimum=1, maximum=3600),
            config.Key("AuthorizationKey", config.STR, "", access="W", check=valid_hex_key, max_len=40),
            config.Key("SecurityProfile", config.INT, profile, access="R", persist=False),
        )

    def start(self, now):
        registry = self.st.config
        provisioned = self.st.options.get("authorization_key")
        if provisioned and not registry.get("AuthorizationKey"):
            registry.set_internal("AuthorizationKey", provisioned)
        self.st.rpc.timeout_ms = registry.get("MessageTimeout") * 1000
        registry.on_change("MessageTimeout", self._timeout_changed)
        registry.on_change("AuthorizationKey", self._key_changed)

    def _timeout_changed(self, value):
        self.st.rpc.timeout_ms = value * 1000

    def _key_changed(self, value):
        self.st.log.info("AuthorizationKey changed; reconnecting with the new key")
        self.st.after_reply(lambda now: self.st.emit(("reconnect", "AuthorizationKey changed")))

    def authorization_key(self):
        """The Basic-auth password as bytes, or None when none is set."""
        text = self.st.config.get("AuthorizationKey")
        if not text:
            return None
        return bytes([int(text[i:i + 2], 16) for i in range(0, len(text), 2)])
