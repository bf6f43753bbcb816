"""Charging-session scenarios for the sans-I/O core (pytest on CPython, tx_suite.py on MicroPython).

Authorization, transactions, meter values, the offline journal and power cuts, after the OCTT cases and X-CORE
checks of reference/ocpp16-conformance.md; the ids are in the names.
"""

from controller.storage import MemoryStorage
from tests.micropython.core_harness import Bench, expect


def booted(**kw):
    b = Bench(**kw)
    b.connect()
    b.meter(1, 1000)
    b.meter(2, 5000)
    return b


def charging(b, connector=1, tag="TAG1"):
    b.plug(connector)
    b.tag(tag, connector)
    starts = b.sent("StartTransaction")
    expect(starts and starts[-1]["connectorId"] == connector, "transaction started")
    return b.station.connectors[connector].transaction


def change(b, key, value):
    got = b.csms_call("ChangeConfiguration", {"key": key, "value": value})
    expect(got == ("result", {"status": "Accepted"}), key + "=" + value + ": " + repr(got))


def status_of(b, connector):
    return b.station.connectors[connector].status


# ---- starting --------------------------------------------------------------------------------------------------
def tc_003_plug_first():
    b = booted()
    mark = b.mark()
    b.plug(1)
    expect(b.statuses(mark) == [(1, "Preparing")], "Preparing on plug")
    b.tag("TAG1", 1)
    actions = [a for a, p in b.since(mark)]
    expect(actions.index("Authorize") < actions.index("StartTransaction"), "Authorize, then Start")
    start = b.sent("StartTransaction")[0]
    expect(start["meterStart"] == 1000 and start["idTag"] == "TAG1" and start["connectorId"] == 1, repr(start))
    expect((1, "Charging") in b.statuses(mark), "Charging")
    cmds = b.hardware()
    expect({"cmd": "lock", "connector": 1, "locked": True} in cmds, "cable locked before the start")
    expect({"cmd": "contactor", "connector": 1, "on": True} in cmds, "contactor closed")


def tc_004_1_identification_first():
    b = booted()
    mark = b.mark()
    b.tag("TAG1", 1)
    expect(b.statuses(mark) == [(1, "Preparing")] and b.sent("Authorize"), "Authorize and Preparing")
    expect(not b.sent("StartTransaction"), "no start without the EV")
    b.plug(1)
    expect(len(b.sent("StartTransaction")) == 1 and status_of(b, 1) == "Charging", "start on plug")


def tc_004_2_connection_timeout():
    b = booted()
    change(b, "ConnectionTimeOut", "10")
    mark = b.mark()
    b.tag("TAG1", 1)
    b.advance(9000)
    expect(status_of(b, 1) == "Preparing", "still waiting")
    b.advance(1500)
    expect(b.statuses(mark) == [(1, "Preparing"), (1, "Available")], repr(b.statuses(mark)))
    b.plug(1)
    expect(not b.sent("StartTransaction"), "no start after the timeout")


def tc_023_invalid_tag_does_not_start():
    b = booted()
    b.id_tags["BAD"] = {"status": "Invalid"}
    b.plug(1)
    b.tag("BAD", 1)
    expect(b.sent("Authorize") and not b.sent("StartTransaction"), "no start for an invalid tag")
    expect(status_of(b, 1) == "Preparing", "still Preparing")


def tc_024_lock_failure():
    b = booted()
    b.lock_fails = True
    mark = b.mark()
    b.plug(1)
    b.tag("TAG1", 1)
    sn = b.since(mark, "StatusNotification")[-1][1]
    expect(sn["status"] == "Faulted" and sn["errorCode"] == "ConnectorLockFailure", repr(sn))
    expect(not b.sent("StartTransaction"), "no start")
    b.lock_fails = False
    b.unplug(1)
    expect(status_of(b, 1) == "Available", "the lock fault clears when the cable is out")


def tc_041_no_start_while_faulted():
    b = booted()
    b.event({"type": "fault", "connector": 1, "error_code": "GroundFailure"})
    b.plug(1)
    b.tag("TAG1", 1)
    b.advance(30000)
    expect(not b.sent("StartTransaction"), "no transaction on a faulted connector")


