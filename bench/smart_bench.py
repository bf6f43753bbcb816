"""`python -m bench.smart_bench`: Smart Charging on the real station process, over WebSockets on 127.0.0.1.

The station runs as its own process on the desktop-sim board (two 32 A three-phase connectors, the real drivers on
the wire-level emulators) against the bench CSMS (bench_csms/), started as the conformance tests start them
(tests/station_process.py), so a protocol violation or an illegal status transition fails the run. Both connectors
charge (RemoteStartTransaction); the station is then filled with MaxChargingProfilesInstalled profiles of every
purpose and kind (ChargePointMaxProfile on 0, TxDefaultProfile on 0, 1 and 2, TxProfile on 1; Absolute, Recurring
Daily and Relative; A and W; validTo; higher stacks that end so that lower ones take over), each with
ChargingScheduleMaxPeriods periods, at stack levels up to ChargeProfileMaxStackLevel (the board's values, read
with GetConfiguration); one more is checked to be Rejected.

    composite   GetCompositeSchedule over a day, connector 1 and connector 0 (the station's total), `--calls`
                times each: CALL sent -> answer received at the bench CSMS (its ledger's latency), p50/p99;
                target p99 <= 5 ms. Beside it, in this process on the same profiles: the composite maths alone
                (controller/smart/composite.py) and the whole core (frame in -> answer out), to show where the
                time goes; and one poll of the simulated hardware, which the station runs on the same event
                loop (a CALL arriving during a slow one waits for it).
    pilot       SetChargingProfile (replacing the top TxProfile on connector 1, alternating 7 A / 9 A) ->
                the new pilot duty cycle in the emulated PWM (the control API's hardware state), `--steps` times,
                each after the duty has been steady for the 5 s hold; the figure is the time from the CSMS
                receiving SetChargingProfile.conf to the control API answering with the new duty (an upper bound:
                it includes one control-API round trip, printed too). Target: within one hardware poll. Beside it,
                in process: SetChargingProfile frame in -> the limit command out of the core.

Seeds: none publishes a composite-schedule or limit-to-pilot time; their PICS give ChargingProfileMaxStackLevel and
ChargingScheduleMaxPeriods (bench/seeds.py), printed next to ours.
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time

from bench.station_bench import percentile

HOLD_MARGIN_S = 0.3          # the duty must have been steady this much longer than the 5 s hold
STEP_AMPS = (7, 9)           # the limits the pilot measurement alternates between (below every other bound)
COMPOSITE_S = 86400
WARM_UP = 3
# (connectorId, purpose) in the order the profiles are dealt out; the TxProfile is for connector 1's transaction
SLOTS = ((0, "ChargePointMaxProfile"), (0, "TxDefaultProfile"), (1, "TxDefaultProfile"), (2, "TxDefaultProfile"),
         (1, "TxProfile"))


def profile_set(now_ms, limits, tx_id):
    """`limits["profiles"]` (connectorId, csChargingProfiles) pairs that fill the station: dealt out over SLOTS, one
    stack level per round, each with `limits["periods"]` periods. Periods are a few minutes long and each profile's
    length differs, so a day has hundreds of distinct boundaries; every higher stack ends (duration or validTo) and
    the lowest of each purpose is open-ended. The ChargePointMaxProfile is 20 to 44 A (>= 10 A per busy connector),
    so the pilot measurement's TxProfile (STEP_AMPS) always decides connector 1's limit."""
    from controller.clock import format_iso
    out = []
    for i in range(limits["profiles"]):
        slot = i % len(SLOTS)
        stack = i // len(SLOTS)
        if stack > limits["stack"]:
            break
        cid, purpose = SLOTS[slot]
        step = 240 + 60 * stack + 17 * slot
        kind = ("Absolute", "Recurring", "Relative")[stack % 3]
        if kind == "Relative" and purpose == "ChargePointMaxProfile":
            kind = "Absolute"
        unit = "W" if purpose == "TxDefaultProfile" and stack % 2 == 1 else "A"
        periods = []
        for k in range(limits["periods"]):
            amps = 20 + (7 * k + 3 * stack) % 25 if purpose == "ChargePointMaxProfile" else \
                6 + (5 * k + 3 * stack + slot) % 27
            periods.append({"startPeriod": k * step, "limit": amps * 230 * 3 if unit == "W" else amps})
        sched = {"chargingRateUnit": unit, "chargingSchedulePeriod": periods}
        if stack > 0:
            sched["duration"] = step * limits["periods"] + 600 * stack
        if kind != "Relative":
            sched["startSchedule"] = format_iso(now_ms - (60 + 3600 * (stack % 3)) * 1000, False)
        p = {"chargingProfileId": 100 + i, "stackLevel": stack, "chargingProfilePurpose": purpose,
             "chargingProfileKind": kind, "chargingSchedule": sched}
        if kind == "Recurring":
            p["recurrencyKind"] = "Daily"
        if stack == 1:
            p["validTo"] = format_iso(now_ms + 5 * 3600 * 1000, False)
        if purpose == "TxProfile":
            p["transactionId"] = tx_id
        out.append((cid, p))
    return out


def step_profile(top, amps):
    """The top TxProfile of connector 1 again (same id, purpose and stackLevel: it replaces it), one open-ended
    period of `amps`."""
    p = dict(top)
    for key in ("recurrencyKind", "validFrom", "validTo"):
        p.pop(key, None)
    p["chargingSchedule"] = {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": amps}]}
    p["chargingProfileKind"] = "Relative"
    return p


def top_tx_profile(profiles):
    return [p for cid, p in profiles if p["chargingProfilePurpose"] == "TxProfile"][-1]


# ---- over WebSockets ---------------------------------------------------------------------------------------------
def _answer_ms(csms, action):
    """The bench CSMS's ledger latency of the last answer to our `action` CALL (sent -> received, ms)."""
    for entry in reversed(csms.ledger):
        if entry["dir"] == "in" and entry["kind"] == "CALLRESULT" and entry["action"] == action:
            return entry["t"], entry["latency_ms"]
    raise AssertionError("no answer to " + action + " in the ledger")


