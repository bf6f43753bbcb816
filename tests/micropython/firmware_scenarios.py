"""Firmware Management scenarios for the sans-I/O core (pytest on CPython, tx_suite.py on MicroPython), after
TC_044_1/2/3 and X-FW-01..05 of reference/ocpp16-conformance.md. The runtime's side (downloads, installs) is played
by the scenario: it answers the core's effects with the events a runtime would send.
"""

from tests.micropython.core_harness import EPOCH_2026, Bench, expect, iso
from tests.micropython.tx_scenarios import booted, charging

URL = "http://127.0.0.1:8000/fw.tar.gz"


def update(b, location=URL, retrieve_in_ms=0, **extra):
    payload = {"location": location, "retrieveDate": iso(EPOCH_2026 + b.now + retrieve_in_ms)}
    payload.update(extra)
    got = b.csms_call("UpdateFirmware", payload)
    expect(got == ("result", {}), "UpdateFirmware answered with an empty conf: " + repr(got))


def fw_statuses(b, mark=0):
    return [p["status"] for a, p in b.since(mark, "FirmwareStatusNotification")]


def take(b, kind):
    out = [e for e in b.other if e[0] == kind]
    b.other = [e for e in b.other if e[0] != kind]
    return out


def downloads(b):
    return take(b, "download")


def finish_download(b, ok=True, error=None):
    spec = downloads(b)[-1][1]
    b.event({"type": "transfer_done", "id": spec["id"], "ok": ok, "error": error})
    return spec


def trigger_fw(b):
    got = b.csms_call("TriggerMessage", {"requestedMessage": "FirmwareStatusNotification"})
    expect(got == ("result", {"status": "Accepted"}), repr(got))
    return b.sent("FirmwareStatusNotification")[-1]["status"]


def installed_and_rebooted(b, trial=True, rolled_back=False):
    """The runtime installed the image (or not) and the station restarted."""
    spec = take(b, "install")[-1][1]
    b.event({"type": "install_done", "id": spec["id"], "ok": True, "error": None, "version": "2.0"})
    expect(b.resets == ["Hard"], "a restart after the install: " + repr(b.resets))
    b.options = {"firmware_boot": {"trial": trial, "rolled_back": rolled_back, "version": "2.0"},
                 "firmware_health_ms": 60000}
    b.restart()
    mark = b.mark()
    b.connect()
    b.meter(1, 1000)
    b.meter(2, 5000)
    return mark


# ---- scenarios -------------------------------------------------------------------------------------------------
def tc_044_1_download_install_reboot_installed():
    b = booted()
    mark = b.mark()
    update(b)
    b.advance(10)
    expect(fw_statuses(b, mark) == ["Downloading"], repr(fw_statuses(b, mark)))
    spec = finish_download(b)
    expect(spec["url"] == URL, repr(spec))
    expect(fw_statuses(b, mark) == ["Downloading", "Downloaded", "Installing"], repr(fw_statuses(b, mark)))
    expect(b.station.connectors[1].status == "Unavailable", "free connectors Unavailable during the install")
    boot_mark = installed_and_rebooted(b)
    after = [a for a, p in b.since(boot_mark) if a in ("BootNotification", "FirmwareStatusNotification")]
    expect(after == ["BootNotification", "FirmwareStatusNotification"], repr(after))
    expect(fw_statuses(b, boot_mark) == ["Installed"], repr(fw_statuses(b, boot_mark)))
    expect(take(b, "firmware_commit") == [("firmware_commit",)], "the trial boot is committed at Boot Accepted")
    expect((1, "Available") in b.statuses(boot_mark), "connectors Available after the reboot")
    b.advance(120000)
    expect(take(b, "firmware_rollback") == [], "no roll-back once Accepted")
    expect(trigger_fw(b) == "Idle", "Idle afterwards, when triggered")


def tc_044_2_download_failed_retries_zero():
    b = booted()
    mark = b.mark()
    update(b, retries=0, retryInterval=5)
    b.advance(10)
    finish_download(b, ok=False, error="HTTP 404 Not Found")
    b.advance(60000)
    expect(downloads(b) == [], "retries=0: one attempt only")
    expect(fw_statuses(b, mark) == ["Downloading", "DownloadFailed"], repr(fw_statuses(b, mark)))
    expect(b.station.connectors[1].status == "Available", "connectors stay Available")


def tc_044_3_installation_failed():
    b = booted()
    mark = b.mark()
    update(b)
    b.advance(10)
    finish_download(b)
    spec = take(b, "install")[-1][1]
    b.event({"type": "install_done", "id": spec["id"], "ok": False, "error": "manifest.json is not valid JSON"})
    expect(fw_statuses(b, mark)[-1] == "InstallationFailed", repr(fw_statuses(b, mark)))
    expect(b.resets == [], "no restart for a rejected image")
    expect(b.station.connectors[1].status == "Available" and b.station.connectors[2].status == "Available",
           "connectors back to Available")
    expect(trigger_fw(b) == "Idle", "nothing runs any more")


