"""More Core charging cases over real WebSockets: the remaining OCTT ids and X-CORE checks of the charging-session
issue (authorization rules, invalid ids, stop variants, fixed cables, faults, transaction data)."""

import asyncio

from bench_csms import StationCallError
from tests.conformance.test_core_transactions import charge, ready, status, until
from tests.station_process import run, station_env


async def configure(csms, **keys):
    for key, value in keys.items():
        answer = await csms.call("CP1", "ChangeConfiguration", {"key": key, "value": value})
        assert answer == {"status": "Accepted"}, (key, answer)


async def last_tx_id(csms):
    answers = [e for e in csms.ledger if e["dir"] == "out" and e["kind"] == "CALLRESULT" and
               e["action"] == "StartTransaction"]
    return answers[-1]["payload"]["transactionId"]


def test_tc_005_2_stop_without_unlock(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await configure(csms, UnlockConnectorOnEVSideDisconnect="false")
            await charge(csms, station)
            mark = csms.mark()
            await station.post("/unplug", connector=1, side="ev")
            stop = await csms.wait_for("StopTransaction", after=mark)
            assert stop["payload"]["reason"] == "EVDisconnected"
            await asyncio.sleep(0.3)
            assert (await station.state())["hardware"]["connectors"][0]["locked"], "the cable stays locked"
            assert await csms.call("CP1", "UnlockConnector", {"connectorId": 1}) == {"status": "Unlocked"}
    run(body())


def test_tc_005_3_ev_disconnect_without_stop(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await configure(csms, StopTransactionOnEVSideDisconnect="false")
            await charge(csms, station)
            mark = csms.mark()
            await station.post("/unplug", connector=1, side="ev")
            await status(csms, 1, "SuspendedEV", after=mark)
            assert not csms.received("StopTransaction")
            await csms.call("CP1", "RemoteStopTransaction", {"transactionId": await last_tx_id(csms)})
            stop = await csms.wait_for("StopTransaction", after=mark)
            assert stop["payload"]["reason"] == "Remote"
            await status(csms, 1, "Finishing", after=mark)
    run(body())


def test_tc_007_remote_start_with_cached_id(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await configure(csms, LocalPreAuthorize="true", AuthorizationCacheEnabled="true",
                            AuthorizeRemoteTxRequests="true")
            await charge(csms, station, tag="CACHED1")          # IdTagCached: the answers fill the cache
            await station.post("/tag", id_tag="CACHED1")
            await station.post("/unplug", connector=1)
            await station.post("/plug", connector=1)
            mark = csms.mark()
            assert await csms.call("CP1", "RemoteStartTransaction", {"connectorId": 1, "idTag": "CACHED1"}) == \
                {"status": "Accepted"}
            await csms.wait_for("StartTransaction", after=mark)
            assert not [e for e in csms.ledger[mark:] if e["action"] == "Authorize"], "the cache authorizes"
    run(body())


def test_tc_011_1_remote_start_first(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            keys = await csms.call("CP1", "GetConfiguration", {"key": ["AuthorizeRemoteTxRequests"]})
            assert keys["configurationKey"][0]["key"] == "AuthorizeRemoteTxRequests"
            mark = csms.mark()
            assert await csms.call("CP1", "RemoteStartTransaction", {"idTag": "R1"}) == {"status": "Accepted"}
            await csms.wait_for("Authorize", after=mark)
            await status(csms, 1, "Preparing", after=mark)
            await station.post("/plug", connector=1)
            await csms.wait_for("StartTransaction", after=mark)
            await status(csms, 1, "Charging", after=mark)
    run(body())


def test_tc_016_soft_reset_with_transaction(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await charge(csms, station)
            mark = csms.mark()
            assert await csms.call("CP1", "Reset", {"type": "Soft"}) == {"status": "Accepted"}
            stop = await csms.wait_for("StopTransaction", after=mark, timeout=10)
            assert stop["payload"]["reason"] == "SoftReset"
            await csms.wait_for("BootNotification", after=mark, timeout=15)
            await station.wait_api()
    run(body())


def test_tc_018_2_fixed_cable_unlock_keeps_charging(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await charge(csms, station, connector=2)
            assert await csms.call("CP1", "UnlockConnector", {"connectorId": 2}) == {"status": "NotSupported"}
            await asyncio.sleep(0.3)
            assert not csms.received("StopTransaction")
    run(body())


def test_tc_023_invalid_tag_does_not_start(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            csms.id_tags["INVALID1"] = {"status": "Invalid"}
            await configure(csms, MinimumStatusDuration="1", LocalPreAuthorize="true")
            mark = csms.mark()
            await station.post("/plug", connector=1)
            await status(csms, 1, "Preparing", after=mark)
            await station.post("/tag", id_tag="INVALID1", connector=1)
            auth = await csms.wait_for("Authorize", after=mark)
            assert auth["payload"]["idTag"] == "INVALID1"
            await asyncio.sleep(1.5)
            assert not csms.received("StartTransaction")
    run(body())


def test_tc_027_remote_start_on_connector_zero(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            assert await csms.call("CP1", "RemoteStartTransaction", {"connectorId": 0, "idTag": "R1"}) == \
                {"status": "Rejected"}
    run(body())


def test_tc_037_2_invalid_id_suspends(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await configure(csms, StopTransactionOnInvalidId="false", MaxEnergyOnInvalidId="0")
            csms.responders["StartTransaction"] = lambda cp, p: {"transactionId": 77,
                                                                 "idTagInfo": {"status": "Invalid"}}
            mark = csms.mark()
            await station.post("/plug", connector=1)
            await station.post("/tag", id_tag="TAG1", connector=1)
            await status(csms, 1, "Charging", after=mark)
            await status(csms, 1, "SuspendedEVSE", after=mark)
            await asyncio.sleep(0.3)
            assert not csms.received("StopTransaction")
            await until(station, lambda hw: not hw["contactor"], "energy stopped")
    run(body())


def test_tc_037_3_x_core_14_invalid_id_stops(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            csms.responders["StartTransaction"] = lambda cp, p: {"transactionId": 78,
                                                                 "idTagInfo": {"status": "Blocked"}}
            mark = csms.mark()
            await station.post("/plug", connector=1)
            await station.post("/tag", id_tag="TAG1", connector=1)
            stop = await csms.wait_for("StopTransaction", after=mark)
            assert stop["payload"]["reason"] == "DeAuthorized" and stop["payload"]["transactionId"] == 78
            await status(csms, 1, "Finishing", after=mark)
    run(body())


def test_tc_041_fault_blocks_start(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            mark = csms.mark()
            await station.post("/fault", connector=0, error_code="HighTemperature", info="enclosure 80 C")
            for cid in (0, 1, 2):
                await status(csms, cid, "Faulted", after=mark)
            faulted = [e for e in csms.ledger[mark:] if e["action"] == "StatusNotification" and e["kind"] == "CALL" and
                       e["payload"]["connectorId"] == 1][-1]["payload"]
            assert faulted["errorCode"] == "HighTemperature", "a connector faulted by the station says why"
            await station.post("/plug", connector=1)       # no offer on the pilot: the EV cannot draw
            await asyncio.sleep(0.5)
            await station.post("/tag", id_tag="TAG1", connector=1)
            await asyncio.sleep(1.0)
            assert not csms.received("StartTransaction")
    run(body())


def test_tc_061_clear_cache(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await configure(csms, AuthorizationCacheEnabled="true", LocalPreAuthorize="true", ConnectionTimeOut="1")
            mark = csms.mark()
            await station.post("/tag", id_tag="TAG1", connector=1)
            await status(csms, 1, "Preparing", after=mark)
            await status(csms, 1, "Available", after=mark, timeout=3)
            assert await csms.call("CP1", "ClearCache", {}) == {"status": "Accepted"}
            mark = csms.mark()
            await station.post("/tag", id_tag="TAG1", connector=1)
            await csms.wait_for("Authorize", after=mark)
    run(body())


def test_tc_069_parent_id_tag_stops(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            csms.id_tags["TAG1"] = {"status": "Accepted", "parentIdTag": "FLEET"}
            csms.id_tags["TAG2"] = {"status": "Accepted", "parentIdTag": "FLEET"}
            await charge(csms, station, connector=2, tag="OTHER")        # the other connector is occupied
            await charge(csms, station, connector=1, tag="TAG1")
            mark = csms.mark()
            await station.post("/tag", id_tag="TAG2")
            auth = await csms.wait_for("Authorize", after=mark)
            assert auth["payload"]["idTag"] == "TAG2"
            stop = await csms.wait_for("StopTransaction", after=mark)
            assert stop["payload"]["idTag"] == "TAG2"
            await status(csms, 1, "Finishing", after=mark)
    run(body())


def test_x_core_10_expired_cache_entry_is_checked_again(tmp_path):
    async def body():
        import datetime
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await configure(csms, LocalPreAuthorize="true")
            soon = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1)).strftime(
                "%Y-%m-%dT%H:%M:%SZ")
            csms.id_tags["SHORT"] = {"status": "Accepted", "expiryDate": soon}
            mark = csms.mark()
            await station.post("/tag", id_tag="SHORT", connector=1)
            await status(csms, 1, "Preparing", after=mark)
            await station.post("/tag", id_tag="SHORT", connector=1)        # cancel
            await asyncio.sleep(2.2)
            mark = csms.mark()
            await station.post("/tag", id_tag="SHORT", connector=1)
            await csms.wait_for("Authorize", after=mark)
    run(body())


def test_x_core_11_local_pre_authorize_false_asks(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            mark = csms.mark()
            await station.post("/tag", id_tag="TAG1", connector=1)
            await status(csms, 1, "Preparing", after=mark)
            await station.post("/tag", id_tag="TAG1", connector=1)
            await status(csms, 1, "Available", after=mark)
            mark = csms.mark()
            await station.post("/tag", id_tag="TAG1", connector=1)
            await csms.wait_for("Authorize", after=mark)
    run(body())


def test_x_core_12_local_authorize_offline_false(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            mark = csms.mark()
            await station.post("/tag", id_tag="TAG1", connector=1)      # cached as Accepted
            await status(csms, 1, "Preparing", after=mark)
            await station.post("/tag", id_tag="TAG1", connector=1)
            await configure(csms, LocalAuthorizeOffline="false")
            await station.post("/network", up=False)
            await asyncio.sleep(0.3)
            await station.post("/plug", connector=1)
            await until(station, lambda c: c["plugged"], "EV seen", part="station")
            await station.post("/tag", id_tag="TAG1", connector=1)
            await asyncio.sleep(0.5)
            assert not (await station.state())["connectors"][1]["transaction"]
            await station.post("/network", up=True)
            await csms.wait_connected("CP1")
            await asyncio.sleep(0.5)
            assert not csms.received("StartTransaction")
    run(body())


def test_x_core_13_unknown_id_offline(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await configure(csms, AllowOfflineTxForUnknownId="true")
            await station.post("/network", up=False)
            await asyncio.sleep(0.3)
            await station.post("/plug", connector=1)
            await station.post("/tag", id_tag="STRANGER", connector=1)
            await until(station, lambda c: c["transaction"], "an offline transaction", part="station")
            mark = csms.mark()
            await station.post("/network", up=True)
            start = await csms.wait_for("StartTransaction", after=mark, timeout=10)
            assert start["payload"]["idTag"] == "STRANGER"
    run(body())


def test_x_core_17_start_never_confirmed_uses_minus_one(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await configure(csms, TransactionMessageAttempts="1")
            csms.responders["StartTransaction"] = StationCallError("InternalError", "failure to process")
            mark = csms.mark()
            await station.post("/plug", connector=1)
            await station.post("/tag", id_tag="TAG1", connector=1)
            await csms.wait_for("StartTransaction", after=mark)
            await asyncio.sleep(0.3)
            del csms.responders["StartTransaction"]
            await station.post("/tag", id_tag="TAG1")
            stop = await csms.wait_for("StopTransaction", after=mark)
            assert stop["payload"]["transactionId"] == -1
    run(body())


def test_x_core_18_scheduled_availability_with_transaction(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await charge(csms, station)
            assert await csms.call("CP1", "ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}) == \
                {"status": "Scheduled"}
            mark = csms.mark()
            await station.post("/tag", id_tag="TAG1")
            await station.post("/unplug", connector=1)
            await status(csms, 1, "Unavailable", after=mark)
    run(body())


def test_x_core_22_remote_start_without_authorize(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await configure(csms, AuthorizeRemoteTxRequests="false")
            await station.post("/plug", connector=1)
            mark = csms.mark()
            await csms.call("CP1", "RemoteStartTransaction", {"connectorId": 1, "idTag": "R1"})
            await csms.wait_for("StartTransaction", after=mark)
            assert not [e for e in csms.ledger[mark:] if e["action"] == "Authorize"]
    run(body())


def test_x_core_23_24_stop_transaction_data(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await configure(csms, StopTxnSampledData="Energy.Active.Import.Register,Power.Active.Import")
            await charge(csms, station)
            await asyncio.sleep(1.2)
            mark = csms.mark()
            await station.post("/tag", id_tag="TAG1")
            stop = (await csms.wait_for("StopTransaction", after=mark))["payload"]
            assert stop["idTag"] == "TAG1" and "meterStop" in stop and stop["reason"] == "Local"
            contexts = [mv["sampledValue"][0]["context"] for mv in stop["transactionData"]]
            assert contexts == ["Transaction.Begin", "Transaction.End"]
            assert [v["measurand"] for v in stop["transactionData"][1]["sampledValue"]] == \
                ["Energy.Active.Import.Register", "Power.Active.Import"]
            await configure(csms, StopTxnSampledData="", StopTxnAlignedData="")
            await station.post("/unplug", connector=1)
            await charge(csms, station)
            mark = csms.mark()
            await station.post("/tag", id_tag="TAG1")
            stop = (await csms.wait_for("StopTransaction", after=mark))["payload"]
            assert "transactionData" not in stop
    run(body())
