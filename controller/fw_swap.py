"""Firmware install on a MicroPython board: stage beside the running files, swap at boot, roll back (both targets).

    <root>/fw/staged/      the new image, unpacked by `stage(image)` and checked by hash (firmware_image)
    <root>/fw/prev/        the files the swap replaced, kept until the trial is committed
    <root>/fw/state.json   {"phase", "files", "version", "previous", "boots"}
    <root>/fw/version      the version running now (absent: the factory version)

`boot(root)` runs first thing in boot.py, before the controller is imported:
  staged      re-check every staged file's hash, then swap: each file of the running tree moves to prev/, the
              staged one takes its place (one rename each); phase "trial"
  swapping    a power cut mid-swap: the swap is finished (every step is idempotent)
  trial       one more boot; after MAX_TRIAL_BOOTS without `commit()` the swap is undone
  rolling     a power cut mid-roll-back: it is finished
It returns {"trial", "rolled_back", "version"}, the core's option "firmware_boot"; the core commits at Boot
Accepted (("firmware_commit",) -> `commit(root)`) or asks for ("firmware_rollback", reason) -> `rollback(root)`.
A power cut at any moment leaves either the old tree or the new one complete, plus the state to finish the step.
"""

import json
import os

from controller import firmware_image

MAX_TRIAL_BOOTS = 3


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def _read_json(path):
    try:
        with open(path) as f:
            doc = json.loads(f.read())
        return doc if isinstance(doc, dict) else {}
    except (OSError, ValueError):
        return {}


def _write(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


def _rmtree(path):
    try:
        entries = list(os.ilistdir(path)) if hasattr(os, "ilistdir") else None
    except OSError:
        return
    if entries is None:
        try:
            names = os.listdir(path)
        except OSError:
            return
        entries = [(n, 0x4000 if _is_dir(path + "/" + n) else 0x8000) for n in names]
    for entry in entries:
        child = path + "/" + entry[0]
        if entry[1] == 0x4000:
            _rmtree(child)
        else:
            os.remove(child)
    os.rmdir(path)


def _is_dir(path):
    try:
        return os.stat(path)[0] & 0x4000 != 0
    except OSError:
        return False


def _chunks(f):
    while True:
        data = f.read(4096)
        if not data:
            return
        yield data


def _parent_dirs(root, name):
    parts = name.split("/")[:-1]
    for i in range(1, len(parts) + 1):
        sub = root + "/" + "/".join(parts[:i])
        if not _exists(sub):
            os.mkdir(sub)


class Swap:
    def __init__(self, root, factory_version):
        self.root = root.rstrip("/") or ""
        self.fw = self.root + "/fw"
        self.factory_version = factory_version
        if not _exists(self.fw):
            os.mkdir(self.fw)

    def state(self):
        return _read_json(self.fw + "/state.json")

    def _save(self, doc):
        _write(self.fw + "/state.json", json.dumps(doc))

    def version(self):
        try:
            with open(self.fw + "/version") as f:
                return f.read().strip() or self.factory_version
        except OSError:
            return self.factory_version

    # ---- staging (the runtime, after the download) -----------------------------------------------------------
    def stage(self, image, context=None):
        """Verify `image` and unpack it into fw/staged; the swap happens at the next boot. Returns the version.
        Raises firmware_image.ImageError or OSError (e.g. a full flash); the running files are untouched."""
        manifest = firmware_image.verify(image, context)
        staged = self.fw + "/staged"
        _rmtree(staged)
        try:
            firmware_image.unpack(image, staged)
        except BaseException:
            _rmtree(staged)
            raise
        self._save({"phase": "staged", "files": sorted(manifest["files"]), "version": manifest["version"],
                    "previous": self.version()})
        return manifest["version"]

    # ---- at boot -----------------------------------------------------------------------------------------------
    def boot(self):
        doc = self.state()
        phase = doc.get("phase")
        rolled_back = False
        if phase == "staged":
            if self._staged_ok(doc):
                doc["phase"] = "swapping"
                self._save(doc)
                phase = "swapping"
            else:
                _rmtree(self.fw + "/staged")
                self._save({"phase": "rolled_back"})
                phase = "rolled_back"
        if phase == "swapping":
            self._swap(doc)
            doc["phase"] = "trial"
            doc["boots"] = 0
            self._save(doc)
            phase = "trial"
        if phase == "trial":
            doc["boots"] = (doc.get("boots") or 0) + 1
            if doc["boots"] > MAX_TRIAL_BOOTS:
                doc["phase"] = "rolling"
                self._save(doc)
                phase = "rolling"
            else:
                self._save(doc)
                return {"trial": True, "rolled_back": False, "version": self.version()}
        if phase == "rolling":
            self._undo(doc)
            phase = "rolled_back"
        if phase == "rolled_back":
            rolled_back = True
            self._save({})
        return {"trial": False, "rolled_back": rolled_back, "version": self.version()}

    def commit(self):
        doc = self.state()
        if doc.get("phase") == "trial":
            _rmtree(self.fw + "/prev")
            self._save({})

    def rollback(self, reason=None):
        doc = self.state()
        if doc.get("phase") in ("trial", "swapping"):
            doc["phase"] = "rolling"
            self._save(doc)
            self._undo(doc)
            self._save({"phase": "rolled_back"})

    # ---- steps -------------------------------------------------------------------------------------------------
    def _staged_ok(self, doc):
        manifest = _read_json(self.fw + "/staged/" + firmware_image.MANIFEST)
        files = manifest.get("files")
        if not isinstance(files, dict) or sorted(files) != doc.get("files"):
            return False
        for name in files:
            try:
                with open(self.fw + "/staged/" + name, "rb") as f:
                    got = firmware_image.describe_file(_chunks(f))
            except OSError:
                return False
            if got["sha256"] != files[name]["sha256"].lower() or got["size"] != files[name]["size"]:
                return False
        return True

    def _swap(self, doc):
        staged = self.fw + "/staged"
        prev = self.fw + "/prev"
        if not _exists(prev):
            os.mkdir(prev)
        for name in doc.get("files", []):
            new = staged + "/" + name
            if not _exists(new):
                continue                           # already swapped before a power cut
            live = self.root + "/" + name
            kept = prev + "/" + name
            if _exists(live) and not _exists(kept):
                _parent_dirs(prev, name)
                os.rename(live, kept)
            _parent_dirs(self.root, name)
            os.rename(new, live)
        _write(self.fw + "/version", doc.get("version", ""))
        _rmtree(staged)

    def _undo(self, doc):
        prev = self.fw + "/prev"
        for name in doc.get("files", []):
            live = self.root + "/" + name
            kept = prev + "/" + name
            if _exists(kept):
                if _exists(live):
                    os.remove(live)                # not every VFS renames over a file
                os.rename(kept, live)
            elif _exists(live) and not _exists(self.fw + "/staged/" + name):
                os.remove(live)                    # a file the new firmware added
        previous = doc.get("previous")
        if previous and previous != self.factory_version:
            _write(self.fw + "/version", previous)
        elif _exists(self.fw + "/version"):
            os.remove(self.fw + "/version")
        _rmtree(prev)
        _rmtree(self.fw + "/staged")
