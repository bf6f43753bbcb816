"""Shared pytest set-up: the project root is importable, so tests import controller/, drivers/, boards/ and
tests/ helpers directly."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


# Figures a test wants shown even when it passes (the torture and churn counts): a test records them with
# record_property("figures", text); they are printed at the end of the run, also from xdist workers.
_FIGURES = []


def pytest_runtest_logreport(report):
    if report.when == "call":
        for name, value in report.user_properties:
            if name == "figures":
                _FIGURES.append("%s: %s" % (report.nodeid.split("::")[-1], value))


def pytest_terminal_summary(terminalreporter):
    if _FIGURES:
        terminalreporter.section("figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
