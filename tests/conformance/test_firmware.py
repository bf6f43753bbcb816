"""Firmware Management over real WebSockets and real file servers (OCTT TC_044_1/2/3, X-FW-01..05).

The station runs as its own process on the desktop-sim board, downloads from FTP, FTPS, HTTP or HTTPS servers on
127.0.0.1, installs into the A/B slots of its data folder and really restarts (the process re-executes itself); the
next BootNotification carries the new firmwareVersion.
"""

import asyncio
import json
import os

import pytest

from controller import clock
from controller.runtime.firmware_pack import pack
from tests.conformance.test_core_transactions import charge, ready, status
from tests.firmware.conftest import image, make_tree, pki  # noqa: F401 (fixtures)
from tests.firmware.servers import FtpServer, HttpServer, copy
from tests.station_process import run, station_env


def now_iso(offset_s=0):
    import time
    return clock.format_iso(int((time.time() + offset_s) * 1000))


def settings(pki, **extra):
    fw = {"ca_file": pki["ca_file"], "timeout_s": 5, "health_check_s": 60}
    fw.update(extra)
    return {"firmware": fw, "identity": {"firmware_version": "1.0"}}


async def fsn(csms, value, after=0, timeout=10):
    return await csms.wait_for("FirmwareStatusNotification", lambda p: p["status"] == value, after=after,
                               timeout=timeout)


def fsn_statuses(csms, after=0):
    return [e["payload"]["status"] for e in csms.ledger[after:]
            if e["kind"] == "CALL" and e["action"] == "FirmwareStatusNotification"]


def server_for(kind, root, pki, tmp_path):
    tls = pki["server"] if kind in ("ftps", "https") else None
    if kind.startswith("ftp"):
        return FtpServer(root, tls=tls, tmp=str(tmp_path / "certs"))
    return HttpServer(root, tls=tls, tmp=str(tmp_path / "certs"))


@pytest.mark.parametrize("kind", ["http", "https", "ftp", "ftps"])
def test_tc_044_1_x_fw_05_download_install_reboot(tmp_path, pki, image, kind):
    copy(image, tmp_path / "files", "fw.tar.gz")

    async def body():
        with server_for(kind, tmp_path / "files", pki, tmp_path) as files:
            async with station_env(tmp_path, **settings(pki)) as (csms, station):
                await ready(csms)
                boot = csms.received("BootNotification")[0]
                assert boot["firmwareVersion"] == "1.0"
                config = await csms.get_configuration("CP1", ["SupportedFileTransferProtocols",
                                                              "SupportedFeatureProfiles"])
                values = dict((k["key"], k["value"]) for k in config["configurationKey"])
                assert values["SupportedFileTransferProtocols"] == "FTP,FTPS,HTTP,HTTPS"
                assert "FirmwareManagement" in values["SupportedFeatureProfiles"].split(",")
                mark = csms.mark()
                assert await csms.call("CP1", "UpdateFirmware", {"location": files.url("fw.tar.gz"),
                                                                 "retrieveDate": now_iso()}) == {}
                await fsn(csms, "Installing", after=mark)
                boot = await csms.wait_for("BootNotification", after=mark, timeout=20)
                assert boot["payload"]["firmwareVersion"] == "2.0"                      # X-FW-05
                await fsn(csms, "Installed", after=mark, timeout=15)
                await station.wait_api()
                await status(csms, 1, "Available", after=mark)
                assert fsn_statuses(csms, mark) == ["Downloading", "Downloaded", "Installing", "Installed"]
                with open(os.path.join(station.settings["data_dir"], "firmware", "current", "README.md")) as f:
                    assert f.read() == "v2\n"
                await asyncio.sleep(0.5)
                assert not os.path.exists(os.path.join(station.settings["data_dir"], "firmware-download.tar.gz"))
    run(body())


def test_tc_044_2_download_failed_retries_zero(tmp_path, pki):
    async def body():
        with FtpServer(tmp_path / "files") as ftp:
            async with station_env(tmp_path, **settings(pki)) as (csms, station):
                await ready(csms)
                mark = csms.mark()
                await csms.call("CP1", "UpdateFirmware", {"location": ftp.url("download_fail.fwi"), "retries": 0,
                                                          "retryInterval": 1, "retrieveDate": now_iso()})
                await fsn(csms, "DownloadFailed", after=mark)
                await asyncio.sleep(1.5)
                assert fsn_statuses(csms, mark) == ["Downloading", "DownloadFailed"]
                assert station.log_text().count("firmware download attempt") == 1, "retries=0: one attempt"
                assert (await station.state())["connectors"][1]["status"] == "Available"
                assert csms.received("BootNotification")[-1]["firmwareVersion"] == "1.0"
    run(body())


