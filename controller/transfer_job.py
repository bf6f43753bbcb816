"""One file transfer with retries: when to try, how often, and when to give up (sans-I/O, both targets).

Shared by UpdateFirmware (download) and GetDiagnostics (upload). The job does no I/O: `due(now)` says an attempt
should start; the feature emits the transfer effect and reports the runtime's result with `finished(ok, now)`.

    retries      how many times to try again after a failed attempt; 0 still makes one attempt (OCTT TC_045_2)
    interval_ms  the wait between attempts
    start_at     the monotonic ms before which no attempt starts (UpdateFirmware's retrieveDate)

States: "waiting" (for start_at or the next retry), "running" (an attempt is out), "done", "failed".
`to_doc()` / `from_doc()` keep a job across a restart; an attempt that was running at a power cut counts as failed.
"""

DEFAULT_RETRIES = 1
DEFAULT_INTERVAL_S = 30
MAX_RETRIES = 10


def _count(value, default, maximum):
    if value is None or value is True or value is False or not isinstance(value, int) or value < 0:
        return default
    return min(value, maximum)


class TransferJob:
    def __init__(self, location, retries=None, interval_s=None, start_at=0):
        self.location = location
        self.retries = _count(retries, DEFAULT_RETRIES, MAX_RETRIES)
        self.interval_ms = _count(interval_s, DEFAULT_INTERVAL_S, 86400) * 1000
        self.attempts = 0
        self.state = "waiting"
        self.next_at = start_at
        self.error = None

    def due(self, now):
        return self.state == "waiting" and now >= self.next_at

    def deadline(self):
        return self.next_at if self.state == "waiting" else None

    def begin(self, now):
        """An attempt starts now; returns its number (1 for the first)."""
        self.attempts += 1
        self.state = "running"
        return self.attempts

    def finished(self, ok, now, error=None):
        """The runtime's result of the running attempt. Returns the new state."""
        if self.state != "running":
            return self.state
        if ok:
            self.state = "done"
            self.error = None
        elif self.attempts > self.retries:
            self.state = "failed"
            self.error = error
        else:
            self.state = "waiting"
            self.next_at = now + self.interval_ms
            self.error = error
        return self.state

    def to_doc(self, clock, now):
        """A JSON-safe record; times as wall-clock epoch ms, since monotonic time restarts with the station."""
        return {"location": self.location, "retries": self.retries, "interval_ms": self.interval_ms,
                "attempts": self.attempts, "state": self.state, "next_epoch": clock.epoch_ms(self.next_at)}

    @staticmethod
    def from_doc(doc, clock, now):
        """The job of a record written before a restart, or None if the record is not one."""
        if not isinstance(doc, dict) or not isinstance(doc.get("location"), str):
            return None
        job = TransferJob(doc["location"])
        job.retries = _count(doc.get("retries"), DEFAULT_RETRIES, MAX_RETRIES)
        interval = doc.get("interval_ms")
        if isinstance(interval, int) and not isinstance(interval, bool) and interval >= 0:
            job.interval_ms = interval
        job.attempts = _count(doc.get("attempts"), 0, MAX_RETRIES + 1)
        state = doc.get("state")
        next_epoch = doc.get("next_epoch")
        if isinstance(next_epoch, int) and not isinstance(next_epoch, bool):
            job.next_at = max(now, next_epoch - clock.epoch_ms(now) + now)
        else:
            job.next_at = now
        if state == "running":
            job.state = "running"
            job.finished(False, now, "interrupted by a restart")   # the attempt died with the power
        elif state in ("done", "failed"):
            job.state = state
        return job
