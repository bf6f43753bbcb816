"""SignedUpdateFirmware scenarios for the sans-I/O core (pytest on CPython, tx_suite.py on MicroPython), after TC_080,
TC_081 and X-SEC-17: every SignedFirmwareStatusNotification status with its requestId, the certificate check before
the answer, the signature step, AcceptedCanceled, the switch that turns plain UpdateFirmware off. The crypto is the
runtime's: here a stand-in crypto port ("GOOD" chains to "ROOT") and the scenario answers the verify effect.
"""

from tests.micropython.core_harness import EPOCH_2026, expect, iso
from tests.micropython.firmware_scenarios import installed_and_rebooted, take
from tests.micropython.tx_scenarios import booted, charging

URL = "https://127.0.0.1:8443/fw.tar.gz"


class StandInCrypto:
    """The one crypto port method signed firmware uses (crypto_cpython.CryptoPort.check_chain)."""

    def check_chain(self, pem, roots, wall_ms, anchor_name):
        return None if pem == "GOOD" and "ROOT" in roots else "it does not chain to an installed " + anchor_name


def signed_bench(options=None):
    """A booted station whose signed-firmware feature uses the stand-in port and one installed root."""
    b = booted(options=options)
    armed(b)
    return b


def armed(b):
    feature = b.station.feature["signed_firmware"]
    feature.roots = lambda: ["ROOT"]
    feature.crypto = StandInCrypto()


def signed_update(b, cert="GOOD", request_id=80, retrieve_in_ms=0, install_in_ms=None, **extra):
    fw = {"location": URL, "retrieveDateTime": iso(EPOCH_2026 + b.now + retrieve_in_ms), "signingCertificate": cert,
          "signature": "c2lnbmF0dXJl"}
    if install_in_ms is not None:
        fw["installDateTime"] = iso(EPOCH_2026 + b.now + install_in_ms)
    payload = {"requestId": request_id, "firmware": fw}
    payload.update(extra)
    got = b.csms_call("SignedUpdateFirmware", payload)
    expect(got is not None and got[0] == "result", "answered: " + repr(got))
    return got[1]["status"]


def sfsn(b, mark=0):
    return [p["status"] for a, p in b.since(mark, "SignedFirmwareStatusNotification")]


def request_ids(b, mark=0):
    return [p.get("requestId") for a, p in b.since(mark, "SignedFirmwareStatusNotification")]


def events(b, kind, mark=0):
    return [p for a, p in b.since(mark, "SecurityEventNotification") if p["type"] == kind]


def triggered_status(b):
    """ExtendedTriggerMessage(FirmwareStatusNotification): the SignedFirmwareStatusNotification it sends."""
    got = b.csms_call("ExtendedTriggerMessage", {"requestedMessage": "FirmwareStatusNotification"})
    expect(got == ("result", {"status": "Accepted"}), repr(got))
    return b.sent("SignedFirmwareStatusNotification")[-1]["status"]


def download_ok(b, ok=True):
    spec = take(b, "download")[-1][1]
    b.event({"type": "transfer_done", "id": spec["id"], "ok": ok, "error": None if ok else "HTTP 404 Not Found"})


def verify(b, ok=True):
    spec = take(b, "verify")[-1][1]
    expect(spec["context"]["signature"] == "c2lnbmF0dXJl" and spec["context"]["signingCertificate"] == "GOOD",
           "the runtime gets the signature and the certificate: " + repr(spec))
    b.event({"type": "verify_done", "id": spec["id"], "ok": ok, "error": None if ok else "signature mismatch"})


def tc_080_signed_update_verified_installed():
    b = signed_bench()
    mark = b.mark()
    expect(signed_update(b) == "Accepted", "Accepted")
    b.advance(10)
    download_ok(b)
    expect(take(b, "install") == [], "no install before the signature is verified")
    verify(b)
    expect(sfsn(b, mark) == ["Downloading", "Downloaded", "SignatureVerified", "Installing"], repr(sfsn(b, mark)))
    expect(b.station.feature["firmware"].status_name() == "Installing", "the last status, for ExtendedTrigger")
    boot_mark = installed_and_rebooted(b)
    expect(sfsn(b, mark)[4] == "InstallRebooting", "InstallRebooting before the restart: " + repr(sfsn(b, mark)))
    expect(sfsn(b, boot_mark) == ["Installed"], "after the reboot, still signed: " + repr(sfsn(b, boot_mark)))
    expect(set(request_ids(b, mark)) == {80}, "every status carries the requestId")
    expect(b.sent("FirmwareStatusNotification") == [], "no plain FirmwareStatusNotification")
    expect(events(b, "FirmwareUpdated", boot_mark) != [], "FirmwareUpdated")
    expect(b.station.feature["firmware"].status_name() == "Idle", "Idle after Installed")
    expect(triggered_status(b) == "Idle", "ExtendedTriggerMessage: Idle after Installed (L01.FR.29)")


def tc_081_invalid_signature_not_installed():
    b = signed_bench()
    mark = b.mark()
    signed_update(b, request_id=81)
    b.advance(10)
    download_ok(b)
    verify(b, ok=False)
    b.advance(60000)
    expect(sfsn(b, mark) == ["Downloading", "Downloaded", "InvalidSignature"], repr(sfsn(b, mark)))
    expect(take(b, "install") == [] and b.resets == [], "not installed")
    expect(events(b, "InvalidFirmwareSignature", mark) != [], "InvalidFirmwareSignature")
    expect(b.station.connectors[1].status == "Available", "connectors in service")
    expect(triggered_status(b) == "InvalidSignature", "ExtendedTriggerMessage: the last status (L01.FR.28)")


