"""SignedUpdateFirmware over real WebSockets and a real HTTPS file server (TC_080, TC_081, X-SEC-17): a manufacturer
root and a signing certificate made in each test, the root installed with InstallCertificate, images signed as
`stationctl firmware-pack --sign-key` signs them; the station really restarts into the new firmware.
"""

import asyncio
import os

import pytest

from bench_csms.csms import StationCallError
from controller.runtime.firmware_signing_cpython import sign
from tests.certs import make_ca, make_cert
from tests.conformance.test_core_transactions import ready, status
from tests.conformance.test_firmware import now_iso, server_for, settings
from tests.firmware.conftest import image, pki  # noqa: F401 (fixtures)
from tests.firmware.servers import copy
from tests.station_process import run, station_env

MANUFACTURER = "ManufacturerRootCertificate"


@pytest.fixture(scope="module")
def maker():
    root = make_ca("Manufacturer Root", key="rsa")
    return {"root": root, "signer": make_cert(root, "Firmware Signer", is_server=False, key="rsa")}


def sfsn(csms, after=0):
    return [(e["payload"]["status"], e["payload"].get("requestId")) for e in csms.ledger[after:]
            if e["kind"] == "CALL" and e["action"] == "SignedFirmwareStatusNotification"]


async def wait_sfsn(csms, value, after=0, timeout=15):
    return await csms.wait_for("SignedFirmwareStatusNotification", lambda p: p["status"] == value, after=after,
                               timeout=timeout)


async def install_root(csms, root):
    got = await csms.call("CP1", "InstallCertificate", {"certificateType": MANUFACTURER,
                                                        "certificate": root.cert_pem.decode()})
    assert got == {"status": "Accepted"}, got


def request(location, signer, signature, request_id):
    return {"requestId": request_id, "retries": 0,
            "firmware": {"location": location, "retrieveDateTime": now_iso(), "signature": signature,
                         "signingCertificate": signer.cert_pem.decode()}}


def test_tc_080_signed_update_installed(tmp_path, pki, image, maker):
    copy(image, tmp_path / "files", "fw.tar.gz")
    signature = sign(image, maker["signer"].key_pem)

    async def body():
        with server_for("https", tmp_path / "files", pki, tmp_path) as files:
            async with station_env(tmp_path, **settings(pki)) as (csms, station):
                await ready(csms)
                await install_root(csms, maker["root"])
                mark = csms.mark()
                got = await csms.call("CP1", "SignedUpdateFirmware",
                                      request(files.url("fw.tar.gz"), maker["signer"], signature, 80))
                assert got == {"status": "Accepted"}
                boot = await csms.wait_for("BootNotification", after=mark, timeout=25)
                assert boot["payload"]["firmwareVersion"] == "2.0"
                await wait_sfsn(csms, "Installed", after=mark)
                got = [s for s, _ in sfsn(csms, mark)]
                assert got in (["Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting",
                                "Installed"],
                               ["Downloading", "Downloaded", "SignatureVerified", "Installing", "Installed"]), got
                assert set(r for _, r in sfsn(csms, mark)) == {80}, "every status carries the requestId"
                assert not [e for e in csms.ledger[mark:] if e["action"] == "FirmwareStatusNotification"]
                await csms.wait_for("SecurityEventNotification", lambda p: p["type"] == "FirmwareUpdated",
                                    after=mark, timeout=10)
                await station.wait_api()
                await status(csms, 1, "Available", after=mark)
                with open(os.path.join(station.settings["data_dir"], "firmware", "current", "README.md")) as f:
                    assert f.read() == "v2\n"
    run(body())


def test_tc_081_invalid_signature_not_installed(tmp_path, pki, image, maker):
    copy(image, tmp_path / "files", "fw.tar.gz")
    impostor = make_cert(maker["root"], "Someone Else", is_server=False, key="rsa")
    signature = sign(image, impostor.key_pem)          # a valid certificate, but not the key that signed

    async def body():
        with server_for("http", tmp_path / "files", pki, tmp_path) as files:
            async with station_env(tmp_path, **settings(pki)) as (csms, station):
                await ready(csms)
                await install_root(csms, maker["root"])
                mark = csms.mark()
                got = await csms.call("CP1", "SignedUpdateFirmware",
                                      request(files.url("fw.tar.gz"), maker["signer"], signature, 81))
                assert got == {"status": "Accepted"}
                await wait_sfsn(csms, "InvalidSignature", after=mark)
                await csms.wait_for("SecurityEventNotification", lambda p: p["type"] == "InvalidFirmwareSignature",
                                    after=mark, timeout=10)
                await asyncio.sleep(1)
                assert sfsn(csms, mark) == [("Downloading", 81), ("Downloaded", 81), ("InvalidSignature", 81)]
                assert len(csms.received("BootNotification")) == 1, "not installed, no restart"
                assert not os.path.exists(os.path.join(station.settings["data_dir"], "firmware-download.tar.gz"))
                assert (await station.state())["connectors"][1]["status"] == "Available"
    run(body())


def test_x_sec_17_invalid_signing_certificate(tmp_path, pki, image, maker):
    copy(image, tmp_path / "files", "fw.tar.gz")
    stranger_root = make_ca("Not the Manufacturer", key="rsa")
    stranger = make_cert(stranger_root, "Firmware Signer", is_server=False, key="rsa")

    async def body():
        with server_for("http", tmp_path / "files", pki, tmp_path) as files:
            async with station_env(tmp_path, **settings(pki)) as (csms, station):
                await ready(csms)
                mark = csms.mark()
                payload = request(files.url("fw.tar.gz"), maker["signer"], sign(image, maker["signer"].key_pem), 1)
                got = await csms.call("CP1", "SignedUpdateFirmware", payload)
                assert got == {"status": "InvalidCertificate"}, "no ManufacturerRootCertificate installed yet"
                await install_root(csms, maker["root"])
                payload = request(files.url("fw.tar.gz"), stranger, sign(image, stranger.key_pem), 2)
                got = await csms.call("CP1", "SignedUpdateFirmware", payload)
                assert got == {"status": "InvalidCertificate"}
                event = await csms.wait_for("SecurityEventNotification",
                                            lambda p: p["type"] == "InvalidFirmwareSigningCertificate", after=mark)
                assert "chain" in event["payload"]["techInfo"] or "ManufacturerRoot" in event["payload"]["techInfo"]
                await asyncio.sleep(1)
                assert sfsn(csms, mark) == [], "nothing downloaded"
                assert "downloading" not in station.log_text()
    run(body())


def test_x_sec_17_signed_only_station_refuses_update_firmware(tmp_path, pki):
    async def body():
        fw = dict(settings(pki)["firmware"], accept_unsigned=False)
        async with station_env(tmp_path, firmware=fw) as (csms, station):
            await ready(csms)
            with pytest.raises(StationCallError) as err:
                await csms.call("CP1", "UpdateFirmware", {"location": "http://127.0.0.1:1/fw.tar.gz",
                                                          "retrieveDate": now_iso()})
            assert err.value.code == "NotSupported"
            await asyncio.sleep(0.5)
            assert not csms.received("FirmwareStatusNotification")
    run(body())
