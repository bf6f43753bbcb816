"""Runs tests/micropython/drivers_hwa_suite.py (HAL, RFID, Modbus, meters) under CPython, and under MicroPython 1.27
(WebAssembly port, tools/micropython/run.mjs, default 256 KiB heap budget) one group per interpreter when Node and
the port are installed."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUITE = os.path.join("tests", "micropython", "drivers_hwa_suite.py")
RUNNER = os.path.join(ROOT, "tools", "micropython", "run.mjs")
PORT = os.path.join(ROOT, "tools", "micropython", "node_modules", "@micropython",
                    "micropython-webassembly-pyscript", "micropython.mjs")
GROUPS = ("hal", "rfid", "modbus", "meters")


def _check(proc, expect_tests=1):
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert "FAIL" not in out
    last = out.strip().splitlines()[-1]
    assert last.endswith("passed, 0 failed") and int(last.split()[0]) >= expect_tests, last


def test_suite_on_cpython():
    _check(subprocess.run([sys.executable, SUITE], cwd=ROOT, capture_output=True, text=True, timeout=60), 18)


def test_suite_rejects_unknown_group():
    proc = subprocess.run([sys.executable, SUITE, "nfc"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2


@pytest.mark.skipif(shutil.which("node") is None or not os.path.exists(PORT),
                    reason="Node or the MicroPython WebAssembly port is not installed (make setup-micropython)")
@pytest.mark.parametrize("group", GROUPS)
def test_suite_on_micropython(group):
    _check(subprocess.run(["node", RUNNER, SUITE, group], cwd=ROOT, capture_output=True, text=True, timeout=60))
