"""GetLog and LogStatusNotification (Security Whitepaper ed. 3, N01; TC_079, X-SEC-15).

    SecurityLog     security.log.1 + security.log (features/security_events.py), the lines within
                    [oldestTimestamp, latestTimestamp], uploaded as securitylog-SERIAL-TIME.log
    DiagnosticsLog  the diagnostics bundle of GetDiagnostics (logs in that window, configuration without secrets,
                    journal state...), uploaded as diagnostics-SERIAL-TIME.tar.gz

The answer names the file; the upload follows with retries retryInterval apart (upload_run.py, the path
GetDiagnostics uses). Every LogStatusNotification carries the requestId: Uploading once at the first attempt,
then Uploaded, or the failure of the last attempt as the runtime classified it (error_kind):

    "permission"   (401/403, FTP 530, no write permission)   PermissionDenied
    "unsupported"  (405/501, FTP 502/504)                    NotSupportedOperation
    "protocol"     (a reply that is not HTTP / FTP)          BadMessage
    anything else  (refused, timed out, 404...)              UploadFailure (the schema's spelling)

A remoteLocation with a protocol the station has not got (SupportedFileTransferProtocols) is Accepted and answered
NotSupportedOperation at once. A remoteLocation that is not a URL, or a window whose oldest time is after its
latest, is Rejected. A GetLog while an upload runs replaces it: AcceptedCanceled, the old one is dropped (its
result is ignored). Nothing to upload (no security log yet; a station without diagnostics) is Accepted without a
filename and uploads nothing. `last_status()` is the LogStatusNotification payload ExtendedTriggerMessage sends:
Uploading with the requestId while an upload runs, else Idle without one. An upload is not kept across a restart.

The effect is ("upload", {"id", "url", "file", "name", "bundle": {"start", "stop"}}) for DiagnosticsLog and
("upload", {"id", "url", "file", "name", "security_log": {"files", "start", "stop"}}) for SecurityLog (times as
epoch ms or None); the runtime builds `file`, uploads it as `name` and answers transfer_done.
"""

from controller import clock as clockmod
from controller.features.diagnostics import UploadingFeature, supported, upload_name

FAILURES = {"permission": "PermissionDenied", "unsupported": "NotSupportedOperation", "protocol": "BadMessage"}


def _is_url(location):
    cut = location.find("://")
    return cut > 0 and len(location) > cut + 3 and location[cut + 3] not in "/:"


class Logs(UploadingFeature):
    NAME = "logs"

    def __init__(self, station):
        UploadingFeature.__init__(self, station)
        self.request_id = None

    def actions(self):
        return {"GetLog": self.get_log}

    def get_log(self, payload, now):
        where = payload["log"]
        location = where["remoteLocation"]
        start = clockmod.parse_iso(where.get("oldestTimestamp"))
        stop = clockmod.parse_iso(where.get("latestTimestamp"))
        if not _is_url(location) or (start is not None and stop is not None and start > stop):
            self.st.log.warning("GetLog rejected: " + ("remoteLocation is not a URL" if not _is_url(location) else
                                                       "oldestTimestamp is after latestTimestamp"))
            return {"status": "Rejected"}
        status = "Accepted"
        if self.run is not None:
            self.st.log.warning("GetLog " + str(payload["requestId"]) + " replaces the upload of request " +
                                str(self.request_id))
            self.run = None
            status = "AcceptedCanceled"
        self.n += 1
        self.request_id = payload["requestId"]
        spec = self._what(payload["logType"], start, stop, now)
        if spec is None:
            return {"status": status}
        if supported(self.st, location):
            from controller.upload_run import UploadRun   # loaded when a transfer is asked for (heap)
            self.run = UploadRun(self.st, "log-" + str(self.n), location, payload.get("retries"),
                                 payload.get("retryInterval"), spec, self._outcome, "log", now)
        else:
            request_id = self.request_id
            self.st.after_reply(lambda when: self._notify("NotSupportedOperation", request_id))
        return {"status": status, "filename": spec["name"]}

    def _what(self, kind, start, stop, now):
        """The upload's spec, or None when there is nothing to upload."""
        temp = "log-upload-" + str(self.n) + ".tmp"
        if kind == "SecurityLog":
            events = self.st.feature.get("security_events")
            files = events.log_names() if events is not None else []
            if not files:
                return None
            return {"file": temp, "name": upload_name(self.st, "securitylog", ".log", now),
                    "security_log": {"files": files, "start": start, "stop": stop}}
        if self.st.options.get("diagnostics_available") is False:
            return None
        return {"file": temp, "name": upload_name(self.st, "diagnostics", ".tar.gz", now),
                "bundle": {"start": start, "stop": stop}}

    def last_status(self):
        """The LogStatusNotification payload for ExtendedTriggerMessage (X-SEC-16)."""
        if self.run is not None and self.run.started():
            return {"status": "Uploading", "requestId": self.request_id}
        return {"status": "Idle"}

    def _outcome(self, status, error_kind):
        if status == "Failed":
            status = FAILURES.get(error_kind, "UploadFailure")
        self._notify(status, self.request_id)

    def _notify(self, status, request_id):
        self.st.call("LogStatusNotification", {"status": status, "requestId": request_id})
