"""The station's own certificate over real WebSockets and real TLS, certificates made in the test: the CSR and
CertificateSigned (TC_074, TC_077, X-SEC-06/07), ExtendedTriggerMessage (X-SEC-16), and the interop story of an
independent CSMS that takes a station from profile 0 to 3 with a CA it creates (issue 10, Interop)."""

import asyncio
import os
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from bench_csms.tls import server_ssl_context
from tests.certs import make_ca, make_cert, sign_csr
from tests.station_process import run, station_env

KEY_HEX = "00112233445566778899aabbccddeeff0a0b0c0d"
KEY = bytes.fromhex(KEY_HEX)
CPO = "Independent CPO"
CS = "CentralSystemRootCertificate"


def csms_pki(tmp_path):
    """The independent CSMS's CA, and a TLS listener with a certificate from it that asks for (but does not
    require) a client certificate from the same CA."""
    ca = make_ca("Independent CSMS CA")
    cert, key = make_cert(ca, "localhost", is_server=True, san=["localhost", "127.0.0.1"]).write(tmp_path, "csms")
    listener = server_ssl_context(cert, key)
    listener.verify_mode = ssl.CERT_OPTIONAL
    listener.load_verify_locations(ca.write(tmp_path, "ca")[0])
    return ca, listener


async def change(csms, key, value):
    return (await csms.call("CP1", "ChangeConfiguration", {"key": key, "value": value}))["status"]


async def trigger(csms, requested, **extra):
    payload = dict(requestedMessage=requested, **extra)
    return (await csms.call("CP1", "ExtendedTriggerMessage", payload))["status"]


async def connected_with(csms, check, timeout=20):
    """Wait for a new accepted handshake for which check(handshake) holds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        shakes = [h for h in csms.handshakes if h["status"] == 101]
        if shakes and check(shakes[-1]) and csms._sessions.get("CP1") is not None:
            return shakes[-1]
        await asyncio.sleep(0.1)
    raise AssertionError("no such connection: " + repr([(h["status"], h["tls"] is not None, h["auth"] is not None)
                                                        for h in csms.handshakes]))


async def signed_request(csms, mark):
    entry = await csms.wait_for("SignCertificate", after=mark, timeout=10)
    return x509.load_pem_x509_csr(entry["payload"]["csr"].encode())


def subject(csr, oid):
    return csr.subject.get_attributes_for_oid(oid)[0].value


def assert_private_keys_only_in_the_security_store(station):
    root = station.settings["data_dir"]
    for folder, _, names in os.walk(root):
        for file_name in names:
            path = os.path.join(folder, file_name)
            with open(path, "rb") as f:
                if b"PRIVATE KEY" in f.read():
                    assert os.path.relpath(path, root).startswith("security" + os.sep), path
    assert "PRIVATE KEY" not in station.log_text()


def test_interop_independent_csms_takes_the_station_from_profile_0_to_3(tmp_path):
    async def body():
        ca, listener = csms_pki(tmp_path)
        async with station_env(tmp_path, csms_kwargs={"tls_listener": listener}, start=False) as (csms, station):
            station.settings["csms_url_tls"] = csms.tls_url
            await station.start()
            await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2, timeout=10)
            # 0 -> 1: the CA as CSMS root, a key, Basic auth
            got = await csms.call("CP1", "InstallCertificate", {"certificateType": CS,
                                                                 "certificate": ca.cert_pem.decode()})
            assert got == {"status": "Accepted"}
            assert await change(csms, "AuthorizationKey", KEY_HEX) == "Accepted"
            csms.basic_auth = {"CP1": KEY}
            assert await change(csms, "SecurityProfile", "1") == "Accepted"
            await connected_with(csms, lambda h: h["auth"] is not None and h["tls"] is None)
            # 1 -> 2: TLS checked against the installed CA
            assert await change(csms, "SecurityProfile", "2") == "Accepted"
            await connected_with(csms, lambda h: h["tls"] is not None and h["auth"]["password"] == KEY)
            # the station's certificate from its own CSR, signed by the CSMS's CA
            assert await change(csms, "CpoName", CPO) == "Accepted"
            mark = csms.mark()
            assert await trigger(csms, "SignChargePointCertificate") == "Accepted"
            csr = await signed_request(csms, mark)
            assert subject(csr, NameOID.COMMON_NAME) == "CP1" and subject(csr, NameOID.ORGANIZATION_NAME) == CPO
            assert csr.is_signature_valid
            chain = sign_csr(ca, csr.public_bytes(serialization.Encoding.PEM))
            got = await csms.call("CP1", "CertificateSigned", {"certificateChain": chain.decode()})
            assert got == {"status": "Accepted"}
            # 2 -> 3: the client certificate, no Basic auth
            csms.basic_auth = None
            assert await change(csms, "SecurityProfile", "3") == "Accepted"
            shake = await connected_with(csms, lambda h: h["client_cert_subject"] is not None)
            assert "CN=CP1" in shake["client_cert_subject"] and "O=" + CPO in shake["client_cert_subject"]
            assert shake["auth"] is None
            got = await csms.call("CP1", "GetConfiguration", {"key": ["SecurityProfile"]})
            assert got["configurationKey"][0]["value"] == "3"
            assert len(csms.received("BootNotification")) == 1, "reconnects, never a reboot"
            assert_private_keys_only_in_the_security_store(station)
    run(body())


def profile_3_station(tmp_path):
    """A station on profile 3 with a provisioned client certificate from the CSMS's CA, CpoName set."""
    ca, listener = csms_pki(tmp_path)
    listener.verify_mode = ssl.CERT_REQUIRED
    first = make_cert(ca, "CP1", is_server=False, org=CPO)
    client_cert, client_key = first.write(tmp_path, "station")
    ca_file = ca.write(tmp_path, "ca")[0]
    return ca, station_env(tmp_path, csms_kwargs={"ssl_context": listener}, security_profile=3,
                           tls={"ca_file": ca_file, "client_cert": client_cert, "client_key": client_key})


