"""`stationctl fleet`: run N simulated stations (or one shard of them) against a CSMS, print progress while they
run and a summary at the end (docs/fleet.md)."""

import argparse
import asyncio
import json
import os
import resource
import signal
import sys
import time
import zlib

from controller import log
from controller.runtime.fleet.behaviour import PROFILES, Behaviour
from controller.runtime.fleet.member import FleetStation
from controller.runtime.fleet.stats import FleetStats


class ShardError(ValueError):
    pass


def parse_shard(text):
    """`K/M` -> (K, M), with 0 <= K < M."""
    parts = text.split("/")
    if len(parts) != 2 or not parts[0].strip().isdigit() or not parts[1].strip().isdigit():
        raise ShardError("--shard takes K/M, e.g. 0/4 (shard K of M, counting from 0); got " + repr(text))
    k, m = int(parts[0]), int(parts[1])
    if m < 1 or k >= m:
        raise ShardError("--shard " + text + ": K must be below M and M at least 1")
    return k, m


def shard_ids(prefix, count, shard=(0, 1)):
    """The charge point ids of shard K of M: a contiguous slice of prefix + 0..count-1, zero-padded."""
    k, m = shard
    width = len(str(max(count - 1, 0)))
    lo, hi = count * k // m, count * (k + 1) // m
    return [prefix + str(i).zfill(width) for i in range(lo, hi)]


def build_parser():
    p = argparse.ArgumentParser(prog="stationctl fleet", description="Run many simulated stations in one process "
                                "against a CSMS, for load tests (docs/fleet.md).")
    p.add_argument("--csms", required=True, help="CSMS WebSocket URL; each station connects to URL/<id>")
    p.add_argument("--count", type=int, required=True, help="stations in the whole fleet (all shards)")
    p.add_argument("--id-prefix", default="FLEET", help="charge point id prefix (default FLEET)")
    p.add_argument("--shard", default="0/1", help="run shard K of M of the ids (K/M, default 0/1)")
    p.add_argument("--behaviour", choices=PROFILES, default="commuters", help="what the EVs do (default commuters)")
    p.add_argument("--rate", type=float, default=1.0, help="commuters: sessions per station per hour (default 1)")
    p.add_argument("--stay", type=float, default=None,
                   help="seconds an EV stays: commuters' median (default 7200), churn's session (default 20)")
    p.add_argument("--meter-interval", type=int, default=10, help="MeterValueSampleInterval, s (default 10)")
    p.add_argument("--duration", type=float, default=None, help="stop after this many seconds (default: Ctrl-C)")
    p.add_argument("--ramp", type=float, default=200.0, help="new connections per second at start (default 200)")
    p.add_argument("--data-dir", default=None,
                   help="one journal folder per station below this (default: in memory, nothing on disk)")
    p.add_argument("--ledger", default=None, help="write one JSON line per frame to this file")
    p.add_argument("--progress", type=float, default=5.0, help="seconds between progress lines (default 5)")
    p.add_argument("--summary-json", default=None, help="also write the summary as JSON to this file")
    p.add_argument("--list-ids", action="store_true", help="print this shard's charge point ids and exit")
    return p


