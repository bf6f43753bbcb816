"""Reset, and every restart the station performs itself (OCPP 1.6 §5.14).

A Reset is answered Accepted; then `restart` ends what must end (the `before_reset` hooks of the features that own
transactions), waits until the journal is idle (every message answered, the link down, or RESET_WAIT_MS gone),
writes everything pending (`Station.flush`) and only then asks the runtime for the restart. So a StopTransaction
the CSMS answered is never sent again after the restart. Availability is already persisted, so Unavailable
connectors stay Unavailable. Other features that restart the station (a firmware install, a security profile
switch) call `Station.restart` and get the same order.
"""

from controller import config
from controller.feature import Feature


class Reset(Feature):
    NAME = "reset"
    KEYS = (config.Key("ResetRetries", config.INT, 1, minimum=0, maximum=10),)

    def __init__(self, station):
        Feature.__init__(self, station)
        self.pending = None       # (kind, give up waiting at now_ms) while a restart waits for the journal
        self.done = False         # the restart effect was emitted: nothing more to do in this process

    def actions(self):
        return {"Reset": self.reset}

    def reset(self, payload, now):
        kind = payload["type"]
        self.st.log.warning(kind + " reset requested by the central system")
        self.st.after_reply(lambda when: self.restart(kind, when))
        return {"status": "Accepted"}

    def restart(self, kind, now):
        if self.pending is not None or self.done:
            return
        for f in self.st.features:
            hook = getattr(f, "before_reset", None)
            if hook is not None:
                hook(kind, now)
        self.pending = (kind, now + self.st.rpc.timeout_ms)
        self.after_step(now)

    def restarting(self):
        return self.pending is not None or self.done

    def after_step(self, now):
        if self.pending is None:
            return
        kind, give_up = self.pending
        outbox = self.st.feature.get("outbox")
        if outbox is not None and not outbox.idle() and self.st.online and now < give_up:
            return
        self.pending = None
        self.done = True
        self.st.flush(now)
        self.st.emit(("reset", kind))

    def deadline(self):
        return None if self.pending is None else self.pending[1]