# ---- stopping --------------------------------------------------------------------------------------------------
def tc_068_same_tag_stops_without_authorize():
    b = booted()
    charging(b)
    b.meter(1, 4321)
    mark = b.mark()
    b.tag("tag1")           # the same tag, other case
    expect(not b.since(mark, "Authorize"), "no Authorize for the starting tag")
    stop = b.since(mark, "StopTransaction")[0][1]
    expect(stop["reason"] == "Local" and stop["meterStop"] == 4321 and stop["transactionId"] == 101, repr(stop))
    expect((1, "Finishing") in b.statuses(mark), "Finishing with the cable in")
    cmds = b.hardware()
    expect({"cmd": "contactor", "connector": 1, "on": False} in cmds, "contactor opened")
    expect({"cmd": "lock", "connector": 1, "locked": False} in cmds, "cable unlocked")
    b.unplug(1)
    expect(status_of(b, 1) == "Available", "Available after unplug")


def tc_069_parent_tag_stops():
    b = booted()
    b.id_tags["TAG1"] = {"status": "Accepted", "parentIdTag": "FLEET"}
    b.id_tags["TAG2"] = {"status": "Accepted", "parentIdTag": "FLEET"}
    b.plug(2)
    b.tag("X", 2)            # occupy connector 2 too, so the other tag cannot start anything
    charging(b)
    mark = b.mark()
    b.tag("TAG2")
    expect(b.since(mark, "Authorize"), "Authorize to learn the parent")
    stops = b.since(mark, "StopTransaction")
    expect(len(stops) == 1 and stops[0][1]["idTag"] == "TAG2", repr(stops))


def tc_005_1_ev_disconnect_stops_and_unlocks():
    b = booted()
    charging(b)
    mark = b.mark()
    b.unplug(1, side="ev")
    stop = b.since(mark, "StopTransaction")[0][1]
    expect(stop["reason"] == "EVDisconnected", repr(stop))
    expect((1, "Finishing") in b.statuses(mark), "Finishing: the cable is still in the socket")
    expect({"cmd": "lock", "connector": 1, "locked": False} in b.hardware(), "unlocked")


def tc_005_2_stop_without_unlock():
    b = booted()
    change(b, "UnlockConnectorOnEVSideDisconnect", "false")
    charging(b)
    b.hardware()
    b.unplug(1, side="ev")
    expect(b.sent("StopTransaction")[0]["reason"] == "EVDisconnected", "stopped")
    expect({"cmd": "lock", "connector": 1, "locked": False} not in b.hardware(), "the cable stays locked")
    expect(b.csms_call("UnlockConnector", {"connectorId": 1}) == ("result", {"status": "Unlocked"}), "unlock")


def tc_005_3_no_stop_on_ev_disconnect():
    b = booted()
    change(b, "StopTransactionOnEVSideDisconnect", "false")
    charging(b)
    b.unplug(1, side="ev")
    expect(not b.sent("StopTransaction") and status_of(b, 1) == "SuspendedEV", "suspended, not stopped")
    got = b.csms_call("RemoteStopTransaction", {"transactionId": 101})
    expect(got == ("result", {"status": "Accepted"}), repr(got))
    expect(b.sent("StopTransaction")[0]["reason"] == "Remote", "stopped remotely")
    expect(status_of(b, 1) == "Finishing", "Finishing")


# ---- remote start / stop ---------------------------------------------------------------------------------------
def tc_010_remote_start_plug_first():
    b = booted()
    b.plug(1)
    mark = b.mark()
    got = b.csms_call("RemoteStartTransaction", {"connectorId": 1, "idTag": "R1"})
    expect(got == ("result", {"status": "Accepted"}), repr(got))
    actions = [a for a, p in b.since(mark)]
    expect("Authorize" in actions and "StartTransaction" in actions, "AuthorizeRemoteTxRequests=true: " +
           repr(actions))
    expect(b.sent("StartTransaction")[0]["idTag"] == "R1", "remote idTag")


def tc_011_remote_start_first_and_timeout():
    b = booted()
    change(b, "ConnectionTimeOut", "5")
    b.csms_call("RemoteStartTransaction", {"idTag": "R1"})
    expect(status_of(b, 1) == "Preparing", "Preparing while waiting")
    b.plug(1)
    expect(b.sent("StartTransaction"), "TC_011_1: start on plug")
    b.csms_call("RemoteStartTransaction", {"connectorId": 2, "idTag": "R2"})
    b.advance(6000)
    expect(status_of(b, 2) == "Available" and len(b.sent("StartTransaction")) == 1, "TC_011_2: timed out")


