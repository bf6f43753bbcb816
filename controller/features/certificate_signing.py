"""Certificate signing: the station's own ChargePointCertificate (Security Whitepaper ed. 3 A02/A03; TC_074,
TC_077, X-SEC-06..09).

`request(now)` makes a new key pair in the security store and sends SignCertificate with a PEM PKCS#10 request,
subject CN = the station's serial number (identity "serial"), O = CpoName. ExtendedTriggerMessage
(SignChargePointCertificate) asks for it (features/extended_trigger.py); the station asks by itself when its
certificate expires within RENEW_BEFORE_MS (X-SEC-09). The private key never leaves the security store.

CertificateSigned is Accepted only for a chain whose leaf is for the pending key, in force, with our CN and O, each
certificate signed by the next and the last by an installed CentralSystemRootCertificate, and no longer than
CertificateSignedMaxChainSize; else Rejected with an InvalidChargePointCertificate event (TC_077, X-SEC-07). An
accepted certificate is tried through the security feature (client_certificate_changed): at profile 3 the station
reconnects with it and falls back to the old one when that fails.

No endless retries (X-SEC-08): a Rejected SignCertificate, or no CertificateSigned within WAIT_MS, keeps the
current certificate. Only the station's own renewal tries again, RENEW_ATTEMPTS times in all, RENEW_BACKOFF_MS
apart (growing), then waits for the CSMS; the count is kept across restarts and reset by a new certificate.
"""

from controller import config
from controller.feature import Feature
from controller.secret_store import SecretStore

DAY_MS = 86400000
RENEW_BEFORE_MS = 30 * DAY_MS
WAIT_MS = 3600000
CHECK_MS = 3600000
RENEW_BACKOFF_MS = (3600000, 4 * 3600000)
RENEW_ATTEMPTS = len(RENEW_BACKOFF_MS) + 1
PENDING_KEY = "csr.key"
RENEWAL = "renewal.json"


class CertificateSigning(Feature):
    NAME = "certificate_signing"
    KEYS = (config.Key("CertificateSignedMaxChainSize", config.INT, 10000, access="R", persist=False),)

    def __init__(self, station):
        Feature.__init__(self, station)
        self.secrets = SecretStore(station.store)
        self.waiting_until = None      # monotonic ms: a CertificateSigned is expected until then
        self.next_check = 0

    def actions(self):
        return {"CertificateSigned": self.certificate_signed}

    # ---- SignCertificate --------------------------------------------------------------------------------------
    def can_request(self):
        """Why a certificate cannot be requested now, or None."""
        if self.st.options.get("crypto") is None:
            return "this build has no X.509 support"
        if not self.st.config.get("CpoName"):
            return "CpoName is not set"
        return None

    def request(self, now):
        """Make a key pair and send SignCertificate; returns the CALL, or None when that cannot be done."""
        why = self.can_request()
        if why is None:
            key_pem, csr = self.st.options["crypto"].new_csr(self._serial(), self.st.config.get("CpoName"))
            if not self.secrets.write(PENDING_KEY, key_pem):
                why = "the security store cannot be written"
        if why is not None:
            self.st.log.warning("cannot request a ChargePointCertificate: " + why)
            return None
        self.st.log.info("requesting a ChargePointCertificate (CN=" + self._serial() + ")")
        return self.st.call("SignCertificate", {"csr": csr}, on_result=self._answered,
                            on_error=lambda code, text, when: self._failed("SignCertificate failed: " + code))

    def _serial(self):
        return self.st.identity.get("serial") or ""

    def _answered(self, payload, now):
        if payload.get("status") == "Accepted":
            self.waiting_until = now + WAIT_MS
        else:
            self._failed("the CSMS rejected our SignCertificate")

    def _failed(self, why):
        self.waiting_until = None
        self.st.log.warning(why + "; keeping the current ChargePointCertificate")

    # ---- CertificateSigned ------------------------------------------------------------------------------------
    def certificate_signed(self, payload, now):
        chain = payload["certificateChain"]
        why = self._problem(chain, now)
        if why is not None:
            self.st.log.warning("CertificateSigned rejected: " + why)
            self.st.security_event("InvalidChargePointCertificate", why[:255], now)
            return {"status": "Rejected"}
        self.waiting_until = None
        self.secrets.remove(RENEWAL)
        self.st.log.info("CertificateSigned accepted: a new ChargePointCertificate")
        return {"status": "Accepted"}

    def _problem(self, chain, now):
        if len(chain) > self.st.config.get("CertificateSignedMaxChainSize"):
            return "longer than CertificateSignedMaxChainSize"
        crypto = self.st.options.get("crypto")
        key = self.secrets.read(PENDING_KEY)
        if crypto is None or key is None:
            return "no certificate request is pending"
        certs = self.st.feature["certificates"]
        why, info = crypto.check_signed(chain, key, certs.roots(), self.st.clock.epoch_ms(now), self._serial(),
                                        self.st.config.get("CpoName"))
        if why is not None:
            return why
        if not certs.new_client(chain, key, info["not_after"]):
            return "the security store cannot be written"
        self.secrets.remove(PENDING_KEY)
        return None

    # ---- renewal ----------------------------------------------------------------------------------------------
    def tick(self, now):
        if self.waiting_until is not None and now >= self.waiting_until:
            self._failed("no CertificateSigned came within " + str(WAIT_MS // 60000) + " min")
        if now >= self.next_check:
            self.next_check = now + CHECK_MS
            self._maybe_renew(now)

    def deadline(self):
        if self.waiting_until is not None and self.waiting_until < self.next_check:
            return self.waiting_until
        return self.next_check

    def _maybe_renew(self, now):
        st = self.st
        if not st.online or st.registration != "accepted" or not st.clock.is_set or self.waiting_until is not None:
            return
        current = st.feature["certificates"].client_entry()
        wall = st.clock.epoch_ms(now)
        if current is None or current.get("not_after", wall) - wall > RENEW_BEFORE_MS:
            return
        state = self.secrets.load_doc(RENEWAL, {})
        attempts = state.get("attempts", 0)
        if attempts >= RENEW_ATTEMPTS or wall < state.get("after", 0):
            return
        if self.request(now) is None:
            return
        backoff = RENEW_BACKOFF_MS[attempts] if attempts < len(RENEW_BACKOFF_MS) else 0
        st.log.info("the ChargePointCertificate expires soon: renewal attempt " + str(attempts + 1) + " of " +
                    str(RENEW_ATTEMPTS))
        self.secrets.save_doc(RENEWAL, {"attempts": attempts + 1, "after": wall + backoff})
