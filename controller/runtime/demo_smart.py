"""`stationctl demo --scenario smart-charging`: a charging profile lowers the limit mid-session, narrated.

A car charges at the connector's full 32 A. The central system sends a TxProfile for the running transaction
(SetChargingProfile) whose limit steps down 16 A -> 10 A -> 4 A and back up to 20 A, 6 s apart. The demo
watches the simulated hardware and narrates each step: the pilot's duty cycle changes (never twice within 5 s),
the car draws what it is offered, below 6 A the offer is withdrawn (SuspendedEVSE) and charging resumes when
the limit rises again; GetCompositeSchedule shows the schedule the station follows.
"""

import asyncio
import time

from controller.clock import format_iso
from controller.runtime.demo import CP_ID, registration, wait_status

CARD = "04A1B2C3"
STEPS = ((0, 16), (6, 10), (12, 4), (18, 20))       # (startPeriod s, limit A)
DURATION_S = 24


def profile(tx_id, start_ms):
    return {"chargingProfileId": 1, "transactionId": tx_id, "stackLevel": 0, "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {"duration": DURATION_S, "startSchedule": format_iso(start_ms, False),
                                 "chargingRateUnit": "A",
                                 "chargingSchedulePeriod": [{"startPeriod": s, "limit": a} for s, a in STEPS]}}


def describe(hw):
    """What the hardware of connector 1 does now, in words."""
    pilot = hw["devices"]["connectors"][0].get("pilot") or {}
    duty = pilot.get("duty")
    port = hw["connectors"][0]
    offer = ("duty " + ("%.1f" % (duty / 10)) + " % = " + str(port["offered_amps"]) + " A offered") if duty else \
        "no offer (steady +12 V)"
    return "pilot " + offer + ", pilot state " + str(pilot.get("state")) + ", the car draws " + \
        ("%.1f" % port["amps"]) + " A"


async def watch(station, say, t0, seconds):
    """Narrate every change of the offer or of the current drawn, for `seconds`."""
    last = None
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        state = await station.state()
        hw = state["hardware"]
        port = hw["connectors"][0]
        now = (port["offered_amps"], round(port["amps"]))
        if now != last:
            last = now
            say("t = " + ("%4.1f" % (time.monotonic() - t0)) + " s: " + describe(hw) + "; connector 1 " +
                state["connectors"][1]["status"])
        await asyncio.sleep(0.1)


async def smart_charging_scenario(csms, station, say):
    await registration(csms, station, say)
    mark = csms.mark()
    say("A car that can take 32 A plugs into connector 1 and the driver presents card " + CARD + ".")
    await station.post("/plug", connector=1, ev_max_amps=32)
    await station.post("/tag", id_tag=CARD, connector=1)
    await csms.wait_for("StartTransaction", after=mark, timeout=10)
    answer = await csms.wait_for("StartTransaction", after=mark, kind="CALLRESULT", direction="out")
    tx_id = answer["payload"]["transactionId"]
    await wait_status(csms, 1, "Charging", mark)
    await asyncio.sleep(5.5)        # the 32 A offer is 5 s old: the first step is not held
    state = await station.state()
    say("Charging (transaction " + str(tx_id) + "): " + describe(state["hardware"]) + ".")
    start = int(time.time()) * 1000
    steps = ", ".join(str(a) + " A from " + str(s) + " s" for s, a in STEPS)
    say("The grid operator asks for less: the central system sends a TxProfile for transaction " + str(tx_id) +
        " (SetChargingProfile): " + steps + ", for " + str(DURATION_S) + " s.")
    got = await csms.call(CP_ID, "SetChargingProfile", {"connectorId": 1, "csChargingProfiles":
                                                        profile(tx_id, start)})
    say("SetChargingProfile: " + got["status"] + ".")
    schedule = await csms.call(CP_ID, "GetCompositeSchedule", {"connectorId": 1, "duration": DURATION_S + 6,
                                                               "chargingRateUnit": "A"})
    say("GetCompositeSchedule(connector 1, " + str(DURATION_S + 6) + " s): " + ", ".join(
        str(q["limit"]) + " A from " + str(q["startPeriod"]) + " s" for q in
        schedule["chargingSchedule"]["chargingSchedulePeriod"]) + " (the connector's own 32 A after the profile).")
    say("Watching the pilot and the car while the schedule runs (each duty change is at least 5 s after the last):")
    await watch(station, say, start / 1000 - time.time() + time.monotonic(), DURATION_S + 3)
    statuses = [e["payload"]["status"] for e in csms.ledger[mark:] if e["dir"] == "in" and e["kind"] == "CALL" and
                e["action"] == "StatusNotification" and e["payload"]["connectorId"] == 1]
    if "SuspendedEVSE" not in statuses or statuses[-1] != "Charging":
        raise AssertionError("connector 1 did not go SuspendedEVSE and back to Charging: " + repr(statuses))
    say("Below 6 A no offer can be made: the connector reported SuspendedEVSE, and Charging again when the "
        "limit rose (StatusNotifications: " + " -> ".join(statuses) + ").")
    mark = csms.mark()
    await station.post("/tag", id_tag=CARD)
    stop = await csms.wait_for("StopTransaction", after=mark, timeout=10)
    await station.post("/unplug", connector=1)
    await wait_status(csms, 1, "Available", mark)
    say("The driver stops with the card (StopTransaction, meter at " + str(stop["payload"]["meterStop"]) +
        " Wh) and unplugs; the TxProfile ended with its transaction.")
