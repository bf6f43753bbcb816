"""Firmware Management: UpdateFirmware and FirmwareStatusNotification (OCPP 1.6 §5.19, §4.5; TC_044, X-FW-01..05).

The flow, persisted in `firmware.json` at every step so a power cut resumes it:

    download    wait for retrieveDate, then ("download", {"id", "url", "file"}) with retries retryInterval apart
                (transfer_job.py); FSN Downloading once, then Downloaded or DownloadFailed
    downloaded  the install waits for every transaction to end; meanwhile the free connectors are Unavailable
                (Connector.maintenance), and one that becomes free joins them (X-FW-02)
    installing  FSN Installing; ("install", {"id", "file", "context"}): the runtime verifies the image
                (controller/firmware_image.py, its VERIFIERS), puts it in the spare slot and answers with the event
                {"type": "install_done", "id", "ok", "error", "version"}; on success the core asks for a restart
    rebooting   after the restart the runtime tells how the station booted (option "firmware_boot": {"trial":
                bool, "rolled_back": bool, "version"}); at Boot Accepted a trial boot is committed
                (("firmware_commit",)) and Installed sent, anything else is InstallationFailed. A trial boot not
                Accepted within the health limit asks for ("firmware_rollback", reason).

The runtime answers ("download", ...) with {"type": "transfer_done", "id", "ok", "error"}. Idle is only ever sent
in answer to TriggerMessage (`trigger_status`). SignedUpdateFirmware (security) can reuse `schedule(...)` with its
own `report` function and a `context` for its verifier.
"""

from controller import clock as clockmod
from controller import config
from controller import storage
from controller.feature import Feature

DOC = "firmware.json"
IMAGE_FILE = "firmware-download.tar.gz"
PROTOCOLS = ("FTP", "FTPS", "HTTP", "HTTPS")
HEALTH_LIMIT_MS = 300000


def scheme_of(location):
    cut = location.find("://")
    return location[:cut].upper() if cut > 0 else ""