async def _limits(csms):
    keys = await csms.get_configuration("CP1", ["MaxChargingProfilesInstalled", "ChargeProfileMaxStackLevel",
                                                "ChargingScheduleMaxPeriods"])
    value = {k["key"]: int(k["value"]) for k in keys["configurationKey"]}
    return {"profiles": value["MaxChargingProfilesInstalled"], "stack": value["ChargeProfileMaxStackLevel"],
            "periods": value["ChargingScheduleMaxPeriods"]}


async def _fill(csms, limits, tx_id):
    from tests.conformance.test_smart_charging import set_profile
    profiles = profile_set(int(time.time() * 1000), limits, tx_id)
    for cid, p in profiles:
        status = await set_profile(csms, cid, p)
        if status != "Accepted":
            raise AssertionError("profile %d on connector %d: %s" % (p["chargingProfileId"], cid, status))
    extra = dict(profiles[0][1], chargingProfileId=999, stackLevel=limits["stack"])
    one_more = await set_profile(csms, 0, extra)
    return profiles, one_more


async def _composites(csms, calls, progress):
    out = {}
    for cid in (1, 0):
        progress("  GetCompositeSchedule on connector %d, %d calls..." % (cid, calls))
        times = []
        got = None
        for i in range(WARM_UP + calls):
            got = await csms.call("CP1", "GetCompositeSchedule", {"connectorId": cid, "duration": COMPOSITE_S,
                                                                 "chargingRateUnit": "A"})
            if got["status"] != "Accepted":
                raise AssertionError("GetCompositeSchedule %d: %r" % (cid, got))
            if i >= WARM_UP:
                times.append(_answer_ms(csms, "GetCompositeSchedule")[1])
        out[cid] = {"ms": times, "periods": len(got["chargingSchedule"]["chargingSchedulePeriod"])}
    return out


def _duty(state):
    return (state["hardware"]["devices"]["connectors"][0].get("pilot") or {}).get("duty")


