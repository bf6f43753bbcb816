"""Runs tests/micropython/drivers_hwb_suite.py under CPython and, when Node and the port are installed, under
MicroPython 1.27 (WebAssembly port, tools/micropython/run.mjs) with the default 256 KiB heap budget."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUITE = os.path.join("tests", "micropython", "drivers_hwb_suite.py")
RUNNER = os.path.join(ROOT, "tools", "micropython", "run.mjs")
PORT = os.path.join(ROOT, "tools", "micropython", "node_modules", "@micropython",
                    "micropython-webassembly-pyscript", "micropython.mjs")


def _check(proc):
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert "FAIL" not in out
    assert out.strip().splitlines()[-1].endswith("passed, 0 failed")


def test_suite_on_cpython():
    _check(subprocess.run([sys.executable, SUITE], cwd=ROOT, capture_output=True, text=True, timeout=60))


@pytest.mark.skipif(shutil.which("node") is None or not os.path.exists(PORT),
                    reason="Node or the MicroPython WebAssembly port is not installed (make setup-micropython)")
def test_suite_on_micropython():
    _check(subprocess.run(["node", RUNNER, SUITE], cwd=ROOT, capture_output=True, text=True, timeout=60))
