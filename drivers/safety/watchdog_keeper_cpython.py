"""CPython only: the thread that stops free-running watchdog lines when the station stops polling.

A watchdog line driven by PWM (drivers/safety/watchdog.py) keeps toggling on its own, so a hung station would
keep its relay powered. `Keeper(watchdogs, period_ms=50)` calls each watchdog's `expire()` every `period_ms` from
a daemon thread: the line goes to its safe level once its lease has run out. `check()` is one round, for tests.

It covers a station loop that is stuck or too slow, not a process frozen inside C code holding the interpreter
lock; a killed process takes the GPIO library's PWM thread with it, so its line stops too.
"""

import threading


class Keeper:
    def __init__(self, watchdogs, period_ms=50):
        self.watchdogs = list(watchdogs)
        self.period_ms = period_ms
        self._stop = threading.Event()
        self._thread = None

    def check(self):
        """One round: expire() on every watchdog; returns how many lines it stopped."""
        stopped = 0
        for wd in self.watchdogs:
            try:
                if wd.expire():
                    stopped += 1
            except Exception:   # noqa: BLE001 - the keeper must outlive any one watchdog's error
                pass
        return stopped

    def start(self):
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="watchdog-keeper", daemon=True)
            self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(self.period_ms / 1000):
            self.check()

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(1)
            self._thread = None
