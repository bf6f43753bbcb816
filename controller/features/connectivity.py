"""Link settings the runtime acts on: WebSocket ping and CALL timeout.

The AuthorizationKey and SecurityProfile live in features/security_profile.py.
"""

from controller import config
from controller.feature import Feature


class Connectivity(Feature):
    NAME = "connectivity"
    KEYS = (
        config.Key("WebSocketPingInterval", config.INT, 60, minimum=0, maximum=86400),
        config.Key("MessageTimeout", config.INT, 30, minimum=1, maximum=3600),
    )

    def start(self, now):
        registry = self.st.config
        self.st.rpc.timeout_ms = registry.get("MessageTimeout") * 1000
        registry.on_change("MessageTimeout", self._timeout_changed)

    def _timeout_changed(self, value):
        self.st.rpc.timeout_ms = value * 1000