def x_sec_17_invalid_signing_certificate_no_download():
    b = signed_bench()
    mark = b.mark()
    expect(signed_update(b, cert="SELF-SIGNED") == "InvalidCertificate", "InvalidCertificate")
    b.advance(60000)
    expect(take(b, "download") == [] and sfsn(b, mark) == [], "nothing downloaded, nothing notified")
    got = events(b, "InvalidFirmwareSigningCertificate", mark)
    expect(got != [] and "ManufacturerRootCertificate" in got[0]["techInfo"], repr(got))
    b.station.feature["signed_firmware"].roots = lambda: []
    expect(signed_update(b) == "InvalidCertificate", "no root installed: InvalidCertificate")


def x_sec_17_scheduled_paused_failed():
    b = signed_bench()
    mark = b.mark()
    signed_update(b, retrieve_in_ms=3600000, retries=1, retryInterval=60)
    expect(sfsn(b, mark) == ["DownloadScheduled"], repr(sfsn(b, mark)))
    b.advance(3600000)
    download_ok(b, ok=False)
    expect(sfsn(b, mark)[-1] == "DownloadPaused", "paused until the retry: " + repr(sfsn(b, mark)))
    b.advance(60000)
    download_ok(b, ok=False)
    expect(sfsn(b, mark) == ["DownloadScheduled", "Downloading", "DownloadPaused", "Downloading", "DownloadFailed"],
           repr(sfsn(b, mark)))


def x_sec_17_install_scheduled_keeps_connectors_in_service():
    b = signed_bench()
    mark = b.mark()
    signed_update(b, install_in_ms=7200000)
    b.advance(10)
    download_ok(b)
    verify(b)
    expect(sfsn(b, mark)[-1] == "InstallScheduled", repr(sfsn(b, mark)))
    b.advance(3600000)
    expect(take(b, "install") == [] and b.station.connectors[1].status == "Available", "waits, in service")
    b.restart()                                   # the schedule survives a power cut
    armed(b)
    b.connect()
    b.advance(3600000)
    expect(len(take(b, "install")) == 1, "installs at installDateTime")
    expect(sfsn(b, mark)[-1] == "Installing", repr(sfsn(b, mark)))


def x_sec_17_install_waits_for_the_transaction():
    b = signed_bench()
    charging(b, 1)
    signed_update(b)
    b.advance(10)
    download_ok(b)
    verify(b)
    expect(take(b, "install") == [], "no install while charging")
    expect(b.station.connectors[2].status == "Unavailable", "the free connector is Unavailable meanwhile")


def x_sec_17_new_request_cancels_or_is_rejected():
    b = signed_bench()
    mark = b.mark()
    signed_update(b, request_id=1, retrieve_in_ms=60000)
    expect(signed_update(b, request_id=2) == "AcceptedCanceled", "replaces one not yet installing")
    b.advance(60000)
    download_ok(b)
    verify(b)
    expect(request_ids(b, mark)[-1] == 2, "the new request's id")
    expect(signed_update(b, request_id=3) == "Rejected", "an install under way cannot be cancelled")
    spec = take(b, "install")[-1][1]
    b.event({"type": "install_done", "id": spec["id"], "ok": False, "error": "bad manifest",
             "error_kind": "verification"})
    expect(sfsn(b, mark)[-1] == "InstallVerificationFailed", repr(sfsn(b, mark)))
    expect(signed_update(b, request_id=4) == "Accepted", "nothing runs: Accepted")


def x_sec_17_without_crypto_rejected():
    b = booted()                                  # no crypto port, as on MicroPython
    b.station.feature["signed_firmware"].roots = lambda: ["ROOT"]
    expect(signed_update(b) == "Rejected", "a build that cannot check certificates (MicroPython) refuses")
    b.advance(60000)
    expect(take(b, "download") == [], "nothing downloaded")


def plain_update_firmware_switch():
    b = booted(options={"firmware_unsigned": False})
    got = b.csms_call("UpdateFirmware", {"location": URL, "retrieveDate": iso(EPOCH_2026 + b.now)})
    expect(got == ("error", "NotSupported"), "signed only: CALLERROR NotSupported: " + repr(got))
    b = booted()
    got = b.csms_call("UpdateFirmware", {"location": URL, "retrieveDate": iso(EPOCH_2026 + b.now)})
    expect(got == ("result", {}), "by default plain UpdateFirmware stays (TC_044)")


def plain_update_reports_firmware_updated_and_the_subset():
    b = booted()
    mark = b.mark()
    b.csms_call("UpdateFirmware", {"location": URL, "retrieveDate": iso(EPOCH_2026 + b.now + 60000),
                                   "retries": 1, "retryInterval": 30})
    b.advance(60000)
    download_ok(b, ok=False)
    b.advance(30000)
    download_ok(b)
    boot_mark = installed_and_rebooted(b)
    statuses = [p["status"] for a, p in b.since(mark, "FirmwareStatusNotification")]
    expect(statuses == ["Downloading", "Downloaded", "Installing", "Installed"], repr(statuses))
    expect(events(b, "FirmwareUpdated", boot_mark) != [], "FirmwareUpdated after a plain update too")
    expect("FirmwareUpdated" in b.store.read("security.log").decode(), "in the security log")


SCENARIOS = (tc_080_signed_update_verified_installed, tc_081_invalid_signature_not_installed,
             x_sec_17_invalid_signing_certificate_no_download, x_sec_17_scheduled_paused_failed,
             x_sec_17_install_scheduled_keeps_connectors_in_service, x_sec_17_install_waits_for_the_transaction,
             x_sec_17_new_request_cancels_or_is_rejected, x_sec_17_without_crypto_rejected,
             plain_update_firmware_switch, plain_update_reports_firmware_updated_and_the_subset)
