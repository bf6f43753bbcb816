"""The full-station scenario on the MicroPython unix port, shared by tests/unixport/test_station_unix.py and
bench/mpy_unix_heap.py: boot against the bench CSMS over ws:// on 127.0.0.1, a charging session driven through
the emulated hardware (desktop-sim emulators and drivers in this process, over the poll/apply seam), an offline
period (the CSMS goes away) with replay, and a restart on the same data folder (SIGKILL, start again), the ledger
checked as in the CPython reliability tests.

`await scenario(tmp_dir, argv, env)` runs it with the interpreter command line `argv` (e.g.
`interpreters.micropython(variant="frozen32", heap="96k")`) and returns (figures, counts): the heap figures the
station printed (`import`: live heap once started, `peak`: highest live heap, `peak_after_restart`) and the
ledger counts. It raises on any failure, after printing the station's last lines and the ledger's tail.
"""

import asyncio
import json
import os
import signal

import boards
from bench_csms import BenchCSMS
from tests.reliability import ledger_checks
from tests.unixport import interpreters
from tests.unixport.hw_server import HardwareServer


class UnixStation:
    def __init__(self, tmp_dir, csms_url, link, argv, env):
        self.dir = str(tmp_dir)
        self.settings = os.path.join(self.dir, "settings.json")
        with open(self.settings, "w") as f:
            json.dump({"charge_point_id": "CP1", "csms_url": csms_url,
                       "board": os.path.join(interpreters.ROOT, "boards", "desktop-sim.json"),
                       "data_dir": os.path.join(self.dir, "data"), "reconnect": {"min_s": 0.2, "max_s": 1},
                       "log_level": "info"}, f)
        self.link = link
        self.argv = argv
        self.env = env
        self.proc = None
        self.lines = []
        self.pump = None

    async def start(self):
        argv = self.argv + ["-m", "controller.runtime.micropython.main", "--config", self.settings,
                            "--hardware-link", self.link, "--heap-report"]
        self.proc = await asyncio.create_subprocess_exec(*argv, cwd=self.dir, env=self.env,
                                                         stdout=asyncio.subprocess.PIPE,
                                                         stderr=asyncio.subprocess.STDOUT)
        self.pump = asyncio.ensure_future(self._read())

    async def _read(self):
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                return
            self.lines.append(line.decode(errors="replace").rstrip())

    async def kill(self):
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()
        if self.pump is not None:
            await asyncio.wait_for(self.pump, 5)

    def heap(self, key):
        values = [int(line.split("=")[1]) for line in self.lines if line.startswith("HEAP " + key + "=")]
        return max(values) if values else None

    def alive(self):
        assert self.proc.returncode is None, "the station exited:\n" + "\n".join(self.lines[-40:])


async def scenario(tmp_dir, argv, env, quiet=False):
    csms = BenchCSMS()
    await csms.start()
    hw = HardwareServer(boards.load("desktop-sim"), os.path.join(str(tmp_dir), "world"))
    link = await hw.start()
    station = UnixStation(tmp_dir, csms.url, link, argv, env)
    figures = {}
    try:
        await station.start()
        await csms.wait_for("BootNotification", timeout=20)
        await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2, timeout=20)
        await csms.call("CP1", "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "1"})
        mark = csms.mark()
        hw.rig.plug(1)
        hw.rig.present_tag("04A1B2C3", 1)
        start = await csms.wait_for("StartTransaction", after=mark, timeout=20)
        await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 1 and p["status"] == "Charging",
                            after=mark, timeout=20)
        await csms.wait_for("MeterValues", lambda p: p.get("transactionId") is not None, after=mark, timeout=20)
        station.alive()
        # offline: the CSMS goes away; the session ends while it is gone
        await csms.stop(abort=True)
        await asyncio.sleep(3)
        hw.rig.present_tag("04A1B2C3", 1)
        await asyncio.sleep(2)
        hw.rig.unplug(1)
        await asyncio.sleep(1)
        station.alive()
        mark = csms.mark()
        await csms.start()
        await csms.wait_for("StopTransaction", after=mark, timeout=30)
        replayed = [e for e in csms.ledger[mark:] if e["dir"] == "in" and e["action"] == "MeterValues"]
        assert replayed, "no MeterValues replayed after the offline period"
        await asyncio.sleep(1)
        # a restart on the same data folder: power cut, then boot again
        await station.kill()
        figures["import"] = station.heap("import")
        figures["peak"] = station.heap("peak")
        mark = csms.mark()
        station.lines = []
        await station.start()
        await csms.wait_for("BootNotification", after=mark, timeout=20)
        await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 1 and p["status"] == "Available",
                            after=mark, timeout=20)
        await asyncio.sleep(1)
        station.alive()
        counts = ledger_checks.check(csms.ledger, 2)
        assert counts["transactions"] == 1 and counts["stops"] == 1, counts
        assert start["payload"]["connectorId"] == 1
        csms.assert_clean()
        figures["peak_after_restart"] = station.heap("peak")
        return figures, counts
    except BaseException:
        if not quiet:
            print("---- station (unix port) ----\n" + "\n".join(station.lines[-60:]))
            print("---- CSMS ledger ----\n" + csms.tail(30))
        raise
    finally:
        await station.kill()
        await hw.stop()
        await csms.stop()
