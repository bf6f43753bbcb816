"""`stationctl demo`: a bench CSMS and the station on simulated hardware, on loopback, with a scripted session.

The station runs as its own process (exactly as `stationctl run` would), the CSMS runs here, and the script
drives the simulated EV through the control API. Every step is narrated; the station's own log streams below.
"""

import asyncio
import shutil
import sys
import tempfile
import time

from controller.runtime.child_station import StationProcess

CP_ID = "DEMO-CP1"


class Narrator:
    def __init__(self, show_station=True):
        self.t0 = time.monotonic()
        self.show_station = show_station

    def say(self, text):
        sys.stdout.write("\n==> " + text + "\n")
        sys.stdout.flush()

    def station_line(self, line):
        if self.show_station:
            sys.stdout.write("    station | " + line + "\n")
            sys.stdout.flush()


async def scripted_session(csms, station, say):
    say("Waiting for the station to register with the central system (BootNotification)...")
    boot = await csms.wait_for("BootNotification", timeout=20)
    say("The station said hello as " + boot["payload"]["chargePointVendor"] + " " +
        boot["payload"]["chargePointModel"] + "; the CSMS accepted it. It now reports each connector's status.")
    await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2, timeout=10)

    say("The CSMS reads the station's settings (GetConfiguration) ...")
    keys = await csms.call(CP_ID, "GetConfiguration", {"key": ["HeartbeatInterval", "NumberOfConnectors",
                                                                "SupportedFeatureProfiles"]})
    for entry in keys["configurationKey"]:
        say("   " + entry["key"] + " = " + entry.get("value", "?"))

    say("... and asks for a heartbeat every 2 seconds (ChangeConfiguration).")
    await csms.call(CP_ID, "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "2"})
    mark = csms.mark()
    await csms.wait_for("Heartbeat", after=mark, timeout=5)
    say("Heartbeat received: the station is alive and its clock is synchronised with the CSMS.")

    say("A driver plugs an EV into connector 1: the connector goes from Available to Preparing.")
    mark = csms.mark()
    await station.post("/plug", connector=1)
    await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 1 and p["status"] == "Preparing",
                        after=mark, timeout=5)

    say("The driver changes their mind and unplugs: back to Available.")
    mark = csms.mark()
    await station.post("/unplug", connector=1)
    await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 1 and p["status"] == "Available",
                        after=mark, timeout=5)

    say("The operator takes connector 2 out of service (ChangeAvailability Inoperative) and back.")
    mark = csms.mark()
    await csms.call(CP_ID, "ChangeAvailability", {"connectorId": 2, "type": "Inoperative"})
    await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2 and p["status"] == "Unavailable",
                        after=mark, timeout=5)
    await csms.call(CP_ID, "ChangeAvailability", {"connectorId": 2, "type": "Operative"})
    await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2 and p["status"] == "Available",
                        after=mark, timeout=5)
    await csms.wait_for("Heartbeat", after=csms.mark(), timeout=5)


async def run_demo(args):
    from bench_csms import BenchCSMS

    narrator = Narrator(show_station=not args.quiet_station)
    workdir = tempfile.mkdtemp(prefix="stationctl-demo-")
    csms = BenchCSMS()
    await csms.start()
    narrator.say("Bench CSMS listening on " + csms.url + "; starting the station on the desktop-sim board")
    station = StationProcess(workdir, csms.url, cp_id=CP_ID, echo=narrator.station_line)
    ok = False
    try:
        await station.start()
        narrator.say("Simulator control API on http://127.0.0.1:" + str(station.api_port) + " (docs/control-api.md)")
        await scripted_session(csms, station, narrator.say)
        csms.assert_clean()
        ok = True
        narrator.say("Demo complete: every frame the station sent was valid OCPP 1.6 (" +
                     str(len(csms.ledger)) + " frames in the CSMS ledger).")
    except Exception as e:
        narrator.say("Demo FAILED: " + str(e))
    finally:
        await station.stop()
        await csms.stop()
        if args.keep:
            narrator.say("Kept the demo's files in " + workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


def main(args):
    return asyncio.run(run_demo(args))
