"""Heartbeat: tells the CSMS we are alive after HeartbeatInterval seconds without a CALL, and syncs the clock."""

from controller import clock
from controller import config
from controller.feature import Feature


class Heartbeat(Feature):
    NAME = "heartbeat"
    KEYS = (config.Key("HeartbeatInterval", config.INT, 86400, minimum=0, maximum=2147483),)

    def __init__(self, station):
        Feature.__init__(self, station)
        self.in_flight = False

    def _due(self):
        interval = self.st.config.get("HeartbeatInterval")
        if interval <= 0 or self.st.registration != "accepted" or not self.st.online or self.in_flight:
            return None
        return self.st.last_call_sent + interval * 1000

    def tick(self, now):
        due = self._due()
        if due is not None and now >= due:
            self.send(now)

    def send(self, now):
        """A Heartbeat now (also when TriggerMessage asks for one); returns the queued CALL."""
        self.in_flight = True
        self.st.last_call_sent = now
        return self.st.call("Heartbeat", {}, self._on_result, self._on_error)

    def deadline(self):
        return self._due()

    def _on_result(self, payload, now):
        self.in_flight = False
        epoch = clock.parse_iso(payload["currentTime"])
        if epoch is not None:
            self.st.clock.set(epoch, now)

    def _on_error(self, code, description, now):
        self.in_flight = False