def x_core_22_no_authorize_when_not_required():
    b = booted()
    change(b, "AuthorizeRemoteTxRequests", "false")
    b.plug(1)
    mark = b.mark()
    b.csms_call("RemoteStartTransaction", {"connectorId": 1, "idTag": "R1"})
    expect(not b.since(mark, "Authorize") and b.since(mark, "StartTransaction"), "straight to Start")


def tc_026_tc_027_tc_028_remote_rejections():
    b = booted()
    charging(b)
    expect(b.csms_call("RemoteStartTransaction", {"connectorId": 1, "idTag": "R"}) ==
           ("result", {"status": "Rejected"}), "TC_026 busy connector")
    expect(b.csms_call("RemoteStartTransaction", {"connectorId": 0, "idTag": "R"}) ==
           ("result", {"status": "Rejected"}), "TC_027 connector 0")
    expect(b.csms_call("RemoteStopTransaction", {"transactionId": 999}) == ("result", {"status": "Rejected"}),
           "TC_028 unknown transaction")
    expect(b.station.connectors[1].transaction is not None, "the running transaction goes on")


def tc_012_remote_stop():
    b = booted()
    charging(b)
    expect(b.csms_call("RemoteStopTransaction", {"transactionId": 101}) == ("result", {"status": "Accepted"}), "")
    expect(b.sent("StopTransaction")[0]["reason"] == "Remote" and status_of(b, 1) == "Finishing", "stopped")


def x_core_04_remote_start_rejected_while_pending():
    b = Bench(boot=[("Pending", 60)])
    b.connect()
    expect(b.csms_call("RemoteStartTransaction", {"connectorId": 1, "idTag": "R"}) ==
           ("result", {"status": "Rejected"}), "not allowed while Pending")


# ---- unlock ----------------------------------------------------------------------------------------------------
def tc_017_tc_018_tc_030_tc_031_unlock():
    b = booted()
    expect(b.csms_call("UnlockConnector", {"connectorId": 1}) == ("result", {"status": "Unlocked"}), "TC_017_1")
    expect(b.csms_call("UnlockConnector", {"connectorId": 2}) == ("result", {"status": "NotSupported"}),
           "TC_017_2 fixed cable")
    expect(b.csms_call("UnlockConnector", {"connectorId": 7}) == ("result", {"status": "NotSupported"}),
           "TC_031 unknown connector")
    charging(b)
    expect(b.csms_call("UnlockConnector", {"connectorId": 1}) == ("result", {"status": "Unlocked"}), "TC_018_1")
    expect(b.sent("StopTransaction")[-1]["reason"] == "UnlockCommand", "stopped with UnlockCommand")
    b.lock_fails = True
    expect(b.csms_call("UnlockConnector", {"connectorId": 1}) == ("result", {"status": "UnlockFailed"}), "TC_030")


def tc_018_2_fixed_cable_unlock_keeps_charging():
    b = booted()
    charging(b, connector=2)
    expect(b.csms_call("UnlockConnector", {"connectorId": 2}) == ("result", {"status": "NotSupported"}), "")
    expect(b.station.connectors[2].transaction is not None, "the transaction goes on")


# ---- invalid ids -----------------------------------------------------------------------------------------------
def x_core_14_start_answer_invalid_stops():
    b = booted()
    b.id_tags["TAG1"] = {"status": "Accepted"}
    b.answers["StartTransaction"] = lambda p: {"transactionId": 7, "idTagInfo": {"status": "Invalid"}}
    charging(b)
    stop = b.sent("StopTransaction")[0]
    expect(stop["reason"] == "DeAuthorized" and stop["transactionId"] == 7, repr(stop))
    expect({"cmd": "lock", "connector": 1, "locked": False} not in b.hardware(), "cable kept locked")
    b.tag("TAG1")
    expect({"cmd": "lock", "connector": 1, "locked": False} in b.hardware(), "unlocked for the same idTag")


def tc_037_2_start_answer_invalid_suspends():
    b = booted()
    change(b, "StopTransactionOnInvalidId", "false")
    b.answers["StartTransaction"] = lambda p: {"transactionId": 7, "idTagInfo": {"status": "Blocked"}}
    mark = b.mark()
    charging(b)
    expect(not b.sent("StopTransaction"), "not stopped")
    expect(b.statuses(mark)[-1] == (1, "SuspendedEVSE"), repr(b.statuses(mark)))
    expect({"cmd": "contactor", "connector": 1, "on": False} in b.hardware(), "energy stopped")


