"""Security extension (whitepaper ed. 3) over real WebSockets and real TLS, certificates generated in each test:
profile upgrades with fall-back (TC_083, TC_084, X-SEC-05), the AuthorizationKey (TC_073, X-SEC-01/02), the secrets
at rest, security events (X-SEC-14) and the negative TLS matrix with its events (X-SEC-03/04), plus the cipher
interop with a CSMS that offers only the RSA AES-GCM pair or only the ECDHE-ECDSA pair.
"""

import asyncio
import datetime
import json
import os
import ssl
import stat

import pytest

from bench_csms import BenchCSMS
from bench_csms.tls import server_ssl_context
from controller.runtime.child_station import StationProcess
from tests.certs import make_ca, make_cert
from tests.station_process import run, station_env

KEY_HEX = "00112233445566778899aabbccddeeff0a0b0c0d"
KEY = bytes.fromhex(KEY_HEX)
NEW_HEX = "4F43415F4F4354545F61646D696E5F74657374"       # TC_073's key: hex of OCA_OCTT_admin_test
RSA_PAIR = "AES128-GCM-SHA256:AES256-GCM-SHA384"
ECDSA_PAIR = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"


def pki(tmp_path, key="ec", san=("localhost", "127.0.0.1"), **validity):
    ca = make_ca("CSMS Root " + os.path.basename(str(tmp_path)), key=key)
    server = make_cert(ca, "localhost", is_server=True, san=list(san), key=key, **validity)
    cert, private = server.write(tmp_path, "csms-" + key)
    return ca, cert, private, ca.write(tmp_path, "csms-root-" + key)[0]


def tls12_only(cert, key, ciphers):
    """A TLS 1.2 server context offering exactly `ciphers` (OpenSSL names)."""
    ctx = server_ssl_context(cert, key)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(ciphers)
    return ctx


def offered(ctx):
    return sorted(c["name"] for c in ctx.get_ciphers() if c["protocol"] != "TLSv1.3")


async def events_of(csms, kind, timeout=10):
    entry = await csms.wait_for("SecurityEventNotification", lambda p: p["type"] == kind, timeout=timeout)
    return entry["payload"]


async def change(csms, key, value):
    return (await csms.call("CP1", "ChangeConfiguration", {"key": key, "value": value}))["status"]


async def profile_of(csms):
    got = await csms.call("CP1", "GetConfiguration", {"key": ["SecurityProfile"]})
    return int(got["configurationKey"][0]["value"])


def data_files(station):
    """{relative path: bytes} of every file in the station's data folder."""
    root = station.settings["data_dir"]
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, root)] = f.read()
    return out


# ---- AuthorizationKey and secrets at rest ----------------------------------------------------------------------
def test_tc_073_new_key_reconnects_nothing_lost_and_secrets_stay_private(tmp_path):
    async def body():
        async with station_env(tmp_path, csms_kwargs={"basic_auth": {"CP1": KEY}}, security_profile=1,
                               authorization_key=KEY_HEX) as (csms, station):
            await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2, timeout=10)
            csms.basic_auth["CP1"] = bytes.fromhex(NEW_HEX)
            mark = csms.mark()
            assert await change(csms, "AuthorizationKey", NEW_HEX) == "Accepted"
            await station.post("/plug", connector=1)          # a message born around the reconnect
            await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 1 and p["status"] ==
                                "Preparing", after=mark, timeout=10)
            accepted = [h for h in csms.handshakes if h["status"] == 101]
            assert len(accepted) == 2 and accepted[-1]["auth"]["password"] == bytes.fromhex(NEW_HEX)
            assert len(csms.received("BootNotification")) == 1, "a reconnect, not a reboot"
            await events_of(csms, "ReconfigurationOfSecurityParameters")
            got = await csms.call("CP1", "GetConfiguration", {})
            entries = [k for k in got["configurationKey"] if k["key"] == "AuthorizationKey"]
            assert all("value" not in k for k in entries), "X-SEC-02: write-only"
            assert NEW_HEX.lower() not in json.dumps(got).lower()
            # at rest: only in the security store, folder 0700 and files 0600
            root = station.settings["data_dir"]
            folder = os.path.join(root, "security")
            assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
            for name in os.listdir(folder):
                assert stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode) == 0o600, name
            for path, data in data_files(station).items():
                if path.startswith("security" + os.sep):
                    continue
                for secret in (NEW_HEX, NEW_HEX.lower(), KEY_HEX, "OCA_OCTT_admin_test"):
                    assert secret.encode() not in data, path + " holds the key"
            with open(os.path.join(folder, "authorization_key")) as f:
                assert f.read() == NEW_HEX
            log = station.log_text()
            assert NEW_HEX not in log and NEW_HEX.lower() not in log and "OCA_OCTT" not in log
    run(body())


