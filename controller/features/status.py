"""StatusNotification: derives each connector's status, checks it against the §4.9 table, and reports it.

A changed status is reported once it has been stable for MinimumStatusDuration seconds; a status that returns to
the last reported one before then is not reported at all. After every Boot Accepted all connectors and connector
0 are reported. While offline nothing is queued: on reconnect only statuses that differ from the last reported
one go out, stamped with the time they were entered. Nothing is reported before the hardware's first readings
are in (Station.hardware_known), so a restart never reports Available for a connector with an EV plugged.
"""

from controller import config
from controller import connector as conn
from controller.feature import Feature


class Status(Feature):
    NAME = "status"
    KEYS = (
        config.Key("MinimumStatusDuration", config.INT, 0, minimum=0, maximum=86400),
        config.Key("NumberOfConnectors", config.INT, 1, access="R", persist=False),
    )

    def start(self, now):
        self.report_all = False
        # Features that keep connector facts true before each derivation (e.g. reservations that expired).
        self.settlers = [f for f in self.st.features if hasattr(f, "settle")]
        self.st.config.set_internal("NumberOfConnectors", len(self.st.connectors) - 1)
        self.refresh(now)

    def refresh(self, now):
        for f in self.settlers:
            f.settle(now)
        zero = self.st.zero
        for c in self.st.connectors:
            new = c.derive(zero)
            if new == c.status:
                continue
            if c.status is not None and not conn.allowed(c.status, new):
                self.st.violation("connector " + str(c.id) + ": " + c.status + " -> " + new +
                                  " is not in the OCPP 4.9 transition table")
            c.status = new
            c.changed_at = now
            if new == c.reported:
                c.report_at = None
            else:
                c.report_at = now + self.st.config.get("MinimumStatusDuration") * 1000
        self.tick(now)

    def tick(self, now):
        if self.st.registration != "accepted" or not self.st.online or not self.st.hardware_known:
            return
        if self.report_all:
            self.report_all = False
            for c in self.st.connectors:
                self.report(c, now)
            return
        for c in self.st.connectors:
            if c.report_at is not None and now >= c.report_at:
                self.report(c, now)

    def deadline(self):
        if self.st.registration != "accepted" or not self.st.online or not self.st.hardware_known:
            return None
        best = None
        for c in self.st.connectors:
            if c.report_at is not None and (best is None or c.report_at < best):
                best = c.report_at
        return best

    def on_accepted(self, now):
        self.report_all = True
        self.tick(now)

    def report(self, c, now):
        code, info = c.error_code()
        if c.status == conn.FAULTED and code == "NoError":
            code, info = self.st.zero.error_code()     # faulted because the whole station is
        payload = {"connectorId": c.id, "status": c.status, "errorCode": code,
                   "timestamp": self.st.clock.iso(c.changed_at)}
        if info:
            payload["info"] = info[:50]
        c.reported = c.status
        c.report_at = None

        def failed(error, description, when):
            if error == "Disconnected" or error == "Timeout":
                c.reported = None
                c.report_at = when

        return self.st.call("StatusNotification", payload, None, failed)