# ---- reset and power ---------------------------------------------------------------------------------------------
def tc_015_tc_016_reset_with_transaction():
    for kind, reason in (("Hard", "HardReset"), ("Soft", "SoftReset")):
        b = booted()
        charging(b)
        expect(b.csms_call("Reset", {"type": kind}) == ("result", {"status": "Accepted"}), "accepted")
        expect(b.sent("StopTransaction")[0]["reason"] == reason and b.resets == [kind], kind)


def tc_032_1_power_loss_with_backup():
    b = booted()
    charging(b)
    b.meter(1, 1500)
    b.event({"type": "power_loss"})
    stop = b.sent("StopTransaction")[0]
    expect(stop["reason"] == "PowerLoss" and stop["meterStop"] == 1500, repr(stop))


def tc_032_2_power_cut_closes_after_restart():
    store = MemoryStorage()
    b = booted(store=store)
    change(b, "MeterValueSampleInterval", "10")
    charging(b)
    b.meter(1, 1800)
    b.advance(10000)
    expect(len(b.sent("MeterValues")) == 1, "a sample before the cut")
    b.restart()              # power cut: nothing was stopped
    b.plug(1)
    b.meter(1, 1800)
    mark = b.mark()
    b.connect()
    stops = b.since(mark, "StopTransaction")
    expect(len(stops) == 1 and stops[0][1]["reason"] == "PowerLoss" and stops[0][1]["meterStop"] == 1800 and
           stops[0][1]["transactionId"] == 101, repr(stops))
    expect(not b.since(mark, "StartTransaction"), "the acknowledged Start is not sent again")
    expect(status_of(b, 1) == "Finishing", "Finishing with the EV still plugged")


# ---- meter values ------------------------------------------------------------------------------------------------
def tc_070_sampled_meter_values():
    b = booted()
    change(b, "MeterValueSampleInterval", "10")
    change(b, "MeterValuesSampledData", "Energy.Active.Import.Register,Current.Import,Voltage")
    charging(b)
    mark = b.mark()
    for i in range(3):
        b.meter(1, 1100 + 100 * i, **{"Current.Import": 16.0, "Voltage": 230.0})
        b.advance(10000)
    mvs = b.since(mark, "MeterValues")
    expect(len(mvs) == 3, "one every 10 s: " + str(len(mvs)))
    stamps = [p["meterValue"][0]["timestamp"] for a, p in mvs]
    from controller.clock import parse_iso
    expect([parse_iso(stamps[i + 1]) - parse_iso(stamps[i]) for i in range(2)] == [10000, 10000], repr(stamps))
    sv = mvs[0][1]["meterValue"][0]["sampledValue"]
    expect([v["measurand"] for v in sv] == ["Energy.Active.Import.Register", "Current.Import", "Voltage"], repr(sv))
    expect(sv[0]["context"] == "Sample.Periodic" and sv[0]["unit"] == "Wh" and sv[0]["value"] == "1100", repr(sv))
    expect(mvs[0][1]["transactionId"] == 101 and mvs[0][1]["connectorId"] == 1, "belongs to the transaction")


def tc_071_clock_aligned_meter_values():
    b = booted()
    change(b, "MeterValueSampleInterval", "0")
    change(b, "ClockAlignedDataInterval", "20")
    charging(b)
    mark = b.mark()
    b.advance(60000)
    mvs = b.since(mark, "MeterValues")
    from controller.clock import parse_iso
    connector1 = [p for a, p in mvs if p["connectorId"] == 1]
    expect(len(connector1) == 3, "one every 20 s: " + str(len(connector1)))
    for p in connector1:
        mv = p["meterValue"][0]
        expect(parse_iso(mv["timestamp"]) % 20000 == 0, "on the boundary: " + mv["timestamp"])
        expect(mv["sampledValue"][0]["context"] == "Sample.Clock", "Sample.Clock")
    main = [p for a, p in mvs if p["connectorId"] == 0]
    expect(main and "transactionId" not in main[0] and main[0]["meterValue"][0]["sampledValue"][0]["value"] ==
           "6000", "X-CORE-25: connector 0 reports the main meter: " + repr(main[:1]))