async def with_root_and_cpo(csms, ca):
    await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2, timeout=10)
    got = await csms.call("CP1", "InstallCertificate", {"certificateType": CS, "certificate": ca.cert_pem.decode()})
    assert got == {"status": "Accepted"}
    assert await change(csms, "CpoName", CPO) == "Accepted"


def test_tc_074_new_certificate_on_csms_request_and_reconnect_with_it(tmp_path):
    async def body():
        ca, env = profile_3_station(tmp_path)
        async with env as (csms, station):
            await with_root_and_cpo(csms, ca)
            first_serial = x509.load_der_x509_certificate(csms.handshakes[-1]["client_cert_der"]).serial_number
            mark = csms.mark()
            assert await trigger(csms, "SignChargePointCertificate") == "Accepted"
            csr = await signed_request(csms, mark)
            chain = sign_csr(ca, csr.public_bytes(serialization.Encoding.PEM))
            issued = x509.load_pem_x509_certificate(chain)
            got = await csms.call("CP1", "CertificateSigned", {"certificateChain": chain.decode()})
            assert got == {"status": "Accepted"}
            shake = await connected_with(csms, lambda h: h["client_cert_der"] is not None and
                                         x509.load_der_x509_certificate(h["client_cert_der"]).serial_number ==
                                         issued.serial_number)
            assert first_serial != issued.serial_number
            assert "CN=CP1" in shake["client_cert_subject"]
            assert len(csms.received("BootNotification")) == 1, "a reconnect, not a reboot"
            assert_private_keys_only_in_the_security_store(station)
    run(body())


def test_tc_077_invalid_charge_point_certificate_rejected_with_event(tmp_path):
    async def body():
        ca, env = profile_3_station(tmp_path)
        async with env as (csms, station):
            await with_root_and_cpo(csms, ca)
            mark = csms.mark()
            assert await trigger(csms, "SignChargePointCertificate") == "Accepted"
            csr = await signed_request(csms, mark)
            chain = sign_csr(make_ca("Not the CPO"), csr.public_bytes(serialization.Encoding.PEM))
            got = await csms.call("CP1", "CertificateSigned", {"certificateChain": chain.decode()})
            assert got == {"status": "Rejected"}
            entry = await csms.wait_for("SecurityEventNotification",
                                        lambda p: p["type"] == "InvalidChargePointCertificate", after=mark, timeout=5)
            assert "chain" in entry["payload"]["techInfo"]
            await asyncio.sleep(0.3)
            assert len([h for h in csms.handshakes if h["status"] == 101]) == 1, "no reconnect: the old one stays"
    run(body())


def test_x_sec_16_extended_trigger_every_message(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2, timeout=10)
            expected = {"Heartbeat": "Heartbeat", "MeterValues": "MeterValues",
                        "StatusNotification": "StatusNotification",
                        "FirmwareStatusNotification": "SignedFirmwareStatusNotification",
                        "LogStatusNotification": "LogStatusNotification"}
            for requested, action in expected.items():
                mark = csms.mark()
                assert await trigger(csms, requested) == "Accepted", requested
                await csms.wait_for(action, after=mark, timeout=5)
            assert csms.received("SignedFirmwareStatusNotification")[-1] == {"status": "Idle"}
            assert csms.received("LogStatusNotification")[-1]["status"] in ("Idle", "Uploaded", "UploadFailure")
            assert await trigger(csms, "BootNotification") == "Rejected", "registered already, as TriggerMessage"
            assert await trigger(csms, "SignChargePointCertificate") == "Rejected", "no CpoName yet"
            assert await trigger(csms, "MeterValues", connectorId=9) == "Rejected"
            mark = csms.mark()
            assert await trigger(csms, "StatusNotification", connectorId=1) == "Accepted"
            entry = await csms.wait_for("StatusNotification", after=mark, timeout=5)
            assert entry["payload"]["connectorId"] == 1
    run(body())
