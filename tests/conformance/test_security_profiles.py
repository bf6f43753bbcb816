"""Connection security profiles 1-3 over real WebSockets and real TLS, certificates generated in the test.

Profile 1: Basic auth with the hex AuthorizationKey decoded to bytes. Profile 2: TLS checked against the CSMS
root, plus Basic auth. Profile 3: TLS with a client certificate. AuthorizationKey is never readable.
"""

import asyncio

from bench_csms.tls import server_ssl_context
from tests.certs import make_ca, make_cert
from tests.station_process import run, station_env

KEY_HEX = "00112233445566778899aabbccddeeff0a0b0c0d"
KEY = bytes.fromhex(KEY_HEX)


def server_pki(tmp_path):
    ca = make_ca("CSMS Root")
    server = make_cert(ca, "localhost", is_server=True, san=["localhost", "127.0.0.1"])
    cert, key = server.write(tmp_path, "csms")
    ca_path = ca.write(tmp_path, "csms-root")[0]
    return ca, cert, key, ca_path


def test_security_profile_1_basic_auth_hex_decoded(tmp_path):
    async def body():
        async with station_env(tmp_path, csms_kwargs={"basic_auth": {"CP1": KEY}}, security_profile=1,
                               authorization_key=KEY_HEX) as (csms, station):
            await csms.wait_for("BootNotification", timeout=10)
            shake = [h for h in csms.handshakes if h["status"] == 101][0]
            assert shake["auth"]["user"] == "CP1" and shake["auth"]["password"] == KEY
            got = await csms.call("CP1", "GetConfiguration", {"key": ["AuthorizationKey"]})
            assert all("value" not in k for k in got["configurationKey"]), "the key is never disclosed"
            assert KEY_HEX not in station.log_text()
    run(body())


def test_security_profile_1_new_key_reconnects(tmp_path):
    new_hex = "ffeeddccbbaa99887766554433221100ffeeddcc"

    async def body():
        async with station_env(tmp_path, csms_kwargs={"basic_auth": {"CP1": KEY}}, security_profile=1,
                               authorization_key=KEY_HEX) as (csms, station):
            await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2, timeout=10)
            csms.basic_auth["CP1"] = bytes.fromhex(new_hex)
            answer = await csms.call("CP1", "ChangeConfiguration", {"key": "AuthorizationKey", "value": new_hex})
            assert answer == {"status": "Accepted"}
            await asyncio.sleep(0.5)
            await csms.wait_connected("CP1", timeout=5)
            accepted = [h for h in csms.handshakes if h["status"] == 101]
            assert accepted[-1]["auth"]["password"] == bytes.fromhex(new_hex)
            assert len(csms.received("BootNotification")) == 1, "a reconnect, not a reboot"
            assert new_hex not in station.log_text() and "AuthorizationKey" in station.log_text(), \
                "the key is never logged"
    run(body())


def test_security_profile_1_wrong_key_is_refused(tmp_path):
    async def body():
        async with station_env(tmp_path, csms_kwargs={"basic_auth": {"CP1": b"something else entirely"}},
                               security_profile=1, authorization_key=KEY_HEX) as (csms, station):
            await asyncio.sleep(2)
            refused = [h for h in csms.handshakes if h["status"] == 401]
            assert len(refused) >= 2, "retried after a refusal"
            assert len(refused) < 10, "with back-off, not hammering"
            assert not csms.received("BootNotification")
    run(body())


def test_security_profile_2_tls_with_basic_auth(tmp_path):
    async def body():
        ca, cert, key, ca_path = server_pki(tmp_path)
        ctx = server_ssl_context(cert, key)
        async with station_env(tmp_path, csms_kwargs={"ssl_context": ctx, "basic_auth": {"CP1": KEY}},
                               security_profile=2, authorization_key=KEY_HEX, tls={"ca_file": ca_path}) as (
                csms, station):
            await csms.wait_for("BootNotification", timeout=10)
            assert csms.url.startswith("ws") and station.settings["csms_url"].startswith("wss://")
    run(body())


def test_security_profile_2_untrusted_server_is_refused(tmp_path):
    async def body():
        _, cert, key, _ = server_pki(tmp_path)
        other_root = make_ca("Some Other Root").write(tmp_path, "other-root")[0]
        ctx = server_ssl_context(cert, key)
        async with station_env(tmp_path, csms_kwargs={"ssl_context": ctx}, security_profile=2,
                               authorization_key=KEY_HEX, tls={"ca_file": other_root}) as (csms, station):
            await asyncio.sleep(2)
            assert not csms.received("BootNotification")
            assert "CERTIFICATE_VERIFY_FAILED" in station.log_text()
    run(body())


def test_security_profile_3_client_certificate(tmp_path):
    async def body():
        ca, cert, key, ca_path = server_pki(tmp_path)
        station_ca = make_ca("Station CA")
        client = make_cert(station_ca, "CP1", is_server=False, org="Test CPO")
        client_cert, client_key = client.write(tmp_path, "station")
        station_ca_path = station_ca.write(tmp_path, "station-ca")[0]
        ctx = server_ssl_context(cert, key, client_ca=station_ca_path)
        async with station_env(tmp_path, csms_kwargs={"ssl_context": ctx}, security_profile=3,
                               tls={"ca_file": ca_path, "client_cert": client_cert, "client_key": client_key}) as (
                csms, station):
            await csms.wait_for("BootNotification", timeout=10)
            shake = [h for h in csms.handshakes if h["status"] == 101][0]
            assert shake["client_cert_subject"] == "O=Test CPO,CN=CP1" or "CN=CP1" in shake["client_cert_subject"]
            assert shake["auth"] is None, "no Basic auth on profile 3"
    run(body())
