"""Remote Trigger: TriggerMessage (OCPP 1.6 §5.17, TC_054/055, X-RT-01..05).

The answer goes out first; the requested CALL is queued right after it (Station.after_reply). A connectorId that
names no connector (above NumberOfConnectors, or negative) is Rejected and nothing is sent. While the registration
is Pending the requested CALL is let through (Station.triggered) until the CSMS has answered it.

    BootNotification               Accepted and sent until the first Boot Accepted; Rejected afterwards (errata
                                   3.35/3.40 recommend it: a registered station has nothing to re-register)
    Heartbeat                      one Heartbeat (connectorId is irrelevant and ignored)
    StatusNotification             the connector's current status; without connectorId, connector 0 and each one
    MeterValues                    the latest MeterValuesSampledData with context Trigger, for the connector or,
                                   without connectorId, for every connector 1..N (with the transactionId if one runs)
    DiagnosticsStatusNotification  the status of the feature named "diagnostics", Idle without one
    FirmwareStatusNotification     the status of the feature named "firmware", Idle without one

The seam for firmware and diagnostics: a feature with NAME "firmware" or "diagnostics" that has a method
`trigger_status()` returning its FirmwareStatus / DiagnosticsStatus string ("Idle" when nothing runs).
"""

from controller.feature import Feature
from controller.features.metering import DEFAULT

STATUS_OF = {"DiagnosticsStatusNotification": "diagnostics", "FirmwareStatusNotification": "firmware"}


class RemoteTrigger(Feature):
    NAME = "remote_trigger"
    PROFILE = "RemoteTrigger"

    def actions(self):
        return {"TriggerMessage": self.trigger_message}

    def trigger_message(self, payload, now):
        requested = payload["requestedMessage"]
        cid = payload.get("connectorId")
        if cid is not None and self.st.connector(cid) is None:
            return {"status": "Rejected"}
        if requested == "BootNotification" and self.st.registration == "accepted":
            return {"status": "Rejected"}
        self.st.after_reply(lambda when: self._send(requested, cid, when))
        return {"status": "Accepted"}

    def _send(self, requested, cid, now):
        st = self.st
        if requested == "BootNotification":
            registration = st.feature["registration"]
            if not registration.in_flight:
                registration.send(now)
            return
        if requested == "Heartbeat":
            self.track(st.feature["heartbeat"].send(now))
        elif requested == "StatusNotification":
            for c in ([st.connector(cid)] if cid is not None else st.connectors):
                self.track(st.feature["status"].report(c, now))
        elif requested == "MeterValues":
            for c in ([st.connector(cid)] if cid is not None else st.connectors[1:]):
                self.track(st.call("MeterValues", self._meter_values(c, now)))
        else:
            feature = st.feature.get(STATUS_OF[requested])
            ask = getattr(feature, "trigger_status", None)
            self.track(st.call(requested, {"status": ask() if ask is not None else "Idle"}))

    def _meter_values(self, c, now):
        metering = self.st.feature["metering"]
        items = self.st.config.get("MeterValuesSampledData") or DEFAULT
        payload = {"connectorId": c.id,
                   "meterValue": [metering.sample(c, items, "Trigger", self.st.clock.epoch_ms(now))]}
        tx = c.transaction
        if tx is not None:
            tx_id = self.st.feature["outbox"].journal.transaction_id(tx.ref)
            if tx_id is not None:
                payload["transactionId"] = tx_id
        return payload

    def track(self, entry):
        """Let a triggered CALL (also one of ExtendedTriggerMessage's) through while Pending, until it is answered
        or fails."""
        if entry is None:
            return
        triggered = self.st.triggered
        triggered.append(entry.action)
        on_result, on_error = entry.on_result, entry.on_error

        def done():
            if entry.action in triggered:
                triggered.remove(entry.action)

        def result(payload, now):
            done()
            if on_result is not None:
                on_result(payload, now)

        def error(code, description, now):
            done()
            if on_error is not None:
                on_error(code, description, now)

        entry.on_result = result
        entry.on_error = error
