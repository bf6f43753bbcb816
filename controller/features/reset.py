"""Reset: answer Accepted, end what must end, then ask the runtime for a real restart (OCPP 1.6 §5.14).

Availability is already persisted, so Unavailable connectors stay Unavailable after the restart. Transactions are
ended through `before_reset` hooks of the features that own them.
"""

from controller import config
from controller.feature import Feature


class Reset(Feature):
    NAME = "reset"
    KEYS = (config.Key("ResetRetries", config.INT, 1, minimum=0, maximum=10),)

    def actions(self):
        return {"Reset": self.reset}

    def reset(self, payload, now):
        kind = payload["type"]
        self.st.log.warning(kind + " reset requested by the central system")

        def go(when):
            for f in self.st.features:
                hook = getattr(f, "before_reset", None)
                if hook is not None:
                    hook(kind, when)
            self.st.emit(("reset", kind))

        self.st.after_reply(go)
        return {"status": "Accepted"}