def x_core_24_stop_transaction_data():
    b = booted()
    charging(b)
    b.meter(1, 1300)
    b.tag("TAG1")
    data = b.sent("StopTransaction")[0]["transactionData"]
    contexts = [mv["sampledValue"][0]["context"] for mv in data]
    expect(contexts == ["Transaction.Begin", "Transaction.End"], repr(contexts))
    expect(data[1]["sampledValue"][0]["value"] == "1300", "end value")
    b2 = booted()
    change(b2, "StopTxnSampledData", "")
    charging(b2)
    b2.tag("TAG1")
    expect("transactionData" not in b2.sent("StopTransaction")[0], "no transactionData when both keys are empty")


def meter_register_never_goes_back():
    b = booted()
    change(b, "MeterValueSampleInterval", "10")
    charging(b)
    b.meter(1, 1500)
    b.meter(1, 20)          # the meter was reset
    b.meter(1, 120)
    b.advance(10000)
    value = int(b.sent("MeterValues")[0]["meterValue"][0]["sampledValue"][0]["value"])
    expect(value == 1600, "1500 + 100 Wh since the reset: " + str(value))
    b.tag("TAG1")
    expect(b.sent("StopTransaction")[0]["meterStop"] == 1600, "meterStop too")


def unsupported_measurand_rejected():
    b = booted()
    got = b.csms_call("ChangeConfiguration", {"key": "MeterValuesSampledData", "value": "SoC"})
    expect(got == ("result", {"status": "Rejected"}), repr(got))


# ---- authorization cache and offline rules ----------------------------------------------------------------------
def tc_007_cached_id_remote_start_without_authorize():
    b = booted()
    change(b, "LocalPreAuthorize", "true")
    charging(b)
    b.tag("TAG1")          # stop: the cache now holds TAG1 from the Start/Stop answers
    b.unplug(1)
    b.plug(1)
    mark = b.mark()
    b.csms_call("RemoteStartTransaction", {"connectorId": 1, "idTag": "TAG1"})
    expect(not b.since(mark, "Authorize") and b.since(mark, "StartTransaction"), "the cache authorizes")


def tc_061_clear_cache():
    b = booted()
    change(b, "LocalPreAuthorize", "true")
    b.tag("TAG1", 1)
    b.tag("TAG1", 1)       # presented again: cancelled
    expect(status_of(b, 1) == "Available", "cancelled")
    mark = b.mark()
    b.tag("TAG1", 1)
    expect(not b.since(mark, "Authorize"), "cached: no Authorize")
    b.tag("TAG1", 1)
    expect(b.csms_call("ClearCache", {}) == ("result", {"status": "Accepted"}), "cleared")
    mark = b.mark()
    b.tag("TAG1", 1)
    expect(b.since(mark, "Authorize"), "after ClearCache the id is checked again")


def x_core_11_local_pre_authorize_false():
    b = booted()
    b.tag("TAG1", 1)
    b.tag("TAG1", 1)
    mark = b.mark()
    b.tag("TAG1", 1)
    expect(b.since(mark, "Authorize"), "cached, but LocalPreAuthorize=false: Authorize sent")


def x_core_10_expired_cache_entry():
    b = booted()
    change(b, "LocalPreAuthorize", "true")
    b.id_tags["OLD"] = {"status": "Accepted", "expiryDate": "2026-11-18T11:07:00Z"}
    b.tag("OLD", 1)
    b.tag("OLD", 1)
    b.advance(60000)
    mark = b.mark()
    b.tag("OLD", 1)
    expect(b.since(mark, "Authorize"), "an expired entry is checked again")


def x_core_10_cache_survives_a_restart():
    store = MemoryStorage()
    b = booted(store=store)
    change(b, "LocalPreAuthorize", "true")
    b.tag("TAG9", 1)
    b.tag("TAG9", 1)
    b.advance(3000)                 # the cache reaches the disk a moment after the change
    b.restart()
    b.connect()
    mark = b.mark()
    b.tag("TAG9", 1)
    expect(not b.since(mark, "Authorize") and b.station.connectors[1].pending is not None,
           "authorized from the cache that survived the restart")


