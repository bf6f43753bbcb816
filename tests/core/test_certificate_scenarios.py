"""Certificate management in the sans-I/O core with the real CPython crypto port (TC_075_1/2, TC_076, TC_078,
X-SEC-10..13): certificates made in the test, valid around the bench's fake wall clock."""

import datetime
import hashlib

import pytest

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from controller import cert_store
from controller.runtime.crypto_cpython import CryptoPort, public_key_bits
from controller.storage import FaultyStorage, MemoryStorage
from tests.certs import make_ca, make_cert
from tests.micropython.certificate_scenarios import SCENARIOS
from tests.micropython.core_harness import EPOCH_2026, Bench
from tests.micropython.security_scenarios import events

CS = "CentralSystemRootCertificate"
MF = "ManufacturerRootCertificate"
WALL = datetime.datetime.fromtimestamp(EPOCH_2026 / 1000, datetime.timezone.utc)
FROM, UNTIL = WALL - datetime.timedelta(days=1), WALL + datetime.timedelta(days=365)


def ca(name="Test Root", issuer=None, not_before=FROM, not_after=UNTIL, key="ec"):
    return make_ca(name, issuer=issuer, not_before=not_before, not_after=not_after, key=key)


def bench(store=None, **options):
    options["crypto"] = CryptoPort()
    b = Bench(options=options, store=store)
    b.connect()
    return b


def call(b, action, payload):
    got = b.csms_call(action, payload)
    assert got is not None and got[0] == "result", got
    return got[1]


def install(b, issued, kind=CS):
    return call(b, "InstallCertificate", {"certificateType": kind, "certificate": issued.cert_pem.decode()})["status"]


def ids(b, kind=CS):
    return call(b, "GetInstalledCertificateIds", {"certificateType": kind})


def expected_hash(issued):
    """The ed. 3 hash data recomputed independently: SHA256 of the issuer DN's DER and of the issuer key's bits."""
    cert = issued.cert
    issuer_key = (issued.issuer or issued).key.public_key()
    if isinstance(issuer_key, rsa.RSAPublicKey):
        bits = issuer_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    else:
        bits = issuer_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"hashAlgorithm": "SHA256", "issuerNameHash": hashlib.sha256(cert.issuer.public_bytes()).hexdigest(),
            "issuerKeyHash": hashlib.sha256(bits).hexdigest(), "serialNumber": format(cert.serial_number, "X")}


def test_tc_075_1_install_manufacturer_root_and_list_it():
    b = bench()
    assert ids(b, MF) == {"status": "NotFound"}, "X-SEC-12: nothing installed"
    root = ca("Manufacturer Root")
    assert install(b, root, MF) == "Accepted"
    got = ids(b, MF)
    assert got == {"status": "Accepted", "certificateHashData": [expected_hash(root)]}
    assert ids(b, CS) == {"status": "NotFound"}, "listed by type"
    assert b.station.feature["certificates"].roots(MF) == [root.cert_pem.decode()]


def test_tc_075_2_install_central_system_root_several_allowed():
    b = bench()
    first, second = ca("Root A"), ca("Root B", key="rsa")
    assert install(b, first) == "Accepted" and install(b, second) == "Accepted"
    got = ids(b)
    assert got["certificateHashData"] == [expected_hash(first), expected_hash(second)]
    certs = b.station.feature["certificates"]
    assert certs.has_root() and len(certs.roots()) == 2
    assert install(b, first) == "Accepted" and len(ids(b)["certificateHashData"]) == 2, "the same one twice: kept once"
    assert events(b, "ReconfigurationOfSecurityParameters"), "installs are security reconfigurations"


def test_issuer_key_hash_of_an_intermediate_uses_its_issuer():
    b = bench()
    root = ca("Root")
    sub = ca("Sub CA", issuer=root)
    assert install(b, root) == "Accepted" and install(b, sub) == "Accepted"
    assert ids(b)["certificateHashData"][1] == expected_hash(sub)
    rsa_key = ca("RSA root", key="rsa")
    bits = public_key_bits(rsa_key.key.public_key())
    assert bits == rsa_key.key.public_key().public_bytes(serialization.Encoding.DER,
                                                         serialization.PublicFormat.PKCS1)


def test_hash_data_match_ignores_case_and_leading_zeros():
    a = {"hashAlgorithm": "SHA256", "issuerNameHash": "ab", "issuerKeyHash": "cd", "serialNumber": "FFF"}
    assert cert_store.same_hash(a, dict(a, issuerNameHash="AB", serialNumber="0fff"))
    assert not cert_store.same_hash(a, dict(a, serialNumber="FFE"))
    assert not cert_store.same_hash(a, dict(a, hashAlgorithm="SHA512"))
    assert cert_store.same_hash(dict(a, serialNumber="0"), dict(a, serialNumber="00"))


