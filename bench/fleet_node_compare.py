"""The fleet benchmark's comparison: a Node-based simulator from npm (em-ocpp-chargepoint-simulator), one process
per station as such simulators are run, against the same bench CSMS. Prints the memory per station and how many
stations this machine's memory would hold that way, next to fleet mode's figure.

`python -m bench.fleet_node_compare --stations 20` (installs the npm package into bench/node_sim/ first)
"""

import argparse
import os
import subprocess
import sys
import time

from bench.fleet_bench import STATIONCTL, _free_port

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node_sim")
MAIN = os.path.join(HERE, "node_modules", "em-ocpp-chargepoint-simulator", "build", "src", "main.js")


def _rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _mem_total_kib():
    with open("/proc/meminfo") as f:
        return int(f.readline().split()[1])


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.fleet_node_compare", description=__doc__.splitlines()[0])
    p.add_argument("--stations", type=int, default=20, help="Node processes to start (default 20)")
    args = p.parse_args(argv)
    if not os.path.exists(MAIN):
        print("installing em-ocpp-chargepoint-simulator from npm into bench/node_sim/ ...", flush=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=HERE, check=True)
    port = _free_port()
    csms = subprocess.Popen(STATIONCTL + ["csms", "--port", str(port), "--interval", "60"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    procs = []
    try:
        time.sleep(1.5)
        started = time.monotonic()
        for i in range(args.stations):
            env = dict(os.environ, CSMS_URL="ws://127.0.0.1:%d/ocpp" % port, CP_ID="NODE%03d" % i)
            procs.append(subprocess.Popen(["node", MAIN, "station.js"], cwd=HERE, env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            print("  started Node station %d/%d" % (i + 1, args.stations), flush=True)
        time.sleep(8)
        alive = [pr for pr in procs if pr.poll() is None]
        rss = [_rss_kib(pr.pid) for pr in alive]
        elapsed = time.monotonic() - started
    finally:
        for pr in procs:
            pr.terminate()
        for pr in procs:
            pr.wait()
        csms.terminate()
        out = csms.communicate()[0]
    boots = out.count("CALLRESULT BootNotification")
    per = sum(rss) / max(1, len(rss))
    print()
    print("Node simulator, one process per station: %d started, %d alive, %d booted in %.0f s" % (
        args.stations, len(alive), boots, elapsed))
    print("  memory per station: %.1f MiB RSS" % (per / 1024))
    print("  stations this machine's %.0f GiB would hold that way: %d" % (
        _mem_total_kib() / 1048576.0, int(_mem_total_kib() / max(1.0, per))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
