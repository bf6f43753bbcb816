"""ExtendedTriggerMessage (Security Whitepaper ed. 3 §5.5, X-SEC-16): every MessageTriggerEnumType.

    BootNotification, Heartbeat,        exactly as TriggerMessage (features/remote_trigger.py does the checks and
    MeterValues, StatusNotification     the sending)
    SignChargePointCertificate          a new key pair and SignCertificate (features/certificate_signing.py);
                                        Rejected without CpoName or X.509 support
    FirmwareStatusNotification          SignedFirmwareStatusNotification with the firmware feature's last
                                        status (`status_name()`: Idle after Installed, L01.FR.28/29), Idle
                                        without one
    LogStatusNotification               the "logs" feature's `last_status()` payload, {"status": "Idle"} without one

A connectorId that names no connector is Rejected, as with TriggerMessage; a message this build cannot send is
NotImplemented. The answer goes out first, the requested CALL right after it.
"""

from controller.feature import Feature

SHARED = ("BootNotification", "Heartbeat", "MeterValues", "StatusNotification")


class ExtendedTrigger(Feature):
    NAME = "extended_trigger"

    def actions(self):
        return {"ExtendedTriggerMessage": self.trigger}

    def trigger(self, payload, now):
        requested = payload["requestedMessage"]
        remote = self.st.feature.get("remote_trigger")
        if remote is None:
            return {"status": "NotImplemented"}
        if requested in SHARED:
            return remote.trigger_message(payload, now)
        cid = payload.get("connectorId")
        if cid is not None and self.st.connector(cid) is None:
            return {"status": "Rejected"}
        if requested == "SignChargePointCertificate":
            signing = self.st.feature.get("certificate_signing")
            if signing is None:
                return {"status": "NotImplemented"}
            why = signing.can_request()
            if why is not None:
                self.st.log.warning("ExtendedTriggerMessage SignChargePointCertificate refused: " + why)
                return {"status": "Rejected"}
            self.st.after_reply(lambda when: remote.track(signing.request(when)))
        elif requested == "FirmwareStatusNotification":
            self.st.after_reply(lambda when: remote.track(self.st.call("SignedFirmwareStatusNotification",
                                                                       {"status": self._firmware_status()})))
        else:
            self.st.after_reply(lambda when: remote.track(self.st.call("LogStatusNotification", self._log_status())))
        return {"status": "Accepted"}

    def _firmware_status(self):
        ask = getattr(self.st.feature.get("firmware"), "status_name", None)
        return ask() if ask is not None else "Idle"

    def _log_status(self):
        ask = getattr(self.st.feature.get("logs"), "last_status", None)
        return ask() if ask is not None else {"status": "Idle"}