def tc_037_1_tc_039_offline_transaction():
    b = booted()
    charging(b, tag="TAG1")
    b.tag("TAG1")           # cache TAG1
    b.unplug(1)
    b.disconnect()
    b.plug(1)
    b.tag("TAG1", 1)
    expect(status_of(b, 1) == "Charging", "offline start from the cache")
    b.meter(1, 1700)
    b.tag("TAG1")
    b.unplug(1)
    mark = b.mark()
    b.connect()
    actions = [a for a, p in b.since(mark) if a in ("StartTransaction", "StopTransaction")]
    expect(actions == ["StartTransaction", "StopTransaction"], repr(actions))
    stop = b.since(mark, "StopTransaction")[0][1]
    expect(stop["transactionId"] == 102 and stop["meterStop"] == 1700, "mapped to the new id: " + repr(stop))


def x_core_12_local_authorize_offline_false():
    b = booted()
    charging(b)
    b.tag("TAG1")
    b.unplug(1)
    change(b, "LocalAuthorizeOffline", "false")
    b.disconnect()
    b.plug(1)
    b.tag("TAG1", 1)
    expect(b.station.connectors[1].transaction is None, "no offline start")


def x_core_13_unknown_offline():
    b = booted()
    b.disconnect()
    b.plug(1)
    b.tag("NEW", 1)
    expect(b.station.connectors[1].transaction is None, "unknown id refused by default")
    b.connect()
    change(b, "AllowOfflineTxForUnknownId", "true")
    b.disconnect()
    b.tag("NEW", 1)
    expect(b.station.connectors[1].transaction is not None, "unknown id allowed")


# ---- the journal: order, retries, restarts, bounds --------------------------------------------------------------
def tc_036_queued_meter_values_in_order():
    b = booted()
    change(b, "MeterValueSampleInterval", "10")
    charging(b)
    b.disconnect()
    for i in range(5):
        b.meter(1, 1100 + i)
        b.advance(10000)
    mark = b.mark()
    b.connect()
    mvs = b.since(mark, "MeterValues")
    values = [int(p["meterValue"][0]["sampledValue"][0]["value"]) for a, p in mvs]
    expect(values[:5] == [1100, 1101, 1102, 1103, 1104], repr(values))
    first = [a for a, p in b.since(mark)][0]
    expect(first == "MeterValues", "the queue goes before anything else: " + first)


def x_core_15_retry_then_discard():
    b = booted()
    change(b, "TransactionMessageRetryInterval", "10")
    charging(b)
    b.answers["StopTransaction"] = lambda p: None
    b.tag("TAG1")
    frame = b.held.pop(0)
    b.station.receive('[4,"' + frame[1] + '","InternalError","",{}]', b.now)
    b.flush()
    b.advance(9000)
    expect(len(b.sent("StopTransaction")) == 1, "not before the interval")
    b.advance(1000)
    expect(len(b.sent("StopTransaction")) == 2, "second attempt after R")
    second = b.held.pop(0)
    expect(second[1] != frame[1] and second[1].startswith(frame[1]), "a retry on the same link gets a new id")
    b.station.receive('[4,"' + second[1] + '","InternalError","",{}]', b.now)
    b.flush()
    b.advance(19000)
    expect(len(b.sent("StopTransaction")) == 2, "third attempt after 2R, not before")
    b.advance(1000)
    third = b.held.pop(0)
    b.station.receive('[4,"' + third[1] + '","InternalError","",{}]', b.now)
    b.flush()
    b.advance(100000)
    expect(len(b.sent("StopTransaction")) == 3, "discarded after 3 attempts")


def x_core_17_no_transaction_id():
    b = booted()
    change(b, "TransactionMessageAttempts", "1")
    b.answers["StartTransaction"] = lambda p: None
    charging(b)
    frame = b.held.pop(0)
    b.station.receive('[4,"' + frame[1] + '","InternalError","",{}]', b.now)
    b.flush()
    b.answers.pop("StartTransaction")
    b.tag("TAG1")
    expect(b.sent("StopTransaction")[0]["transactionId"] == -1, "transactionId -1")


def journal_survives_restart_and_acks_persist():
    store = MemoryStorage()
    b = booted(store=store)
    change(b, "MeterValueSampleInterval", "10")
    charging(b)
    b.disconnect()
    b.advance(30000)
    b.tag("TAG1")
    b.unplug(1)
    expect(len(b.station.feature["outbox"].journal.pending) == 4, "3 samples and the Stop are queued")
    b.restart()
    mark = b.mark()
    b.connect()
    actions = [a for a, p in b.since(mark) if a in ("MeterValues", "StopTransaction", "StartTransaction")]
    expect(actions == ["MeterValues"] * 3 + ["StopTransaction"], repr(actions))
    b.restart()
    mark = b.mark()
    b.connect()
    expect(not b.since(mark, "MeterValues") and not b.since(mark, "StopTransaction"), "nothing sent twice")


