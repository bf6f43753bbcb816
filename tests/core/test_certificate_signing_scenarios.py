"""The station's own certificate in the sans-I/O core with the real CPython crypto port: the CSR (TC_074,
X-SEC-06), CertificateSigned checks (TC_077, X-SEC-07), the trial at profile 3 with its fall-back, renewal a month
before expiry (X-SEC-09) with bounded retries (X-SEC-08), and ExtendedTriggerMessage (X-SEC-16)."""

import datetime

from cryptography import x509
from cryptography.x509.oid import NameOID

from controller.runtime.crypto_cpython import CryptoPort
from tests.certs import make_ca, sign_csr
from tests.core.test_certificate_scenarios import FROM, UNTIL, WALL, ca, call, install
from tests.micropython.core_harness import Bench
from tests.micropython.security_scenarios import events, watched

CPO = "Test CPO"
HOUR = 3600000
DAY = 24 * HOUR


class Signer:
    """The CSMS side of the CSR: answers SignCertificate, signs with its CA."""

    def __init__(self, b, authority, status="Accepted"):
        self.b, self.ca, self.status = b, authority, status
        b.answers["SignCertificate"] = lambda payload: {"status": self.status}

    def last_csr(self):
        return x509.load_pem_x509_csr(self.b.sent("SignCertificate")[-1]["csr"].encode())

    def chain(self, days=365, **kw):
        return sign_csr(self.ca, self.b.sent("SignCertificate")[-1]["csr"], not_before=FROM,
                        not_after=FROM + datetime.timedelta(days=days), **kw).decode()

    def deliver(self, chain):
        return call(self.b, "CertificateSigned", {"certificateChain": chain})["status"]


def station(profile=0, cpo=CPO, **options):
    """A booted bench with the crypto port, the CSMS CA installed as CentralSystemRootCertificate, CpoName set."""
    options["crypto"] = CryptoPort()
    options["security_profile"] = profile
    if profile == 3:
        options["tls_client"] = True
        options["tls_root"] = True
    b = watched(options)
    authority = ca("CSMS CA")
    assert install(b, authority) == "Accepted"
    if cpo:
        assert call(b, "ChangeConfiguration", {"key": "CpoName", "value": cpo})["status"] == "Accepted"
    return b, Signer(b, authority)


def trigger(b, requested, **extra):
    return call(b, "ExtendedTriggerMessage", dict(requestedMessage=requested, **extra))["status"]


def name(csr, oid):
    found = csr.subject.get_attributes_for_oid(oid)
    return found[0].value if found else None


def test_tc_074_x_sec_06_csr_with_serial_and_cpo_name_new_key_each_time():
    b, signer = station()
    assert trigger(b, "SignChargePointCertificate") == "Accepted"
    first = signer.last_csr()
    assert first.is_signature_valid
    assert name(first, NameOID.COMMON_NAME) == "SN-1" and name(first, NameOID.ORGANIZATION_NAME) == CPO
    answer = [i for i, f in enumerate(b.frames) if f[0] == 3 and f[1] == b.last_id][0]
    request = [i for i, f in enumerate(b.frames) if f[0] == 2 and f[2] == "SignCertificate"][0]
    assert answer < request, "answered, then sent"
    assert trigger(b, "SignChargePointCertificate") == "Accepted"
    second = signer.last_csr()
    assert first.public_key().public_numbers() != second.public_key().public_numbers(), "a new key pair each time"
    assert b.store.read("security/csr.key") is not None
    for file_name, data in b.store.files.items():
        if not file_name.startswith("security/"):
            assert b"PRIVATE KEY" not in data, file_name + " holds a private key"
    assert signer.deliver(signer.chain()) == "Accepted"
    certs = b.station.feature["certificates"]
    assert certs.client() is not None and b.store.read("security/csr.key") is None
    cert_file, key_file = certs.client()
    assert b"PRIVATE KEY" in b.store.read(key_file) and b"CERTIFICATE" in b.store.read(cert_file)