def test_x_fw_01_wrong_password_is_retried_then_fails(tmp_path, pki, image):
    copy(image, tmp_path / "files", "fw.tar.gz")

    async def body():
        with FtpServer(tmp_path / "files") as ftp:
            async with station_env(tmp_path, **settings(pki)) as (csms, station):
                await ready(csms)
                mark = csms.mark()
                await csms.call("CP1", "UpdateFirmware", {"location": ftp.url("fw.tar.gz", password="wrong"),
                                                          "retries": 2, "retryInterval": 1,
                                                          "retrieveDate": now_iso(1)})
                await asyncio.sleep(0.6)
                assert fsn_statuses(csms, mark) == [], "nothing before retrieveDate"
                await fsn(csms, "DownloadFailed", after=mark, timeout=10)
                assert station.log_text().count("login refused") >= 3, "1 + retries attempts"
                assert fsn_statuses(csms, mark) == ["Downloading", "DownloadFailed"]
    run(body())


@pytest.mark.parametrize("bad", ["corrupt", "truncated", "wrong-format"])
def test_tc_044_3_installation_failed(tmp_path, pki, image, bad):
    with open(image, "rb") as f:
        data = f.read()
    os.makedirs(str(tmp_path / "files"))
    with open(str(tmp_path / "files" / "bad.tar.gz"), "wb") as f:
        if bad == "corrupt":
            f.write(data[:200] + bytes(b ^ 0x55 for b in data[200:260]) + data[260:])
        elif bad == "truncated":
            f.write(data[:len(data) // 2])
        else:
            f.write(b"PK\x03\x04 this is a zip, not a firmware image" * 20)

    async def body():
        with HttpServer(tmp_path / "files") as web:
            async with station_env(tmp_path, **settings(pki)) as (csms, station):
                await ready(csms)
                mark = csms.mark()
                await csms.call("CP1", "UpdateFirmware", {"location": web.url("bad.tar.gz"),
                                                          "retrieveDate": now_iso()})
                await fsn(csms, "InstallationFailed", after=mark)
                assert fsn_statuses(csms, mark) == ["Downloading", "Downloaded", "Installing", "InstallationFailed"]
                await status(csms, 1, "Available", after=mark)
                assert len(csms.received("BootNotification")) == 1, "no restart for a bad image"
                assert (await station.state())["registration"] == "accepted"
    run(body())


def test_x_fw_02_install_waits_for_the_transaction(tmp_path, pki, image):
    copy(image, tmp_path / "files", "fw.tar.gz")

    async def body():
        with HttpServer(tmp_path / "files") as web:
            async with station_env(tmp_path, **settings(pki)) as (csms, station):
                await ready(csms)
                await charge(csms, station, 1)
                mark = csms.mark()
                await csms.call("CP1", "UpdateFirmware", {"location": web.url("fw.tar.gz"),
                                                          "retrieveDate": now_iso()})
                await fsn(csms, "Downloaded", after=mark)
                await status(csms, 2, "Unavailable", after=mark)
                await asyncio.sleep(1)
                assert "Installing" not in fsn_statuses(csms, mark), "no install while charging"
                stop_mark = csms.mark()
                await station.post("/tag", id_tag="TAG1", connector=1)
                await csms.wait_for("StopTransaction", after=stop_mark)
                await fsn(csms, "Installing", after=stop_mark)
                boot = await csms.wait_for("BootNotification", after=stop_mark, timeout=20)
                assert boot["payload"]["firmwareVersion"] == "2.0"
                await fsn(csms, "Installed", after=stop_mark, timeout=15)
                await station.wait_api()
    run(body())


def test_x_fw_03_idle_only_when_triggered(tmp_path, pki):
    async def body():
        async with station_env(tmp_path, **settings(pki)) as (csms, station):
            await ready(csms)
            await asyncio.sleep(0.5)
            assert fsn_statuses(csms) == [], "no FirmwareStatusNotification of its own"
            mark = csms.mark()
            assert await csms.call("CP1", "TriggerMessage", {"requestedMessage": "FirmwareStatusNotification"}) == \
                {"status": "Accepted"}
            await fsn(csms, "Idle", after=mark)
    run(body())


def test_power_cut_during_install_still_boots(tmp_path, pki):
    """SIGKILL while the station unpacks a large image: it boots the old firmware and reports InstallationFailed."""
    big = str(tmp_path / "big.tar.gz")
    pack(make_tree(tmp_path / "src", {"blob%d.bin" % i: os.urandom(2000000) for i in range(15)}), "2.0", big)
    copy(big, tmp_path / "files", "fw.tar.gz")

    async def body():
        with HttpServer(tmp_path / "files") as web:
            async with station_env(tmp_path, **settings(pki)) as (csms, station):
                await ready(csms)
                mark = csms.mark()
                await csms.call("CP1", "UpdateFirmware", {"location": web.url("fw.tar.gz"),
                                                          "retrieveDate": now_iso()})
                await fsn(csms, "Installing", after=mark, timeout=20)
                await asyncio.sleep(0.2)
                await station.kill()
                boot_mark = csms.mark()
                await station.start()
                boot = await csms.wait_for("BootNotification", after=boot_mark, timeout=15)
                result = await csms.wait_for("FirmwareStatusNotification", after=boot_mark, timeout=15)
                # Either the cut came before the pointer moved (old firmware, InstallationFailed) or after (the
                # complete new firmware on trial, Installed): never a station that does not boot.
                if boot["payload"]["firmwareVersion"] == "1.0":
                    assert result["payload"]["status"] == "InstallationFailed"
                else:
                    assert result["payload"]["status"] == "Installed"
                await status(csms, 1, "Available", after=boot_mark)
                await station.wait_api()
    run(body())


# ---- GetDiagnostics ------------------------------------------------------------------------------------------
KEY = "0123456789abcdef0123456789abcdef01234567"


def bundle_members(path):
    import tarfile
    with tarfile.open(path) as tar:
        return dict((m.name, tar.extractfile(m).read()) for m in tar.getmembers())


@pytest.mark.parametrize("kind", ["ftp", "http"])
def test_tc_045_1_get_diagnostics_uploaded(tmp_path, pki, kind):
    async def body():
        with server_for(kind, tmp_path / "files", pki, tmp_path) as files:
            os.makedirs(str(tmp_path / "files" / "diag"), exist_ok=True)
            async with station_env(tmp_path, **settings(pki)) as (csms, station):
                await ready(csms)
                assert await csms.call("CP1", "ChangeConfiguration", {"key": "AuthorizationKey", "value": KEY}) \
                    == {"status": "Accepted"}
                await asyncio.sleep(0.8)                  # the station reconnects with its new key
                await csms.wait_connected("CP1", timeout=10)
                mark = csms.mark()
                answer = await csms.call("CP1", "GetDiagnostics", {"location": files.url("diag"),
                                                                   "startTime": now_iso(-3600)})
                await csms.wait_for("DiagnosticsStatusNotification", lambda p: p["status"] == "Uploaded",
                                    after=mark, timeout=10)
                statuses = [e["payload"]["status"] for e in csms.ledger[mark:]
                            if e["kind"] == "CALL" and e["action"] == "DiagnosticsStatusNotification"]
                assert statuses == ["Uploading", "Uploaded"]
                folder = "diag" if kind == "ftp" else "uploads"
                members = bundle_members(str(tmp_path / "files" / folder / answer["fileName"]))
                assert set(members) == {"logs/station.log", "configuration.json", "settings.json", "journal.json",
                                        "board.json", "state.json"}
                assert b"BootNotification" in members["logs/station.log"]
                for name, data in members.items():
                    assert KEY.encode() not in data, name + " holds the AuthorizationKey"
                # the key lives in the private security store, which the bundle never includes (issue 10)
                assert b"AuthorizationKey" not in members["configuration.json"]
                assert json.loads(members["state.json"])["snapshot"]["registration"] == "accepted"
    run(body())


def test_tc_045_2_upload_failed_retries_zero(tmp_path, pki):
    async def body():
        with FtpServer(tmp_path / "files") as ftp:
            async with station_env(tmp_path, **settings(pki)) as (csms, station):
                await ready(csms)
                mark = csms.mark()
                answer = await csms.call("CP1", "GetDiagnostics", {"location": ftp.url("files/failedLocation"),
                                                                   "retries": 0})
                assert answer["fileName"].endswith(".tar.gz")
                await csms.wait_for("DiagnosticsStatusNotification", lambda p: p["status"] == "UploadFailed",
                                    after=mark, timeout=10)
                await asyncio.sleep(1)
                statuses = [e["payload"]["status"] for e in csms.ledger[mark:]
                            if e["kind"] == "CALL" and e["action"] == "DiagnosticsStatusNotification"]
                assert statuses == ["Uploading", "UploadFailed"]
                assert station.log_text().count("diagnostics upload attempt") == 1
                assert (await station.state())["registration"] == "accepted", "the station keeps operating"
    run(body())


def test_diag_bundle_cli(tmp_path, pki):
    import subprocess
    import sys

    async def body():
        async with station_env(tmp_path, **settings(pki), authorization_key=KEY) as (csms, station):
            await ready(csms)
    run(body())
    out = str(tmp_path / "bundle.tar.gz")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run([sys.executable, "-m", "controller.runtime.cli", "diag-bundle", "--config",
                           str(tmp_path / "settings.json"), "-o", out], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "wrote " + out in done.stdout
    members = bundle_members(out)
    assert b"registered with the central system" in members["logs/station.log"]
    assert json.loads(members["settings.json"])["authorization_key"] == "<removed>"
    assert json.loads(members["board.json"])["name"] == "desktop-sim"
    bad = subprocess.run([sys.executable, "-m", "controller.runtime.cli", "diag-bundle", "--config",
                          str(tmp_path / "settings.json"), "-o", out, "--since", "yesterday"], cwd=root,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "--since" in bad.stderr
