"""GetLog over real WebSockets to real FTP and HTTP servers on 127.0.0.1 (TC_079, X-SEC-15): the security log and
the diagnostics bundle uploaded, the time window, every failure status the servers can cause, AcceptedCanceled.
"""

import asyncio
import os
import tarfile
import time

import pytest

from controller import clock
from tests.conformance.test_core_transactions import ready
from tests.firmware.conftest import pki  # noqa: F401 (fixture)
from tests.firmware.servers import READER, FtpServer, GarbageServer, HttpServer
from tests.station_process import run, station_env


def now_iso(offset_s=0):
    return clock.format_iso(int((time.time() + offset_s) * 1000))


def settings(pki):
    return {"firmware": {"ca_file": pki["ca_file"], "timeout_s": 5, "health_check_s": 60}}


def lsn(csms, after=0):
    return [(e["payload"]["status"], e["payload"].get("requestId")) for e in csms.ledger[after:]
            if e["kind"] == "CALL" and e["action"] == "LogStatusNotification"]


async def get_log(csms, location, kind="SecurityLog", request_id=1, **extra):
    log = {"remoteLocation": location}
    for field in ("oldestTimestamp", "latestTimestamp"):
        if field in extra:
            log[field] = extra.pop(field)
    payload = {"logType": kind, "requestId": request_id, "log": log}
    payload.update(extra)
    return await csms.call("CP1", "GetLog", payload)


async def final_lsn(csms, request_id, after, timeout=15):
    entry = await csms.wait_for("LogStatusNotification", lambda p: p["status"] != "Uploading" and
                                p.get("requestId") == request_id, after=after, timeout=timeout)
    return entry["payload"]["status"]


def test_tc_079_get_security_log_over_ftp(tmp_path, pki):
    async def body():
        with FtpServer(tmp_path / "files") as ftp:
            os.makedirs(str(tmp_path / "files" / "logs"))
            async with station_env(tmp_path, **settings(pki)) as (csms, station):
                await ready(csms)
                mark = csms.mark()
                answer = await get_log(csms, ftp.url("logs"), request_id=79)
                assert answer["status"] == "Accepted" and answer["filename"].endswith(".log")
                assert await final_lsn(csms, 79, mark) == "Uploaded"
                assert lsn(csms, mark) == [("Uploading", 79), ("Uploaded", 79)]
                with open(str(tmp_path / "files" / "logs" / answer["filename"])) as f:
                    uploaded = f.read()
                assert "StartupOfTheDevice" in uploaded
                with open(os.path.join(station.settings["data_dir"], "security.log")) as f:
                    assert uploaded == f.read(), "the whole security log, as stored"
    run(body())


def test_x_sec_15_security_log_window(tmp_path, pki):
    async def body():
        with HttpServer(tmp_path / "files") as web:
            async with station_env(tmp_path, **settings(pki)) as (csms, station):
                await ready(csms)
                await asyncio.sleep(1.5)
                since = now_iso(-0.5)
                await csms.send_raw("CP1", '[2, "bad-1", "ChangeConfiguration", {"key": 5}]')
                mark = csms.mark()
                answer = await get_log(csms, web.url("logs"), request_id=2, oldestTimestamp=since,
                                       latestTimestamp=now_iso(60))
                assert await final_lsn(csms, 2, mark) == "Uploaded"
                with open(str(tmp_path / "files" / "uploads" / answer["filename"])) as f:
                    uploaded = f.read()
                assert "InvalidMessages" in uploaded and "StartupOfTheDevice" not in uploaded, uploaded
    run(body())


def test_x_sec_15_diagnostics_log_over_http(tmp_path, pki):
    async def body():
        with HttpServer(tmp_path / "files") as web:
            async with station_env(tmp_path, **settings(pki)) as (csms, station):
                await ready(csms)
                mark = csms.mark()
                answer = await get_log(csms, web.url("diag"), "DiagnosticsLog", 15, oldestTimestamp=now_iso(-3600))
                assert answer["status"] == "Accepted" and answer["filename"].endswith(".tar.gz")
                assert await final_lsn(csms, 15, mark) == "Uploaded"
                with tarfile.open(str(tmp_path / "files" / "uploads" / answer["filename"])) as tar:
                    names = tar.getnames()
                    text = tar.extractfile("logs/station.log").read()
                assert "configuration.json" in names and b"BootNotification" in text
                await asyncio.sleep(0.3)
                assert not [n for n in os.listdir(station.settings["data_dir"]) if n.startswith("log-upload")], \
                    "the temporary file is removed"
    run(body())


def _http(path):
    return lambda tmp_path, stack: stack.enter_context(HttpServer(tmp_path / "files")).url(path)


def _ftp_reader(tmp_path, stack):
    os.makedirs(str(tmp_path / "files" / "logs"), exist_ok=True)
    return stack.enter_context(FtpServer(tmp_path / "files")).url("logs", user=READER)


def _ftp_missing_folder(tmp_path, stack):
    return stack.enter_context(FtpServer(tmp_path / "files")).url("files/failedLocation")


def _garbage(tmp_path, stack):
    return stack.enter_context(GarbageServer()).url("logs")


FAILURES = {"http_403": (_http("deny/logs"), "PermissionDenied"),
            "ftp_no_write_permission": (_ftp_reader, "PermissionDenied"),
            "http_405_put_and_post": (_http("noupload/logs"), "NotSupportedOperation"),
            "not_http": (_garbage, "BadMessage"),
            "ftp_missing_folder": (_ftp_missing_folder, "UploadFailure")}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_x_sec_15_upload_failure_statuses(tmp_path, pki, case):
    import contextlib
    make, expected = FAILURES[case]

    async def body():
        with contextlib.ExitStack() as stack:
            location = make(tmp_path, stack)
            async with station_env(tmp_path, **settings(pki)) as (csms, station):
                await ready(csms)
                mark = csms.mark()
                answer = await get_log(csms, location, request_id=4, retries=0)
                assert answer["status"] == "Accepted"
                assert await final_lsn(csms, 4, mark) == expected
                assert lsn(csms, mark) == [("Uploading", 4), (expected, 4)]
                assert (await station.state())["registration"] == "accepted", "the station keeps operating"
    run(body())


def test_x_sec_15_new_get_log_accepted_canceled(tmp_path, pki):
    async def body():
        with HttpServer(tmp_path / "files") as web:
            async with station_env(tmp_path, **settings(pki)) as (csms, station):
                await ready(csms)
                mark = csms.mark()
                first = await get_log(csms, "http://127.0.0.1:1/logs", request_id=1, retries=3, retryInterval=60)
                assert first["status"] == "Accepted"
                await csms.wait_for("LogStatusNotification", after=mark)
                second = await get_log(csms, web.url("logs"), request_id=2)
                assert second["status"] == "AcceptedCanceled"
                assert await final_lsn(csms, 2, mark) == "Uploaded"
                assert lsn(csms, mark) == [("Uploading", 1), ("Uploading", 2), ("Uploaded", 2)]
                assert os.path.isfile(str(tmp_path / "files" / "uploads" / second["filename"]))
                third = await get_log(csms, "ftp://", request_id=3)
                assert third == {"status": "Rejected"}, "not a URL"
    run(body())