def test_csr_refused_without_cpo_name_or_crypto():
    b, _ = station(cpo=None)
    assert trigger(b, "SignChargePointCertificate") == "Rejected"
    assert not b.sent("SignCertificate")
    plain = Bench()
    plain.connect()
    assert trigger(plain, "SignChargePointCertificate") == "Rejected"


def test_tc_077_x_sec_07_bad_certificates_are_rejected_with_event():
    b, signer = station()
    mark = b.mark()
    unasked = sign_csr(signer.ca, _csr_for(make_ca("Stranger", not_before=FROM, not_after=UNTIL)),
                       not_before=FROM, not_after=UNTIL).decode()
    assert signer.deliver(unasked) == "Rejected", "nothing was requested"
    assert trigger(b, "SignChargePointCertificate") == "Accepted"
    other = Signer(b, ca("Somebody Else"))
    bad = {
        "not chaining to our root": other.chain(),
        "expired": signer.chain(days=0.5),
        "wrong CN": signer.chain(subject=x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SN-2"),
                                                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, CPO)])),
        "wrong O": signer.chain(subject=x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SN-1"),
                                                   x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Other")])),
        "garbage": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        "no certificate": "hello",
    }
    Signer(b, signer.ca)
    for why, chain in bad.items():
        assert signer.deliver(chain) == "Rejected", why
    stranger = make_ca("Stranger", not_before=FROM, not_after=UNTIL)
    wrong_key = sign_csr(signer.ca, _csr_for(stranger), not_before=FROM, not_after=UNTIL).decode()
    assert signer.deliver(wrong_key) == "Rejected", "not for our key"
    raised = events(b, "InvalidChargePointCertificate", mark)
    assert len(raised) >= 7, raised
    assert b.station.feature["certificates"].client() is None, "nothing installed"
    assert signer.deliver(signer.chain()) == "Accepted", "the pending key is kept for a good certificate"


