"""The Local Authorization List, Reservation and Remote Trigger together, for the sans-I/O core (pytest on CPython,
tx_suite.py on MicroPython); tests/conformance/test_profiles_together.py plays the same story over WebSockets.

A connector reserved for a tag's parentIdTag is taken offline by another tag of that parent, known only from the
local list; the StartTransaction sent once the link is back carries the reservationId, and triggered messages
report each step.
"""

from tests.micropython.core_harness import expect
from tests.micropython.lal_trigger_scenarios import answer_then_call, entry, send_list, trigger
from tests.micropython.reservation_scenarios import cancel, reserve, status_of
from tests.micropython.tx_scenarios import booted


def reserved_connector_taken_offline_from_the_list():
    b = booted()
    expect(send_list(b, 1, [entry("TAG1", parentIdTag="FLEET"), entry("TAG2", parentIdTag="FLEET")]) == "Accepted",
           "list")
    expect(reserve(b, 1, tag="TAG1", rid=80, parent="FLEET") == "Accepted", "reserved")
    expect(trigger(b, "StatusNotification", 1) == "Accepted", "trigger")
    expect(answer_then_call(b, "StatusNotification")["status"] == "Reserved", "Reserved, after the answer")
    b.plug(1)
    b.disconnect()
    b.tag("STRANGER", 1)
    expect(status_of(b, 1) == "Reserved" and b.station.connectors[1].transaction is None, "an unknown tag offline")
    b.tag("TAG2", 1)
    expect(b.station.connectors[1].transaction is not None, "TAG2 starts offline: the list knows its parent")
    mark = b.mark()
    b.connect()
    starts = b.since(mark, "StartTransaction")
    expect(len(starts) == 1 and starts[0][1]["idTag"] == "TAG2" and starts[0][1].get("reservationId") == 80,
           "the start, once online, carries the reservationId: " + repr(starts))
    expect(cancel(b, 80) == "Rejected", "used up")
    expect(trigger(b, "MeterValues", 1) == "Accepted", "trigger MeterValues")
    mv = answer_then_call(b, "MeterValues")
    expect(mv.get("transactionId") == b.next_tx_id and mv["meterValue"][0]["sampledValue"][0]["context"] ==
           "Trigger", repr(mv))
    expect(trigger(b, "StatusNotification", 1) == "Accepted", "trigger SN")
    expect(answer_then_call(b, "StatusNotification")["status"] == "Charging", "Charging")
    expect(b.station.violations == [], repr(b.station.violations))


SCENARIOS = [reserved_connector_taken_offline_from_the_list]
