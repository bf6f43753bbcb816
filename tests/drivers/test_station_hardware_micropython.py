"""tests/micropython/drivers_int_suite.py within the default 256 KiB heap on MicroPython 1.27 (tests/test_micropython.py
runs every suite on both interpreters but only reports heap growth; this run fails on it). The suite runs the rig's
checks first, while the least is loaded: they make the most garbage; modules stay loaded once imported."""

import os

from tests.test_micropython import _assert_suite_passed, _run_mpy

SUITE = os.path.join("tests", "micropython", "drivers_int_suite.py")


def test_drivers_int_suite_fits_the_default_heap():
    proc = _run_mpy(["--strict-heap", SUITE], timeout=120)
    _assert_suite_passed("drivers_int_suite.py [micropython, strict heap]", proc)