def _csr_for(issued):
    from cryptography.hazmat.primitives import hashes, serialization
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SN-1"), x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                                                                                        CPO)]))
    return builder.sign(issued.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def test_chain_longer_than_the_key_allows_is_rejected():
    b, signer = station()
    assert trigger(b, "SignChargePointCertificate") == "Accepted"
    chain = signer.chain()
    padded = chain + "\n" * (10000 - len(chain))
    b.station.config.preset("CertificateSignedMaxChainSize", len(chain) - 1)
    assert signer.deliver(padded[:10000]) == "Rejected"
    assert "CertificateSignedMaxChainSize" in events(b, "InvalidChargePointCertificate")[-1]["techInfo"]


def test_profile_3_tries_the_new_certificate_and_falls_back():
    b, signer = station(profile=3)
    certs = b.station.feature["certificates"]
    assert certs.client() is None, "the provisioned certificate from the settings"
    assert b.station.feature["security"].connection()["client"] == "provisioned"
    assert trigger(b, "SignChargePointCertificate") == "Accepted"
    assert signer.deliver(signer.chain()) == "Accepted"
    assert ("reconnect", "new ChargePointCertificate") in b.effects
    tried = certs.client()
    assert b.station.feature["security"].connection()["client"] == tried
    b.disconnect()
    for _ in range(3):
        b.event({"type": "connect_failed", "security_event": "FailedToAuthenticateAtCentralSystem"})
    assert certs.client() is None and b.store.read(tried[0]) is None, "back to the previous certificate"
    # again, and this time the connection works: final
    assert trigger_offline_then(b, signer) == "Accepted"
    tried = certs.client()
    b.disconnect()
    b.connect()
    assert certs.client() == tried and certs.index().get("trial") is None


def trigger_offline_then(b, signer):
    b.connect()
    assert trigger(b, "SignChargePointCertificate") == "Accepted"
    return signer.deliver(signer.chain())


def test_x_sec_09_renews_a_month_before_expiry():
    b, signer = station()
    assert trigger(b, "SignChargePointCertificate") == "Accepted"
    assert signer.deliver(signer.chain(days=45)) == "Accepted"
    sent = len(b.sent("SignCertificate"))
    b.advance(13 * DAY)
    assert len(b.sent("SignCertificate")) == sent, "31 days left: nothing yet"
    hours = 0
    while len(b.sent("SignCertificate")) == sent and hours < 48:
        b.advance(HOUR)
        hours += 1
    assert len(b.sent("SignCertificate")) == sent + 1, "within 30 days: a request by itself"
    left = b.station.feature["certificates"].client_entry()["not_after"] - b.station.clock.epoch_ms(b.now)
    assert 29 * DAY < left <= 30 * DAY, left / DAY
    assert signer.deliver(signer.chain(days=400)) == "Accepted"
    b.advance(3 * DAY)
    assert len(b.sent("SignCertificate")) == sent + 1, "renewed: quiet again"


def test_x_sec_08_rejected_renewal_is_retried_a_bounded_number_of_times():
    b, signer = station()
    assert trigger(b, "SignChargePointCertificate") == "Accepted"
    assert signer.deliver(signer.chain(days=10)) == "Accepted"
    signer.status = "Rejected"
    sent = len(b.sent("SignCertificate"))
    b.advance(20 * DAY)
    assert len(b.sent("SignCertificate")) == sent + 3, "three attempts, then it waits for the CSMS"
    b.restart()
    b.connect()
    b.advance(2 * DAY)
    assert len(b.sent("SignCertificate")) == sent + 3, "not again after a restart"
    signer.status = "Accepted"
    assert trigger(b, "SignChargePointCertificate") == "Accepted", "the CSMS can always ask"


def test_x_sec_08_no_certificate_signed_keeps_the_current_one():
    b, signer = station()
    assert trigger(b, "SignChargePointCertificate") == "Accepted"
    b.advance(2 * HOUR)
    assert len(b.sent("SignCertificate")) == 1, "no automatic retry of a triggered request"
    assert b.station.feature["certificate_signing"].waiting_until is None, "given up waiting"
    assert b.station.feature["certificates"].client() is None


def test_x_sec_16_extended_trigger_every_message():
    b, _ = station()
    for requested, action in (("BootNotification", None), ("Heartbeat", "Heartbeat"),
                              ("StatusNotification", "StatusNotification"), ("MeterValues", "MeterValues"),
                              ("FirmwareStatusNotification", "SignedFirmwareStatusNotification"),
                              ("LogStatusNotification", "LogStatusNotification")):
        mark = b.mark()
        status = trigger(b, requested)
        if action is None:
            assert status == "Rejected", "BootNotification after Accepted, as TriggerMessage"
            continue
        assert status == "Accepted", requested
        assert b.since(mark, action), requested
    assert b.sent("SignedFirmwareStatusNotification")[-1] == {"status": "Idle"}
    assert b.sent("LogStatusNotification")[-1] == {"status": "Idle"}
    mark = b.mark()
    assert trigger(b, "StatusNotification", connectorId=2) == "Accepted"
    assert [p["connectorId"] for _, p in b.since(mark, "StatusNotification")] == [2]
    assert trigger(b, "StatusNotification", connectorId=7) == "Rejected"
    assert trigger(b, "LogStatusNotification", connectorId=7) == "Rejected"


def test_x_sec_16_log_status_from_the_logs_feature():
    b, _ = station()

    class Logs:
        def last_status(self):
            return {"status": "Uploading", "requestId": 7}
    b.station.feature["logs"] = Logs()
    assert trigger(b, "LogStatusNotification") == "Accepted"
    assert b.sent("LogStatusNotification")[-1] == {"status": "Uploading", "requestId": 7}


def test_wall_clock_is_inside_the_test_validity():
    assert FROM < WALL < UNTIL
