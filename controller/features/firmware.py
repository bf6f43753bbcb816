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
in answer to TriggerMessage (`trigger_status`).

Signed updates (features/signed_firmware.py) use the same flow through `schedule(...)` with a context that has
"signed": True, its requestId, signature and signing certificate, and get the richer statuses as
SignedFirmwareStatusNotification (with the requestId), also after the restart:
    DownloadScheduled   retrieveDateTime is in the future          DownloadPaused  a failed attempt waits for its retry
    SignatureVerified / InvalidSignature   the step between download and install: ("verify", {"id", "file",
                        "context"}) answered by {"type": "verify_done", "id", "ok", "error"} (the runtime runs
                        firmware_image.VERIFIERS); a bad signature raises InvalidFirmwareSignature and stops there
    InstallScheduled    installDateTime is in the future (connectors stay in service until then)
    InstallRebooting    just before the restart                    InstallVerificationFailed  the image was refused
A plain update reports the FirmwareStatusNotification subset (InstallVerificationFailed as InstallationFailed).
Installed raises the FirmwareUpdated security event. Option "firmware_unsigned" False turns plain UpdateFirmware
off (CALLERROR NotSupported, Security Whitepaper L01.FR.20); by default it stays on (docs/ocpp.md, reference §5).
"""

from controller import clock as clockmod
from controller import config
from controller import storage
from controller.feature import Feature
from controller.rpc import CallError

DOC = "firmware.json"
IMAGE_FILE = "firmware-download.tar.gz"
PROTOCOLS = ("FTP", "FTPS", "HTTP", "HTTPS")
HEALTH_LIMIT_MS = 300000
SCHEDULED_MS = 1000
PLAIN = ("Downloaded", "DownloadFailed", "Downloading", "Idle", "InstallationFailed", "Installing", "Installed")
PLAIN_AS = {"InstallVerificationFailed": "InstallationFailed"}


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
        self.install_at = None      # monotonic ms of installDateTime (signed updates), None for at once
        self.paused = False         # a failed attempt waits for its retry (DownloadPaused was reported)
        self.verifying = False      # the verify effect is out
        self.last = None            # the last status reported (status_name)

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
        self.last = doc.get("last")
        install_epoch = doc.get("install_epoch")
        if isinstance(install_epoch, int) and not isinstance(install_epoch, bool):
            self.install_at = now + max(0, install_epoch - self.st.clock.epoch_ms(now))
        if self.phase == "download":
            from controller.transfer_job import TransferJob   # only with a job under way (heap)
            self.job = TransferJob.from_doc(doc.get("job"), self.st.clock, now)
            if self.job is None:
                self.phase = None
        elif self.phase == "downloaded":
            self._maintenance(self._install_due(now))
        elif self.phase == "verifying":
            pass                    # tick sends the verify effect again
        elif self.phase in ("installing", "rebooting"):
            boot = self.st.options.get("firmware_boot") or {}
            if boot.get("trial") is True:
                self.health_at = now + int(self.st.options.get("firmware_health_ms", HEALTH_LIMIT_MS))
        elif self.phase != "report":
            self.phase = None

    # ---- UpdateFirmware ----------------------------------------------------------------------------------------
    def update_firmware(self, payload, now):
        if self.st.options.get("firmware_unsigned") is False:
            raise CallError("NotSupported", "this station takes signed firmware only (SignedUpdateFirmware)")
        if self.phase in ("installing", "rebooting"):
            self.st.log.warning("UpdateFirmware ignored: an install is under way")
            return {}
        epoch = clockmod.parse_iso(payload["retrieveDate"])
        self.schedule(payload["location"], epoch, payload.get("retries"), payload.get("retryInterval"), {}, now)
        return {}

    def busy(self):
        """An update is under way: "cancelable" before its install starts, "installing" after, or None."""
        if self.phase in ("download", "verifying", "downloaded"):
            return "cancelable"
        if self.phase in ("installing", "rebooting"):
            return "installing"
        return None

    def schedule(self, location, retrieve_epoch, retries, interval_s, context, now, report=None, install_epoch=None):
        """Start a firmware update (replacing one that has not begun to install): download from `location` not
        before `retrieve_epoch` (wall ms, or None for now), install not before `install_epoch`. `report(status,
        now)` sends the status notifications (by default FirmwareStatusNotification, or the signed one for a
        context with "signed")."""
        self.report = report or self._notify
        if self.phase == "downloaded":
            self._maintenance(False)
        start_at = self._at(retrieve_epoch, now)
        self.install_at = self._at(install_epoch, now) if install_epoch is not None else None
        self.paused = False
        self.verifying = False
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
        if start_at - now >= SCHEDULED_MS:       # not for the few ms two clocks differ by
            self.st.after_reply(lambda when: self.report("DownloadScheduled", when))

    def _at(self, epoch, now):
        if epoch is None:
            return now
        return now + max(0, epoch - self.st.clock.epoch_ms(now))

    def _install_due(self, now):
        return self.install_at is None or now >= self.install_at

    def status_name(self):
        """The last status reported, Idle after Installed or when none was (ExtendedTriggerMessage's
        FirmwareStatusNotification, L01.FR.28/29)."""
        return "Idle" if self.last in (None, "Installed") else self.last

    # ---- hooks -------------------------------------------------------------------------------------------------
    def tick(self, now):
        if self.phase == "download" and self.job.due(now):
            if self.job.begin(now) == 1 or self.paused:
                self.paused = False
                self.report("Downloading", now)
            self._save(now)
            self.st.emit(("download", {"id": self._id(), "url": self.job.location, "file": IMAGE_FILE}))
        elif self.phase == "verifying" and not self.verifying:
            self.verifying = True
            self.st.emit(("verify", {"id": self._id(), "file": IMAGE_FILE, "context": self.context}))
        elif self.phase == "downloaded":
            self._try_install(now)
        if self.health_at is not None and now >= self.health_at:
            self.health_at = None
            self.st.log.error("the new firmware was not Accepted by the central system in time: rolling back")
            self.st.emit(("firmware_rollback", "no Boot Accepted within the health limit"))

    def deadline(self):
        best = self.health_at
        due = None
        if self.phase == "download":
            due = self.job.deadline()
        elif self.phase == "verifying" and not self.verifying:
            due = 0
        elif self.phase == "downloaded" and self.install_at is not None:
            due = self.install_at
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
                self.report("Downloaded", now)
                if self.context.get("signed") is True:
                    self.phase = "verifying"
                    self._save(now)
                    self.tick(now)
                else:
                    self._downloaded(now)
            elif state == "failed":
                self._finish(now)
                self.report("DownloadFailed", now)
            else:
                self._save(now)
                if self.context.get("signed") is True:
                    self.paused = True
                    self.report("DownloadPaused", now)
        elif kind == "verify_done" and event.get("id") == self._id() and self.phase == "verifying":
            self.verifying = False
            if event.get("ok") is True:
                self.report("SignatureVerified", now)
                self._downloaded(now)
            else:
                reason = str(event.get("error"))
                self.st.log.error("firmware signature refused: " + reason)
                self._finish(now)
                self.report("InvalidSignature", now)
                self.st.security_event("InvalidFirmwareSignature", reason, now)
        elif kind == "install_done" and event.get("id") == self._id() and self.phase == "installing":
            if event.get("ok") is True:
                self.phase = "rebooting"
                self._save(now)
                self.st.log.warning("firmware " + str(event.get("version")) + " installed: restarting")
                self.report("InstallRebooting", now)
                self.st.restart("Hard", now)     # ends, drains and flushes first (issue 15)
            else:
                self.st.log.error("firmware install failed: " + str(event.get("error")))
                self._finish(now)
                self.report("InstallVerificationFailed" if event.get("error_kind") == "verification" else
                            "InstallationFailed", now)
        elif self.phase == "downloaded" and kind is not None:
            self._try_install(now)

    def on_accepted(self, now):
        if self.phase in ("installing", "rebooting"):
            self.health_at = None
            boot = self.st.options.get("firmware_boot") or {}
            if boot.get("trial") is True:
                self.st.emit(("firmware_commit",))
                self.result = "Installed"
                self.st.security_event("FirmwareUpdated", "firmware " + str(boot.get("version")), now)
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
    def _downloaded(self, now):
        self.phase = "downloaded"
        self._save(now)
        if not self._install_due(now):
            self.report("InstallScheduled", now)
            return
        self._maintenance(True)
        self._try_install(now)

    def _try_install(self, now):
        if not self._install_due(now):
            return
        self._maintenance(True)
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

        self._notify(result, now, done)

    def _finish(self, now):
        self._maintenance(False)
        self.phase = None
        self.job = None
        self.result = None
        self.install_at = None
        self.paused = False
        self.verifying = False
        self.report = self._notify
        self._save(now)

    def _notify(self, status, now, on_result=None):
        self.last = status
        if self.context.get("signed") is True:
            self.st.call("SignedFirmwareStatusNotification",
                         {"status": status, "requestId": self.context.get("requestId")}, on_result)
            return
        status = PLAIN_AS.get(status, status)
        if status in PLAIN:
            self.st.call("FirmwareStatusNotification", {"status": status}, on_result)
        elif on_result is not None:
            on_result({}, now)

    def _maintenance(self, on):
        for c in self.st.connectors[1:]:
            c.maintenance = on

    def _id(self):
        return "fw-" + str(self.n)

    def _save(self, now):
        doc = {"phase": self.phase, "n": self.n, "context": self.context, "result": self.result, "last": self.last}
        if self.install_at is not None:
            doc["install_epoch"] = self.st.clock.epoch_ms(self.install_at)
        if self.job is not None:
            doc["job"] = self.job.to_doc(self.st.clock, now)
        storage.try_save_doc(self.st.store, DOC, doc)
