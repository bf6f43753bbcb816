"""Flash wear: fsyncs and bytes the station core writes per hour of a charging session and per idle day.

The core runs on the fake clock over PowerCutStorage, which counts every fsync (a file's, and a directory's after
an atomic rename) and every byte written. Run `python -m bench.flash_wear`. The hardware layer's own meter-energy
document (at most one write a minute while the register moves) is not part of these figures.
"""

import argparse
import sys

from controller import log
from tests.micropython.core_harness import Bench
from tests.micropython.power_cut_storage import PowerCutStorage

HOUR_MS = 3600 * 1000


def measure(ms, charging, sample_s):
    store = PowerCutStorage()
    b = Bench(store=store)
    b.connect()
    b.csms_call("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": str(sample_s)})
    wh = 1000
    b.meter(1, wh)
    if charging:
        b.plug(1)
        b.tag("TAG1", 1)
    fsyncs, written = store.fsyncs, store.bytes_written
    end = b.now + ms
    while b.now < end:
        b.advance(1000)
        if charging:
            wh += 3
        b.meter(1, wh)
    return store.fsyncs - fsyncs, store.bytes_written - written


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.flash_wear", description=__doc__.split("\n")[0])
    parser.add_argument("--sample-interval", type=int, default=60, help="MeterValueSampleInterval in s (60)")
    args = parser.parse_args(argv)
    log.set_sink(lambda level, name, text: None, log.ERROR)
    print("charging for one simulated hour...", flush=True)
    hour = measure(HOUR_MS, True, args.sample_interval)
    print("idle for one simulated day...", flush=True)
    day = measure(24 * HOUR_MS, False, args.sample_interval)
    print("charging session: %d fsyncs, %d bytes per hour (MeterValueSampleInterval %d s)"
          % (hour[0], hour[1], args.sample_interval))
    print("idle station: %d fsyncs, %d bytes per day (%.3f fsyncs per minute; target < 1)"
          % (day[0], day[1], day[0] / 1440.0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
