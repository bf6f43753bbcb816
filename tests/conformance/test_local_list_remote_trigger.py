"""Local Authorization List and Remote Trigger over real WebSockets (OCTT TC_042/043/008, TC_054/055, X-LAL, X-RT),
and the control API's storage and unlock faults.

The station runs as its own process on the desktop-sim board; the bench CSMS validates every frame it sends and
flags any CALL sent while the registration is Pending that was not asked for with TriggerMessage.
"""

from tests.conformance.test_core_transactions import ready, status, until
from tests.micropython.lal_trigger_scenarios import entry
from tests.station_process import run, station_env


async def send_list(csms, version, entries=None, kind="Full"):
    payload = {"listVersion": version, "updateType": kind}
    if entries is not None:
        payload["localAuthorizationList"] = entries
    return (await csms.call("CP1", "SendLocalList", payload))["status"]


async def version(csms):
    return (await csms.call("CP1", "GetLocalListVersion", {}))["listVersion"]


async def change(csms, key, value):
    assert await csms.call("CP1", "ChangeConfiguration", {"key": key, "value": value}) == {"status": "Accepted"}


def test_tc_042_1_tc_042_2_tc_043_2_list_versions(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await change(csms, "LocalAuthListEnabled", "false")
            assert await version(csms) == -1                                               # TC_042_1
            assert await send_list(csms, 1, [entry("TAG1")]) == "NotSupported"             # TC_043_1
            await change(csms, "LocalAuthListEnabled", "true")
            assert await send_list(csms, 1) == "Accepted" and await version(csms) == 0     # TC_042_2
            assert await send_list(csms, 2, [entry("TAG1")]) == "Accepted" and await version(csms) == 2
            assert await send_list(csms, 5, [entry("TAG2")], "Differential") == "Accepted"
            assert await version(csms) == 5
            assert await send_list(csms, 4, [entry("TAG3")], "Differential") == "VersionMismatch"
            assert await version(csms) == 5                                                # TC_043_2
            config = await csms.call("CP1", "GetConfiguration", {"key": ["SupportedFeatureProfiles",
                                                                          "LocalAuthListMaxLength"]})
            values = dict((k["key"], k["value"]) for k in config["configurationKey"])
            assert "LocalAuthListManagement" in values["SupportedFeatureProfiles"].split(",")
            assert "RemoteTrigger" in values["SupportedFeatureProfiles"].split(",")
            assert int(values["LocalAuthListMaxLength"]) >= 10000
    run(body())


def test_tc_043_tc_008_start_from_the_list(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await change(csms, "LocalPreAuthorize", "true")
            await change(csms, "AuthorizationCacheEnabled", "false")
            assert await send_list(csms, 1, [entry("LISTED"), entry("GONE")]) == "Accepted"
            assert await send_list(csms, 2, [{"idTag": "GONE"}], "Differential") == "Accepted"   # TC_043
            mark = csms.mark()
            await station.post("/plug", connector=1)
            await status(csms, 1, "Preparing", after=mark)
            assert await csms.call("CP1", "RemoteStartTransaction", {"connectorId": 1, "idTag": "LISTED"}) == \
                {"status": "Accepted"}
            start = await csms.wait_for("StartTransaction", after=mark)
            assert start["payload"]["idTag"] == "LISTED"
            await status(csms, 1, "Charging", after=mark)
            assert csms.received("Authorize") == [], "the list authorized it: no Authorize (TC_008)"
    run(body())


def test_tc_043_3_x_lal_07_storage_fault_and_power_cut(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            assert await send_list(csms, 3, [entry("KEEP")]) == "Accepted"
            await station.post("/storage-fault", fails=True)
            assert await send_list(csms, 4, [entry("NEW")]) == "Failed"                    # TC_043_3
            assert await send_list(csms, 4, [entry("NEW")], "Differential") == "Failed"
            assert await version(csms) == 3
            await station.post("/storage-fault", fails=False)
            await station.kill()                                                           # X-LAL-07
            mark = csms.mark()
            await station.start()
            await csms.wait_for("BootNotification", after=mark, timeout=10)
            await ready(csms)
            assert await version(csms) == 3
            await change(csms, "LocalPreAuthorize", "true")
            mark = csms.mark()
            await station.post("/tag", id_tag="KEEP", connector=1)
            await status(csms, 1, "Preparing", after=mark)
            assert not [e for e in csms.ledger[mark:] if e["action"] == "Authorize"], "the old list still works"
    run(body())


def test_x_lal_05_local_list_conflict(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            assert await send_list(csms, 1, [entry("TAG1")]) == "Accepted"
            csms.id_tags["TAG1"] = {"status": "Blocked"}
            mark = csms.mark()
            await station.post("/tag", id_tag="TAG1", connector=1)
            conflict = await csms.wait_for("StatusNotification", lambda p: p["errorCode"] == "LocalListConflict",
                                           after=mark)
            assert conflict["payload"]["connectorId"] == 0 and conflict["payload"]["status"] == "Available"
            assert await version(csms) == 1
    run(body())


def _answer_then_call(csms, mark, action):
    """The station's answer to our TriggerMessage comes before the CALL it asked for (X-RT-01)."""
    entries = [e for e in csms.ledger[mark:] if e["dir"] == "in"]
    kinds = [(e["kind"], e["action"]) for e in entries]
    answer = kinds.index(("CALLRESULT", "TriggerMessage"))
    called = kinds.index(("CALL", action))
    assert answer < called, kinds
    return entries[called]["payload"]


async def _trigger(csms, message, connector=None):
    payload = {"requestedMessage": message}
    if connector is not None:
        payload["connectorId"] = connector
    mark = csms.mark()
    answer = await csms.call("CP1", "TriggerMessage", payload)
    if answer["status"] == "Accepted":
        await csms.wait_for(message, after=mark)
    return answer["status"], mark


def test_tc_054_tc_055_x_rt_01_x_rt_03_trigger_message(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            got, mark = await _trigger(csms, "MeterValues", 1)
            sampled = _answer_then_call(csms, mark, "MeterValues")["meterValue"][0]["sampledValue"]
            assert got == "Accepted" and sampled[0]["context"] == "Trigger"
            for message in ("Heartbeat", "DiagnosticsStatusNotification", "FirmwareStatusNotification"):
                got, mark = await _trigger(csms, message)
                payload = _answer_then_call(csms, mark, message)
                assert got == "Accepted" and payload == ({} if message == "Heartbeat" else {"status": "Idle"})
            got, mark = await _trigger(csms, "StatusNotification", 2)
            assert got == "Accepted" and _answer_then_call(csms, mark, "StatusNotification")["connectorId"] == 2
            got, mark = await _trigger(csms, "StatusNotification")
            await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2, after=mark)
            assert [p["connectorId"] for p in csms.received("StatusNotification")[-3:]] == [0, 1, 2]   # X-RT-03
            mark = csms.mark()
            assert await csms.call("CP1", "TriggerMessage", {"requestedMessage": "MeterValues",
                                                             "connectorId": 3}) == {"status": "Rejected"}
            assert await csms.call("CP1", "TriggerMessage", {"requestedMessage": "BootNotification"}) == \
                {"status": "Rejected"}                                                     # X-RT-02
            await station.post("/plug", connector=1)
            await status(csms, 1, "Preparing", after=mark)
            assert not [e for e in csms.ledger[mark:] if e["action"] in ("MeterValues", "BootNotification")]
    run(body())


def test_x_rt_02_x_rt_05_triggers_while_pending(tmp_path):
    async def body():
        async with station_env(tmp_path, boot=[("Pending", 300)]) as (csms, station):
            await csms.wait_for("BootNotification", kind="CALL")
            for message, connector in (("Heartbeat", None), ("StatusNotification", 1), ("MeterValues", 2)):
                got, mark = await _trigger(csms, message, connector)
                assert got == "Accepted"
                _answer_then_call(csms, mark, message)
            csms.boot_default = ("Accepted", 300)
            got, mark = await _trigger(csms, "BootNotification")
            assert got == "Accepted"
            await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2, after=mark, timeout=10)
    run(body())


def test_tc_030_unlock_fault(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await station.post("/unlock-fault", connector=1, fails=True)
            assert await csms.call("CP1", "UnlockConnector", {"connectorId": 1}) == {"status": "UnlockFailed"}
            assert await csms.call("CP1", "UnlockConnector", {"connectorId": 1}) == {"status": "Unlocked"}
            await station.post("/unlock-fault", connector=1, fails=True)
            await station.post("/unlock-fault", connector=1, fails=False)
            assert await csms.call("CP1", "UnlockConnector", {"connectorId": 1}) == {"status": "Unlocked"}
            state = await until(station, lambda c: c["status"] == "Available", "no fault left", part="station")
            assert state["error_code"] == "NoError"
    run(body())
