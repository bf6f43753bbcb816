"""Fleet benchmark: the largest number of stations one core sustains with heartbeats every 60 s and MeterValues
every 10 s during sessions, with no message late by more than 1 s, and the memory each station takes.

The bench CSMS runs in its own process (on the other core); the fleet process is pinned to one core.
`python -m bench.fleet_bench --sizes 500,1000,2000,3000 --seconds 90`
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

TARGET = 2000
STATIONCTL = [sys.executable, "-m", "controller.runtime.cli"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_size(n, seconds, behaviour):
    port = _free_port()
    csms = subprocess.Popen(STATIONCTL + ["csms", "--port", str(port), "--interval", "60"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.5)
        with tempfile.TemporaryDirectory() as tmp:
            summary_file = os.path.join(tmp, "summary.json")
            argv = STATIONCTL + ["fleet", "--csms", "ws://127.0.0.1:%d/ocpp" % port, "--count", str(n),
                                 "--behaviour", behaviour, "--stay", "600", "--meter-interval", "10",
                                 "--duration", str(seconds), "--ramp", "400", "--progress", "15",
                                 "--data-dir", os.path.join(tmp, "data"), "--summary-json", summary_file]
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                    preexec_fn=lambda: os.sched_setaffinity(0, {0}))
            for line in proc.stdout:
                if line.startswith("fleet:"):
                    print("  " + line.rstrip(), flush=True)
            proc.wait()
            with open(summary_file) as f:
                return json.load(f)
    finally:
        csms.terminate()
        csms.wait()


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.fleet_bench", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="500,1000,2000,3000", help="fleet sizes to try, comma-separated")
    p.add_argument("--seconds", type=float, default=90, help="run time per size (default 90)")
    p.add_argument("--behaviour", default="churn", help="fleet behaviour (default churn: every EV charging)")
    args = p.parse_args(argv)
    rows = []
    for n in [int(x) for x in args.sizes.split(",")]:
        print("fleet of %d stations, %s, %.0f s:" % (n, args.behaviour, args.seconds), flush=True)
        s = run_size(n, args.seconds, args.behaviour)
        ok = s["late_over_1s"] == 0 and s["online_at_end"] == n and not s["errors"]
        rows.append((n, s, ok))
    print()
    print("stations  online  msg/s  CSMS p99 ms  late>1s  worst late ms  KiB/station  sustained")
    for n, s, ok in rows:
        print("%8d  %6d  %5.0f  %11s  %7d  %13d  %11.1f  %s" % (
            n, s["online_at_end"], s["messages_per_s"], s["csms_latency_ms"]["p99"], s["late_over_1s"],
            s["worst_lateness_ms"], s["kib_per_station"], "yes" if ok else "no"))
    best = max([n for n, s, ok in rows if ok] or [0])
    print("largest fleet sustained on one core: %d stations (target >= %d)" % (best, TARGET))
    return 0


if __name__ == "__main__":
    sys.exit(main())
