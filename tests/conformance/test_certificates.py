"""Certificate management over real WebSockets against the station process, certificates made in the test
(TC_075_1/2, TC_076, TC_078, X-SEC-10/12/13): the CSMS recomputes the ed. 3 hash data itself."""

import datetime
import hashlib
import os

from cryptography.hazmat.primitives import serialization

from tests.certs import make_ca
from tests.station_process import run, station_env

CS = "CentralSystemRootCertificate"
MF = "ManufacturerRootCertificate"


def hash_data(issued):
    """CertificateHashData of a self-signed EC root, computed here from the certificate alone."""
    cert = issued.cert
    bits = cert.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"hashAlgorithm": "SHA256", "issuerNameHash": hashlib.sha256(cert.issuer.public_bytes()).hexdigest(),
            "issuerKeyHash": hashlib.sha256(bits).hexdigest(), "serialNumber": format(cert.serial_number, "X")}


async def install(csms, issued, kind):
    got = await csms.call("CP1", "InstallCertificate", {"certificateType": kind,
                                                         "certificate": issued.cert_pem.decode()})
    return got["status"]


async def installed(csms, kind):
    return await csms.call("CP1", "GetInstalledCertificateIds", {"certificateType": kind})


def test_tc_075_1_and_075_2_install_roots_listed_with_ed3_hash_data(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await csms.wait_for("BootNotification", timeout=10)
            assert await installed(csms, MF) == {"status": "NotFound"}
            maker, central = make_ca("Maker Root"), make_ca("CSMS Root")
            assert await install(csms, maker, MF) == "Accepted"
            assert await install(csms, central, CS) == "Accepted"
            assert await installed(csms, MF) == {"status": "Accepted", "certificateHashData": [hash_data(maker)]}
            assert await installed(csms, CS) == {"status": "Accepted", "certificateHashData": [hash_data(central)]}
            await csms.wait_for("SecurityEventNotification",
                                lambda p: p["type"] == "ReconfigurationOfSecurityParameters", timeout=5)
            stored = []
            for folder, _, files in os.walk(station.settings["data_dir"]):
                for name in files:
                    with open(os.path.join(folder, name), "rb") as f:
                        if central.cert_pem in f.read():
                            stored.append(os.path.relpath(os.path.join(folder, name), station.settings["data_dir"]))
            assert stored and all(p.startswith("security" + os.sep) for p in stored), stored
    run(body())


def test_tc_076_delete_certificate_and_never_the_last_csms_root(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await csms.wait_for("BootNotification", timeout=10)
            first, second = make_ca("Root One"), make_ca("Root Two")
            assert await install(csms, first, CS) == "Accepted"
            assert await install(csms, second, CS) == "Accepted"
            listed = (await installed(csms, CS))["certificateHashData"]
            got = await csms.call("CP1", "DeleteCertificate", {"certificateHashData": listed[0]})
            assert got == {"status": "Accepted"}
            assert await installed(csms, CS) == {"status": "Accepted", "certificateHashData": [hash_data(second)]}
            got = await csms.call("CP1", "DeleteCertificate", {"certificateHashData": listed[0]})
            assert got == {"status": "NotFound"}
            got = await csms.call("CP1", "DeleteCertificate", {"certificateHashData": listed[1]})
            assert got == {"status": "Failed"}, "the last CentralSystemRootCertificate stays"
    run(body())


def test_tc_078_invalid_central_system_certificate_rejected_with_event(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await csms.wait_for("BootNotification", timeout=10)
            now = datetime.datetime.now(datetime.timezone.utc)
            expired = make_ca("Expired Root", not_before=now - datetime.timedelta(days=60),
                              not_after=now - datetime.timedelta(days=1))
            assert await install(csms, expired, CS) == "Rejected"
            entry = await csms.wait_for("SecurityEventNotification",
                                        lambda p: p["type"] == "InvalidCentralSystemCertificate", timeout=5)
            assert "expired" in entry["payload"]["techInfo"]
            assert await installed(csms, CS) == {"status": "NotFound"}
    run(body())
