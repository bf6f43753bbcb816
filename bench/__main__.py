"""`python -m bench`: every benchmark, with progress, then the figures next to the targets and the seeds."""

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description="Station Controller benchmarks "
                                     "(printed figures, not pass/fail).")
    parser.add_argument("--calls", type=int, default=1000, help="CSMS CALLs for the latency figure")
    parser.add_argument("--starts", type=int, default=5, help="station starts for the start-up figure")
    parser.add_argument("--cycles", type=int, default=200, help="remote start/stop cycles")
    parser.add_argument("--smart-calls", type=int, default=300, help="GetCompositeSchedule calls per connector")
    parser.add_argument("--smart-steps", type=int, default=6, help="smart-charging limit changes for the pilot "
                        "figure (each waits for the 5 s duty hold)")
    args = parser.parse_args(argv)
    from bench import footprint, session_bench, smart_bench, station_bench
    print("Station process benchmarks:")
    startups, latencies, rss = station_bench.run(args.calls, args.starts)
    print("Charging-session benchmarks:")
    starts, stops, day = session_bench.run(args.cycles)
    print("Smart Charging benchmarks:")
    wire, core = smart_bench.run(args.smart_calls, args.smart_steps)
    print("MicroPython footprint:")
    heap, flash = footprint.run()
    print()
    for line in (station_bench.summarize(startups, latencies, rss) + session_bench.summarize(starts, stops, day) +
                 smart_bench.summarize(wire, core) + footprint.summarize(heap, flash)):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
