"""The station's rotating log file in its data folder (CPython): `<data_dir>/logs/station.log`, then .1 ... .N.

Each line: `2026-12-07T16:55:01.123Z INFO  station  text`, UTC, so a diagnostics bundle can pick the lines of a
time window (`lines_between`). The file rotates at MAX_BYTES; KEEP old files are kept. Writes are line-buffered,
not fsynced: a power cut may lose the last lines, never the station's state.
"""

import os
import time

from controller import clock

MAX_BYTES = 1024 * 1024
KEEP = 4
FOLDER = "logs"
NAME = "station.log"


class LogFile:
    def __init__(self, data_dir, max_bytes=MAX_BYTES, keep=KEEP):
        self.folder = os.path.join(data_dir, FOLDER)
        os.makedirs(self.folder, exist_ok=True)
        self.path = os.path.join(self.folder, NAME)
        self.max_bytes = max_bytes
        self.keep = keep
        self.f = open(self.path, "a", buffering=1)

    def write(self, level_name, name, text):
        stamp = clock.format_iso(time.time_ns() // 1000000)
        try:
            self.f.write(stamp + " " + level_name.ljust(5) + " " + name.ljust(8) + " " + text + "\n")
            if self.f.tell() >= self.max_bytes:
                self.rotate()
        except (OSError, ValueError):
            pass                  # a full disk must not stop the station

    def rotate(self):
        self.f.close()
        for i in range(self.keep - 1, 0, -1):
            older = self.path + "." + str(i)
            if os.path.exists(older):
                os.replace(older, self.path + "." + str(i + 1))
        os.replace(self.path, self.path + ".1")
        self.f = open(self.path, "a", buffering=1)

    def close(self):
        self.f.close()


def tee(data_dir):
    """Also write every log line of the installed sink to the data folder's rotating log file."""
    from controller import log

    logfile = LogFile(data_dir)
    inner = log.Logger.sink

    def sink(level, name, text):
        inner(level, name, text)
        logfile.write(log._NAMES.get(level, "?"), name, text)

    log.Logger.sink = sink
    return logfile


def log_files(data_dir):
    """The log files, oldest first."""
    base = os.path.join(data_dir, FOLDER, NAME)
    out = []
    for i in range(KEEP + 8, 0, -1):
        if os.path.exists(base + "." + str(i)):
            out.append(base + "." + str(i))
    if os.path.exists(base):
        out.append(base)
    return out


def lines_between(data_dir, start_epoch=None, stop_epoch=None):
    """Yields the log lines (with their newline) stamped within [start, stop] epoch ms; None is open-ended. A line
    without a stamp (a continuation) goes with the line before it."""
    keep = False
    for path in log_files(data_dir):
        with open(path, errors="replace") as f:
            for line in f:
                stamp = clock.parse_iso(line[:24]) if len(line) >= 24 else None
                if stamp is not None:
                    keep = (start_epoch is None or stamp >= start_epoch) and (stop_epoch is None or
                                                                             stamp <= stop_epoch)
                if keep:
                    yield line
