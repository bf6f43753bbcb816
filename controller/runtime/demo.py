"""`stationctl demo`: a bench CSMS and the station on simulated hardware, on loopback, with scripted sessions:
registration, a full charging session (plug, card, Authorize, StartTransaction, MeterValues, stop, unplug), and an
offline session that the station replays from its journal when the network comes back.

The station runs as its own process (exactly as `stationctl run` would), the CSMS runs here, and the script
drives the simulated EV through the control API. Every step is narrated; the station's own log streams below.
"""

import asyncio
import importlib
import shutil
import sys
import tempfile
import time

from controller.runtime.child_station import StationProcess

CP_ID = "DEMO-CP1"

# `stationctl demo --scenario NAME`: the module and the coroutine (csms, station, say) that script each scenario.
SCENARIOS = {
    "session": ("controller.runtime.demo", "scripted_session"),
    "reservation": ("controller.runtime.demo_reservation", "reservation_scenario"),
    "smart-charging": ("controller.runtime.demo_smart", "smart_charging_scenario"),
}


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


async def wait_status(csms, connector, status, mark, timeout=10):
    return await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == connector and
                               p["status"] == status, after=mark, timeout=timeout)


async def registration(csms, station, say):
    say("Waiting for the station to register with the central system (BootNotification)...")
    boot = await csms.wait_for("BootNotification", timeout=20)
    say("The station introduced itself as " + boot["payload"]["chargePointVendor"] + " " +
        boot["payload"]["chargePointModel"] + "; the central system accepted it. The station now reports the "
        "status of each of its two connectors (StatusNotification).")
    await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2, timeout=10)
    keys = await csms.call(CP_ID, "GetConfiguration", {"key": ["NumberOfConnectors", "SupportedFeatureProfiles"]})
    say("The central system reads two of the station's settings (GetConfiguration): " +
        ", ".join(e["key"] + " = " + e.get("value", "?") for e in keys["configurationKey"]) + ".")
    await csms.call(CP_ID, "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "10"})
    await csms.call(CP_ID, "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "2"})
    await csms.call(CP_ID, "ChangeConfiguration", {"key": "MeterValuesSampledData", "value":
                                                   "Energy.Active.Import.Register,Power.Active.Import,Current.Import"})
    say("It asks for a heartbeat every 10 s, and for energy, power and current every 2 s while charging "
        "(ChangeConfiguration).")


async def online_session(csms, station, say):
    mark = csms.mark()
    say("A driver plugs an electric car into connector 1: the connector goes from Available to Preparing.")
    await station.post("/plug", connector=1, ev_max_amps=16)
    await wait_status(csms, 1, "Preparing", mark)
    say("The driver holds RFID card 04A1B2C3 to the reader. The station asks the central system whether this "
        "card may charge (Authorize)...")
    await station.post("/tag", id_tag="04A1B2C3", connector=1)
    await csms.wait_for("Authorize", after=mark)
    start = await csms.wait_for("StartTransaction", after=mark)
    answer = await csms.wait_for("StartTransaction", after=mark, kind="CALLRESULT", direction="out")
    tx_id = answer["payload"]["transactionId"]
    say("Accepted. The station locks the cable, closes its contactor and tells the central system the charge "
        "has begun (StartTransaction, meter at " + str(start["payload"]["meterStart"]) + " Wh). The central "
        "system numbers it transaction " + str(tx_id) + ".")
    await wait_status(csms, 1, "Charging", mark)
    for _ in range(2):
        reading = await csms.wait_for("MeterValues", after=mark, timeout=5)
        mark = csms.ledger.index(reading) + 1
        say("Meter reading (MeterValues): " + ", ".join(v.get("measurand", "?") + " " + v["value"] + " " +
                                                         v.get("unit", "") for v in
                                                         reading["payload"]["meterValue"][0]["sampledValue"]))
    say("The car's battery management pauses the charge: its control pilot goes from C back to B, the station "
        "opens the contactor at once and reports SuspendedEV...")
    await station.post("/ev", connector=1, suspended=True)
    await wait_status(csms, 1, "SuspendedEV", mark)
    say("...and resumes: pilot B -> C, the contactor closes again, Charging.")
    await station.post("/ev", connector=1, suspended=False)
    await wait_status(csms, 1, "Charging", mark)
    say("The driver holds the same card to the reader again to stop. No need to ask the central system: it is "
        "the card that started the charge.")
    await station.post("/tag", id_tag="04A1B2C3")
    stop = await csms.wait_for("StopTransaction", after=mark)
    say("The station opens the contactor, unlocks the cable and reports the end of the charge (StopTransaction): "
        + str(stop["payload"]["meterStop"] - start["payload"]["meterStart"]) + " Wh delivered, reason " +
        stop["payload"]["reason"] + ".")
    await wait_status(csms, 1, "Finishing", mark)
    await asyncio.sleep(1.0)
    say("With the offer withdrawn the car goes back to pilot state B; the connector is Finishing until the "
        "driver unplugs.")
    await station.post("/unplug", connector=1)
    await wait_status(csms, 1, "Available", mark)
    say("The driver unplugs (pilot A): connector 1 is Available again.")


async def offline_session(csms, station, say):
    say("Now the station loses its network connection (the control API cuts it).")
    await station.post("/network", up=False)
    await asyncio.sleep(0.5)
    say("Another car plugs into connector 2 (a fixed cable), and the same card is presented. The station cannot "
        "ask the central system, but it remembers that this card was accepted (authorization cache), so it "
        "charges anyway and writes every message to its power-safe journal.")
    await station.post("/plug", connector=2, ev_max_amps=16)
    await station.post("/tag", id_tag="04A1B2C3", connector=2)
    await asyncio.sleep(5)
    state = await station.state()
    say("Offline for 5 s; the journal holds " + str(state["journal_backlog"]) + " messages waiting to be sent. "
        "The driver stops with the card and unplugs.")
    await station.post("/tag", id_tag="04A1B2C3")
    await station.post("/unplug", connector=2)
    await asyncio.sleep(0.5)
    mark = csms.mark()
    say("The network comes back. The station reconnects (no new BootNotification) and replays the journal in "
        "order, before anything else:")
    await station.post("/network", up=True)
    stop = await csms.wait_for("StopTransaction", after=mark, timeout=15)
    replayed = [e for e in csms.ledger[mark:csms.ledger.index(stop) + 1] if e["dir"] == "in" and
                e["kind"] == "CALL" and e["action"] in ("StartTransaction", "MeterValues", "StopTransaction")]
    for e in replayed:
        stamp = e["payload"].get("timestamp") or e["payload"]["meterValue"][0]["timestamp"]
        say("   replayed " + e["action"] + " stamped " + stamp)
    say("The StopTransaction carries transaction id " + str(stop["payload"]["transactionId"]) + ", the number "
        "the central system gave the replayed StartTransaction: nothing was lost, nothing was sent twice.")


async def scripted_session(csms, station, say):
    await registration(csms, station, say)
    await online_session(csms, station, say)
    await offline_session(csms, station, say)


async def run_demo(args):
    from bench_csms import BenchCSMS

    narrator = Narrator(show_station=not args.quiet_station)
    workdir = tempfile.mkdtemp(prefix="stationctl-demo-")
    csms = BenchCSMS()
    await csms.start()
    narrator.say("Bench CSMS listening on " + csms.url + "; starting the station on the desktop-sim board")
    station = StationProcess(workdir, csms.url, cp_id=CP_ID, echo=narrator.station_line,
                             dashboard={"port": args.dashboard_port})
    ok = False
    try:
        await station.start()
        narrator.say("Simulator control API on http://127.0.0.1:" + str(station.api_port) + " (docs/control-api.md)")
        narrator.say("Watch the station live in a browser: " + station.dashboard_url() + " (docs/dashboard.md)")
        where = SCENARIOS[getattr(args, "scenario", None) or "session"]
        await getattr(importlib.import_module(where[0]), where[1])(csms, station, narrator.say)
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
