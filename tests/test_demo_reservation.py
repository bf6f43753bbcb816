"""`stationctl demo --scenario reservation` runs to the end: a reservation that expires, and one that a start
uses (the scenario itself fails if the StartTransaction lacks the reservationId)."""

import subprocess
import sys

from tests.conftest import ROOT


def test_demo_reservation_scenario():
    proc = subprocess.run([sys.executable, "-m", "controller.runtime.cli", "demo", "--scenario", "reservation",
                           "--quiet-station"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    out = proc.stdout
    assert "reservationId 1, for 5 s): Accepted" in out
    assert "the reservation expired" in out
    assert "The StartTransaction carries reservationId 2" in out
    assert "Demo complete" in out


def test_demo_rejects_an_unknown_scenario():
    proc = subprocess.run([sys.executable, "-m", "controller.runtime.cli", "demo", "--scenario", "nope"], cwd=ROOT,
                          capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
