"""`python -m bench.smart_bench` in a tiny mode (5 calls, one limit change): it fills the real station with
MaxChargingProfilesInstalled profiles, the next one is Rejected, and it prints every figure. Timings are not
asserted (a loaded machine), only that they were measured; the in-process part checks the limit command itself."""

import re
import subprocess
import sys

from tests.conftest import ROOT

NUMBER = r"(\d+(?:\.\d+)?)"


def test_help():
    done = subprocess.run([sys.executable, "-m", "bench.smart_bench", "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and "--calls" in done.stdout and "--steps" in done.stdout


def test_tiny_run_prints_its_figures():
    done = subprocess.run([sys.executable, "-m", "bench.smart_bench", "--calls", "5", "--steps", "1"], cwd=ROOT,
                          capture_output=True, text=True, timeout=240)
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-3000:]
    assert "GetCompositeSchedule on connector 1, 5 calls..." in out and "step 1/1" in out     # progress
    assert re.search(r"Smart Charging: 20 profiles installed \(MaxChargingProfilesInstalled 20, "
                     r"ChargeProfileMaxStackLevel 10, ChargingScheduleMaxPeriods 10; one more: Rejected\)", out)
    for name in ("connector 1", r"connector 0 \(station total\)"):
        match = re.search(r"GetCompositeSchedule " + name + r", 86400 s, (\d+) periods in the answer, 5 calls: "
                          r"p50 " + NUMBER + r" ms, p99 " + NUMBER + r" ms, max " + NUMBER +
                          r" ms \(target p99 <= 5 ms\)\n   in process: composite maths p50 " + NUMBER, out)
        assert match, out
        assert int(match.group(1)) > 3                   # the stacked profiles really shape the day
        assert 0 < float(match.group(2)) <= float(match.group(3)) <= float(match.group(4))
    assert re.search(r"the simulated hardware's poll on the station's event loop \(every 40 ms with an EV plugged\): "
                     r"p50 " + NUMBER + " ms", out)
    match = re.search(r"SetChargingProfile.conf -> new pilot duty \(connector 1 charging, the 5 s hold expired, "
                      r"1 changes\): p50 " + NUMBER + r" ms, p99 " + NUMBER + r" ms, max " + NUMBER + r" ms \(target: "
                      r"within one hardware poll, 40 ms with an EV plugged, 100 ms without\)", out)
    assert match and float(match.group(1)) > 0, out
    assert re.search(r"control-API round trip \(p50 " + NUMBER + r" ms\); in process: SetChargingProfile frame in "
                     r"-> limit command out p50 " + NUMBER + " us", out)
    assert re.search(r"machine: \d+ CPUs, 1-minute load average " + NUMBER + " before the run, " + NUMBER, out)
    assert "10 / 10, 3 / 300, 8 / 24" in out