def x_fw_01_retrieve_date_and_retries():
    b = booted()
    mark = b.mark()
    update(b, retrieve_in_ms=3600000, retries=2, retryInterval=60)
    b.advance(3599000)
    expect(downloads(b) == [] and fw_statuses(b, mark) == [], "nothing before retrieveDate")
    b.advance(1000)
    finish_download(b, ok=False, error="timed out")
    b.advance(59000)
    expect(downloads(b) == [], "the retry waits retryInterval")
    b.advance(1000)
    finish_download(b, ok=False, error="timed out")
    b.advance(60000)
    finish_download(b, ok=False, error="timed out")
    b.advance(600000)
    expect(downloads(b) == [], "1 + retries attempts, no more")
    expect(fw_statuses(b, mark) == ["Downloading", "DownloadFailed"], "Downloading once: " + repr(fw_statuses(b)))


def x_fw_02_install_waits_for_the_transaction():
    b = booted()
    charging(b, 1)
    update(b)
    b.advance(10)
    finish_download(b)
    expect(take(b, "install") == [], "no install while charging")
    expect(b.station.connectors[2].status == "Unavailable", "the free connector is Unavailable meanwhile")
    expect(b.station.connectors[1].status == "Charging", "the transaction goes on")
    mark = b.mark()
    b.plug(2)
    b.tag("OTHER", 2)
    expect(not b.since(mark, "StartTransaction"), "no new transaction on a connector held for the install")
    b.unplug(2)
    b.tag("TAG1", 1)
    expect(b.since(mark, "StopTransaction"), "the transaction ended")
    b.unplug(1)
    b.advance(10)
    expect(len(take(b, "install")) == 1, "the install starts once the transaction ended")
    expect(fw_statuses(b, mark)[-1] == "Installing", repr(fw_statuses(b, mark)))
    expect(b.station.connectors[1].status == "Unavailable", "the connector that became free is Unavailable")
    expect(b.station.violations == [], repr(b.station.violations))


def x_fw_03_idle_only_when_triggered():
    b = booted()
    expect(trigger_fw(b) == "Idle", "Idle when nothing runs")
    update(b, retrieve_in_ms=60000)
    expect(trigger_fw(b) == "Idle", "Idle while waiting for retrieveDate")
    b.advance(60000)
    expect(trigger_fw(b) == "Downloading", "the download in progress")
    finish_download(b)
    expect(trigger_fw(b) == "Installing", "the install in progress")
    untriggered = [s for s in fw_statuses(b) if s == "Idle"]
    expect(len(untriggered) == 2, "Idle only in answer to the two idle triggers: " + repr(fw_statuses(b)))


def x_fw_05_health_check_rolls_back():
    b = booted()
    update(b)
    b.advance(10)
    finish_download(b)
    b.boot = [("Rejected", 30)] * 10
    installed_and_rebooted(b)
    b.advance(59000)
    expect(take(b, "firmware_rollback") == [], "the health limit is not over yet")
    b.advance(2000)
    expect(len(take(b, "firmware_rollback")) == 1, "no Boot Accepted within the limit: roll back")
    b.options = {"firmware_boot": {"trial": False, "rolled_back": True, "version": "1.0"}}
    b.boot = []
    b.restart()
    mark = b.mark()
    b.connect()
    expect(fw_statuses(b, mark) == ["InstallationFailed"], repr(fw_statuses(b, mark)))


def power_cut_during_download_resumes():
    b = booted()
    update(b, retries=1, retryInterval=30)
    b.advance(10)
    expect(len(downloads(b)) == 1, "first attempt")
    b.restart()
    b.connect()
    b.advance(29000)
    expect(downloads(b) == [], "the interrupted attempt counts as failed: the retry waits retryInterval")
    b.advance(1000)
    retry = downloads(b)
    expect(len(retry) == 1, "the retry goes out after the restart")
    b.event({"type": "transfer_done", "id": retry[0][1]["id"], "ok": True, "error": None})
    expect(len(take(b, "install")) == 1, "then the install")


def power_cut_during_install_reports_failure():
    b = booted()
    mark = b.mark()
    update(b)
    b.advance(10)
    finish_download(b)
    take(b, "install")
    b.options = {"firmware_boot": {"trial": False, "rolled_back": False, "version": "1.0"}}
    b.restart()                                       # the pointer never moved: the old firmware runs
    b.connect()
    expect(fw_statuses(b, mark)[-1] == "InstallationFailed", repr(fw_statuses(b, mark)))
    b.restart()
    b.connect()
    expect(fw_statuses(b, mark).count("InstallationFailed") == 1, "reported once")