async def _steady(station, hold_s, timeout=30):
    """Wait until connector 1's duty has not changed for the 5 s hold (plus a margin); returns the duty."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    duty = _duty(await station.state())
    since = loop.time()
    while loop.time() - since < hold_s + HOLD_MARGIN_S:
        if loop.time() > end:
            raise AssertionError("the pilot duty kept changing")
        await asyncio.sleep(0.1)
        now = _duty(await station.state())
        if now != duty:
            duty, since = now, loop.time()
    return duty


async def _pilot(csms, station, top, steps, progress):
    from controller.features.energy import DUTY_HOLD_MS
    from drivers.pilot.duty import amps_to_duty
    from tests.conformance.test_smart_charging import set_profile
    lags, trips = [], []
    for i in range(steps):
        amps = STEP_AMPS[i % 2]
        want = amps_to_duty(amps)
        progress("  step %d/%d: waiting for the 5 s duty hold, then %d A (duty %.1f %%)"
                 % (i + 1, steps, amps, want / 10))
        if await _steady(station, DUTY_HOLD_MS / 1000) == want:
            raise AssertionError("the duty is already %d" % want)
        if await set_profile(csms, 1, step_profile(top, amps)) != "Accepted":
            raise AssertionError("the step profile was not accepted")
        conf_t = _answer_ms(csms, "SetChargingProfile")[0]
        while True:
            asked = time.monotonic()
            state = await station.state()
            got = time.monotonic()
            trips.append((got - asked) * 1000)
            if _duty(state) == want:
                lags.append((got - conf_t) * 1000)
                break
            if got - conf_t > 10:
                raise AssertionError("duty %r, not %d, 10 s after the conf" % (_duty(state), want))
    return lags, trips


async def wire(calls, steps, progress):
    from tests.conformance.test_core_transactions import ready
    from tests.conformance.test_smart_charging import charging
    from tests.station_process import station_env
    with tempfile.TemporaryDirectory() as work:
        async with station_env(work, log_level="warning") as (csms, station):
            progress("  starting the station; two charging sessions...")
            await ready(csms)
            limits = await _limits(csms)
            tx_id = await charging(csms, station, 1)
            await charging(csms, station, 2)
            progress("  installing %d profiles (%d periods each)..." % (limits["profiles"], limits["periods"]))
            profiles, one_more = await _fill(csms, limits, tx_id)
            composites = await _composites(csms, calls, progress)
            lags, trips = await _pilot(csms, station, top_tx_profile(profiles), steps, progress)
    return {"limits": limits, "installed": len(profiles), "one_more": one_more, "composite": composites,
            "pilot_ms": lags, "api_ms": trips}


# ---- in process: the core alone --------------------------------------------------------------------------------
def core(calls):
    """The same profiles in the sans-I/O core (tests/micropython/core_harness.py, fake clock): the composite maths
    alone and a whole GetCompositeSchedule frame in -> answer out (us), per connector; SetChargingProfile frame in
    -> the connector's limit command out (us)."""
    from controller import log
    from controller.smart import composite as comp
    from tests.micropython.core_harness import EPOCH_2026
    from tests.micropython.smart_scenarios import charging, set_profile
    from tests.micropython.tx_scenarios import booted
    log.set_sink(lambda level, name, text: None, log.ERROR)
    b = booted()
    tx_id = charging(b, 1)
    charging(b, 2, "TAG2")
    config = b.station.config
    limits = {"profiles": config.get("MaxChargingProfilesInstalled"), "stack": config.get("ChargeProfileMaxStackLevel"),
              "periods": config.get("ChargingScheduleMaxPeriods")}
    profiles = profile_set(EPOCH_2026 + b.now, limits, tx_id)
    for cid, p in profiles:
        if set_profile(b, cid, p) != "Accepted":
            raise AssertionError("profile %d not accepted in the core" % p["chargingProfileId"])
    feature = b.station.feature["smart_charging"]
    out = {}
    for cid in (1, 0):
        maths, frames = [], []
        for i in range(WARM_UP + calls):
            t0 = b.station.clock.epoch_ms(b.now) // 1000 * 1000
            start = time.perf_counter()
            inst, starts, busy = feature._view(t0)
            comp.composite(inst, feature.site, cid, t0, COMPOSITE_S, "A", starts, busy)
            middle = time.perf_counter()
            b.station.receive(json.dumps([2, "g%d" % i, "GetCompositeSchedule", {"connectorId": cid, "duration":
                                                                              COMPOSITE_S, "chargingRateUnit": "A"}]),
                              b.now)
            b.station.take_effects()
            end = time.perf_counter()
            if i >= WARM_UP:
                maths.append((middle - start) * 1e6)
                frames.append((end - middle) * 1e6)
        out[cid] = {"maths_us": maths, "frame_us": frames}
    top = top_tx_profile(profiles)
    sets = []
    for i in range(max(calls // 10, 5)):
        b.advance(6000)
        b.hardware()
        text = json.dumps([2, "s%d" % i, "SetChargingProfile", {"connectorId": 1, "csChargingProfiles":
                                                               step_profile(top, STEP_AMPS[i % 2])}])
        start = time.perf_counter()
        b.station.receive(text, b.now)
        effects = b.station.take_effects()
        sets.append((time.perf_counter() - start) * 1e6)
        if not any(e[0] == "hw" and e[1].get("connector") == 1 and e[1].get("amps") == STEP_AMPS[i % 2]
                   for e in effects):
            raise AssertionError("the core gave no %d A command: %r" % (STEP_AMPS[i % 2], effects))
    out["set_us"] = sets
    return out


def hardware_poll(polls=500):
    """One poll of desktop-sim's simulated hardware (the real drivers on the emulators, both EVs charging at 16 A),
    in ms: the station runs it on its event loop every 40 ms while an EV is plugged, so a CALL that arrives during
    a slow one (a meter's Modbus exchange, each meter once a second) waits for it."""
    import boards
    from controller.storage import FileStorage
    from drivers.sim.desktop_rig import DesktopRig
    from controller.runtime.cpython import HARDWARE_POLL_EV_S
    with tempfile.TemporaryDirectory() as folder:
        rig = DesktopRig(boards.load("desktop-sim"), FileStorage(folder), 0)
        now = 0
        rig.poll(now)
        for cid in (1, 2):
            rig.plug(cid)
            rig.apply({"cmd": "pilot", "connector": cid, "amps": 16})
            rig.apply({"cmd": "contactor", "connector": cid, "on": True})
        out = []
        for _ in range(polls):
            now += int(HARDWARE_POLL_EV_S * 1000)
            start = time.perf_counter()
            rig.poll(now)
            out.append((time.perf_counter() - start) * 1000)
    return out


# ---- the report ----------------------------------------------------------------------------------------------------
def _p(values, unit="ms", digits=2):
    f = "%." + str(digits) + "f"
    return ("p50 " + f + " %s, p99 " + f + " %s, max " + f + " %s") % (
        percentile(values, 50), unit, percentile(values, 99), unit, max(values), unit)


def summarize(w, c):
    from bench import seeds
    from controller.runtime.cpython import HARDWARE_POLL_EV_S, HARDWARE_POLL_S
    lim = w["limits"]
    poll_ms = HARDWARE_POLL_EV_S * 1000
    lines = [
        "Smart Charging: %d profiles installed (MaxChargingProfilesInstalled %d, ChargeProfileMaxStackLevel %d, "
        "ChargingScheduleMaxPeriods %d; one more: %s)" % (w["installed"], lim["profiles"], lim["stack"],
                                                          lim["periods"], w["one_more"]),
    ]
    for cid, name in ((1, "connector 1"), (0, "connector 0 (station total)")):
        got = w["composite"][cid]
        lines.append("GetCompositeSchedule %s, %d s, %d periods in the answer, %d calls: %s (target p99 <= 5 ms)"
                     % (name, COMPOSITE_S, got["periods"], len(got["ms"]), _p(got["ms"])))
        lines.append("   in process: composite maths %s; whole core (frame in -> answer out) %s"
                     % (_p(c[cid]["maths_us"], "us", 0), _p(c[cid]["frame_us"], "us", 0)))
    lines += [
        "   the simulated hardware's poll on the station's event loop (every %.0f ms with an EV plugged): %s"
        % (poll_ms, _p(c["poll_ms"])),
        "SetChargingProfile.conf -> new pilot duty (connector 1 charging, the 5 s hold expired, %d changes): %s "
        "(target: within one hardware poll, %.0f ms with an EV plugged, %.0f ms without)"
        % (len(w["pilot_ms"]), _p(w["pilot_ms"], "ms", 1), poll_ms, HARDWARE_POLL_S * 1000),
        "   %s; an upper bound: it includes one control-API round trip (p50 %.1f ms); in process: "
        "SetChargingProfile frame in -> limit command out %s" % (
            "within one poll" if percentile(w["pilot_ms"], 99) <= poll_ms else "MISSES one poll",
            percentile(w["api_ms"], 50), _p(c["set_us"], "us", 0)),
        "machine: %d CPUs, 1-minute load average %.2f before the run, %.2f after (the tails move with what else runs)"
        % (os.cpu_count(), w["load"][0], w["load"][1]),
        "seeds: no published composite or limit-to-pilot time; their ChargingProfileMaxStackLevel / "
        "ChargingScheduleMaxPeriods: " + ", ".join("%d / %d" % pair for pair in seeds.SEED_SMART_LIMITS),
    ]
    return lines


def run(calls=300, steps=20, progress=print):
    before = os.getloadavg()[0]
    w = asyncio.run(wire(calls, steps, progress))
    progress("  the same profiles in process (core only)...")
    c = core(calls)
    c["poll_ms"] = hardware_poll()
    w["load"] = (before, os.getloadavg()[0])
    return w, c


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.smart_bench", description="Smart Charging benchmarks: "
                                     "GetCompositeSchedule with the station full of profiles, and "
                                     "SetChargingProfile.conf -> the new pilot duty (printed figures, not pass/fail)")
    parser.add_argument("--calls", type=int, default=300, help="GetCompositeSchedule calls per connector (300)")
    parser.add_argument("--steps", type=int, default=20, help="limit changes for the pilot figure; each waits for "
                        "the 5 s duty hold (20)")
    args = parser.parse_args(argv)
    if args.calls < 1 or args.steps < 1:
        parser.error("--calls and --steps must be at least 1")
    started = time.perf_counter()
    print("Smart Charging benchmarks:", flush=True)
    w, c = run(args.calls, args.steps, lambda text: print(text, flush=True))
    print()
    for line in summarize(w, c):
        print(line)
    print("(%.0f s)" % (time.perf_counter() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