def test_x_sec_01_bad_key_rejected_old_credentials_kept(tmp_path):
    async def body():
        async with station_env(tmp_path, csms_kwargs={"basic_auth": {"CP1": KEY}}, security_profile=1,
                               authorization_key=KEY_HEX) as (csms, station):
            await csms.wait_for("BootNotification", timeout=10)
            for bad in ("not-hex-at-all-not-hex-at-all-00", "00112233445566778899aabbccddee",   # 15 bytes
                        "00112233445566778899aabbccddeeff0011223344"):                         # 21 bytes
                assert await change(csms, "AuthorizationKey", bad) == "Rejected"
            await asyncio.sleep(0.5)
            assert len([h for h in csms.handshakes if h["status"] == 101]) == 1, "no reconnect"
    run(body())


# ---- profiles: upgrade, fall-back, downgrade ---------------------------------------------------------------------
def profile_1_station(tmp_path, cert, key, ca_file):
    """A station on profile 1 (Basic auth) whose CSMS also listens for TLS with `cert`; the station trusts
    `ca_file`. Not started: see start_with_tls_url."""
    return station_env(tmp_path,
                       csms_kwargs={"basic_auth": {"CP1": KEY}, "tls_listener": server_ssl_context(cert, key)},
                       start=False, security_profile=1, authorization_key=KEY_HEX, tls={"ca_file": ca_file})


async def start_with_tls_url(csms, station):
    station.settings["csms_url_tls"] = csms.tls_url
    await station.start()
    await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2, timeout=10)


def test_tc_083_upgrade_profile_1_to_2_reconnects_over_tls(tmp_path):
    async def body():
        _, cert, key, root = pki(tmp_path)
        async with profile_1_station(tmp_path, cert, key, root) as (csms, station):
            await start_with_tls_url(csms, station)
            assert await change(csms, "SecurityProfile", "2") == "Accepted"
            await asyncio.sleep(0.3)
            for _ in range(50):
                shake = await csms.wait_connected("CP1", timeout=10)
                if shake["tls"] is not None:
                    break
                await asyncio.sleep(0.1)
            assert shake["tls"] is not None and shake["auth"]["password"] == KEY, "TLS plus Basic auth"
            assert await profile_of(csms) == 2
            assert len(csms.received("BootNotification")) == 1
            await events_of(csms, "ReconfigurationOfSecurityParameters")
        # the new profile survives a restart, and the settings file's lower profile cannot lower it
        with open(os.path.join(station.settings["data_dir"], "security", "state.json")) as f:
            assert json.load(f) == {"profile": 2}
    run(body())


def test_x_sec_05_new_profile_fails_station_falls_back(tmp_path):
    async def body():
        _, cert, key, _ = pki(tmp_path)
        untrusted_root = make_ca("Not the CSMS").write(tmp_path, "other-root")[0]
        async with profile_1_station(tmp_path, cert, key, untrusted_root) as (csms, station):
            await start_with_tls_url(csms, station)
            mark = csms.mark()
            assert await change(csms, "SecurityProfile", "2") == "Accepted"
            # three refused TLS attempts, then back on profile 1 with the old key
            await csms.wait_for("SecurityEventNotification",
                                lambda p: p["type"] == "InvalidCentralSystemCertificate", after=mark, timeout=20)
            assert await profile_of(csms) == 1
            last = [h for h in csms.handshakes if h["status"] == 101][-1]
            assert last["tls"] is None and last["auth"]["password"] == KEY
            assert "falling back to security profile 1" in station.log_text()
    run(body())