class Fleet:
    def __init__(self, args, ids):
        self.args = args
        self.ids = ids
        self.csms_url = args.csms
        self.stats = FleetStats()
        self.ledger = open(args.ledger, "w") if args.ledger else None
        self.config_overrides = (("MeterValueSampleInterval", str(args.meter_interval)),)
        stay = args.stay if args.stay is not None else (20.0 if args.behaviour == "churn" else 7200.0)
        self.behaviour = Behaviour(args.behaviour, args.rate, stay)
        self.stations = []
        self.stopping = asyncio.Event()

    async def run(self, out):
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        rss_before = _rss_kib()
        tasks = []
        for i, cp_id in enumerate(self.ids):
            data = os.path.join(self.args.data_dir, cp_id) if self.args.data_dir else None
            if data:
                os.makedirs(data, exist_ok=True)
            station = FleetStation(self, cp_id, data, seed=zlib.crc32(cp_id.encode()))
            self.stations.append(station)
            tasks.append(asyncio.ensure_future(station.run()))
            self.behaviour.attach(station, loop)
            if self.args.ramp > 0 and (i + 1) % max(1, int(self.args.ramp / 10)) == 0:
                await asyncio.sleep(0.1)
        out("fleet: " + str(len(self.ids)) + " stations started (" + self.ids[0] + " .. " + self.ids[-1] + ")"
            if self.ids else "fleet: no stations in this shard")
        progress = asyncio.ensure_future(self._progress(out, started))
        try:
            if self.args.duration is None:
                await self.stopping.wait()
            else:
                remaining = self.args.duration - (time.monotonic() - started)
                try:
                    await asyncio.wait_for(self.stopping.wait(), max(0.0, remaining))
                except asyncio.TimeoutError:
                    pass
        finally:
            progress.cancel()
            online = self.stats.online
            await asyncio.gather(*(s.close() for s in self.stations), return_exceptions=True)
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self.ledger is not None:
                self.ledger.close()
        summary = self.stats.summary(len(self.ids), time.monotonic() - started)
        summary["online_at_end"] = online
        summary["rss_mib"] = round(_rss_kib() / 1024.0, 1)
        summary["kib_per_station"] = round((_rss_kib() - rss_before) / max(1, len(self.ids)), 1)
        return summary

    async def _progress(self, out, started):
        last_frames = 0
        last_t = time.monotonic()
        while True:
            await asyncio.sleep(self.args.progress)
            s = self.stats
            t = time.monotonic()
            frames = s.frames_in + s.frames_out
            rate = (frames - last_frames) / max(1e-6, t - last_t)
            last_frames, last_t = frames, t
            active = sum(1 for st in self.stations if st.core.connectors[1].transaction is not None)
            p99 = s.latency_figures()["p99"]
            out("fleet: %5.0f s  online %d/%d  charging %d  sessions %d  %.0f msg/s  p99 %s ms  late>1s %d  "
                "errors %d" % (t - started, s.online, len(self.ids), active, s.counts["sessions_started"], rate,
                               "-" if p99 is None else p99, s.late, sum(s.errors.values())))


def format_summary(summary):
    lat = summary["csms_latency_ms"]
    lines = ["fleet summary:",
             "  stations %d (online at the end %d), %.1f s" % (summary["stations"], summary["online_at_end"],
                                                               summary["seconds"]),
             "  sessions started %d, stopped %d" % (summary["sessions_started"], summary["sessions_stopped"]),
             "  frames sent %d, received %d, %.1f messages/s" % (summary["frames_out"], summary["frames_in"],
                                                                 summary["messages_per_s"]),
             "  CSMS latency ms: p50 %s, p90 %s, p99 %s, max %s" % (lat["p50"], lat["p90"], lat["p99"], lat["max"]),
             "  messages late by more than 1 s: %d (worst %d ms)" % (summary["late_over_1s"],
                                                                     summary["worst_lateness_ms"]),
             "  memory: %.1f MiB RSS, %.1f KiB per station" % (summary["rss_mib"], summary["kib_per_station"])]
    errors = summary["errors"]
    lines.append("  errors: " + (", ".join(k + " x" + str(errors[k]) for k in sorted(errors)) if errors else "none"))
    return lines


def _rss_kib():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(argv):
    args = build_parser().parse_args(argv)
    try:
        shard = parse_shard(args.shard)
    except ShardError as e:
        sys.stderr.write("stationctl fleet: " + str(e) + "\n")
        return 2
    if args.count < 1:
        sys.stderr.write("stationctl fleet: --count must be at least 1\n")
        return 2
    ids = shard_ids(args.id_prefix, args.count, shard)
    if args.list_ids:
        for cp_id in ids:
            print(cp_id)
        return 0
    log.set_sink(lambda level, name, text: None, log.ERROR)   # thousands of stations: the summary speaks

    def out(line):
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    async def go():
        fleet = Fleet(args, ids)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, fleet.stopping.set)
        return await fleet.run(out)

    summary = asyncio.run(go())
    for line in format_summary(summary):
        out(line)
    if args.summary_json:
        with open(args.summary_json, "w") as f:
            json.dump(summary, f, indent=1)
    return 0
