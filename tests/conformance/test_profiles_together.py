"""The Local Authorization List, Reservation and Remote Trigger together over real WebSockets (the story of
tests/micropython/profiles_together_scenarios.py, against the bench CSMS).

A connector reserved for a parentIdTag is taken offline by another tag of that parent, known only from the local
list; once the link is back the StartTransaction carries the reservationId, and TriggerMessage reports each step.
"""

import asyncio

from tests.conformance.test_core_transactions import ready, status, until
from tests.conformance.test_local_list_offline import offline, online
from tests.conformance.test_local_list_remote_trigger import _answer_then_call, _trigger, send_list
from tests.conformance.test_reservation import cancel, reserve
from tests.micropython.lal_trigger_scenarios import entry
from tests.station_process import run, station_env


def test_reservation_local_list_offline_and_trigger(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            listed = [entry("TAG1", parentIdTag="FLEET"), entry("TAG2", parentIdTag="FLEET")]
            assert await send_list(csms, 1, listed) == "Accepted"
            mark = csms.mark()
            assert await reserve(csms, 1, tag="TAG1", rid=80, parent="FLEET") == "Accepted"
            await status(csms, 1, "Reserved", after=mark)   # the reservation's own notification comes first
            got, mark = await _trigger(csms, "StatusNotification", 1)
            assert got == "Accepted" and _answer_then_call(csms, mark, "StatusNotification")["status"] == "Reserved"
            await station.post("/plug", connector=1)
            await until(station, lambda c: c["plugged"], "EV seen", part="station")
            await offline(station)
            await station.post("/tag", id_tag="STRANGER", connector=1)
            await asyncio.sleep(0.4)
            view = (await station.state())["connectors"][1]
            assert view["status"] == "Reserved" and not view["transaction"], "an unknown tag offline: " + repr(view)
            await station.post("/tag", id_tag="TAG2", connector=1)
            await until(station, lambda c: c["transaction"], "TAG2 starts offline from the list", part="station")
            mark = csms.mark()
            await online(csms, station)
            start = (await csms.wait_for("StartTransaction", after=mark, timeout=10))["payload"]
            assert start["idTag"] == "TAG2" and start["reservationId"] == 80
            await status(csms, 1, "Charging", after=mark)
            assert await cancel(csms, 80) == "Rejected", "used up by the start"
            got, mark = await _trigger(csms, "MeterValues", 1)
            values = _answer_then_call(csms, mark, "MeterValues")
            assert got == "Accepted" and values["transactionId"] > 0
            assert values["meterValue"][0]["sampledValue"][0]["context"] == "Trigger"
            got, mark = await _trigger(csms, "StatusNotification", 1)
            assert got == "Accepted" and _answer_then_call(csms, mark, "StatusNotification")["status"] == "Charging"
    run(body())
