"""Core profile charging sessions over real WebSockets (OCTT TC_003 ... TC_071 and X-CORE checks).

The station runs as its own process on the desktop-sim board; the tests play the driver and the EV through the
control API and the CSMS through the bench CSMS.
"""

import asyncio

from bench_csms import StationCallError
from tests.station_process import run, station_env


async def ready(csms):
    await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2, timeout=10)


async def status(csms, connector, value, after=0, timeout=5):
    return await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == connector and
                               p["status"] == value, after=after, timeout=timeout)


async def until(station, predicate, what, connector=1, timeout=5, part="hardware"):
    """Wait until the simulated hardware of `connector` (or, with part="station", the station's view of it)
    satisfies `predicate`: the real drivers take their time."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        state = await station.state()
        view = state["hardware"]["connectors"][connector - 1] if part == "hardware" else state["connectors"][connector]
        if predicate(view):
            return view
        if loop.time() > end:
            raise AssertionError(what + ": " + repr(view))
        await asyncio.sleep(0.05)


async def charge(csms, station, connector=1, tag="TAG1"):
    mark = csms.mark()
    await station.post("/plug", connector=connector)
    await station.post("/tag", id_tag=tag, connector=connector)
    start = await csms.wait_for("StartTransaction", after=mark, timeout=5)
    await status(csms, connector, "Charging", after=mark)
    return start


def test_tc_003_regular_session_plug_first(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            mark = csms.mark()
            await station.post("/plug", connector=1)
            await status(csms, 1, "Preparing", after=mark)
            await station.post("/tag", id_tag="TAG1", connector=1)
            auth = await csms.wait_for("Authorize", after=mark)
            start = await csms.wait_for("StartTransaction", after=mark)
            assert auth["payload"]["idTag"] == "TAG1" and start["payload"]["connectorId"] == 1
            await status(csms, 1, "Charging", after=mark)
            await until(station, lambda hw: hw["contactor"] and hw["locked"], "contactor closed, cable locked")
    run(body())


def test_tc_004_1_and_tc_004_2_identification_first(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await csms.call("CP1", "ChangeConfiguration", {"key": "ConnectionTimeOut", "value": "2"})
            mark = csms.mark()
            await station.post("/tag", id_tag="TAG1", connector=2)
            await status(csms, 2, "Preparing", after=mark)
            await status(csms, 2, "Available", after=mark, timeout=4)       # TC_004_2: nobody plugged in
            assert not csms.received("StartTransaction")
            mark = csms.mark()
            await station.post("/tag", id_tag="TAG1", connector=2)
            await status(csms, 2, "Preparing", after=mark)
            await station.post("/plug", connector=2)                        # TC_004_1
            await csms.wait_for("StartTransaction", after=mark)
            await status(csms, 2, "Charging", after=mark)
    run(body())


def test_tc_010_tc_012_remote_start_and_stop(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await station.post("/plug", connector=1)
            mark = csms.mark()
            assert await csms.call("CP1", "RemoteStartTransaction", {"connectorId": 1, "idTag": "REMOTE1"}) == \
                {"status": "Accepted"}
            start = await csms.wait_for("StartTransaction", after=mark)
            assert start["payload"]["idTag"] == "REMOTE1"
            await status(csms, 1, "Charging", after=mark)
            answer = [e for e in csms.ledger if e["dir"] == "out" and e["kind"] == "CALLRESULT" and
                      e["action"] == "StartTransaction"][-1]
            tx_id = answer["payload"]["transactionId"]
            assert await csms.call("CP1", "RemoteStopTransaction", {"transactionId": tx_id + 100}) == \
                {"status": "Rejected"}                                                       # TC_028
            assert await csms.call("CP1", "RemoteStartTransaction", {"connectorId": 1, "idTag": "X"}) == \
                {"status": "Rejected"}                                                       # TC_026
            assert await csms.call("CP1", "RemoteStopTransaction", {"transactionId": tx_id}) == \
                {"status": "Accepted"}                                                       # TC_012
            stop = await csms.wait_for("StopTransaction", after=mark)
            assert stop["payload"]["reason"] == "Remote" and stop["payload"]["transactionId"] == tx_id
            await status(csms, 1, "Finishing", after=mark)
    run(body())


def test_tc_011_2_remote_start_times_out(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await csms.call("CP1", "ChangeConfiguration", {"key": "ConnectionTimeOut", "value": "2"})
            mark = csms.mark()
            await csms.call("CP1", "RemoteStartTransaction", {"idTag": "REMOTE1"})
            await status(csms, 1, "Preparing", after=mark)
            await status(csms, 1, "Available", after=mark, timeout=4)
            assert not csms.received("StartTransaction")
    run(body())


def test_tc_068_tc_005_1_stops(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await charge(csms, station)
            mark = csms.mark()
            await station.post("/tag", id_tag="TAG1")                          # TC_068: same tag, no Authorize
            stop = await csms.wait_for("StopTransaction", after=mark)
            assert stop["payload"]["reason"] == "Local" and not csms.received("Authorize")[1:]
            await status(csms, 1, "Finishing", after=mark)
            await station.post("/unplug", connector=1)
            await status(csms, 1, "Available", after=mark)
            await charge(csms, station)
            mark = csms.mark()
            await station.post("/unplug", connector=1, side="ev")               # TC_005_1
            stop = await csms.wait_for("StopTransaction", after=mark)
            assert stop["payload"]["reason"] == "EVDisconnected"
            await status(csms, 1, "Finishing", after=mark)
            await until(station, lambda hw: not hw["locked"], "cable unlocked")
    run(body())


def test_tc_017_tc_018_tc_030_tc_031_unlock(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            assert await csms.call("CP1", "UnlockConnector", {"connectorId": 1}) == {"status": "Unlocked"}
            assert await csms.call("CP1", "UnlockConnector", {"connectorId": 2}) == {"status": "NotSupported"}
            assert await csms.call("CP1", "UnlockConnector", {"connectorId": 9}) == {"status": "NotSupported"}
            await charge(csms, station)
            mark = csms.mark()
            assert await csms.call("CP1", "UnlockConnector", {"connectorId": 1}) == {"status": "Unlocked"}
            stop = await csms.wait_for("StopTransaction", after=mark)
            assert stop["payload"]["reason"] == "UnlockCommand"                       # TC_018_1
            await station.post("/unplug", connector=1)
            await charge(csms, station)
            await until(station, lambda hw: hw["locked"], "cable locked")
            await station.post("/device-fault", connector=1, kind="lock-jam")          # TC_030
            assert await csms.call("CP1", "UnlockConnector", {"connectorId": 1}) == {"status": "UnlockFailed"}
    run(body())


def test_tc_024_lock_failure(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await station.post("/lock", connector=1, fails=True)
            mark = csms.mark()
            await station.post("/plug", connector=1)
            await station.post("/tag", id_tag="TAG1", connector=1)
            faulted = await status(csms, 1, "Faulted", after=mark)
            assert faulted["payload"]["errorCode"] == "ConnectorLockFailure"
            await asyncio.sleep(0.5)
            assert not csms.received("StartTransaction")
    run(body())


def test_tc_070_sampled_and_tc_071_clock_aligned_meter_values(tmp_path):
    async def body():
        from controller.clock import parse_iso
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await csms.call("CP1", "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "1"})
            await csms.call("CP1", "ChangeConfiguration", {"key": "MeterValuesSampledData",
                                                           "value": "Energy.Active.Import.Register,Power.Active.Import"})
            await charge(csms, station)
            mark = csms.mark()
            samples = []
            while len(samples) < 3:
                entry = await csms.wait_for("MeterValues", after=mark, timeout=3)
                mark = csms.ledger.index(entry) + 1
                samples.append(entry["payload"])
            stamps = [parse_iso(p["meterValue"][0]["timestamp"]) for p in samples]
            assert [b - a for a, b in zip(stamps, stamps[1:])] == [1000, 1000]
            values = [int(p["meterValue"][0]["sampledValue"][0]["value"]) for p in samples]
            assert values == sorted(values) and values[-1] > values[0], "energy flows: " + repr(values)
            assert samples[0]["meterValue"][0]["sampledValue"][1]["measurand"] == "Power.Active.Import"
            await csms.call("CP1", "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "0"})
            await csms.call("CP1", "ChangeConfiguration", {"key": "ClockAlignedDataInterval", "value": "2"})
            mark = csms.mark()
            aligned = await csms.wait_for("MeterValues", lambda p: p["connectorId"] == 1, after=mark, timeout=4)
            mv = aligned["payload"]["meterValue"][0]
            assert parse_iso(mv["timestamp"]) % 2000 == 0 and mv["sampledValue"][0]["context"] == "Sample.Clock"
            await csms.wait_for("MeterValues", lambda p: p["connectorId"] == 0, after=mark, timeout=4)
    run(body())


def test_tc_015_hard_reset_with_transaction(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await charge(csms, station)
            mark = csms.mark()
            assert await csms.call("CP1", "Reset", {"type": "Hard"}) == {"status": "Accepted"}
            stop = await csms.wait_for("StopTransaction", after=mark, timeout=10)
            assert stop["payload"]["reason"] == "HardReset"
            await csms.wait_for("BootNotification", after=mark, timeout=15)
            await station.wait_api()
            entry = await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 1, after=mark)
            assert entry["payload"]["status"] in ("Finishing", "Preparing")
    run(body())


def test_tc_032_1_power_loss_with_backup(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await charge(csms, station)
            mark = csms.mark()
            await station.post("/power-loss")
            stop = await csms.wait_for("StopTransaction", after=mark)
            assert stop["payload"]["reason"] == "PowerLoss"
            await asyncio.sleep(0.3)      # the answer reaches the station before the power goes
            await station.kill()
            await station.start()
            await csms.wait_for("BootNotification", after=mark, timeout=10)
            await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 1 and p["status"] in
                                ("Finishing", "Preparing"), after=mark)
            await asyncio.sleep(0.5)
            assert len(csms.received("StopTransaction")) == 1
    run(body())


def test_tc_032_2_power_cut_without_backup(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            start = await charge(csms, station)
            await asyncio.sleep(1.2)
            energy = (await station.state())["hardware"]["connectors"][0]["energy_wh"]
            await station.kill()
            mark = csms.mark()
            await station.start()
            stop = await csms.wait_for("StopTransaction", after=mark, timeout=15)
            assert stop["payload"]["reason"] == "PowerLoss"
            assert stop["payload"]["meterStop"] >= energy >= start["payload"]["meterStart"]
            answer = [e for e in csms.ledger if e["kind"] == "CALLRESULT" and e["action"] == "StartTransaction"][-1]
            assert stop["payload"]["transactionId"] == answer["payload"]["transactionId"]
            assert len(csms.received("StartTransaction")) == 1
    run(body())


def test_tc_036_tc_038_offline_queue_in_order(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await csms.call("CP1", "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "1"})
            await charge(csms, station)
            await station.post("/network", up=False)
            await asyncio.sleep(3.5)
            await station.post("/tag", id_tag="TAG1")                  # TC_038: stopped while offline
            await asyncio.sleep(0.3)
            mark = csms.mark()
            await station.post("/network", up=True)
            stop = await csms.wait_for("StopTransaction", after=mark, timeout=10)
            replay = [e for e in csms.ledger[mark:csms.ledger.index(stop) + 1]
                      if e["dir"] == "in" and e["kind"] == "CALL"]
            kinds = [e["action"] for e in replay]
            assert kinds.count("MeterValues") >= 3 and kinds[-1] == "StopTransaction", kinds
            assert kinds[0] == "MeterValues", "the queue goes first: " + repr(kinds)
            stamps = [e["payload"]["meterValue"][0]["timestamp"] for e in replay if e["action"] == "MeterValues"]
            assert stamps == sorted(stamps)
            assert stop["payload"]["reason"] == "Local"
    run(body())


def test_tc_037_1_tc_039_offline_transaction(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await charge(csms, station, tag="TAG1")
            await station.post("/tag", id_tag="TAG1")
            await station.post("/unplug", connector=1)
            await csms.wait_for("StopTransaction")
            await station.post("/network", up=False)
            await asyncio.sleep(0.3)
            await station.post("/plug", connector=1)
            await station.post("/tag", id_tag="TAG1", connector=1)     # authorized from the cache
            await asyncio.sleep(1.2)
            await station.post("/tag", id_tag="TAG1")
            await station.post("/unplug", connector=1)
            await asyncio.sleep(0.3)
            mark = csms.mark()
            await station.post("/network", up=True)
            start = await csms.wait_for("StartTransaction", after=mark, timeout=10)
            stop = await csms.wait_for("StopTransaction", after=mark, timeout=5)
            answer = [e for e in csms.ledger if e["kind"] == "CALLRESULT" and e["action"] == "StartTransaction"][-1]
            assert stop["payload"]["transactionId"] == answer["payload"]["transactionId"]
            assert csms.ledger.index(start) < csms.ledger.index(stop)
    run(body())


def test_x_core_15_transaction_message_retries(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await csms.call("CP1", "ChangeConfiguration", {"key": "TransactionMessageRetryInterval", "value": "1"})
            await charge(csms, station)
            csms.responders["StopTransaction"] = StationCallError("InternalError", "failure to process")
            mark = csms.mark()
            await station.post("/tag", id_tag="TAG1")
            await asyncio.sleep(4.5)
            attempts = [e for e in csms.ledger[mark:] if e["dir"] == "in" and e["action"] == "StopTransaction"
                        and e["kind"] == "CALL"]
            assert len(attempts) == 3, "TransactionMessageAttempts=3, then discarded: " + str(len(attempts))
            assert attempts[2]["t"] - attempts[1]["t"] >= 1.8, "the wait grows: interval x attempts"
    run(body())
