"""systemd's notify protocol for the CPython runtime, without libsystemd: one datagram per message.

`Notifier.from_env()` reads NOTIFY_SOCKET (a path, or `@name` for an abstract socket) and sends `KEY=value`
lines to it over AF_UNIX/SOCK_DGRAM; with no NOTIFY_SOCKET it is None and nothing here runs.

`Supervisor(runtime, notifier)` is a loop on the runtime's event loop that tells systemd:

    READY=1       once the hardware is built and its first poll has completed: the station then charges, with
                  or without a CSMS (it does not wait for the link, which may be down for days)
    WATCHDOG=1    each tick (a quarter of WATCHDOG_USEC, at most 1 s) while BOTH the event loop runs (this
                  loop is on it) AND the hardware poll completed within half of WATCHDOG_USEC. A driver call
                  that hangs in the poll thread stops the feeding though the loop is alive, and systemd restarts
                  the service WatchdogSec after the last feed
    STATUS=...    the CSMS link and registration, and a stalled poll, whenever that text changes
    STOPPING=1    when the runtime shuts down (SIGTERM); STATUS names a Reset before the process re-executes

WATCHDOG_PID, when set, must be our pid (systemd sets it for the main process only).
"""

import asyncio
import os
import socket
import time

from controller import log

TICK_S = 1.0
STALL_WITHOUT_WATCHDOG_MS = 10000   # with no watchdog configured, STATUS still reports a poll stalled this long


def _now_ms():
    return time.monotonic_ns() // 1000000


class Notifier:
    def __init__(self, address):
        self.address = "\0" + address[1:] if address.startswith("@") else address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.log = log.get("systemd")
        self._failing = False

    @classmethod
    def from_env(cls, env=None):
        address = (os.environ if env is None else env).get("NOTIFY_SOCKET", "")
        if len(address) < 2 or address[0] not in "/@":
            return None
        return cls(address)

    def send(self, *lines):
        """Send `KEY=value` lines in one datagram; a lost datagram is logged once, never raised."""
        try:
            self.sock.sendto(("\n".join(lines) + "\n").encode(), self.address)
            self._failing = False
        except OSError as e:
            if not self._failing:
                self.log.warning("cannot notify systemd at " + repr(self.address) + ": " + str(e))
            self._failing = True

    def close(self):
        self.sock.close()


def watchdog_ms(env=None):
    """WATCHDOG_USEC in ms, or None when systemd asks for no watchdog (or asks another process)."""
    env = os.environ if env is None else env
    pid = env.get("WATCHDOG_PID", "")
    if pid and pid != str(os.getpid()):
        return None
    usec = env.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    return max(1, int(usec) // 1000)


class Supervisor:
    def __init__(self, runtime, notifier, watchdog=None):
        self.runtime = runtime
        self.notifier = notifier
        self.watchdog_ms = watchdog
        self.stall_ms = watchdog // 2 if watchdog is not None else STALL_WITHOUT_WATCHDOG_MS
        self.tick_s = TICK_S if watchdog is None else min(TICK_S, watchdog / 4000)
        self.ready = False
        self.stalled = False
        self.status = None
        self.log = log.get("systemd")

    @classmethod
    def from_env(cls, runtime, env=None):
        notifier = Notifier.from_env(env)
        if notifier is None:
            return None
        return cls(runtime, notifier, watchdog_ms(env))

    def link_text(self):
        rt = self.runtime
        if rt.ws is None:
            return "CSMS link down, reconnecting"
        return "CSMS link up, registration " + rt.station.registration

    def tick(self, now):
        last_poll = self.runtime.poll_done_ms
        if last_poll is None:
            return                      # hardware not built yet: systemd waits for READY, no watchdog yet
        lines = []
        if not self.ready:
            self.ready = True
            lines.append("READY=1")
        stalled = now - last_poll > self.stall_ms
        if stalled != self.stalled:
            self.stalled = stalled
            if stalled:
                self.log.warning("the hardware poll has not completed for " + str(now - last_poll) + " ms" +
                                 ("; the systemd watchdog is no longer fed" if self.watchdog_ms else ""))
            else:
                self.log.info("the hardware poll is making progress again")
        if self.watchdog_ms is not None and not stalled:
            lines.append("WATCHDOG=1")
        status = self.link_text() + ("; hardware poll stalled" if stalled else "; hardware ok")
        if status != self.status:
            self.status = status
            lines.append("STATUS=" + status)
        if lines:
            self.notifier.send(*lines)

    async def run(self):
        if self.watchdog_ms is not None:
            self.log.info("systemd watchdog every " + str(self.watchdog_ms) + " ms, fed while the event loop "
                          "and the hardware poll make progress")
        while True:
            self.tick(_now_ms())
            await asyncio.sleep(self.tick_s)

    def restarting(self, kind):
        self.notifier.send("STATUS=" + kind + " reset: restarting the station process")

    def stopping(self):
        self.notifier.send("STOPPING=1", "STATUS=stopping")
