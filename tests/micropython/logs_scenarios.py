"""GetLog scenarios for the sans-I/O core (pytest on CPython, tx_suite.py on MicroPython), after TC_079 and
X-SEC-15: every LogStatusNotification status with its requestId, AcceptedCanceled, retries, the time window and
the Rejected cases. The runtime's side (uploads) is played by the scenario.
"""

from controller.features.security_events import in_window
from tests.micropython.core_harness import EPOCH_2026, expect, iso
from tests.micropython.firmware_scenarios import take
from tests.micropython.tx_scenarios import booted

URL = "ftp://user:pw@127.0.0.1:2121/logs"


def get_log(b, kind="SecurityLog", request_id=7, location=URL, **extra):
    log = {"remoteLocation": location}
    for field in ("oldestTimestamp", "latestTimestamp"):
        if field in extra:
            log[field] = extra.pop(field)
    payload = {"logType": kind, "requestId": request_id, "log": log}
    payload.update(extra)
    got = b.csms_call("GetLog", payload)
    expect(got is not None and got[0] == "result", "GetLog answered: " + repr(got))
    return got[1]


def lsn(b, mark=0):
    return [(p["status"], p.get("requestId")) for a, p in b.since(mark, "LogStatusNotification")]


def finish(b, ok=True, error=None, kind=None):
    spec = take(b, "upload")[-1][1]
    b.event({"type": "transfer_done", "id": spec["id"], "ok": ok, "error": error, "error_kind": kind})
    return spec


def tc_079_security_log_uploaded():
    b = booted()
    mark = b.mark()
    answer = get_log(b, request_id=42)
    expect(answer["status"] == "Accepted", repr(answer))
    expect(answer["filename"].startswith("securitylog-SN-1-") and answer["filename"].endswith(".log"), repr(answer))
    b.advance(10)
    spec = finish(b)
    expect(spec["url"] == URL and spec["name"] == answer["filename"], repr(spec))
    expect(spec["security_log"]["files"] == ["security.log"], repr(spec))
    expect(lsn(b, mark) == [("Uploading", 42), ("Uploaded", 42)], repr(lsn(b, mark)))
    expect(b.station.feature["logs"].last_status() == {"status": "Idle"}, "Idle, without requestId, afterwards")


def x_sec_15_diagnostics_log_with_window():
    b = booted()
    oldest = iso(EPOCH_2026 - 3600000)
    latest = iso(EPOCH_2026 + 3600000)
    answer = get_log(b, "DiagnosticsLog", 3, oldestTimestamp=oldest, latestTimestamp=latest)
    expect(answer["filename"].startswith("diagnostics-SN-1-") and answer["filename"].endswith(".tar.gz"),
           repr(answer))
    b.advance(10)
    spec = finish(b)
    expect(spec["bundle"] == {"start": EPOCH_2026 - 3600000, "stop": EPOCH_2026 + 3600000}, repr(spec))
    expect(lsn(b) == [("Uploading", 3), ("Uploaded", 3)], repr(lsn(b)))


def x_sec_15_every_failure_status():
    for kind, status in (("permission", "PermissionDenied"), ("unsupported", "NotSupportedOperation"),
                         ("protocol", "BadMessage"), (None, "UploadFailure")):
        b = booted()
        mark = b.mark()
        get_log(b, request_id=9, retries=0)
        b.advance(10)
        finish(b, ok=False, error="x", kind=kind)
        expect(lsn(b, mark) == [("Uploading", 9), (status, 9)], str(kind) + ": " + repr(lsn(b, mark)))


def x_sec_15_unsupported_protocol_at_once():
    b = booted()
    mark = b.mark()
    answer = get_log(b, request_id=5, location="sftp://127.0.0.1/logs")
    expect(answer["status"] == "Accepted" and "filename" in answer, repr(answer))
    b.advance(60000)
    expect(take(b, "upload") == [], "nothing uploaded")
    expect(lsn(b, mark) == [("NotSupportedOperation", 5)], repr(lsn(b, mark)))


def x_sec_15_retries_then_failure_uploading_once():
    b = booted()
    mark = b.mark()
    get_log(b, request_id=11, retries=2, retryInterval=30)
    b.advance(10)
    finish(b, ok=False, error="timed out")
    b.advance(29000)
    expect(take(b, "upload") == [], "the retry waits retryInterval")
    got = b.csms_call("ExtendedTriggerMessage", {"requestedMessage": "LogStatusNotification"})
    expect(got == ("result", {"status": "Accepted"}), repr(got))
    expect(b.sent("LogStatusNotification")[-1] == {"status": "Uploading", "requestId": 11},
           "triggered while waiting for the retry: still Uploading, with the requestId")
    b.advance(1000)
    finish(b, ok=False, error="timed out")
    b.advance(30000)
    finish(b, ok=False, error="timed out")
    b.advance(600000)
    expect(take(b, "upload") == [], "1 + retries attempts")
    expect(lsn(b, mark) == [("Uploading", 11), ("Uploading", 11), ("UploadFailure", 11)], repr(lsn(b, mark)))


def x_sec_15_new_get_log_cancels_the_running_one():
    b = booted()
    mark = b.mark()
    get_log(b, request_id=1, retries=3, retryInterval=60)
    b.advance(10)
    first = take(b, "upload")[-1][1]
    answer = get_log(b, "DiagnosticsLog", 2)
    expect(answer["status"] == "AcceptedCanceled", repr(answer))
    b.event({"type": "transfer_done", "id": first["id"], "ok": True, "error": None})    # the old one, ignored
    b.advance(10)
    finish(b)
    expect(lsn(b, mark) == [("Uploading", 1), ("Uploading", 2), ("Uploaded", 2)], repr(lsn(b, mark)))
    expect(get_log(b, request_id=3)["status"] == "Accepted", "nothing runs: a plain Accepted")


def x_sec_15_rejected_and_nothing_to_upload():
    b = booted()
    expect(get_log(b, location="not a url")["status"] == "Rejected", "not a URL")
    expect(get_log(b, oldestTimestamp=iso(EPOCH_2026), latestTimestamp=iso(EPOCH_2026 - 1000))["status"] ==
           "Rejected", "a window that ends before it starts")
    b.store.remove("security.log")
    expect(get_log(b) == {"status": "Accepted"}, "no security log: no filename")
    b = booted(options={"diagnostics_available": False})
    mark = b.mark()
    expect(get_log(b, "DiagnosticsLog") == {"status": "Accepted"}, "no diagnostics: no filename")
    b.advance(60000)
    expect(take(b, "upload") == [] and lsn(b, mark) == [], "nothing uploaded, nothing notified")


def security_log_window_filter():
    line = iso(EPOCH_2026) + " StartupOfTheDevice firmware 1.0\n"
    expect(in_window(line, None, None), "no window")
    expect(in_window(line, EPOCH_2026, EPOCH_2026), "both ends inclusive")
    expect(not in_window(line, EPOCH_2026 + 1, None), "before the oldest")
    expect(not in_window(line, None, EPOCH_2026 - 1), "after the latest")
    expect(not in_window("garbage\n", 0, None), "a line without a time is outside any window")


SCENARIOS = (tc_079_security_log_uploaded, x_sec_15_diagnostics_log_with_window, x_sec_15_every_failure_status,
             x_sec_15_unsupported_protocol_at_once, x_sec_15_retries_then_failure_uploading_once,
             x_sec_15_new_get_log_cancels_the_running_one, x_sec_15_rejected_and_nothing_to_upload,
             security_log_window_filter)
