"""`python -m bench`: every benchmark, with progress, then the figures next to the targets and the seeds."""

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description="Station Controller benchmarks "
                                     "(printed figures, not pass/fail).")
    parser.add_argument("--calls", type=int, default=1000, help="CSMS CALLs for the latency figure")
    parser.add_argument("--starts", type=int, default=5, help="station starts for the start-up figure")
    parser.add_argument("--cycles", type=int, default=200, help="remote start/stop cycles")
    args = parser.parse_args(argv)
    from bench import footprint, session_bench, station_bench
    print("Station process benchmarks:")
    startups, latencies, rss = station_bench.run(args.calls, args.starts)
    print("Charging-session benchmarks:")
    starts, stops, day = session_bench.run(args.cycles)
    print("MicroPython footprint:")
    heap, flash = footprint.run()
    print()
    for line in (station_bench.summarize(startups, latencies, rss) + session_bench.summarize(starts, stops, day) +
                 footprint.summarize(heap, flash)):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
