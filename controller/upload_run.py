"""One upload with its retries and its three outcomes, shared by GetDiagnostics and GetLog (sans-I/O, both targets).

    run = UploadRun(station, "diag-3", location, retries, interval_s, {"file", "name", ...}, notify, "diagnostics")

`tick(now)` emits ("upload", {"id", "url", **spec}) when an attempt is due (transfer_job.py decides when);
`on_event(event, now)` takes the runtime's {"type": "transfer_done", "id", "ok", "error", "error_kind"} and
returns True once the run is over. `notify(status, error_kind)` is called with "Uploading" at the first attempt
only (never a flood of Uploading), then "Uploaded" or "Failed" (with the last attempt's error_kind: "permission",
"unsupported", "protocol" or None); each feature turns these into its own notification.
"""

from controller.transfer_job import TransferJob


class UploadRun:
    def __init__(self, station, ident, location, retries, interval_s, spec, notify, what, now):
        self.st = station
        self.ident = ident
        self.job = TransferJob(location, retries, interval_s, now)
        self.spec = spec
        self.notify = notify
        self.what = what

    def started(self):
        return self.job.attempts > 0

    def tick(self, now):
        if not self.job.due(now):
            return
        if self.job.begin(now) == 1:
            self.notify("Uploading", None)
        effect = {"id": self.ident, "url": self.job.location}
        for field in self.spec:
            effect[field] = self.spec[field]
        self.st.emit(("upload", effect))

    def deadline(self):
        return self.job.deadline()

    def on_event(self, event, now):
        if event.get("type") != "transfer_done" or event.get("id") != self.ident:
            return False
        ok = event.get("ok") is True
        if not ok:
            self.st.log.warning(self.what + " upload attempt " + str(self.job.attempts) + " failed: " +
                                str(event.get("error")))
        state = self.job.finished(ok, now, event.get("error"))
        if state == "done":
            self.notify("Uploaded", None)
            return True
        if state == "failed":
            self.notify("Failed", event.get("error_kind"))
            return True
        return False
