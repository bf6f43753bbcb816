"""What a fleet run counts: frames, sessions, CSMS latencies, lateness of our own messages, errors by kind."""

import json


def percentile(values, q):
    """The q-th percentile (0-100) of `values` by nearest rank; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(q / 100.0 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


class FleetStats:
    LATE_MS = 1000

    def __init__(self):
        self.frames_out = 0
        self.frames_in = 0
        self.latencies = []          # ms, CSMS answers to our CALLs
        self.late = 0                # messages sent more than LATE_MS after they were due
        self.worst_late_ms = 0
        self.ticks = 0
        self.online = 0
        self.errors = {}
        self.counts = {"sessions_started": 0, "sessions_stopped": 0}

    def connected(self, delta):
        self.online += delta

    def tick(self, late_ms):
        self.ticks += 1

    def sent(self, late_ms):
        if late_ms > self.worst_late_ms:
            self.worst_late_ms = late_ms
        if late_ms > self.LATE_MS:
            self.late += 1

    def error(self, kind):
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def count(self, name):
        self.counts[name] = self.counts.get(name, 0) + 1

    def frame(self, direction, kind, action, latency_ms, text):
        if direction == "out":
            self.frames_out += 1
        else:
            self.frames_in += 1
        if latency_ms is not None:
            self.latencies.append(latency_ms)
        if kind == "CALLERROR":
            self.error(("CALLERROR from CSMS: " if direction == "in" else "CALLERROR to CSMS: ") + _code(text))
        elif kind == "CALLRESULT" and direction == "in":
            if action == "StartTransaction":
                self.counts["sessions_started"] += 1
            elif action == "StopTransaction":
                self.counts["sessions_stopped"] += 1

    def latency_figures(self):
        return {"p50": percentile(self.latencies, 50), "p90": percentile(self.latencies, 90),
                "p99": percentile(self.latencies, 99), "max": max(self.latencies) if self.latencies else None}

    def summary(self, stations, seconds):
        frames = self.frames_out + self.frames_in
        return {"stations": stations, "seconds": round(seconds, 1), "online_at_end": self.online,
                "sessions_started": self.counts["sessions_started"],
                "sessions_stopped": self.counts["sessions_stopped"],
                "frames_out": self.frames_out, "frames_in": self.frames_in,
                "messages_per_s": round(frames / seconds, 1) if seconds > 0 else 0.0,
                "csms_latency_ms": self.latency_figures(), "late_over_1s": self.late,
                "worst_lateness_ms": self.worst_late_ms, "timer_wakeups": self.ticks,
                "resets": self.counts.get("resets", 0), "errors": dict(self.errors)}


def _code(text):
    try:
        return str(json.loads(text)[2])
    except (ValueError, IndexError, TypeError):
        return "unreadable"