def test_tc_078_invalid_central_system_root_is_rejected_with_event():
    b = bench()
    expired = ca("Old Root", not_before=FROM - datetime.timedelta(days=400), not_after=FROM)
    leaf = make_cert(ca("Issuer"), "not a ca", is_server=True, not_before=FROM, not_after=UNTIL)
    mark = b.mark()
    assert install(b, expired) == "Rejected"
    assert install(b, leaf) == "Rejected"
    got = call(b, "InstallCertificate", {"certificateType": CS, "certificate": "-----BEGIN CERTIFICATE-----\nxx"})
    assert got == {"status": "Rejected"}
    kinds = [p["techInfo"] for p in events(b, "InvalidCentralSystemCertificate", mark)]
    assert len(kinds) == 3 and "expired" in kinds[0] and "not a CA" in kinds[1], kinds
    assert ids(b) == {"status": "NotFound"}
    assert install(b, expired, MF) == "Rejected"
    assert len(events(b, "InvalidCentralSystemCertificate", mark)) == 3, "no CSMS event for a manufacturer root"


def test_x_sec_10_store_full_is_rejected_and_storage_error_failed():
    b = bench(certificate_store_max=2)
    assert install(b, ca("A")) == "Accepted" and install(b, ca("B"), MF) == "Accepted"
    assert install(b, ca("C")) == "Rejected", "CertificateStoreMaxLength reached"
    store = FaultyStorage(MemoryStorage())
    b = bench(store=store)
    store.fails = True
    assert install(b, ca("D")) == "Failed"
    store.fails = False
    assert ids(b) == {"status": "NotFound"}, "nothing half-installed"


def test_tc_076_delete_a_certificate_but_never_the_last_csms_root():
    b = bench()
    one, two, maker = ca("One"), ca("Two"), ca("Maker")
    for root, kind in ((one, CS), (two, CS), (maker, MF)):
        assert install(b, root, kind) == "Accepted"
    listed = ids(b)["certificateHashData"]
    answer = call(b, "DeleteCertificate", {"certificateHashData": listed[0]})
    assert answer == {"status": "Accepted"}
    assert ids(b)["certificateHashData"] == [expected_hash(two)]
    assert call(b, "DeleteCertificate", {"certificateHashData": listed[0]}) == {"status": "NotFound"}
    last = dict(expected_hash(two), issuerNameHash=expected_hash(two)["issuerNameHash"].upper(),
                serialNumber=expected_hash(two)["serialNumber"].lower())
    assert call(b, "DeleteCertificate", {"certificateHashData": last}) == {"status": "Failed"}, "X-SEC-13"
    other_algorithm = dict(expected_hash(maker), hashAlgorithm="SHA384")
    assert call(b, "DeleteCertificate", {"certificateHashData": other_algorithm}) == {"status": "NotFound"}
    assert call(b, "DeleteCertificate", {"certificateHashData": expected_hash(maker)}) == {"status": "Accepted"}
    assert ids(b, MF) == {"status": "NotFound"}
    files = [n for n in b.store.files if n.startswith("security/cert") and n.endswith(".pem")]
    assert len(files) == 1, "deleted certificates' files are gone: " + repr(files)


def test_x_sec_11_additional_root_check_needs_the_new_root_signed_by_the_old():
    b = bench(additional_root_certificate_check=True)
    old = ca("Root 2026")
    assert install(b, old) == "Accepted"
    assert install(b, ca("Unrelated")) == "Rejected"
    successor = ca("Root 2027", issuer=old)
    assert install(b, successor) == "Accepted"
    certs = b.station.feature["certificates"]
    assert len(certs.roots()) == 2, "the old root is kept as a fallback"
    b.station.feature["security"].profile = 2
    b.disconnect()
    b.connect()
    assert certs.roots() == [successor.cert_pem.decode()], "fallback removed after the first connection"
    got = call(b, "GetConfiguration", {"key": ["AdditionalRootCertificateCheck", "CertificateStoreMaxLength"]})
    values = {k["key"]: (k["value"], k["readonly"]) for k in got["configurationKey"]}
    assert values == {"AdditionalRootCertificateCheck": ("true", True), "CertificateStoreMaxLength": ("20", True)}


def test_certificates_are_in_the_security_store_only():
    store = MemoryStorage()
    b = bench(store=store)
    root = ca("Root")
    install(b, root)
    pem = root.cert_pem
    holders = [n for n, data in store.files.items() if pem in data]
    assert holders and all(n.startswith("security/") for n in holders), holders


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_certificate_scenario_without_crypto(scenario):
    scenario()