def test_tc_084_downgrade_rejected_no_reconnect(tmp_path):
    async def body():
        _, cert, key, root = pki(tmp_path)
        async with station_env(tmp_path, csms_kwargs={"ssl_context": server_ssl_context(cert, key),
                                                      "basic_auth": {"CP1": KEY}},
                               security_profile=2, authorization_key=KEY_HEX, tls={"ca_file": root}) as (
                csms, station):
            await csms.wait_for("BootNotification", timeout=10)
            assert await change(csms, "SecurityProfile", "1") == "Rejected"
            assert await change(csms, "SecurityProfile", "2") == "Rejected", "equal is not an upgrade"
            assert await change(csms, "SecurityProfile", "3") == "Rejected", "X-SEC-05: no client certificate"
            await asyncio.sleep(0.5)
            assert len([h for h in csms.handshakes if h["status"] == 101]) == 1
            assert await profile_of(csms) == 2
    run(body())


def test_x_sec_downgrade_settings_cannot_lower_a_stored_profile_and_no_ws_at_profile_2(tmp_path):
    """The station raised to profile 2 earlier; a settings file that says profile 1 and ws:// does not make it dial
    ws://: it stays on 2 and dials wss:// (refused by this plain server), never the plain upgrade."""
    async def body():
        _, _, _, root = pki(tmp_path)
        folder = os.path.join(str(tmp_path), "data", "security")
        os.makedirs(folder)
        with open(os.path.join(folder, "state.json"), "w") as f:
            json.dump({"profile": 2}, f)
        async with station_env(tmp_path, csms_kwargs={"basic_auth": {"CP1": KEY}}, security_profile=1,
                               authorization_key=KEY_HEX, tls={"ca_file": root}) as (csms, station):
            await asyncio.sleep(2.5)
            assert csms.handshakes == [], "no plain WebSocket upgrade at profile 2"
            assert "wss://" in station.log_text() and "security profile 2" in station.log_text()
            with open(os.path.join(station.settings["data_dir"], "security.log")) as f:
                assert "InvalidTLSVersion" in f.read(), "the server speaks no TLS: a downgrade, with its event"
    run(body())


def test_x_sec_downgrade_ws_url_at_profile_2_refused_by_the_settings(tmp_path):
    from controller import settings
    with pytest.raises(settings.SettingsError, match="csms_url_tls"):
        settings.check({"charge_point_id": "CP1", "csms_url": "wss://h/ocpp", "csms_url_tls": "ws://h/ocpp",
                        "security_profile": 2, "authorization_key": KEY_HEX, "tls": {"ca_file": "x"}})
    with pytest.raises(settings.SettingsError, match="needs TLS"):
        settings.check({"charge_point_id": "CP1", "csms_url": "ws://h/ocpp", "security_profile": 3,
                        "tls": {"ca_file": "x", "client_cert": "c", "client_key": "k"}})


# ---- security events --------------------------------------------------------------------------------------------
def test_x_sec_14_startup_and_reset_events_delivered(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await events_of(csms, "StartupOfTheDevice")
            mark = csms.mark()
            assert (await csms.call("CP1", "Reset", {"type": "Soft"}))["status"] == "Accepted"
            await csms.wait_for("SecurityEventNotification", lambda p: p["type"] == "ResetOrReboot", after=mark,
                                timeout=15)
            await csms.wait_for("SecurityEventNotification", lambda p: p["type"] == "StartupOfTheDevice",
                                after=mark, timeout=15)
            with open(os.path.join(station.settings["data_dir"], "security.log")) as f:
                log = f.read()
            assert "StartupOfTheDevice" in log and "ResetOrReboot" in log
            await station.wait_api()          # the restarted process serves its control API again
    run(body())


# ---- the negative TLS matrix (X-SEC-03/04), each refused with its event, sent once a good server is back --------
def _wrong_ca(tmp_path):
    _, cert, key, _ = pki(tmp_path)
    (tmp_path / "other").mkdir()
    _, _, _, root = pki(tmp_path / "other")
    return server_ssl_context(cert, key), root, "InvalidCentralSystemCertificate"


def _expired(tmp_path):
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=10)
    _, cert, key, root = pki(tmp_path, not_before=past - datetime.timedelta(days=30), not_after=past)
    return server_ssl_context(cert, key), root, "InvalidCentralSystemCertificate"


