"""GetDiagnostics and DiagnosticsStatusNotification (OCPP 1.6 §5.9, §4.4; TC_045_1/2, X-FW-03/04).

The answer names the file at once; the upload follows with retries retryInterval apart (upload_run.py, which
GetLog shares; `retries=0` is still one attempt). DiagnosticsStatusNotification goes out Uploading once, at the
first attempt, then Uploaded or UploadFailed: never a flood of Uploading. The effect is

    ("upload", {"id", "url", "file", "name", "bundle": {"start", "stop"}})

with the window as epoch ms (None when open-ended): the runtime builds the bundle (diag_bundle_cpython) into
`file`, uploads it as `name` and answers {"type": "transfer_done", "id", "ok", "error"}. A station without
diagnostics (option "diagnostics_available" False) answers without fileName and uploads nothing (X-FW-04). Idle
is only sent in answer to TriggerMessage. An upload in progress is not kept across a restart.
"""

from controller import clock as clockmod
from controller.feature import Feature
from controller.features.firmware import scheme_of

BUNDLE_FILE = "diagnostics-upload.tar.gz"


def _compact(iso):
    """2026-12-07T16:55:01.123Z -> 20261207T165501Z (for file names)."""
    return iso[0:4] + iso[5:7] + iso[8:10] + "T" + iso[11:13] + iso[14:16] + iso[17:19] + "Z"


def upload_name(st, kind, suffix, now):
    """The name an uploaded file gets: KIND-SERIAL-20261207T165501Z.SUFFIX."""
    return kind + "-" + (st.identity.get("serial") or "station") + "-" + _compact(st.clock.iso(now)) + suffix


def supported(st, location):
    """Whether `location` uses one of SupportedFileTransferProtocols (logs a warning when not)."""
    firmware = st.feature.get("firmware")
    protocols = firmware.protocols() if firmware is not None else ()
    if scheme_of(location) in protocols:
        return True
    st.log.warning("upload to " + location + " uses no protocol of " + ",".join(protocols))
    return False


class UploadingFeature(Feature):
    """A feature that drives at most one upload (controller/upload_run.UploadRun) at a time, in `self.run`."""

    def __init__(self, station):
        Feature.__init__(self, station)
        self.run = None
        self.n = 0

    def tick(self, now):
        if self.run is not None:
            self.run.tick(now)

    def deadline(self):
        return self.run.deadline() if self.run is not None else None

    def on_event(self, event, now):
        if self.run is not None and self.run.on_event(event, now):
            self.run = None


class Diagnostics(UploadingFeature):
    NAME = "diagnostics"

    def actions(self):
        return {"GetDiagnostics": self.get_diagnostics}

    def get_diagnostics(self, payload, now):
        if self.st.options.get("diagnostics_available") is False:
            return {}
        self.n += 1
        name = upload_name(self.st, "diagnostics", ".tar.gz", now)
        window = {"start": clockmod.parse_iso(payload.get("startTime")),
                  "stop": clockmod.parse_iso(payload.get("stopTime"))}
        location = payload["location"]
        self.run = None
        if supported(self.st, location):
            from controller.upload_run import UploadRun   # loaded when a transfer is asked for (heap)
            self.run = UploadRun(self.st, "diag-" + str(self.n), location, payload.get("retries"),
                                 payload.get("retryInterval"), {"file": BUNDLE_FILE, "name": name, "bundle": window},
                                 self._outcome, "diagnostics", now)
        else:
            self.st.after_reply(lambda when: self._notify("UploadFailed"))
        return {"fileName": name}

    def trigger_status(self):
        return "Uploading" if self.run is not None and self.run.started() else "Idle"

    def _outcome(self, status, error_kind):
        self._notify("UploadFailed" if status == "Failed" else status)

    def _notify(self, status):
        self.st.call("DiagnosticsStatusNotification", {"status": status})
