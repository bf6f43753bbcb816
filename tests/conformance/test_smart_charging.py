"""Smart Charging profile over real WebSockets (OCTT TC_056 ... TC_082 and the X-SC checks).

The station runs as its own process on the desktop-sim board (two 32 A three-phase connectors, 230 V); the tests
play the CSMS through the bench CSMS and the driver and the EV through the control API. As in the OCTT every
Absolute profile starts a few seconds before now, and `x`, the whole seconds between that start and the
scheduleStart the station answers, shifts the expected periods.
"""

import asyncio
import json
import os
import time
import uuid

from bench_csms import StationCallError
from controller.clock import format_iso, parse_iso
from tests.conformance.test_core_transactions import ready, status, until
from tests.station_process import run, station_env

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = "charging_profiles.json"


def prof(pid, purpose="TxDefaultProfile", stack=0, periods=((0, 16),), duration=None, kind="Absolute", unit="A",
         start_s=-5, **extra):
    """A csChargingProfiles; an Absolute or Recurring one starts `start_s` seconds from now (None: no start)."""
    sched = {"chargingRateUnit": unit, "chargingSchedulePeriod": [_period(q) for q in periods]}
    if duration is not None:
        sched["duration"] = duration
    if kind != "Relative" and start_s is not None:
        sched["startSchedule"] = format_iso(int(time.time()) * 1000 + start_s * 1000, False)
    p = {"chargingProfileId": pid, "stackLevel": stack, "chargingProfilePurpose": purpose,
         "chargingProfileKind": kind, "chargingSchedule": sched}
    p.update(extra)
    return p


def _period(q):
    out = {"startPeriod": q[0], "limit": q[1]}
    if len(q) > 2:
        out["numberPhases"] = q[2]
    return out


async def set_profile(csms, connector, p):
    return (await csms.call("CP1", "SetChargingProfile", {"connectorId": connector, "csChargingProfiles": p}))[
        "status"]


async def composite(csms, connector, duration, unit=None):
    payload = {"connectorId": connector, "duration": duration}
    if unit is not None:
        payload["chargingRateUnit"] = unit
    return await csms.call("CP1", "GetCompositeSchedule", payload)


def periods(answer):
    return [(q["startPeriod"], q["limit"]) for q in answer["chargingSchedule"]["chargingSchedulePeriod"]]


def lag(answer, p):
    """x: whole seconds from the profile's startSchedule to the answer's scheduleStart."""
    return (parse_iso(answer["scheduleStart"]) - parse_iso(p["chargingSchedule"]["startSchedule"])) // 1000


async def clear(csms, **payload):
    return (await csms.call("CP1", "ClearChargingProfile", payload))["status"]


async def charging(csms, station, connector=1, profile=None):
    """The OCTT *Charging* state (plug, RemoteStartTransaction, StartTransaction, Charging): the transactionId."""
    mark = csms.mark()
    await station.post("/plug", connector=connector)
    await status(csms, connector, "Preparing", after=mark)
    payload = {"connectorId": connector, "idTag": "TAG1"}
    if profile is not None:
        payload["chargingProfile"] = profile
    assert (await csms.call("CP1", "RemoteStartTransaction", payload))["status"] == "Accepted"
    start = await csms.wait_for("StartTransaction", after=mark, timeout=8)
    await status(csms, connector, "Charging", after=mark)
    answer = await csms.wait_for("StartTransaction", after=csms.ledger.index(start), kind="CALLRESULT",
                                 direction="out")
    return answer["payload"]["transactionId"]


async def offered(station, amps, connector=1, timeout=8):
    """The pilot of `connector` offers `amps` (the real drivers take their time; a duty change is held 5 s)."""
    return await until(station, lambda hw: hw["offered_amps"] == amps, "offered " + str(amps) + " A", connector,
                       timeout)


def stored(station):
    try:
        with open(os.path.join(station.settings["data_dir"], DOC)) as f:
            return f.read()
    except OSError:
        return None


