"""The MicroPython boot-time swap (controller/fw_swap.py): its scenarios on CPython, then on the real MicroPython
interpreter with the images embedded in a generated script."""

import os
import subprocess

import pytest

from controller.runtime.firmware_pack import pack
from tests.firmware.conftest import make_tree
from tests.micropython import fw_swap_scenarios
from tests.micropython.fw_swap_scenarios import NEW_TREE, SCENARIOS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def images(tmp_path):
    image = str(tmp_path / "v2.tar.gz")
    pack(make_tree(tmp_path / "src", NEW_TREE), "2.0", image)
    bad = str(tmp_path / "bad.tar.gz")
    with open(bad, "wb") as f:
        f.write(b"not an image" * 10)
    return image, bad


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_fw_swap_scenario(tmp_path, images, scenario):
    root = str(tmp_path / "flash")
    os.mkdir(root)
    scenario(images[0], images[1], root)


SCRIPT = """
import os
from tests.micropython import fw_swap_scenarios

IMAGE = %r
BAD = %r
base = "/tmp"
try:
    os.stat(base)
except OSError:
    os.mkdir(base)
for i, scenario in enumerate(fw_swap_scenarios.SCENARIOS):
    root = base + "/swap%%d" %% i
    os.mkdir(root)
    with open(root + "-v2.tar.gz", "wb") as f:
        f.write(IMAGE)
    with open(root + "-bad.tar.gz", "wb") as f:
        f.write(BAD)
    scenario(root + "-v2.tar.gz", root + "-bad.tar.gz", root)
    print("PASS", scenario.__name__)
print("ALL PASSED")
"""


def test_fw_swap_on_micropython(tmp_path, images):
    if subprocess.run(["node", "--version"], capture_output=True).returncode != 0 or \
            not os.path.isdir(os.path.join(ROOT, "tools", "micropython", "node_modules")):
        pytest.skip("the MicroPython harness is not set up (make setup-micropython)")
    with open(images[0], "rb") as f:
        image = f.read()
    with open(images[1], "rb") as f:
        bad = f.read()
    script = str(tmp_path / "fw_swap_mpy.py")
    with open(script, "w") as f:
        f.write(SCRIPT % (image, bad))
    done = subprocess.run(["node", os.path.join(ROOT, "tools", "micropython", "run.mjs"), script], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert "ALL PASSED" in done.stdout, done.stdout + done.stderr
    assert done.stdout.count("PASS swap_") == len(fw_swap_scenarios.SCENARIOS)
