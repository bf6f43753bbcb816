"""Reservation profile over real WebSockets (OCTT TC_046 ... TC_053 and the X-RES checks).

The station runs as its own process on the desktop-sim board (connector 1 a socket, connector 2 a fixed cable);
the tests play the driver and the EV through the control API and the CSMS through the bench CSMS.
"""

import asyncio
import json
import os
import time

from controller.clock import format_iso
from tests.conformance.test_core_transactions import ready, status
from tests.micropython.lal_trigger_scenarios import entry
from tests.station_process import run, station_env

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def expiry(seconds):
    return format_iso(int(time.time() * 1000) + seconds * 1000)


async def reserve(csms, connector, tag="TAG1", rid=1, seconds=3600, parent=None):
    payload = {"connectorId": connector, "idTag": tag, "reservationId": rid, "expiryDate": expiry(seconds)}
    if parent is not None:
        payload["parentIdTag"] = parent
    return (await csms.call("CP1", "ReserveNow", payload))["status"]


async def reserved(csms, connector, shows=None, **kw):
    """The OCTT *Reserved* state: ReserveNow Accepted, then StatusNotification Reserved (on `shows`, default the
    connector itself). Returns the ledger mark from before."""
    mark = csms.mark()
    assert await reserve(csms, connector, **kw) == "Accepted"
    await status(csms, connector if shows is None else shows, "Reserved", after=mark)
    return mark


async def cancel(csms, rid):
    return (await csms.call("CP1", "CancelReservation", {"reservationId": rid}))["status"]


async def inoperative(csms, connector):
    assert (await csms.call("CP1", "ChangeAvailability", {"connectorId": connector, "type": "Inoperative"})) == \
        {"status": "Accepted"}
    await status(csms, connector, "Unavailable")


async def started(csms, mark):
    start = await csms.wait_for("StartTransaction", after=mark, timeout=8)
    await status(csms, start["payload"]["connectorId"], "Charging", after=mark)
    return start["payload"]


async def answer_while_faulted(csms, station, connector):
    """ReserveNow's answer while `connector` (0: the station) is faulted; the fault is cleared after."""
    mark = csms.mark()
    await station.post("/fault", connector=connector, error_code="OtherError", info="test")
    await status(csms, connector, "Faulted", after=mark)
    got = await reserve(csms, connector, rid=99)
    await station.post("/clear-fault", connector=connector)
    await status(csms, connector, "Available", after=mark)
    return got


async def starts_without_reservation(csms, mark, tag):
    start = await started(csms, mark)
    assert start["idTag"] == tag and "reservationId" not in start


def statuses_since(csms, mark):
    return [(e["payload"]["connectorId"], e["payload"]["status"]) for e in csms.ledger[mark:]
            if e["dir"] == "in" and e["kind"] == "CALL" and e["action"] == "StatusNotification"]


def board_file(tmp_path, reservation):
    with open(os.path.join(ROOT, "boards", "desktop-sim.json")) as f:
        board = json.load(f)
    board["reservation"] = reservation
    path = os.path.join(str(tmp_path), "board.json")
    with open(path, "w") as f:
        json.dump(board, f)
    return path


