"""SignedUpdateFirmware (Security Whitepaper ed. 3, L01; TC_080, TC_081, X-SEC-17).

Before answering, the signing certificate is checked against the installed ManufacturerRootCertificates
(`st.feature["certificates"].roots(...)`): a certificate that is not valid now or does not chain to one of them is
answered InvalidCertificate, raises InvalidFirmwareSigningCertificate, and nothing is downloaded. Otherwise the
update runs through the firmware feature (`schedule`, features/firmware.py) with the signature in its context:
download, then the signature over the downloaded file (the runtime's firmware_image.VERIFIERS), then the install,
each step as a SignedFirmwareStatusNotification carrying the requestId.

    Accepted            nothing else was running
    AcceptedCanceled    it replaces an update that had not begun to install
    Rejected            an install is under way (it cannot be cancelled), or this build has no certificate check
    InvalidCertificate  the signing certificate is refused (see above)

The X.509 and signature work is CPython's (controller/runtime/firmware_signing_cpython.py registers itself in
CERTIFICATE_CHECKS and firmware_image.VERIFIERS). On a build without it (MicroPython) CERTIFICATE_CHECKS is empty
and every SignedUpdateFirmware is Rejected with a log line: the station never installs what it cannot verify.
RevokedCertificate is never answered: the station has no revocation list.
"""

from controller import clock as clockmod
from controller.feature import Feature

# fn(signing_certificate_pem, root_pems, now_epoch_ms) -> None when valid, else the reason
CERTIFICATE_CHECKS = []
ROOT_TYPE = "ManufacturerRootCertificate"


class SignedFirmware(Feature):
    NAME = "signed_firmware"

    def __init__(self, station):
        Feature.__init__(self, station)
        self.checks = CERTIFICATE_CHECKS        # the seam, as filled when the station was built

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
        if not self.checks:
            self.st.log.error("SignedUpdateFirmware rejected: this build cannot check a signing certificate")
            return {"status": "Rejected"}
        fw = payload["firmware"]
        reason = self.checks[0](fw["signingCertificate"], self.roots(), self.st.clock.epoch_ms(now))
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
