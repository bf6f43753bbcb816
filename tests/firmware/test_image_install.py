"""Firmware images and the A/B install (controller/firmware_image, controller/runtime/firmware_install_cpython):
corrupt, truncated and wrong-format images are refused with the slot untouched; the verification seam; a full
disk; boot-count and health-check roll-back; a power cut (SIGKILL) at any moment of an install leaves a station
that boots a complete firmware.
"""

import gzip
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time

import pytest

from controller import firmware_image
from controller.runtime.firmware_install_cpython import MAX_TRIAL_BOOTS, Slots
from controller.runtime.firmware_pack import pack
from tests.firmware.conftest import make_tree
from tests.firmware.test_transfers import small_disk  # noqa: F401 (fixture)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def raw_tar(path, members, compress=True):
    """An archive with exactly these (name, bytes or None for a directory, type) members."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            if kind == tarfile.SYMTYPE:
                info.linkname = "/etc/passwd"
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    data = buf.getvalue()
    with open(path, "wb") as f:
        f.write(gzip.compress(data) if compress else data)
    return path


def manifest_of(files, version="2.0"):
    entries = {}
    for name, data in files.items():
        entries[name] = firmware_image.describe_file([data])
    return json.dumps({"format": 1, "version": version, "files": entries}).encode()


BAD = {
    "random bytes": lambda p: open(p, "wb").write(os.urandom(5000)),
    "not gzip (a plain tar)": lambda p: raw_tar(p, [("manifest.json", manifest_of({"a": b"x"}), tarfile.REGTYPE),
                                                    ("a", b"x", tarfile.REGTYPE)], compress=False),
    "gzip of random bytes": lambda p: open(p, "wb").write(gzip.compress(os.urandom(5000))),
    "no manifest": lambda p: raw_tar(p, [("a", b"x", tarfile.REGTYPE)]),
    "manifest not first": lambda p: raw_tar(p, [("a", b"x", tarfile.REGTYPE),
                                                ("manifest.json", manifest_of({"a": b"x"}), tarfile.REGTYPE)]),
    "manifest not JSON": lambda p: raw_tar(p, [("manifest.json", b"{oops", tarfile.REGTYPE)]),
    "unknown format": lambda p: raw_tar(p, [("manifest.json", b'{"format": 9, "version": "2", "files": {"a": {}}}',
                                             tarfile.REGTYPE)]),
    "hash mismatch": lambda p: raw_tar(p, [("manifest.json", manifest_of({"a": b"x"}), tarfile.REGTYPE),
                                           ("a", b"y", tarfile.REGTYPE)]),
    "file missing": lambda p: raw_tar(p, [("manifest.json", manifest_of({"a": b"x", "b": b"y"}), tarfile.REGTYPE),
                                          ("a", b"x", tarfile.REGTYPE)]),
    "file not in manifest": lambda p: raw_tar(p, [("manifest.json", manifest_of({"a": b"x"}), tarfile.REGTYPE),
                                                  ("a", b"x", tarfile.REGTYPE), ("evil", b"z", tarfile.REGTYPE)]),
    "path traversal": lambda p: raw_tar(p, [("manifest.json", manifest_of({"../evil": b"x"}), tarfile.REGTYPE),
                                            ("../evil", b"x", tarfile.REGTYPE)]),
    "symlink": lambda p: raw_tar(p, [("manifest.json", manifest_of({"a": b"x"}), tarfile.REGTYPE),
                                     ("link", None, tarfile.SYMTYPE)]),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_images_are_refused_and_the_station_keeps_its_firmware(tmp_path, kind):
    path = str(tmp_path / "bad.tar.gz")
    BAD[kind](path)
    with pytest.raises(firmware_image.ImageError):
        firmware_image.verify(path)
    slots = Slots(str(tmp_path / "fw"), "1.0")
    with pytest.raises(firmware_image.ImageError):
        slots.install(path)
    assert slots.active() == "factory" and slots.on_boot() == {"trial": False, "rolled_back": False,
                                                               "version": "1.0"}
    assert not os.path.exists(str(tmp_path / "fw" / "a")), "the spare slot is cleaned up"
    assert not os.path.exists(str(tmp_path / "evil"))


def test_truncated_image_is_refused(tmp_path, image):
    with open(image, "rb") as f:
        data = f.read()
    for cut in (10, len(data) // 2, len(data) - 9):
        path = str(tmp_path / ("cut%d.tar.gz" % cut))
        with open(path, "wb") as f:
            f.write(data[:cut])
        with pytest.raises(firmware_image.ImageError):
            firmware_image.verify(path)


def test_verification_seam(tmp_path, image):
    seen = []

    def signed_only(path, manifest, context):
        seen.append((manifest["version"], context))
        return None if context.get("signature") == "good" else "InvalidSignature: the signature does not verify"

    firmware_image.VERIFIERS.append(signed_only)
    try:
        with pytest.raises(firmware_image.ImageError, match="InvalidSignature"):
            Slots(str(tmp_path / "fw"), "1.0").install(image, {"signature": "bad"})
        assert Slots(str(tmp_path / "fw"), "1.0").install(image, {"signature": "good"}) == "2.0"
        assert seen == [("2.0", {"signature": "bad"}), ("2.0", {"signature": "good"})]
    finally:
        firmware_image.VERIFIERS.remove(signed_only)


def test_install_trial_commit_and_second_install(tmp_path, image):
    slots = Slots(str(tmp_path / "fw"), "1.0")
    assert slots.install(image) == "2.0"
    assert slots.active() == "a"
    boot = slots.on_boot()
    assert boot == {"trial": True, "rolled_back": False, "version": "2.0"}
    slots.commit()
    assert slots.on_boot() == {"trial": False, "rolled_back": False, "version": "2.0"}
    with open(str(tmp_path / "fw" / "current" / "README.md"), "rb") as f:
        assert f.read() == b"v2\n"
    v3 = str(tmp_path / "v3.tar.gz")
    pack(make_tree(tmp_path / "src3", {"main.py": b"print(3)\n"}), "3.0", v3)
    assert slots.install(v3) == "3.0" and slots.active() == "b"
    slots.on_boot()
    slots.rollback("the health check failed")
    assert slots.active() == "a"
    assert slots.on_boot() == {"trial": False, "rolled_back": True, "version": "2.0"}
    assert slots.on_boot()["rolled_back"] is False, "the roll-back is reported once"


def test_a_firmware_that_never_comes_up_is_rolled_back_after_its_boots(tmp_path, image):
    slots = Slots(str(tmp_path / "fw"), "1.0")
    slots.install(image)
    for _ in range(MAX_TRIAL_BOOTS):
        assert slots.on_boot()["trial"] is True
    assert slots.on_boot() == {"trial": False, "rolled_back": True, "version": "1.0"}
    assert slots.active() == "factory"


def test_full_disk_during_install(tmp_path, small_disk):   # noqa: F811
    big = str(tmp_path / "big.tar.gz")
    pack(make_tree(tmp_path / "src", {"blob.bin": os.urandom(400000)}), "2.0", big)
    slots = Slots(os.path.join(small_disk, "fw"), "1.0")
    with pytest.raises(OSError):
        slots.install(big)
    assert slots.active() == "factory" and slots.on_boot()["version"] == "1.0"
    assert not os.path.exists(os.path.join(small_disk, "fw", "a")), "the partial slot is removed"


INSTALLER = """
import sys
from controller.runtime.firmware_install_cpython import Slots
print("start", flush=True)
Slots(sys.argv[1], "1.0").install(sys.argv[2])
print("done", flush=True)
"""


def test_power_cut_during_install_leaves_a_bootable_station(tmp_path):
    """SIGKILL the install at spread-out moments; each time the next boot runs a complete firmware."""
    v2 = str(tmp_path / "v2.tar.gz")
    files = {"blob%d.bin" % i: os.urandom(300000) for i in range(12)}
    pack(make_tree(tmp_path / "src", files), "2.0", v2)
    outcomes = set()
    for delay in (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 5):
        root = str(tmp_path / ("fw%s" % delay))
        proc = subprocess.Popen([sys.executable, "-c", INSTALLER, root, v2], cwd=ROOT, stdout=subprocess.PIPE,
                                env=dict(os.environ, PYTHONPATH=ROOT))
        proc.stdout.readline()
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        slots = Slots(root, "1.0")
        boot = slots.on_boot()
        outcomes.add(boot["version"])
        if boot["version"] == "2.0":
            assert boot["trial"] is True
            firmware_image.verify(v2)
            for name, data in files.items():
                with open(os.path.join(root, "current", name), "rb") as f:
                    assert f.read() == data, "a trial slot is complete"
        else:
            assert boot == {"trial": False, "rolled_back": False, "version": "1.0"}
            assert slots.active() == "factory"
    assert "1.0" in outcomes, "some cut landed before the switch"
