"""The MicroPython boot-time firmware swap (controller/fw_swap.py) on a scratch root, on CPython (pytest) and on
the real MicroPython interpreter (tests/firmware/test_fw_swap.py embeds the images in a generated script).

`run_all(image, bad_image, scratch)`: `image` is a valid version 2.0 image of OLD_TREE's files changed (see
NEW_TREE), `bad_image` is not an image; `scratch` is an empty directory.
"""

import os

from controller import firmware_image
from controller.fw_swap import MAX_TRIAL_BOOTS, Swap

OLD_TREE = {"controller/a.py": b"old a\n", "README": b"v1\n", "main.py": b"old main\n"}
NEW_TREE = {"controller/a.py": b"new a\n", "README": b"v2\n", "lib/new.py": b"added\n"}


def _check(cond, what):
    if not cond:
        raise AssertionError(what)


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def _mkdirs(path):
    parts = path.split("/")
    for i in range(2, len(parts) + 1):
        sub = "/".join(parts[:i])
        try:
            os.mkdir(sub)
        except OSError:
            pass


def _tree(root):
    _mkdirs(root + "/controller")
    for name in OLD_TREE:
        with open(root + "/" + name, "wb") as f:
            f.write(OLD_TREE[name])


def _is(root, tree, what):
    for name in tree:
        _check(_read(root + "/" + name) == tree[name], what + ": " + name + " is " + repr(_read(root + "/" + name)))


def swap_commit(image, bad, root):
    _tree(root)
    s = Swap(root, "1.0")
    _check(s.stage(image) == "2.0", "staged")
    _is(root, OLD_TREE, "staging leaves the running files alone")
    boot = s.boot()
    _check(boot == {"trial": True, "rolled_back": False, "version": "2.0"}, repr(boot))
    _is(root, NEW_TREE, "swapped at boot")
    _check(_read(root + "/main.py") == OLD_TREE["main.py"], "a file the image does not hold stays")
    s.commit()
    _check(s.boot() == {"trial": False, "rolled_back": False, "version": "2.0"}, "committed")
    _check(_read(root + "/fw/prev/README") is None, "prev is cleared at the commit")


def swap_rolls_back_after_boots(image, bad, root):
    _tree(root)
    s = Swap(root, "1.0")
    s.stage(image)
    for _ in range(MAX_TRIAL_BOOTS):
        _check(s.boot()["trial"] is True, "trial boots")
    boot = s.boot()
    _check(boot == {"trial": False, "rolled_back": True, "version": "1.0"}, repr(boot))
    _is(root, OLD_TREE, "the old files are back")
    _check(_read(root + "/lib/new.py") is None, "the added file is gone")
    _check(s.boot()["rolled_back"] is False, "reported once")


def swap_explicit_rollback(image, bad, root):
    _tree(root)
    s = Swap(root, "1.0")
    s.stage(image)
    s.boot()
    s.rollback("no Boot Accepted")
    _check(s.boot() == {"trial": False, "rolled_back": True, "version": "1.0"}, "rolled back")
    _is(root, OLD_TREE, "old files")


def swap_power_cut_mid_swap(image, bad, root):
    _tree(root)
    s = Swap(root, "1.0")
    s.stage(image)
    doc = s.state()
    doc["phase"] = "swapping"                      # the cut came after the first file moved
    s._save(doc)
    os.mkdir(root + "/fw/prev")
    os.mkdir(root + "/fw/prev/controller")
    os.rename(root + "/controller/a.py", root + "/fw/prev/controller/a.py")
    os.rename(root + "/fw/staged/controller/a.py", root + "/controller/a.py")
    boot = s.boot()
    _check(boot["trial"] is True and boot["version"] == "2.0", repr(boot))
    _is(root, NEW_TREE, "the swap is finished")
    s.rollback("test")
    _is(root, OLD_TREE, "and can still be undone")


def swap_corrupt_staged_file(image, bad, root):
    _tree(root)
    s = Swap(root, "1.0")
    s.stage(image)
    with open(root + "/fw/staged/README", "wb") as f:
        f.write(b"v3\n")                            # a flash error after staging
    boot = s.boot()
    _check(boot == {"trial": False, "rolled_back": True, "version": "1.0"}, repr(boot))
    _is(root, OLD_TREE, "nothing swapped")


def swap_bad_image_is_refused(image, bad, root):
    _tree(root)
    s = Swap(root, "1.0")
    try:
        s.stage(bad)
        _check(False, "a bad image is refused")
    except firmware_image.ImageError:
        pass
    _check(s.boot() == {"trial": False, "rolled_back": False, "version": "1.0"}, "no change")
    _is(root, OLD_TREE, "old files")


SCENARIOS = (swap_commit, swap_rolls_back_after_boots, swap_explicit_rollback, swap_power_cut_mid_swap,
             swap_corrupt_staged_file, swap_bad_image_is_refused)
