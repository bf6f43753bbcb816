"""Registration: BootNotification, and what Accepted, Pending and Rejected allow (OCPP 1.6 §4.2).

Rejected means silence: no CALL of ours but the next Boot, and no answer to the CSMS. Pending answers the CSMS
but sends nothing of its own. Boot is retried after the interval the CSMS gave, or after a growing back-off of our
own when it gave 0 or did not answer. A reconnect after Accepted sends no new Boot (OCPP-J §5.4).
"""

from controller import clock
from controller.feature import Feature

MIN_BACKOFF_MS = 10000
MAX_BACKOFF_MS = 600000


class Registration(Feature):
    NAME = "registration"

    def __init__(self, station):
        Feature.__init__(self, station)
        self.retry_at = None
        self.in_flight = False
        self.backoff_ms = MIN_BACKOFF_MS

    def on_connected(self, now):
        if self.st.registration != "accepted" and (self.retry_at is None or now >= self.retry_at):
            self.send(now)

    def on_disconnected(self, now):
        self.in_flight = False

    def tick(self, now):
        if self.retry_at is not None and now >= self.retry_at and self.st.online and not self.in_flight:
            self.send(now)

    def deadline(self):
        return None if self.in_flight else self.retry_at

    def payload(self):
        ident = self.st.identity
        out = {"chargePointVendor": ident["vendor"], "chargePointModel": ident["model"]}
        for field, name in (("serial", "chargePointSerialNumber"), ("box_serial", "chargeBoxSerialNumber"),
                            ("firmware_version", "firmwareVersion"), ("iccid", "iccid"), ("imsi", "imsi"),
                            ("meter_type", "meterType"), ("meter_serial", "meterSerialNumber")):
            if ident.get(field):
                out[name] = ident[field]
        return out

    def send(self, now):
        self.in_flight = True
        self.retry_at = None
        self.st.call("BootNotification", self.payload(), self._on_result, self._on_error, front=True)

    def _retry_later(self, interval_s, now):
        if interval_s > 0:
            self.retry_at = now + interval_s * 1000
        else:
            self.retry_at = now + self.backoff_ms
            self.backoff_ms = min(self.backoff_ms * 2, MAX_BACKOFF_MS)

    def _on_result(self, payload, now):
        self.in_flight = False
        epoch = clock.parse_iso(payload["currentTime"])
        if epoch is not None:
            self.st.clock.set(epoch, now)
        status = payload["status"]
        interval = payload["interval"]
        st = self.st
        if status == "Accepted":
            st.registration = "accepted"
            st.rpc.silent = False
            self.backoff_ms = MIN_BACKOFF_MS
            if interval > 0:
                st.config.set_internal("HeartbeatInterval", interval)
            st.log.info("registered with the central system (Accepted)")
            for f in st.features:
                f.on_accepted(now)
            return
        if status == "Pending":
            st.registration = "pending"
            st.rpc.silent = False
        else:
            st.registration = "rejected"
            st.rpc.silent = True
        st.log.warning("central system answered " + status + "; next BootNotification in " +
                       str(interval if interval > 0 else self.backoff_ms // 1000) + " s")
        self._retry_later(interval, now)

    def _on_error(self, code, description, now):
        self.in_flight = False
        if code != "Disconnected":
            self._retry_later(0, now)