def test_tc_046_1_x_res_01_reserve_connector_local_start(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await inoperative(csms, 2)
            mark = await reserved(csms, 1, rid=46)
            await station.post("/tag", id_tag="OTHER", connector=1)             # X-RES-01: refused
            await csms.wait_for("Authorize", lambda p: p["idTag"] == "OTHER", after=mark)
            await station.post("/tag", id_tag="TAG1", connector=1)
            await status(csms, 1, "Preparing", after=mark)
            await station.post("/plug", connector=1)
            start = await started(csms, mark)
            assert start["idTag"] == "TAG1" and start["reservationId"] == 46
            assert [p["idTag"] for p in csms.received("StartTransaction")] == ["TAG1"]
    run(body())


def test_tc_046_2_tc_052_x_res_02_remote_start_on_reserved_connector(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            mark = csms.mark()
            assert await reserve(csms, 1, tag="OLD", rid=7) == "Accepted"
            assert await reserve(csms, 1, tag="TAG1", rid=7) == "Accepted"              # X-RES-02: replaced
            await status(csms, 1, "Reserved", after=mark)
            assert await cancel(csms, 8) == "Rejected"                                 # TC_052
            await station.post("/plug", connector=1)
            assert await csms.remote_start("CP1", "OLD", 1) == "Rejected"
            assert await csms.remote_start("CP1", "TAG1", 1) == "Accepted"
            await status(csms, 1, "Preparing", after=mark)
            start = await started(csms, mark)
            assert start["idTag"] == "TAG1" and start["reservationId"] == 7
    run(body())


def test_tc_047_reservation_expires(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await inoperative(csms, 2)
            mark = await reserved(csms, 1, seconds=2)
            await status(csms, 1, "Available", after=mark, timeout=6)
            mark = csms.mark()
            await station.post("/plug", connector=1)
            await station.post("/tag", id_tag="OTHER", connector=1)
            await starts_without_reservation(csms, mark, "OTHER")
    run(body())


def test_tc_048_1_2_3_x_res_03_x_res_05_reserve_connector_answers(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            assert await answer_while_faulted(csms, station, 1) == "Faulted"           # TC_048_1
            mark = csms.mark()
            await station.post("/plug", connector=2)
            await status(csms, 2, "Preparing", after=mark)
            assert await reserve(csms, 2) == "Occupied"                                # TC_048_2
            assert await reserve(csms, 1, rid=5) == "Accepted"
            assert await reserve(csms, 1, rid=6) == "Occupied"                         # X-RES-03
            await inoperative(csms, 1)                                                 # X-RES-05
            assert await cancel(csms, 5) == "Rejected"
            assert await reserve(csms, 1, rid=7) == "Unavailable"                      # TC_048_3
    run(body())


def test_tc_048_4_tc_050_4_reservation_not_supported(tmp_path):
    async def body():
        async with station_env(tmp_path, board=board_file(tmp_path, {"supported": False})) as (csms, station):
            await ready(csms)
            assert await reserve(csms, 1) == "Rejected"
            assert await reserve(csms, 0) == "Rejected"
            keys = await csms.call("CP1", "GetConfiguration", {"key": ["SupportedFeatureProfiles",
                                                                       "ReserveConnectorZeroSupported"]})
            assert "Reservation" not in keys["configurationKey"][0]["value"].split(",")
            assert keys["unknownKey"] == ["ReserveConnectorZeroSupported"]
    run(body())


def test_x_res_04_connector_zero_not_supported(tmp_path):
    async def body():
        async with station_env(tmp_path, board=board_file(tmp_path, {"connector_zero": False})) as (csms, station):
            await ready(csms)
            assert await reserve(csms, 0) == "Rejected"
            keys = await csms.call("CP1", "GetConfiguration", {"key": ["ReserveConnectorZeroSupported"]})
            assert keys["configurationKey"] == [{"key": "ReserveConnectorZeroSupported", "readonly": True,
                                                 "value": "false"}]
    run(body())


def test_tc_049_tc_053_reserve_charge_point_used_via_parent_id_tag(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            parents = {"TAG2": "FLEET", "TAG3": "ELSEWHERE"}
            csms.responders["Authorize"] = lambda cp, p: {"idTagInfo": {"status": "Accepted", "parentIdTag":
                                                                        parents.get(p["idTag"], "NONE")}}
            await ready(csms)
            keys = await csms.call("CP1", "GetConfiguration", {"key": ["SupportedFeatureProfiles",
                                                                       "ReserveConnectorZeroSupported"]})
            assert "Reservation" in keys["configurationKey"][0]["value"].split(",")
            assert keys["configurationKey"][1]["value"] == "true"
            await inoperative(csms, 2)
            mark = await reserved(csms, 0, tag="TAG1", rid=49, parent="FLEET", shows=1)    # the last free one, held
            await station.post("/plug", connector=1)
            await station.post("/tag", id_tag="TAG3", connector=1)
            await csms.wait_for("Authorize", lambda p: p["idTag"] == "TAG3", after=mark)
            await station.post("/tag", id_tag="TAG2", connector=1)
            start = await started(csms, mark)
            assert start["idTag"] == "TAG2" and start["reservationId"] == 49
            assert len(csms.received("StartTransaction")) == 1
    run(body())


def test_tc_050_1_2_3_x_res_06_reserve_charge_point(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            assert await answer_while_faulted(csms, station, 0) == "Faulted"           # TC_050_1
            assert await reserve(csms, 0, rid=60) == "Accepted"                        # X-RES-06
            mark = csms.mark()
            await station.post("/plug", connector=1)
            await station.post("/tag", id_tag="OTHER", connector=1)
            assert (await started(csms, mark))["connectorId"] == 1                    # another user takes one
            await status(csms, 2, "Reserved", after=mark)                              # the last one is held
            await station.post("/plug", connector=2)
            assert await reserve(csms, 0, rid=61) == "Occupied"                        # TC_050_2
            mark = csms.mark()
            await station.post("/tag", id_tag="TAG1", connector=2)
            start = await started(csms, mark)
            assert start["connectorId"] == 2 and start["reservationId"] == 60
            await station.post("/tag", id_tag="OTHER")
            await station.post("/tag", id_tag="TAG1")
            await station.post("/unplug", connector=1)
            await station.post("/unplug", connector=2)
            await status(csms, 2, "Available", after=mark)
            await inoperative(csms, 0)
            assert await reserve(csms, 0, rid=62) == "Unavailable"                     # TC_050_3
    run(body())


def test_tc_051_cancel_reservation(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            mark = await reserved(csms, 1, rid=51)
            assert await cancel(csms, 51) == "Accepted"
            await status(csms, 1, "Available", after=mark)
            mark = csms.mark()
            await station.post("/plug", connector=1)
            assert await csms.remote_start("CP1", "TAG2", 1) == "Accepted"
            await starts_without_reservation(csms, mark, "TAG2")
    run(body())


def test_reservation_survives_a_power_cut(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            mark = await reserved(csms, 1, rid=9)
            await station.kill()
            mark = csms.mark()
            await station.start()
            await csms.wait_for("BootNotification", after=mark, timeout=10)
            await status(csms, 1, "Reserved", after=mark)
            await station.post("/plug", connector=1)
            await station.post("/tag", id_tag="TAG1", connector=1)
            start = await started(csms, mark)
            assert start["reservationId"] == 9
    run(body())


def test_tc_053_x_res_01_reserved_connector_used_via_parent_id_tag(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            csms.id_tags["TAG2"] = {"status": "Accepted", "parentIdTag": "FLEET"}
            csms.id_tags["TAG3"] = {"status": "Accepted", "parentIdTag": "ELSEWHERE"}
            await ready(csms)
            await inoperative(csms, 2)
            mark = await reserved(csms, 1, tag="TAG1", rid=53, parent="FLEET")
            await station.post("/tag", id_tag="TAG3", connector=1)              # X-RES-01: another parent
            await csms.wait_for("Authorize", lambda p: p["idTag"] == "TAG3", after=mark)
            await station.post("/tag", id_tag="TAG2", connector=1)
            await status(csms, 1, "Preparing", after=mark)
            await station.post("/plug", connector=1)
            start = await started(csms, mark)
            assert start["idTag"] == "TAG2" and start["reservationId"] == 53
            assert len(csms.received("StartTransaction")) == 1
    run(body())


def test_x_res_05_fault_ends_the_reservation(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            mark = await reserved(csms, 1, rid=55)
            await station.post("/fault", connector=1, error_code="OtherError", info="test")
            await status(csms, 1, "Faulted", after=mark)
            assert await cancel(csms, 55) == "Rejected", "the fault ended it"
            await station.post("/clear-fault", connector=1)
            await status(csms, 1, "Available", after=mark)
            await station.post("/plug", connector=1)
            await station.post("/tag", id_tag="OTHER", connector=1)
            await starts_without_reservation(csms, mark, "OTHER")
    run(body())


def test_tc_053_remote_start_with_the_parent_from_the_local_list(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            listed = [entry("TAG2", parentIdTag="FLEET"), entry("TAG3", parentIdTag="OTHER")]
            assert (await csms.call("CP1", "SendLocalList", {"listVersion": 1, "updateType": "Full",
                                                             "localAuthorizationList": listed}))["status"] == "Accepted"
            csms.id_tags["TAG2"] = {"status": "Accepted"}                       # the CSMS's answer names no parent
            mark = await reserved(csms, 1, tag="TAG1", rid=56, parent="FLEET")
            await station.post("/plug", connector=1)
            assert await csms.remote_start("CP1", "TAG3", 1) == "Rejected"
            assert await csms.remote_start("CP1", "TAG2", 1) == "Accepted"
            start = await started(csms, mark)
            assert start["idTag"] == "TAG2" and start["reservationId"] == 56
            assert await cancel(csms, 56) == "Rejected", "used up by the start"
    run(body())


def test_reservation_storage_fault_rejects_and_keeps_the_old_state(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            mark = await reserved(csms, 1, rid=31)
            await station.post("/storage-fault", fails=True)
            assert await reserve(csms, 2, rid=32) == "Rejected", "a reservation that cannot be written"
            assert await reserve(csms, 1, tag="TAG2", rid=31) == "Rejected", "nor its replacement"
            assert await cancel(csms, 31) == "Rejected", "nor a cancel"
            await asyncio.sleep(0.3)
            assert statuses_since(csms, mark) == [(1, "Reserved")], "nothing changed"
            await station.post("/storage-fault", fails=False)
            await station.kill()                                                 # the disk says the same
            mark = csms.mark()
            await station.start()
            await status(csms, 1, "Reserved", after=mark, timeout=10)
            assert await cancel(csms, 31) == "Accepted"
            await status(csms, 1, "Available", after=mark)
            await station.kill()
            mark = csms.mark()
            await station.start()
            await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2, after=mark, timeout=10)
            assert await cancel(csms, 31) == "Rejected", "a cancelled reservation never comes back"
            assert (1, "Reserved") not in statuses_since(csms, mark)
    run(body())