def _hostname(tmp_path):
    _, cert, key, root = pki(tmp_path, san=("csms.example.com",))
    return server_ssl_context(cert, key), root, "InvalidCentralSystemCertificate"


def _tls11(tmp_path):
    _, cert, key, root = pki(tmp_path, key="rsa")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.load_cert_chain(cert, key)
    return ctx, root, "InvalidTLSVersion"


def _weak_cipher(tmp_path):
    _, cert, key, root = pki(tmp_path, key="rsa")
    ctx = tls12_only(cert, key, "AES128-SHA")
    assert offered(ctx) == ["AES128-SHA"]
    return ctx, root, "InvalidTLSCipherSuite"


MATRIX = {"wrong_ca": _wrong_ca, "expired_server_cert": _expired, "hostname_mismatch": _hostname,
          "tls_1_1_only": _tls11, "weak_cipher_only": _weak_cipher}


@pytest.mark.parametrize("case", sorted(MATRIX))
def test_x_sec_03_04_tls_refused_with_event(tmp_path, case):
    async def body():
        bad, root, event = MATRIX[case](tmp_path)
        csms = BenchCSMS(ssl_context=bad, basic_auth={"CP1": KEY})
        await csms.start()
        station = StationProcess(tmp_path, csms.url, security_profile=2, authorization_key=KEY_HEX,
                                 tls={"ca_file": root})
        try:
            await station.start()
            await asyncio.sleep(2)
            assert [h for h in csms.handshakes if h["status"] == 101] == [], "refused"
            assert not csms.received("BootNotification")
            # a good server on the same port: the event raised while refused is delivered
            await csms.stop()
            good_ca = make_ca("Good Root")
            good = make_cert(good_ca, "localhost", is_server=True, san=["localhost", "127.0.0.1"])
            gcert, gkey = good.write(tmp_path, "good")
            with open(root, "ab") as f:      # the station trusts the good root too (its ca_file)
                f.write(good_ca.cert_pem)
            csms.ssl_context = server_ssl_context(gcert, gkey)
            await csms.start()
            got = await events_of(csms, event, timeout=15)
            assert got["type"] == event
            csms.assert_clean()
        except BaseException:
            print(station.log_text())
            raise
        finally:
            await station.stop()
            await csms.stop()
    run(body())


def test_x_sec_03_client_certificate_not_accepted(tmp_path):
    async def body():
        _, cert, key, root = pki(tmp_path)
        server_trusts = make_ca("Some other station CA").write(tmp_path, "other-station-ca")[0]
        station_ca = make_ca("Station CA")
        client_cert, client_key = make_cert(station_ca, "CP1", is_server=False).write(tmp_path, "station")
        async with station_env(tmp_path, csms_kwargs={
                "ssl_context": server_ssl_context(cert, key, client_ca=server_trusts)},
                security_profile=3, tls={"ca_file": root, "client_cert": client_cert, "client_key": client_key}) as (
                csms, station):
            await asyncio.sleep(2.5)
            assert not csms.received("BootNotification")
            assert "FailedToAuthenticateAtCentralSystem" in station.log_text()
    run(body())


# ---- cipher interop ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("key,pair", [("rsa", RSA_PAIR), ("ec", ECDSA_PAIR)])
def test_cipher_interop_csms_with_only_the_whitepaper_pair(tmp_path, key, pair):
    async def body():
        _, cert, private, root = pki(tmp_path, key=key)
        ctx = tls12_only(cert, private, pair)
        assert offered(ctx) == sorted(pair.split(":")), "the server offers exactly this pair"
        async with station_env(tmp_path, csms_kwargs={"ssl_context": ctx, "basic_auth": {"CP1": KEY}},
                               security_profile=2, authorization_key=KEY_HEX, tls={"ca_file": root}) as (
                csms, station):
            await csms.wait_for("BootNotification", timeout=10)
            shake = [h for h in csms.handshakes if h["status"] == 101][0]
            assert shake["tls"][0] == "TLSv1.2" and shake["tls"][1] in pair.split(":")
    run(body())
