"""SignedUpdateFirmware (Security Whitepaper ed. 3, L01; TC_080, TC_081, X-SEC-17).

Before answering, the signing certificate (PEM, intermediate CAs may follow it) is checked against the installed
ManufacturerRootCertificates (`st.feature["certificates"].roots(...)`) through the crypto port (station option
"crypto", `check_chain`; controller/runtime/crypto_cpython.py): a certificate that is not valid now or does not
chain to one of them is answered InvalidCertificate, raises InvalidFirmwareSigningCertificate, and nothing is
downloaded. Otherwise the
update runs through the firmware feature (`schedule`, features/firmware.py) with the signature in its context:
download, then the signature over the downloaded file (the runtime's firmware_image.VERIFIERS), then the install,
each step as a SignedFirmwareStatusNotification carrying the requestId.

    Accepted            nothing else was running
    AcceptedCanceled    it replaces an update that had not begun to install
    Rejected            an install is under way (it cannot be cancelled), or this build has no crypto port
    InvalidCertificate  the signing certificate is refused (see above)

The signature over the downloaded file is checked by the runtime's firmware_image.VERIFIERS entry
(controller/runtime/firmware_signing_cpython.py). A build without crypto (MicroPython) has no port: every
SignedUpdateFirmware is Rejected with a log line, the station never installs what it cannot verify.
RevokedCertificate is never answered: the station has no revocation list.
"""

from controller import clock as clockmod
from controller.feature import Feature

ROOT_TYPE = "ManufacturerRootCertificate"


class SignedFirmware(Feature):
    NAME = "signed_firmware"

    def __init__(self, station):
        Feature.__init__(self, station)
        self.crypto = station.options.get("crypto")

    def actions(self):
        return {"SignedUpdateFirmware": self.signed_update}

    def roots(self):
        certificates = self.st.feature.get("certificates")
        return certificates.roots(ROOT_TYPE) if certificates is not None else []

    def signed_update(self, payload, now):
        firmware = self.st.feature.get("firmware")
        busy = firmware.busy() if firmware is not None else "installing"
        if busy == "installing":
            self.st.log.warning("SignedUpdateFirmware rejected: an install is under way")
            return {"status": "Rejected"}
        if self.crypto is None:
            self.st.log.error("SignedUpdateFirmware rejected: this build cannot check a signing certificate")
            return {"status": "Rejected"}
        fw = payload["firmware"]
        roots = self.roots()
        if roots:
            reason = self.crypto.check_chain(fw["signingCertificate"], roots, self.st.clock.epoch_ms(now), ROOT_TYPE)
        else:
            reason = "no " + ROOT_TYPE + " is installed"
        if reason is not None:
            self.st.log.warning("SignedUpdateFirmware: signing certificate refused: " + reason)
            self.st.security_event("InvalidFirmwareSigningCertificate", reason, now)
            return {"status": "InvalidCertificate"}
        context = {"signed": True, "requestId": payload["requestId"], "signature": fw["signature"],
                   "signingCertificate": fw["signingCertificate"]}
        firmware.schedule(fw["location"], clockmod.parse_iso(fw["retrieveDateTime"]), payload.get("retries"),
                          payload.get("retryInterval"), context, now,
                          install_epoch=clockmod.parse_iso(fw.get("installDateTime")))
        return {"status": "AcceptedCanceled" if busy == "cancelable" else "Accepted"}
