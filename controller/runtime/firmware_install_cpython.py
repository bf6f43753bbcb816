"""A/B firmware slots on a Linux board or in the desktop simulator's data folder (CPython).

    <root>/a/, <root>/b/     two install folders, each an unpacked image with its manifest.json
    <root>/current           a symlink to "a" or "b", switched atomically (a new link, then rename over it);
                             absent: the factory firmware (the code the station was installed with) runs
    <root>/state.json        {"trial": slot, "previous": slot or "factory", "boots": n, "rolled_back": bool}

`install(image, context)` verifies the image (controller/firmware_image.verify and its VERIFIERS), unpacks it
into the spare slot, fsyncs it, records the trial, then switches the pointer: a power cut at any step leaves the
old firmware in charge. `on_boot()` runs before the station starts: a trial boot counts itself, and after
MAX_TRIAL_BOOTS boots without a commit (a firmware that crashes at start) the pointer goes back. The core commits a
trial once the central system Accepted its Boot (the health check) and asks for `rollback()` when it did not in
time. On a board the service runs `<root>/current/...` (docs/firmware.md); the desktop simulator runs the same
code after a restart and reports the installed version.
"""

import json
import os
import shutil

from controller import firmware_image

SLOTS = ("a", "b")
FACTORY = "factory"
MAX_TRIAL_BOOTS = 3


def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path):
    for folder, _dirs, files in os.walk(path):
        for name in files:
            with open(os.path.join(folder, name), "rb") as f:
                os.fsync(f.fileno())
        _fsync_dir(folder)


class Slots:
    def __init__(self, root, factory_version):
        self.root = root
        self.factory_version = factory_version
        os.makedirs(root, exist_ok=True)

    # ---- reading -----------------------------------------------------------------------------------------------
    def active(self):
        try:
            target = os.readlink(os.path.join(self.root, "current"))
        except OSError:
            return FACTORY
        return target if target in SLOTS else FACTORY

    def version(self, slot=None):
        slot = slot or self.active()
        if slot == FACTORY:
            return self.factory_version
        try:
            with open(os.path.join(self.root, slot, firmware_image.MANIFEST)) as f:
                return json.load(f)["version"]
        except (OSError, ValueError, KeyError, TypeError):
            return self.factory_version

    def state(self):
        try:
            with open(os.path.join(self.root, "state.json")) as f:
                doc = json.load(f)
            return doc if isinstance(doc, dict) else {}
        except (OSError, ValueError):
            return {}

    # ---- writing -----------------------------------------------------------------------------------------------
    def _write_state(self, doc):
        path = os.path.join(self.root, "state.json")
        with open(path + ".tmp", "w") as f:
            json.dump(doc, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(path + ".tmp", path)
        _fsync_dir(self.root)

    def _point(self, slot):
        link = os.path.join(self.root, "current")
        if slot == FACTORY:
            if os.path.lexists(link):
                os.remove(link)
        else:
            tmp = link + ".new"
            if os.path.lexists(tmp):
                os.remove(tmp)
            os.symlink(slot, tmp)
            os.replace(tmp, link)
        _fsync_dir(self.root)

    def on_boot(self):
        """How this boot came about: {"trial", "rolled_back", "version"}, for the core's option firmware_boot."""
        doc = self.state()
        rolled_back = doc.get("rolled_back") is True
        trial = doc.get("trial")
        if trial in SLOTS and self.active() != trial:
            trial = None            # the power went before the pointer moved: the old firmware still runs
            doc = {"previous": doc.get("previous")}
            self._write_state(doc)
        if trial in SLOTS:
            boots = doc.get("boots", 0) + 1 if isinstance(doc.get("boots"), int) else 1
            if boots > MAX_TRIAL_BOOTS:
                self.rollback("the new firmware did not come up in " + str(MAX_TRIAL_BOOTS) + " boots")
                return self.on_boot()
            doc["boots"] = boots
            self._write_state(doc)
            return {"trial": True, "rolled_back": False, "version": self.version()}
        if rolled_back:
            doc["rolled_back"] = False
            self._write_state(doc)
        return {"trial": False, "rolled_back": rolled_back, "version": self.version()}

    def install(self, image, context=None):
        """Verify and unpack `image` into the spare slot and make it the trial; returns the new version. Raises
        firmware_image.ImageError (bad image) or OSError (e.g. storage full); the running slot is untouched."""
        manifest = firmware_image.verify(image, context)
        running = self.active()
        spare = "b" if running == "a" else "a"
        folder = os.path.join(self.root, spare)
        self._write_state({"previous": running})          # a stale trial must not name the spare being rewritten
        shutil.rmtree(folder, ignore_errors=True)
        try:
            firmware_image.unpack(image, folder)
            _fsync_tree(folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self._write_state({"trial": spare, "previous": running, "boots": 0})
        self._point(spare)
        return manifest["version"]

    def commit(self):
        doc = self.state()
        if doc.get("trial") in SLOTS:
            self._write_state({"previous": doc.get("previous")})

    def rollback(self, reason):
        doc = self.state()
        previous = doc.get("previous")
        self._point(previous if previous in SLOTS else FACTORY)
        self._write_state({"rolled_back": True, "reason": reason})