def unsupported_protocol_fails_at_once():
    b = booted(options={"transfer_protocols": ["HTTP"]})
    mark = b.mark()
    update(b, location="ftp://127.0.0.1/fw.tar.gz")
    b.advance(10)
    expect(downloads(b) == [], "nothing to try")
    expect(fw_statuses(b, mark) == ["DownloadFailed"], repr(fw_statuses(b, mark)))
    got = b.csms_call("GetConfiguration", {"key": ["SupportedFileTransferProtocols", "SupportedFeatureProfiles"]})
    values = dict((k["key"], k["value"]) for k in got[1]["configurationKey"])
    expect(values["SupportedFileTransferProtocols"] == "HTTP", repr(values))
    expect("FirmwareManagement" in values["SupportedFeatureProfiles"].split(","), repr(values))


# ---- GetDiagnostics ---------------------------------------------------------------------------------------------
def get_diagnostics(b, **payload):
    payload.setdefault("location", "ftp://127.0.0.1/diag")
    got = b.csms_call("GetDiagnostics", payload)
    expect(got is not None and got[0] == "result", "GetDiagnostics answered: " + repr(got))
    return got[1]


def dsn_statuses(b, mark=0):
    return [p["status"] for a, p in b.since(mark, "DiagnosticsStatusNotification")]


def finish_upload(b, ok=True):
    spec = take(b, "upload")[-1][1]
    b.event({"type": "transfer_done", "id": spec["id"], "ok": ok, "error": None if ok else "refused"})
    return spec


def tc_045_1_get_diagnostics_uploaded():
    b = booted()
    mark = b.mark()
    answer = get_diagnostics(b, startTime=iso(EPOCH_2026), stopTime=iso(EPOCH_2026 + 3600000))
    expect(answer["fileName"].startswith("diagnostics-SN-1-") and answer["fileName"].endswith(".tar.gz"),
           repr(answer))
    b.advance(10)
    spec = finish_upload(b)
    expect(spec["name"] == answer["fileName"] and spec["url"] == "ftp://127.0.0.1/diag", repr(spec))
    expect(spec["bundle"] == {"start": EPOCH_2026, "stop": EPOCH_2026 + 3600000}, repr(spec["bundle"]))
    expect(dsn_statuses(b, mark) == ["Uploading", "Uploaded"], repr(dsn_statuses(b, mark)))


def tc_045_2_upload_failed_retries_zero():
    b = booted()
    mark = b.mark()
    get_diagnostics(b, location="ftp://127.0.0.1:21/files/failedLocation", retries=0)
    b.advance(10)
    finish_upload(b, ok=False)
    b.advance(600000)
    expect(take(b, "upload") == [], "retries=0: one attempt")
    expect(dsn_statuses(b, mark) == ["Uploading", "UploadFailed"], repr(dsn_statuses(b, mark)))


def diagnostics_retries_send_uploading_once():
    b = booted()
    mark = b.mark()
    get_diagnostics(b, retries=2, retryInterval=10)
    for _ in range(3):
        b.advance(10000)
        got = b.csms_call("TriggerMessage", {"requestedMessage": "DiagnosticsStatusNotification"})
        expect(got == ("result", {"status": "Accepted"}), repr(got))
        finish_upload(b, ok=False)
    b.advance(60000)
    expect(take(b, "upload") == [], "1 + retries attempts")
    expect(dsn_statuses(b, mark) == ["Uploading", "Uploading", "Uploading", "Uploading", "UploadFailed"],
           "one Uploading of its own, the others triggered: " + repr(dsn_statuses(b, mark)))
    got = b.csms_call("TriggerMessage", {"requestedMessage": "DiagnosticsStatusNotification"})
    expect(dsn_statuses(b)[-1] == "Idle", "Idle once nothing runs")


def x_fw_04_no_diagnostics_available():
    b = booted(options={"diagnostics_available": False})
    mark = b.mark()
    expect(get_diagnostics(b) == {}, "no fileName")
    b.advance(60000)
    expect(take(b, "upload") == [] and dsn_statuses(b, mark) == [], "no upload, no notification")


SCENARIOS = (tc_044_1_download_install_reboot_installed, tc_044_2_download_failed_retries_zero,
             tc_044_3_installation_failed, x_fw_01_retrieve_date_and_retries, x_fw_02_install_waits_for_the_transaction,
             x_fw_03_idle_only_when_triggered, x_fw_05_health_check_rolls_back, power_cut_during_download_resumes,
             power_cut_during_install_reports_failure, unsupported_protocol_fails_at_once,
             tc_045_1_get_diagnostics_uploaded, tc_045_2_upload_failed_retries_zero,
             diagnostics_retries_send_uploading_once, x_fw_04_no_diagnostics_available)
