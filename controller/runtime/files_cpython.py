"""The CPython runtime's file effects: downloads, uploads, firmware installs, commit and roll-back.

`FileEffects(settings, runtime)` is built before the station: `boot_options()` gives the core what it needs to know
at start (how this boot came about, the protocols it can use) and the firmware version to report.
`apply(effect)` takes the core's effects

    ("download", {"id", "url", "file"})           -> event {"type": "transfer_done", "id", "ok", "error"}
    ("upload", {"id", "url", "file", "name"})     -> event {"type": "transfer_done", "id", "ok", "error", "url",
                                                    "error_kind"}; with "bundle" the diagnostics bundle, with
                                                    "security_log" the security log is built into `file` first
    ("verify", {"id", "file", "context"})         -> event {"type": "verify_done", "id", "ok", "error"}: the
                                                    signature step of a signed update (firmware_image.VERIFIERS);
                                                    a refused image is deleted
    ("install", {"id", "file", "context"})        -> event {"type": "install_done", "id", "ok", "error", "version",
                                                    "error_kind": "verification" when the image was refused}
    ("firmware_commit",)                          the health check passed: the trial slot stays
    ("firmware_rollback", reason)                 back to the previous slot, then a restart

Transfers run in a thread (blocking sockets with a timeout), one at a time per id; files are relative to the data
folder. Installs use the A/B slots of firmware_install_cpython in `<data_dir>/firmware/`.
"""

import asyncio
import os

from controller import log
from controller import firmware_image
from controller.firmware_image import ImageError
from controller.runtime import diag_bundle_cpython as diag_bundle
from controller.runtime import firmware_signing_cpython
from controller.runtime import transfer_cpython as transfer
from controller.runtime.firmware_install_cpython import Slots

KINDS = ("download", "upload", "verify", "install", "firmware_commit", "firmware_rollback")


class FileEffects:
    def __init__(self, settings, runtime):
        self.settings = settings
        self.runtime = runtime
        self.data_dir = settings["data_dir"]
        self.options = settings["firmware"]
        self.log = log.get("files")
        self.slots = Slots(os.path.join(self.data_dir, "firmware"), settings["identity"]["firmware_version"])
        self.tasks = set()
        firmware_signing_cpython.install()

    def boot_options(self):
        boot = self.slots.on_boot()
        if boot["rolled_back"]:
            self.log.error("the previous firmware update was rolled back; running " + boot["version"])
        elif boot["trial"]:
            self.log.warning("trial boot of firmware " + boot["version"] + ": waiting for Boot Accepted")
        return {"firmware_boot": boot, "transfer_protocols": list(transfer.PROTOCOLS),
                "firmware_health_ms": int(self.options["health_check_s"] * 1000),
                "firmware_unsigned": self.options["accept_unsigned"]}

    def path(self, name):
        return os.path.join(self.data_dir, name)

    def apply(self, effect):
        kind = effect[0]
        if kind == "firmware_commit":
            self.slots.commit()
            self.log.info("firmware " + self.slots.version() + " committed")
        elif kind == "firmware_rollback":
            self.slots.rollback(effect[1])
            self.log.error("firmware rolled back (" + effect[1] + "); restarting")
            asyncio.get_running_loop().create_task(self.runtime._restart("Hard"))
        else:
            self._spawn(getattr(self, "_" + kind), effect[1])

    def _spawn(self, fn, spec):
        task = asyncio.get_running_loop().create_task(fn(spec))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _report(self, event):
        self.runtime.station.event(event, self.runtime_now())
        self.runtime.apply_effects()

    def runtime_now(self):
        from controller.runtime.cpython import now_ms
        return now_ms()

    async def _download(self, spec):
        self.log.info("downloading " + _safe(spec["url"]))
        try:
            size = await asyncio.to_thread(transfer.download, spec["url"], self.path(spec["file"]),
                                           self.options["timeout_s"], self.options["ca_file"])
            self.log.info("downloaded " + str(size) + " bytes")
            self._report({"type": "transfer_done", "id": spec["id"], "ok": True, "error": None})
        except transfer.TransferError as e:
            self.log.warning("download from " + _safe(spec["url"]) + " failed: " + str(e))
            self._report({"type": "transfer_done", "id": spec["id"], "ok": False, "error": str(e)})

    async def _upload(self, spec):
        self.log.info("uploading " + spec["name"] + " to " + _safe(spec["url"]))
        built = spec.get("bundle") is not None or spec.get("security_log") is not None
        try:
            if spec.get("bundle") is not None:
                window = spec["bundle"]
                await asyncio.to_thread(diag_bundle.build, self.data_dir, self.settings, self.runtime.board,
                                        self.path(spec["file"]), window.get("start"), window.get("stop"),
                                        self.runtime.snapshot())
            elif spec.get("security_log") is not None:
                part = spec["security_log"]
                await asyncio.to_thread(diag_bundle.security_log, self.data_dir, part["files"],
                                        self.path(spec["file"]), part.get("start"), part.get("stop"))
            where = await asyncio.to_thread(transfer.upload, spec["url"], self.path(spec["file"]), spec["name"],
                                            self.options["timeout_s"], self.options["ca_file"])
            self._report({"type": "transfer_done", "id": spec["id"], "ok": True, "error": None, "url": where})
        except transfer.TransferError as e:
            self.log.warning("upload to " + _safe(spec["url"]) + " failed: " + str(e))
            self._report({"type": "transfer_done", "id": spec["id"], "ok": False, "error": str(e),
                          "error_kind": e.kind})
        except OSError as e:
            self.log.warning("the file to upload cannot be made: " + transfer._reason(e))
            self._report({"type": "transfer_done", "id": spec["id"], "ok": False, "error": transfer._reason(e)})
        finally:
            if built:
                try:
                    os.remove(self.path(spec["file"]))
                except OSError:
                    pass

    async def _verify(self, spec):
        image = self.path(spec["file"])
        try:
            reason = await asyncio.to_thread(firmware_image.run_verifiers, image, None, spec.get("context") or {})
        except OSError as e:
            reason = "the image cannot be read: " + transfer._reason(e)
        if reason is not None:
            try:
                os.remove(image)
            except OSError:
                pass
        self._report({"type": "verify_done", "id": spec["id"], "ok": reason is None, "error": reason})

    async def _install(self, spec):
        image = self.path(spec["file"])
        try:
            version = await asyncio.to_thread(self.slots.install, image, spec.get("context") or {})
            self._report({"type": "install_done", "id": spec["id"], "ok": True, "error": None, "version": version})
        except (ImageError, OSError) as e:
            reason = transfer._reason(e) if isinstance(e, OSError) else str(e)
            self._report({"type": "install_done", "id": spec["id"], "ok": False, "error": reason,
                          "error_kind": "verification" if isinstance(e, ImageError) else None})
        finally:
            try:
                os.remove(image)
            except OSError:
                pass


def _safe(url):
    """A URL for the log, without its password."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.split("@", 1) if "@" in rest.split("/", 1)[0] else ("", rest)
    if not creds:
        return url
    return scheme + "://" + creds.split(":", 1)[0] + ":***@" + host