def torn_journal_tail_is_tolerated():
    store = MemoryStorage()
    b = booted(store=store)
    charging(b)
    store.files["journal.log"] = store.files["journal.log"] + b"J\x00\x00\x01\x00garbage"
    b.restart()
    b.plug(1)
    b.meter(1, 1000)
    b.connect()
    expect(b.sent("StopTransaction")[-1]["reason"] == "PowerLoss", "recovered despite the torn tail")


def journal_bound_drops_samples_first():
    b = Bench()
    b.station.feature["outbox"].journal.max_pending = 10
    b.connect()
    b.meter(1, 1000)
    change(b, "MeterValueSampleInterval", "1")
    charging(b)
    b.disconnect()
    b.advance(60000)
    b.tag("TAG1")
    journal = b.station.feature["outbox"].journal
    kinds = [e.kind for e in journal.pending]
    expect(len(kinds) <= 11 and kinds[-1] == "stop" and journal.dropped >= 45, repr(kinds))
    mark = b.mark()
    b.connect()
    expect(len(b.since(mark, "StopTransaction")) == 1, "the Stop survives the bound")


def x_core_18_scheduled_availability_with_transaction():
    b = booted()
    charging(b)
    expect(b.csms_call("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}) ==
           ("result", {"status": "Scheduled"}), "Scheduled")
    mark = b.mark()
    b.tag("TAG1")
    b.unplug(1)
    expect(b.statuses(mark)[-1] == (1, "Unavailable"), "Unavailable once the transaction ended: " +
           repr(b.statuses(mark)))


def tag_read_twice_while_authorizing():
    b = booted()
    b.answers["Authorize"] = None
    b.tag("TAG1", 1)
    b.tag("TAG1", 1)                # the reader saw the card twice
    expect(len(b.sent("Authorize")) == 1, "one Authorize for a double read")
    b.reply_held({"idTagInfo": {"status": "Accepted"}})
    expect(b.station.connectors[1].status == "Preparing", "authorized once, not cancelled")


SCENARIOS = [
    tc_003_plug_first, tc_004_1_identification_first, tc_004_2_connection_timeout, tc_023_invalid_tag_does_not_start,
    tc_024_lock_failure, tc_041_no_start_while_faulted, tc_068_same_tag_stops_without_authorize,
    tc_069_parent_tag_stops, tc_005_1_ev_disconnect_stops_and_unlocks, tc_005_2_stop_without_unlock,
    tc_005_3_no_stop_on_ev_disconnect, tc_010_remote_start_plug_first, tc_011_remote_start_first_and_timeout,
    x_core_22_no_authorize_when_not_required, tc_026_tc_027_tc_028_remote_rejections, tc_012_remote_stop,
    x_core_04_remote_start_rejected_while_pending, tc_017_tc_018_tc_030_tc_031_unlock,
    tc_018_2_fixed_cable_unlock_keeps_charging, x_core_14_start_answer_invalid_stops,
    tc_037_2_start_answer_invalid_suspends, tc_015_tc_016_reset_with_transaction, tc_032_1_power_loss_with_backup,
    tc_032_2_power_cut_closes_after_restart, tc_070_sampled_meter_values, tc_071_clock_aligned_meter_values,
    x_core_24_stop_transaction_data, meter_register_never_goes_back, unsupported_measurand_rejected,
    tc_007_cached_id_remote_start_without_authorize, tc_061_clear_cache, x_core_11_local_pre_authorize_false,
    x_core_10_expired_cache_entry, tc_037_1_tc_039_offline_transaction, x_core_12_local_authorize_offline_false,
    x_core_13_unknown_offline, tc_036_queued_meter_values_in_order, x_core_15_retry_then_discard,
    x_core_17_no_transaction_id, journal_survives_restart_and_acks_persist, torn_journal_tail_is_tolerated,
    journal_bound_drops_samples_first, x_core_18_scheduled_availability_with_transaction,
    tag_read_twice_while_authorizing, x_core_10_cache_survives_a_restart,
]
