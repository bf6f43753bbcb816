"""Certificate, CertificateSigned and ExtendedTriggerMessage scenarios that need no crypto port (pytest on CPython, tx_suite.py on
MicroPython): without X.509 support the station refuses what needs it and answers the rest from its index."""

import json

from controller.storage import MemoryStorage
from tests.micropython.core_harness import Bench, expect

CS = "CentralSystemRootCertificate"
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
HASH = {"hashAlgorithm": "SHA256", "issuerNameHash": "ab" * 32, "issuerKeyHash": "cd" * 32, "serialNumber": "FFF"}


def status(b, action, payload):
    got = b.csms_call(action, payload)
    expect(got is not None and got[0] == "result", action + " answered: " + repr(got))
    return got[1]["status"]


def certificates_without_a_crypto_port_refuse_install_and_never_crash():
    b = Bench()
    b.connect()
    expect(status(b, "InstallCertificate", {"certificateType": CS, "certificate": PEM}) == "Rejected", "install")
    expect(status(b, "GetInstalledCertificateIds", {"certificateType": CS}) == "NotFound", "nothing there")
    expect(status(b, "DeleteCertificate", {"certificateHashData": HASH}) == "NotFound", "nothing to delete")
    certs = b.station.feature["certificates"]
    expect(certs.client() is None and certs.roots() == [] and not certs.has_root(), "no roots, no client")


def certificates_index_answers_without_a_crypto_port():
    store = MemoryStorage()
    index = {"next": 3, "certs": [{"type": CS, "file": "cert1.pem", "hash": HASH},
                                  {"type": CS, "file": "cert2.pem", "hash": dict(HASH, serialNumber="A")}]}
    store.write_private("security/certificates.json", json.dumps(index).encode())
    store.write_private("security/cert1.pem", PEM.encode())
    b = Bench(store=store)
    b.connect()
    got = b.csms_call("GetInstalledCertificateIds", {"certificateType": CS})[1]
    expect(got["status"] == "Accepted" and len(got["certificateHashData"]) == 2, "listed: " + repr(got))
    expect(b.station.feature["certificates"].roots() == [PEM], "the root's text (a missing file is skipped)")
    expect(status(b, "DeleteCertificate", {"certificateHashData": dict(HASH, serialNumber="0fff")}) == "Accepted",
           "deleted by hash data")
    expect(status(b, "DeleteCertificate", {"certificateHashData": dict(HASH, serialNumber="A")}) == "Failed",
           "never the last CentralSystemRootCertificate")
    expect(store.read("security/cert1.pem") is None, "its file is gone")


def certificates_bad_index_document_is_an_empty_store():
    store = MemoryStorage()
    store.write_private("security/certificates.json", b"{not json")
    b = Bench(store=store)
    b.connect()
    expect(status(b, "GetInstalledCertificateIds", {"certificateType": CS}) == "NotFound", "empty, no crash")


def extended_trigger_without_a_crypto_port():
    b = Bench()
    b.connect()
    expect(status(b, "ChangeConfiguration", {"key": "CpoName", "value": "CPO"}) == "Accepted", "CpoName")
    expect(status(b, "ExtendedTriggerMessage", {"requestedMessage": "SignChargePointCertificate"}) == "Rejected",
           "no CSR without X.509 support")
    expect(not b.sent("SignCertificate"), "nothing sent")
    mark = b.mark()
    expect(status(b, "ExtendedTriggerMessage", {"requestedMessage": "FirmwareStatusNotification"}) == "Accepted",
           "firmware status")
    expect(status(b, "ExtendedTriggerMessage", {"requestedMessage": "Heartbeat"}) == "Accepted", "heartbeat")
    expect([a for a, p in b.since(mark)] == ["SignedFirmwareStatusNotification", "Heartbeat"], repr(b.since(mark)))
    got = b.csms_call("CertificateSigned", {"certificateChain": PEM})
    expect(got == ("result", {"status": "Rejected"}), "CertificateSigned without a request: " + repr(got))


SCENARIOS = [extended_trigger_without_a_crypto_port,
             certificates_without_a_crypto_port_refuse_install_and_never_crash,
             certificates_index_answers_without_a_crypto_port,
             certificates_bad_index_document_is_an_empty_store]
