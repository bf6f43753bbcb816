"""Reset during transactions over real WebSockets (issue 15): the CSMS answers the StopTransaction before the
station restarts, and the ledger must then hold exactly one StopTransaction per transaction and no message sent
again after its answer went out (OCTT TC_015 / TC_016 with the ledger checked across the restart).
"""

import asyncio

from tests.conformance.test_core_transactions import charge, ready
from tests.reliability.ledger_checks import base_id
from tests.station_process import run, station_env


def repeats_after_answer(ledger):
    """The station CALLs sent again after the CSMS had answered the same message (by id without "/n")."""
    answered = set()
    repeats = []
    for e in ledger:
        if e["dir"] == "out" and e["kind"] == "CALLRESULT" and isinstance(e["id"], str):
            answered.add(base_id(e["id"]))
        elif e["dir"] == "in" and e["kind"] == "CALL" and isinstance(e["id"], str):
            if base_id(e["id"]) in answered:
                repeats.append(e["action"] + " #" + e["id"])
    return repeats


async def reset_during_transactions(tmp_path, kind):
    async with station_env(tmp_path) as (csms, station):
        await ready(csms)
        await csms.call("CP1", "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "1"})
        first = await charge(csms, station, connector=1)
        second = await charge(csms, station, connector=2, tag="TAG2")
        await asyncio.sleep(1.2)      # periodic MeterValues flow, and are answered, right up to the Reset
        mark = csms.mark()
        assert await csms.call("CP1", "Reset", {"type": kind}) == {"status": "Accepted"}
        boot = await csms.wait_for("BootNotification", after=mark, timeout=15)
        await station.wait_api()
        await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2, after=csms.ledger.index(boot))
        await asyncio.sleep(1.0)      # whatever the journal would send again goes right after the boot
        stops = [e for e in csms.ledger if e["dir"] == "in" and e["kind"] == "CALL"
                 and e["action"] == "StopTransaction"]
        reason = "HardReset" if kind == "Hard" else "SoftReset"
        assert len(stops) == 2, [s["id"] for s in stops]
        assert all(s["payload"]["reason"] == reason for s in stops)
        before_boot = csms.ledger[:csms.ledger.index(boot)]
        answered = [e for e in before_boot if e["dir"] == "out" and e["kind"] == "CALLRESULT"
                    and e["action"] == "StopTransaction"]
        assert len(answered) == 2, "the CSMS answers both StopTransactions before the restart"
        tx_ids = sorted(s["payload"]["transactionId"] for s in stops)
        assert len(set(tx_ids)) == 2 and first["payload"]["connectorId"] != second["payload"]["connectorId"]
        assert repeats_after_answer(csms.ledger) == []


def test_tc_015_hard_reset_stops_once_across_restart(tmp_path):
    run(reset_during_transactions(tmp_path, "Hard"))


def test_tc_016_soft_reset_stops_once_across_restart(tmp_path):
    run(reset_during_transactions(tmp_path, "Soft"))
