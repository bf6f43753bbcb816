"""GetDiagnostics and DiagnosticsStatusNotification (OCPP 1.6 §5.9, §4.4; TC_045_1/2, X-FW-03/04).

The answer names the file at once; the upload follows with retries retryInterval apart (transfer_job.py;
`retries=0` is still one attempt). DiagnosticsStatusNotification goes out Uploading once, at the first attempt,
then Uploaded or UploadFailed: never a flood of Uploading. The effect is

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


class Diagnostics(Feature):
    NAME = "diagnostics"

    def __init__(self, station):
        Feature.__init__(self, station)
        self.job = None
        self.n = 0
        self.name = None
        self.window = None

    def actions(self):
        return {"GetDiagnostics": self.get_diagnostics}

    def get_diagnostics(self, payload, now):
        if self.st.options.get("diagnostics_available") is False:
            return {}
        self.n += 1
        serial = self.st.identity.get("serial") or "station"
        self.name = "diagnostics-" + serial + "-" + _compact(self.st.clock.iso(now)) + ".tar.gz"
        self.window = {"start": clockmod.parse_iso(payload.get("startTime")),
                       "stop": clockmod.parse_iso(payload.get("stopTime"))}
        location = payload["location"]
        from controller.transfer_job import TransferJob   # loaded when a transfer is asked for (heap)
        self.job = TransferJob(location, payload.get("retries"), payload.get("retryInterval"), now)
        firmware = self.st.feature.get("firmware")
        protocols = firmware.protocols() if firmware is not None else ()
        if scheme_of(location) not in protocols:
            self.st.log.warning("GetDiagnostics: " + location + " uses no protocol of " + ",".join(protocols))
            self.job = None
            self.st.after_reply(lambda when: self._notify("UploadFailed"))
        return {"fileName": self.name}

    def tick(self, now):
        if self.job is not None and self.job.due(now):
            if self.job.begin(now) == 1:
                self._notify("Uploading")
            self.st.emit(("upload", {"id": self._id(), "url": self.job.location, "file": BUNDLE_FILE,
                                     "name": self.name, "bundle": self.window}))

    def deadline(self):
        return self.job.deadline() if self.job is not None else None

    def on_event(self, event, now):
        if event.get("type") != "transfer_done" or event.get("id") != self._id() or self.job is None:
            return
        ok = event.get("ok") is True
        if not ok:
            self.st.log.warning("diagnostics upload attempt " + str(self.job.attempts) + " failed: " +
                                str(event.get("error")))
        state = self.job.finished(ok, now, event.get("error"))
        if state == "done":
            self.job = None
            self._notify("Uploaded")
        elif state == "failed":
            self.job = None
            self._notify("UploadFailed")

    def trigger_status(self):
        return "Uploading" if self.job is not None and self.job.attempts > 0 else "Idle"

    def _notify(self, status):
        self.st.call("DiagnosticsStatusNotification", {"status": status})

    def _id(self):
        return "diag-" + str(self.n)