class Firmware(Feature):
    NAME = "firmware"
    PROFILE = "FirmwareManagement"
    KEYS = (config.Key("SupportedFileTransferProtocols", config.CSL, list(PROTOCOLS), access="R", persist=False),)

    def __init__(self, station):
        Feature.__init__(self, station)
        self.phase = None
        self.job = None
        self.n = 0
        self.context = {}
        self.result = None          # the status to report after the restart (phase "report")
        self.health_at = None
        self.report = self._notify

    def actions(self):
        return {"UpdateFirmware": self.update_firmware}

    # ---- the protocols the runtime can use ---------------------------------------------------------------------
    def protocols(self):
        return self.st.config.get("SupportedFileTransferProtocols")

    def start(self, now):
        given = self.st.options.get("transfer_protocols")
        if given is not None:
            self.st.config.set_internal("SupportedFileTransferProtocols", list(given))
        doc = storage.load_doc(self.st.store, DOC, {})
        if not isinstance(doc, dict):
            doc = {}
        self.phase = doc.get("phase")
        self.n = doc.get("n", 0) if isinstance(doc.get("n"), int) else 0
        self.context = doc.get("context") if isinstance(doc.get("context"), dict) else {}
        self.result = doc.get("result")
        if self.phase == "download":
            from controller.transfer_job import TransferJob   # only with a job under way (heap)
            self.job = TransferJob.from_doc(doc.get("job"), self.st.clock, now)
            if self.job is None:
                self.phase = None
        elif self.phase == "downloaded":
            self._maintenance(True)
        elif self.phase in ("installing", "rebooting"):
            boot = self.st.options.get("firmware_boot") or {}
            if boot.get("trial") is True:
                self.health_at = now + int(self.st.options.get("firmware_health_ms", HEALTH_LIMIT_MS))
        elif self.phase != "report":
            self.phase = None

    # ---- UpdateFirmware ----------------------------------------------------------------------------------------
    def update_firmware(self, payload, now):
        if self.phase in ("installing", "rebooting"):
            self.st.log.warning("UpdateFirmware ignored: an install is under way")
            return {}
        epoch = clockmod.parse_iso(payload["retrieveDate"])
        self.schedule(payload["location"], epoch, payload.get("retries"), payload.get("retryInterval"), {}, now)
        return {}

    def schedule(self, location, retrieve_epoch, retries, interval_s, context, now, report=None):
        """Start a firmware update: download from `location` not before `retrieve_epoch` (wall ms, or None for
        now). `report(status, now)` sends the status notifications (FirmwareStatusNotification by default)."""
        self.report = report or self._notify
        if self.phase == "downloaded":
            self._maintenance(False)
        start_at = now
        if retrieve_epoch is not None:
            start_at = now + max(0, retrieve_epoch - self.st.clock.epoch_ms(now))
        self.n += 1
        self.context = context or {}
        from controller.transfer_job import TransferJob
        self.job = TransferJob(location, retries, interval_s, start_at)
        if scheme_of(location) not in self.protocols():
            self.st.log.warning("UpdateFirmware: " + location + " uses no protocol of " + ",".join(self.protocols()))
            self.job = None
            self.phase = None
            self._save(now)
            self.st.after_reply(lambda when: self.report("DownloadFailed", when))
            return
        self.phase = "download"
        self._save(now)

    # ---- hooks -------------------------------------------------------------------------------------------------
    def tick(self, now):
        if self.phase == "download" and self.job.due(now):
            if self.job.begin(now) == 1:
                self.report("Downloading", now)
            self._save(now)
            self.st.emit(("download", {"id": self._id(), "url": self.job.location, "file": IMAGE_FILE}))
        elif self.phase == "downloaded":
            self._try_install(now)
        if self.health_at is not None and now >= self.health_at:
            self.health_at = None
            self.st.log.error("the new firmware was not Accepted by the central system in time: rolling back")
            self.st.emit(("firmware_rollback", "no Boot Accepted within the health limit"))

    def deadline(self):
        best = self.health_at
        if self.phase == "download":
            due = self.job.deadline()
            if due is not None and (best is None or due < best):
                best = due
        return best

    def on_event(self, event, now):
        kind = event.get("type")
        if kind == "transfer_done" and event.get("id") == self._id() and self.phase == "download":
            state = self.job.finished(event.get("ok") is True, now, event.get("error"))
            if event.get("ok") is not True:
                self.st.log.warning("firmware download attempt " + str(self.job.attempts) + " failed: " +
                                    str(event.get("error")))
            if state == "done":
                self.phase = "downloaded"
                self._save(now)
                self.report("Downloaded", now)
                self._maintenance(True)
                self._try_install(now)
            elif state == "failed":
                self._finish(now)
                self.report("DownloadFailed", now)
            else:
                self._save(now)
        elif kind == "install_done" and event.get("id") == self._id() and self.phase == "installing":
            if event.get("ok") is True:
                self.phase = "rebooting"
                self._save(now)
                self.st.log.warning("firmware " + str(event.get("version")) + " installed: restarting")
                self.st.restart("Hard", now)     # ends, drains and flushes first (issue 15)
            else:
                self.st.log.error("firmware install failed: " + str(event.get("error")))
                self._finish(now)
                self.report("InstallationFailed", now)
        elif self.phase == "downloaded" and kind is not None:
            self._try_install(now)

    def on_accepted(self, now):
        if self.phase in ("installing", "rebooting"):
            self.health_at = None
            boot = self.st.options.get("firmware_boot") or {}
            if boot.get("trial") is True:
                self.st.emit(("firmware_commit",))
                self.result = "Installed"
            else:
                self.result = "InstallationFailed"
                self.st.log.error("the new firmware did not take over" +
                                  (" (rolled back)" if boot.get("rolled_back") is True else ""))
            self.phase = "report"
            self._save(now)
        if self.phase == "report":
            self._send_result(now)

    def trigger_status(self):
        if self.phase == "download":
            return "Downloading" if self.job.attempts > 0 else "Idle"
        if self.phase == "downloaded":
            return "Downloaded"
        if self.phase in ("installing", "rebooting"):
            return "Installing"
        return "Idle"

    # ---- steps -------------------------------------------------------------------------------------------------
    def _try_install(self, now):
        for c in self.st.connectors[1:]:
            if c.transaction is not None:
                return
        self.phase = "installing"
        self._save(now)
        self.report("Installing", now)
        self.st.emit(("install", {"id": self._id(), "file": IMAGE_FILE, "context": self.context}))

    def _send_result(self, now):
        result = self.result

        def done(payload, when):
            if self.phase == "report":
                self._finish(when)

        self.st.call("FirmwareStatusNotification", {"status": result}, done)

    def _finish(self, now):
        self._maintenance(False)
        self.phase = None
        self.job = None
        self.result = None
        self.report = self._notify
        self._save(now)

    def _notify(self, status, now):
        self.st.call("FirmwareStatusNotification", {"status": status})

    def _maintenance(self, on):
        for c in self.st.connectors[1:]:
            c.maintenance = on

    def _id(self):
        return "fw-" + str(self.n)

    def _save(self, now):
        doc = {"phase": self.phase, "n": self.n, "context": self.context, "result": self.result}
        if self.job is not None:
            doc["job"] = self.job.to_doc(self.st.clock, now)
        storage.try_save_doc(self.st.store, DOC, doc)