def board_file(tmp_path, smart):
    with open(os.path.join(ROOT, "boards", "desktop-sim.json")) as f:
        board = json.load(f)
    board["smart_charging"] = smart
    path = os.path.join(str(tmp_path), "board.json")
    with open(path, "w") as f:
        json.dump(board, f)
    return path


async def call_error(csms, action, payload):
    """The errorCode of the CALLERROR the station answers to a (possibly schema-invalid) CALL."""
    reply = await csms.send_raw("CP1", json.dumps([2, "bad-" + uuid.uuid4().hex[:16], action, payload]))
    assert reply[0] == 4, reply
    return reply[2]


# ---- SetChargingProfile and GetCompositeSchedule -------------------------------------------------------------
def test_tc_056_txdefault_profile(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            keys = await csms.get_configuration("CP1", ["ChargingScheduleAllowedChargingRateUnit"])
            assert keys["configurationKey"][0]["value"].split(",") == ["Current", "Power"]
            p = prof(1, duration=100, periods=((0, 6000, 3),), unit="W")
            assert await set_profile(csms, 1, p) == "Accepted"
            got = await composite(csms, 1, 100, "W")
            x = lag(got, p)
            assert got["status"] == "Accepted" and got["connectorId"] == 1
            sched = got["chargingSchedule"]
            assert sched["duration"] == 100 and sched["chargingRateUnit"] == "W" and "startSchedule" not in sched
            # 6000 W for the rest of the 100 s, then the connector's 32 A x 230 V x 3 = 22080 W
            assert periods(got) == [(0, 6000), (100 - x, 22080)]
            assert abs(parse_iso(got["scheduleStart"]) - time.time() * 1000) < 3000
            got = await composite(csms, 1, 50, "A")
            assert periods(got) == [(0, 8.6)]           # 6000 / (230 x 3) = 8.69..., rounded down to 0.1
    run(body())


def test_tc_057_txprofile(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            txid = await charging(csms, station)
            await offered(station, 32)
            p = prof(1, "TxProfile", duration=60, periods=((0, 10), (30, 14)), transactionId=txid)
            assert await set_profile(csms, 1, p) == "Accepted"
            got = await composite(csms, 1, 100)
            x = lag(got, p)
            assert got["status"] == "Accepted" and periods(got) == [(0, 10), (30 - x, 14), (60 - x, 32)]
            await offered(station, 10)
    run(body())


def test_tc_058_1_txprofile_without_transaction(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            assert await set_profile(csms, 1, prof(1, "TxProfile", transactionId=1)) == "Rejected"
            assert stored(station) is None
            assert periods(await composite(csms, 1, 60)) == [(0, 32)]
    run(body())


def test_tc_058_2_wrong_transaction_id(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            txid = await charging(csms, station)
            assert await set_profile(csms, 1, prof(1, "TxProfile", transactionId=txid + 1)) == "Rejected"
            assert await set_profile(csms, 2, prof(1, "TxProfile", transactionId=txid)) == "Rejected"
            assert periods(await composite(csms, 1, 60)) == [(0, 32)]
    run(body())


def test_tc_059_remote_start_with_charging_profile(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            p = prof(7, "TxProfile", periods=((0, 10), (30, 14)), duration=60, kind="Relative")
            await charging(csms, station, profile=p)
            got = await composite(csms, 1, 100)
            # Relative: the schedule started with the transaction, a second or two before the request
            (s0, l0), (s1, l1), (s2, l2) = periods(got)
            assert (s0, l0, l1, l2) == (0, 10, 14, 32) and 27 <= s1 <= 30 and s2 == s1 + 30
            await offered(station, 10)
    run(body())


def test_tc_060_remote_start_with_charging_profile_rejected(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            mark = csms.mark()
            await station.post("/plug", connector=1)
            await status(csms, 1, "Preparing", after=mark)
            got = await csms.call("CP1", "RemoteStartTransaction", {"connectorId": 1, "idTag": "TAG1",
                                                                    "chargingProfile": prof(1)})
            assert got == {"status": "Rejected"}
            await asyncio.sleep(0.5)
            assert csms.received("StartTransaction") == [] and stored(station) is None
    run(body())


def test_tc_066_composite_schedule_three_purposes(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            txid = await charging(csms, station)
            assert await set_profile(csms, 0, prof(1, "ChargePointMaxProfile", duration=86400,
                                                   periods=((0, 10),))) == "Accepted"
            assert await set_profile(csms, 1, prof(2, duration=300, periods=((0, 6), (60, 10), (120, 8), (180, 15),
                                                                          (260, 8)))) == "Accepted"
            p = prof(3, "TxProfile", duration=260, transactionId=txid,
                     periods=((0, 8), (50, 11), (140, 16), (200, 6), (240, 12)))
            assert await set_profile(csms, 1, p) == "Accepted"
            got = await composite(csms, 1, 400)
            x = lag(got, p)
            # min(CPMax 10, TxProfile); after the TxProfile's 260 s only the CPMax's 10 (TxDefault never again)
            assert got["chargingSchedule"]["duration"] == 400
            assert periods(got) == [(0, 8), (50 - x, 10), (200 - x, 6), (240 - x, 10)]
            await offered(station, 8)
    run(body())


def test_tc_067_clear_charging_profile(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            p = prof(1, stack=1, duration=400, periods=((0, 6), (60, 8), (200, 10)))
            assert await set_profile(csms, 1, p) == "Accepted"
            assert await set_profile(csms, 1, prof(2, stack=0, duration=400, periods=((0, 7), (100, 9)))) == \
                "Accepted"
            assert await set_profile(csms, 0, prof(3, "ChargePointMaxProfile", duration=86400,
                                                   periods=((0, 11), (200, 12)))) == "Accepted"
            assert await clear(csms, id=1) == "Accepted"
            got = await composite(csms, 1, 350)
            x = lag(got, p)
            assert periods(got) == [(0, 7), (100 - x, 9)]
            assert await clear(csms, chargingProfilePurpose="TxDefaultProfile", stackLevel=0) == "Accepted"
            got = await composite(csms, 1, 350)
            assert periods(got) == [(0, 11), (200 - lag(got, p), 12)]
            assert await clear(csms) == "Accepted"
            assert periods(await composite(csms, 1, 350)) == [(0, 32)]        # the connector's own limit
    run(body())


def test_tc_072_stacking(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            p = prof(1, stack=0, duration=400, periods=((0, 6), (100, 8), (200, 10)))
            assert await set_profile(csms, 1, p) == "Accepted"
            assert await set_profile(csms, 1, prof(2, stack=1, duration=150, periods=((0, 7), (100, 9)))) == \
                "Accepted"
            got = await composite(csms, 1, 350)
            x = lag(got, p)
            assert periods(got) == [(0, 7), (100 - x, 9), (150 - x, 8), (200 - x, 10)]
    run(body())


def test_tc_082_txdefault_profile_with_ongoing_transaction(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await charging(csms, station)
            await offered(station, 32)
            assert await set_profile(csms, 1, prof(1, periods=((0, 10),))) == "Accepted"
            assert periods(await composite(csms, 1, 60)) == [(0, 10)]
            await offered(station, 10)
            await until(station, lambda hw: 9 <= hw["amps"] <= 10.5, "the EV draws 10 A")
    run(body())


# ---- the X-SC checks -----------------------------------------------------------------------------------------
def test_x_sc_01_purpose_and_connector_rules(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            assert await set_profile(csms, 1, prof(1, "ChargePointMaxProfile")) == "Rejected"
            assert await set_profile(csms, 0, prof(2, "TxProfile")) == "Rejected"
            assert await set_profile(csms, 1, prof(2, "TxProfile")) == "Rejected"       # no transaction
            assert await set_profile(csms, 3, prof(3)) == "Rejected"                    # no connector 3
            assert stored(station) is None
            assert await set_profile(csms, 0, prof(4, "ChargePointMaxProfile", periods=((0, 20),))) == "Accepted"
            assert await set_profile(csms, 0, prof(5, periods=((0, 12),))) == "Accepted"
            assert sorted(e["p"]["chargingProfileId"] for e in json.loads(stored(station))) == [4, 5]
            assert periods(await composite(csms, 2, 60)) == [(0, 12)]      # TxDefault on 0 serves every connector
    run(body())


def test_x_sc_02_replacement(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            assert await set_profile(csms, 1, prof(1, stack=1, periods=((0, 10),))) == "Accepted"
            assert await set_profile(csms, 1, prof(1, stack=2, periods=((0, 12),))) == "Accepted"   # same id
            assert periods(await composite(csms, 1, 60)) == [(0, 12)]
            assert await set_profile(csms, 1, prof(2, stack=2, periods=((0, 8),))) == "Accepted"    # same stack
            assert periods(await composite(csms, 1, 60)) == [(0, 8)]
            assert await set_profile(csms, 1, prof(3, stack=0, periods=((0, 6),))) == "Accepted"    # added
            assert sorted(e["p"]["chargingProfileId"] for e in json.loads(stored(station))) == [2, 3]
            assert await clear(csms, id=1) == "Unknown"
    run(body())


async def rejected_nothing_changed(csms, station, connector, p):
    before = (stored(station), periods(await composite(csms, 1, 60)))
    assert await set_profile(csms, connector, p) == "Rejected", p
    assert (stored(station), periods(await composite(csms, 1, 60))) == before, p


def test_x_sc_03_capability_limits(tmp_path):
    async def body():
        board = board_file(tmp_path, {"units": ["A"], "max_profiles": 3})
        async with station_env(tmp_path, board=board) as (csms, station):
            await ready(csms)
            keys = await csms.get_configuration("CP1", ["ChargeProfileMaxStackLevel", "ChargingScheduleMaxPeriods",
                                                        "MaxChargingProfilesInstalled",
                                                        "ChargingScheduleAllowedChargingRateUnit"])
            assert sorted((k["key"], k["value"], k["readonly"]) for k in keys["configurationKey"]) == [
                ("ChargeProfileMaxStackLevel", "10", True), ("ChargingScheduleAllowedChargingRateUnit", "Current",
                                                             True),
                ("ChargingScheduleMaxPeriods", "10", True), ("MaxChargingProfilesInstalled", "3", True)]
            assert await set_profile(csms, 1, prof(1, periods=((0, 10),))) == "Accepted"
            await rejected_nothing_changed(csms, station, 1, prof(2, stack=11))
            await rejected_nothing_changed(csms, station, 1, prof(2, stack=1, periods=[(i * 10, 10) for i in
                                                                                      range(11)]))
            await rejected_nothing_changed(csms, station, 1, prof(2, stack=1, unit="W", periods=((0, 6000),)))
            await rejected_nothing_changed(csms, station, 1, prof(2, stack=1, periods=((5, 10),)))
            assert await set_profile(csms, 1, prof(2, stack=1, periods=((0, 9),))) == "Accepted"
            assert await set_profile(csms, 2, prof(3)) == "Accepted"
            await rejected_nothing_changed(csms, station, 2, prof(4, stack=3))       # a fourth profile
            assert await set_profile(csms, 2, prof(3, stack=4)) == "Accepted"          # a replacement fits
    run(body())


def test_x_sc_04_invalid_enums_and_units(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            assert await call_error(csms, "GetCompositeSchedule", {"connectorId": 1, "duration": 60,
                                                                   "chargingRateUnit": "kW"}) == \
                "PropertyConstraintViolation"
            bad = prof(1)
            bad["chargingSchedule"]["chargingRateUnit"] = "kW"
            assert await call_error(csms, "SetChargingProfile", {"connectorId": 1, "csChargingProfiles": bad}) == \
                "PropertyConstraintViolation"
            bad = prof(1, purpose="MaxProfile")
            assert await call_error(csms, "SetChargingProfile", {"connectorId": 1, "csChargingProfiles": bad}) == \
                "PropertyConstraintViolation"
            assert stored(station) is None
            assert periods(await composite(csms, 1, 60)) == [(0, 32)]
    run(body())


def test_x_sc_05_smart_charging_not_supported(tmp_path):
    async def body():
        async with station_env(tmp_path, board=board_file(tmp_path, {"supported": False})) as (csms, station):
            await ready(csms)
            for action, payload in (("SetChargingProfile", {"connectorId": 1, "csChargingProfiles": prof(1)}),
                                    ("GetCompositeSchedule", {"connectorId": 1, "duration": 60}),
                                    ("ClearChargingProfile", {})):
                try:
                    await csms.call("CP1", action, payload)
                    raise AssertionError(action + " answered")
                except StationCallError as e:
                    assert e.code == "NotSupported", (action, e.code)
            keys = await csms.get_configuration("CP1", ["SupportedFeatureProfiles"])
            assert "SmartCharging" not in keys["configurationKey"][0]["value"].split(",")
    run(body())


def test_x_sc_06_composite_schedule_edge_cases(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            keys = await csms.get_configuration("CP1", ["SupportedFeatureProfiles"])
            assert "SmartCharging" in keys["configurationKey"][0]["value"].split(",")
            assert (await composite(csms, 3, 60))["status"] == "Rejected"
            got = await composite(csms, 0, 60)
            assert got["chargingSchedule"]["chargingRateUnit"] == "A" and periods(got) == [(0, 32)]
            await charging(csms, station, 1)
            await charging(csms, station, 2)
            assert await set_profile(csms, 1, prof(1, periods=((0, 10),))) == "Accepted"
            assert await set_profile(csms, 2, prof(2, periods=((0, 12),))) == "Accepted"
            # connector 0: both busy connectors added up (10 + 12 A), below the station's 32 A
            assert periods(await composite(csms, 0, 60)) == [(0, 22)]
            assert await set_profile(csms, 0, prof(3, "ChargePointMaxProfile", periods=((0, 16),))) == "Accepted"
            # the 16 A station limit is shared: 8 A each, so 16 A in total
            assert periods(await composite(csms, 0, 60)) == [(0, 16)]
            assert periods(await composite(csms, 1, 60)) == [(0, 8)]
            got = await composite(csms, 1, 0)
            assert got["status"] == "Accepted" and got["chargingSchedule"]["duration"] == 0
    run(body())


def test_x_sc_07_clear_with_no_match(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            assert await clear(csms) == "Unknown"
            assert await set_profile(csms, 1, prof(1, stack=1)) == "Accepted"
            assert await set_profile(csms, 2, prof(2, stack=0)) == "Accepted"
            assert await clear(csms, id=99) == "Unknown"
            assert await clear(csms, id=99, connectorId=1) == "Unknown"            # id given: the rest ignored
            assert await clear(csms, chargingProfilePurpose="TxDefaultProfile", stackLevel=0, connectorId=1) == \
                "Unknown"                                                           # several fields: AND
            assert await clear(csms, connectorId=2) == "Accepted"
            assert [e["p"]["chargingProfileId"] for e in json.loads(stored(station))] == [1]
    run(body())


def test_x_sc_08_recurring_and_relative(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            # Daily, started yesterday 60 s before now: today's run is at the same offset
            p = prof(1, kind="Recurring", recurrencyKind="Daily", start_s=-86400 - 60, duration=3600,
                     periods=((0, 10), (120, 14)))
            assert await set_profile(csms, 1, p) == "Accepted"
            got = await composite(csms, 1, 300)
            x = lag(got, p) - 86400
            assert periods(got) == [(0, 10), (120 - x, 14)]
            # a higher stack whose 100 s duration is shorter than its period: the lower one after it. It starts a
            # few seconds back: the station's clock may trail this process's by the Boot answer's transit time.
            weekly = prof(2, stack=1, kind="Recurring", recurrencyKind="Weekly", start_s=-7 * 86400 - 5, duration=100,
                          periods=((0, 6), (200, 20)))
            assert await set_profile(csms, 1, weekly) == "Accepted"
            got = await composite(csms, 1, 300)
            w = lag(got, weekly) - 7 * 86400
            assert periods(got) == [(0, 6), (100 - w, 14)]        # the 200 s period is beyond the duration
            assert await clear(csms) == "Accepted"
            assert await set_profile(csms, 1, prof(3, kind="Relative", periods=((0, 8), (20, 12)))) == "Accepted"
            assert periods(await composite(csms, 1, 60)) == [(0, 8), (20, 12)]   # idle: as if it started now
    run(body())


def test_x_sc_09_validity_and_lifecycle(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            soon = format_iso(int(time.time()) * 1000 + 30000, False)
            assert await set_profile(csms, 1, prof(1, periods=((0, 9),), validFrom=soon)) == "Accepted"
            got = await composite(csms, 1, 60)
            assert periods(got)[0] == (0, 32) and periods(got)[1][1] == 9       # default behaviour until validFrom
            assert await set_profile(csms, 0, prof(2, stack=1, periods=((0, 12),))) == "Accepted"
            assert periods(await composite(csms, 2, 60)) == [(0, 12)]
            got = await composite(csms, 1, 60)
            # connector 0's TxDefault until validFrom, then connector 1's own one takes over there
            assert [q[1] for q in periods(got)] == [12, 9] and 25 <= periods(got)[1][0] <= 31
            txid = await charging(csms, station)
            assert await set_profile(csms, 1, prof(3, "TxProfile", periods=((0, 7),), transactionId=txid)) == \
                "Accepted"
            assert sorted(e["p"]["chargingProfileId"] for e in json.loads(stored(station))) == [1, 2, 3]
            await station.kill()                                                 # a power cut
            mark = csms.mark()
            await station.start()
            await csms.wait_for("BootNotification", after=mark, timeout=10)
            await csms.wait_for("StopTransaction", after=mark, timeout=10)
            # kept across the power cut; the TxProfile ended with its transaction
            assert sorted(e["p"]["chargingProfileId"] for e in json.loads(stored(station))) == [1, 2]
            assert periods(await composite(csms, 2, 60)) == [(0, 12)]
            assert await clear(csms, id=2) == "Accepted"
            assert periods(await composite(csms, 2, 60)) == [(0, 32)]
    run(body())


def test_x_sc_10_units_and_phases(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            assert await set_profile(csms, 1, prof(1, unit="W", periods=((0, 2300, 1),))) == "Accepted"
            assert periods(await composite(csms, 1, 60, "A")) == [(0, 10)]        # 2300 W / (230 V x 1)
            got = await composite(csms, 1, 60, "W")
            assert got["chargingSchedule"]["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 2300,
                                                                           "numberPhases": 1}]
            assert await set_profile(csms, 1, prof(1, unit="W", periods=((0, 6900),))) == "Accepted"
            assert periods(await composite(csms, 1, 60, "A")) == [(0, 10)]        # no numberPhases: 3
            assert await set_profile(csms, 1, prof(1, periods=((0, 10.3),))) == "Accepted"
            assert periods(await composite(csms, 1, 60, "A")) == [(0, 10.3)]      # one decimal kept
            assert periods(await composite(csms, 1, 60, "W")) == [(0, 7107)]      # 10.3 x 230 x 3
    run(body())


def test_x_sc_11_remote_start_profile_with_transaction_id(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            for authorize in ("true", "false"):
                await csms.call("CP1", "ChangeConfiguration", {"key": "AuthorizeRemoteTxRequests",
                                                               "value": authorize})
                got = await csms.call("CP1", "RemoteStartTransaction", {
                    "connectorId": 1, "idTag": "TAG1", "chargingProfile": prof(1, "TxProfile", transactionId=3)})
                assert got == {"status": "Rejected"}, authorize
            assert csms.received("StartTransaction") == [] and stored(station) is None
    run(body())


def test_x_sc_12_offline_keeps_following_the_profile(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            txid = await charging(csms, station)
            await asyncio.sleep(5)                     # the 32 A duty is 5 s old: the next change is not held
            p = prof(1, "TxProfile", periods=((0, 16), (8, 8)), transactionId=txid, start_s=0)
            assert await set_profile(csms, 1, p) == "Accepted"
            await offered(station, 16, timeout=3)
            await station.post("/network", up=False)
            await offered(station, 8, timeout=12)       # the boundary passes while offline
            await station.post("/network", up=True)
            await csms.wait_connected("CP1", timeout=10)
            mark = csms.mark()
            await station.post("/tag", id_tag="TAG1", connector=1)
            await csms.wait_for("StopTransaction", after=mark, timeout=8)
            assert stored(station) == "[]"
            mark = csms.mark()
            await station.post("/tag", id_tag="TAG1", connector=1)
            await csms.wait_for("StartTransaction", after=mark, timeout=8)
            await offered(station, 32)                 # no profile: unconstrained
    run(body())


# ---- bad input -----------------------------------------------------------------------------------------------
def test_x_sc_bad_input_rejected_nothing_changed(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            txid = await charging(csms, station)
            assert await set_profile(csms, 1, prof(1, periods=((0, 10),))) == "Accepted"
            cases = [prof(2, stack=1, periods=((0, 10), (60, 8), (30, 6))),          # not ascending
                     prof(2, stack=1, periods=((0, 10), (0, 8))),                    # repeated
                     prof(2, stack=1, periods=((10, 10),)),                          # first not at 0
                     prof(2, stack=1, periods=((0, -1),)),                           # a negative limit
                     prof(2, stack=1, duration=0),
                     prof(2, stack=1, kind="Recurring", recurrencyKind="Daily", start_s=None),
                     prof(2, stack=1, kind="Recurring"),                             # no recurrencyKind
                     prof(2, "TxProfile", transactionId=txid + 7)]                   # unknown transactionId
            for p in cases:
                await rejected_nothing_changed(csms, station, 1, p)
            assert await call_error(csms, "SetChargingProfile", {"connectorId": 1, "csChargingProfiles": {
                "chargingProfileId": 1}}) in ("FormationViolation", "OccurenceConstraintViolation",
                                              "ProtocolError", "PropertyConstraintViolation")
            assert (await csms.get_configuration("CP1", ["HeartbeatInterval"]))["configurationKey"]
            await offered(station, 10)                 # still running, still following profile 1
            assert [e["p"]["chargingProfileId"] for e in json.loads(stored(station))] == [1]
    run(body())


# ---- the physical loop, end to end ---------------------------------------------------------------------------
SCALE = 40              # sim_time_scale: the station, the EV and the meters run 40 times faster than real time
VOLTS_PHASES = 230 * 3  # desktop-sim: 230 V, three phases


def energy_samples(csms, txid):
    """[(timestamp ms, Wh, Current.Import A or None)] of the transaction's sampled MeterValues."""
    out = []
    for p in csms.received("MeterValues"):
        if p.get("transactionId") != txid:
            continue
        for mv in p["meterValue"]:
            wh = amps = None
            for sv in mv["sampledValue"]:
                what = sv.get("measurand", "Energy.Active.Import.Register")
                if what == "Energy.Active.Import.Register":
                    wh = float(sv["value"]) * (1000 if sv.get("unit") == "kWh" else 1)
                elif what == "Current.Import" and sv.get("phase") in (None, "L1"):
                    amps = float(sv["value"])
            if wh is not None:
                out.append((parse_iso(mv["timestamp"]), wh, amps))
    return sorted(out)


def limit_integral_wh(schedule, start_ms, t0, t1, rating=32):
    """The energy (Wh) that the composite limit allows over [t0, t1]: `schedule` [(startPeriod s, A)] from
    `start_ms`, the connector's rating outside it, nothing below 6 A (no offer can be made)."""
    edges = [(start_ms + s * 1000, a) for s, a in schedule[:-1]] + [(start_ms + schedule[-1][0] * 1000, rating)]
    total = 0
    for t_a, t_b, amps in [(t0, edges[0][0], rating)] + [(edges[i][0], edges[i + 1][0] if i + 1 < len(edges) else
                                                          t1, edges[i][1]) for i in range(len(edges))]:
        lo, hi = max(t0, t_a), min(t1, t_b)
        if hi > lo:
            total += (amps if amps >= 6 else 0) * (hi - lo) / 1000
    return total * VOLTS_PHASES / 3600


def test_physical_loop_energy_follows_the_composite_limit(tmp_path, record_property):
    # the limit reaches the pilot, the EV draws what it is offered, the meter shows it: over a 480 s schedule
    # (12 s of real time) the delivered energy matches the integral of the limit within 2 %; below 6 A the
    # offer is withdrawn (SuspendedEVSE) and charging resumes when the limit rises
    schedule = [(0, 16), (120, 10), (240, 3), (360, 24), (480, None)]
    async def body():
        async with station_env(tmp_path, sim_time_scale=SCALE) as (csms, station):
            await ready(csms)
            for key, value in (("MeterValueSampleInterval", "30"),
                               ("MeterValuesSampledData", "Energy.Active.Import.Register,Current.Import")):
                assert (await csms.call("CP1", "ChangeConfiguration", {"key": key, "value": value}))["status"] == \
                    "Accepted"
            txid = await charging(csms, station)
            await until(station, lambda hw: hw["amps"] == 32, "the EV draws 32 A")
            clock = parse_iso((await station.state())["clock"])
            start = (clock // 30000 + 2) * 30000             # a sample boundary a minute or so ahead
            p = prof(1, "TxProfile", transactionId=txid, duration=480,
                     periods=[q for q in schedule if q[1] is not None], start_s=None)
            p["chargingSchedule"]["startSchedule"] = format_iso(start, False)
            mark = csms.mark()
            assert await set_profile(csms, 1, p) == "Accepted"
            await status(csms, 1, "SuspendedEVSE", after=mark, timeout=20)
            await status(csms, 1, "Charging", after=mark, timeout=10)
            end = start + 480000
            await csms.wait_for("MeterValues", lambda q: q.get("transactionId") == txid and
                                parse_iso(q["meterValue"][0]["timestamp"]) >= end + 30000, after=mark, timeout=15)
            samples = energy_samples(csms, txid)
            before = [s for s in samples if s[0] <= start][-1]
            after = [s for s in samples if s[0] >= end][0]
            delivered = after[1] - before[1]
            expected = limit_integral_wh(schedule, start, before[0], after[0])
            error = (delivered - expected) / expected
            record_property("figures", "delivered %.0f Wh, integral of the limit %.0f Wh, error %+.2f %% "
                            "(sim_time_scale %d)" % (delivered, expected, error * 100, SCALE))
            assert abs(error) <= 0.02, (delivered, expected, samples)
            # the meter shows what was offered in the middle of every period
            for offset, amps in schedule[:-1]:
                mid = [s for s in samples if start + offset * 1000 < s[0] < start + (offset + 120) * 1000]
                want = amps if amps >= 6 else 0
                assert mid and all(abs(s[2] - want) <= 0.5 for s in mid[1:]), (offset, mid)
    run(body())


def test_physical_loop_duty_changes_held_5_s(tmp_path):
    # a schedule changing faster than the pilot may: a duty change waits until 5 s after the last one, and a
    # limit that is over by then is never offered
    async def body():
        async with station_env(tmp_path, sim_time_scale=10) as (csms, station):
            await ready(csms)
            txid = await charging(csms, station)
            p = prof(1, "TxProfile", transactionId=txid, start_s=0, periods=((0, 16), (2, 10), (8, 20)), duration=14)
            assert await set_profile(csms, 1, p) == "Accepted"
            seen = []                   # (station clock ms, offered A) at each change seen
            loop = asyncio.get_running_loop()
            end = loop.time() + 6
            while len(seen) < 4 and loop.time() < end:
                state = await station.state()
                amps = state["hardware"]["connectors"][0]["offered_amps"]
                if not seen or seen[-1][1] != amps:
                    seen.append((parse_iso(state["clock"]), amps))
                await asyncio.sleep(0.01)
            # 32 A from the start; 16 A was still held when 10 A was due, so 10 A comes 5 s after the 32 A offer;
            # 20 A (due 8 s into the schedule) 5 s after that; the connector's 32 A when the 14 s schedule ends,
            # again 5 s later
            assert [a for _, a in seen] == [32, 10, 20, 32], seen
            gaps = [b[0] - a[0] for a, b in zip(seen[1:], seen[2:])]
            assert all(4900 <= g <= 5600 for g in gaps), gaps
    run(body())
