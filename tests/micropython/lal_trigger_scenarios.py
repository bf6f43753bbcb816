"""Local Authorization List and Remote Trigger scenarios for the sans-I/O core (pytest on CPython, tx_suite.py on
MicroPython), after TC_042/043/008, TC_054/055 and the X-LAL / X-RT checks of reference/ocpp16-conformance.md.
"""

from controller.storage import FaultyStorage, MemoryStorage
from tests.micropython.core_harness import Bench, expect
from tests.micropython.tx_scenarios import booted, change, charging


def entry(tag, status="Accepted", **info):
    info["status"] = status
    return {"idTag": tag, "idTagInfo": info}


def send_list(b, version, entries=None, kind="Full"):
    payload = {"listVersion": version, "updateType": kind}
    if entries is not None:
        payload["localAuthorizationList"] = entries
    got = b.csms_call("SendLocalList", payload)
    expect(got is not None and got[0] == "result", "SendLocalList answered: " + repr(got))
    return got[1]["status"]


def list_version(b):
    return b.csms_call("GetLocalListVersion", {})[1]["listVersion"]


def trigger(b, message, connector=None):
    payload = {"requestedMessage": message}
    if connector is not None:
        payload["connectorId"] = connector
    got = b.csms_call("TriggerMessage", payload)
    expect(got is not None and got[0] == "result", "TriggerMessage answered: " + repr(got))
    return got[1]["status"]


def answer_then_call(b, action):
    """The station's frames after a TriggerMessage: its answer, then the CALL it was asked for (X-RT-01)."""
    frames = [f for f in b.frames if f[0] == 3 or (f[0] == 2 and f[2] == action)]
    answer = [i for i, f in enumerate(frames) if f[0] == 3 and f[1] == b.last_id][-1]
    expect(answer + 1 < len(frames) and frames[answer + 1][0] == 2, "the triggered " + action + " after the answer")
    return frames[answer + 1][3]


# ---- Local Authorization List ----------------------------------------------------------------------------------
def tc_042_1_disabled_list_reports_minus_one():
    b = booted()
    change(b, "LocalAuthListEnabled", "false")
    expect(list_version(b) == -1, "-1 while LocalAuthListEnabled is false")
    expect(send_list(b, 1, [entry("TAG1")]) == "NotSupported", "no update while disabled (TC_043_1)")


def tc_042_2_empty_list_is_version_zero():
    b = booted()
    expect(list_version(b) == 0, "no list: 0")
    expect(send_list(b, 1) == "Accepted", "Full without a list")
    expect(list_version(b) == 0, "empty list: 0 whatever the version sent")
    expect(send_list(b, 3, [entry("TAG1")]) == "Accepted" and list_version(b) == 3, "a list: its version")
    expect(send_list(b, 0, []) == "Accepted" and list_version(b) == 0, "Full with version 0 clears it")


def tc_043_full_then_differential():
    b = booted()
    expect(send_list(b, 1, [entry("TAG1"), entry("TAG2", "Blocked")]) == "Accepted", "Full")
    expect(send_list(b, 2, [entry("TAG3"), {"idTag": "TAG1"}], "Differential") == "Accepted", "Differential")
    ll = b.station.feature["local_list"]
    expect(ll.entry("tag3", b.now) == {"status": "Accepted"}, "added, looked up case-insensitively")
    expect(ll.entry("TAG1", b.now) is None, "an entry without idTagInfo is deleted (X-LAL-01)")
    expect(ll.entry("TAG2", b.now) == {"status": "Blocked"}, "untouched entry stays")
    expect(send_list(b, 3, [], "Differential") == "Accepted" and list_version(b) == 3, "empty Differential: "
           "version only")
    expect(ll.list.count == 2, "entries unchanged")
    expect(send_list(b, 4, [{"idTag": "TAG9"}]) == "Failed", "a Full update needs idTagInfo on every entry")


def tc_043_2_version_mismatch():
    b = booted()
    expect(send_list(b, 2, [entry("TAG1")]) == "Accepted" and list_version(b) == 2, "Full v2")
    expect(send_list(b, 5, [entry("TAG2")], "Differential") == "Accepted" and list_version(b) == 5, "Diff v5")
    expect(send_list(b, 4, [entry("TAG3")], "Differential") == "VersionMismatch", "Diff v4")
    expect(send_list(b, 5, [entry("TAG3")], "Differential") == "VersionMismatch", "Diff v5 again")
    expect(list_version(b) == 5 and b.station.feature["local_list"].entry("TAG3", b.now) is None, "unchanged")


def tc_043_3_storage_fault_fails_and_keeps_the_list():
    store = FaultyStorage(MemoryStorage(), spared=("journal.log",))
    b = booted(store=store)
    expect(send_list(b, 1, [entry("TAG1")]) == "Accepted", "Full v1")
    store.fails = True
    expect(send_list(b, 2, [entry("TAG2")]) == "Failed", "Failed when it cannot be stored")
    expect(send_list(b, 2, [entry("TAG2")], "Differential") == "Failed", "Differential too")
    got = b.csms_call("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "77"})
    expect(got == ("result", {"status": "Rejected"}), "a configuration change that cannot be stored: " + repr(got))
    b.advance(5000)                                      # deferred cache writes fail quietly
    store.fails = False
    expect(list_version(b) == 1, "old version")
    ll = b.station.feature["local_list"]
    expect(ll.entry("TAG1", b.now) is not None and ll.entry("TAG2", b.now) is None, "old entries")
    b.restart()
    b.connect()
    expect(list_version(b) == 1 and b.station.feature["local_list"].entry("TAG1", b.now) is not None,
           "the old list on disk too")


def x_lal_02_limits_and_invalid_lists():
    b = booted(options={"local_list_max": 3, "send_local_list_max": 2})
    expect(send_list(b, 1, [entry("A"), entry("B"), entry("C")]) == "Failed", "over SendLocalListMaxLength")
    expect(send_list(b, 1, [entry("A"), entry("B")]) == "Accepted", "within both")
    expect(send_list(b, 2, [entry("C")], "Differential") == "Accepted", "3 of 3")
    expect(send_list(b, 3, [entry("D")], "Differential") == "Failed", "over LocalAuthListMaxLength")
    expect(send_list(b, 3, [entry("D"), {"idTag": "A"}], "Differential") == "Accepted", "a delete makes room")
    expect(send_list(b, 4, [entry("E"), entry("e")], "Differential") == "Failed", "the same idTag twice")
    expect(send_list(b, -1, [entry("E")]) == "Failed", "negative version")
    ll = b.station.feature["local_list"]
    expect(list_version(b) == 3 and ll.list.count == 3 and ll.entry("A", b.now) is None, "last good list kept")
    keys = [k["key"] for k in b.csms_call("GetConfiguration", {})[1]["configurationKey"]]
    expect("LocalAuthListMaxLength" in keys and "SendLocalListMaxLength" in keys, "limits readable")


def tc_008_remote_start_from_the_list():
    b = booted()
    change(b, "LocalPreAuthorize", "true")
    change(b, "AuthorizationCacheEnabled", "false")
    expect(send_list(b, 1, [entry("LIST1")]) == "Accepted", "list")
    b.plug(1)
    mark = b.mark()
    got = b.csms_call("RemoteStartTransaction", {"connectorId": 1, "idTag": "LIST1"})
    expect(got == ("result", {"status": "Accepted"}), repr(got))
    expect(not b.since(mark, "Authorize"), "authorized from the list, no Authorize")
    expect(b.since(mark, "StartTransaction"), "started")


def x_lal_03_list_beats_cache_and_is_never_cached():
    b = booted()
    b.id_tags["TAG1"] = {"status": "Accepted"}
    b.tag("TAG1", 1)                       # cached as Accepted
    b.tag("TAG1", 1)                       # cancel that identification
    expect(b.station.feature["authorization"].cache.get("TAG1") is not None, "cached")
    expect(send_list(b, 1, [entry("TAG1", "Blocked"), entry("TAG2")]) == "Accepted", "list")
    change(b, "LocalPreAuthorize", "true")
    b.disconnect()
    b.tag("TAG1", 1)
    expect(b.station.connectors[1].pending is None, "the list's Blocked wins over the cached Accepted")
    b.connect()
    mark = b.mark()
    b.tag("TAG2", 1)
    expect(not b.since(mark, "Authorize") and b.station.connectors[1].pending is not None, "pre-authorized")
    expect(b.station.feature["authorization"].cache.get("TAG2") is None, "a listed id is never cached")


def x_lal_04_non_accepted_and_expired_entries():
    b = booted()
    past = "2020-01-01T00:00:00Z"
    expect(send_list(b, 1, [entry("OLD", expiryDate=past), entry("BLK", "Blocked")]) == "Accepted", "list")
    ll = b.station.feature["local_list"]
    expect(ll.entry("OLD", b.now) == {"status": "Expired"}, "expiryDate passed: Expired")
    b.disconnect()
    for tag in ("OLD", "BLK"):
        b.tag(tag, 1)
        expect(b.station.connectors[1].pending is None, tag + " refused offline")
    b.connect()
    mark = b.mark()
    b.tag("BLK", 1)
    expect(b.since(mark, "Authorize"), "online: asks the CSMS")


def x_lal_05_local_list_conflict():
    b = booted()
    expect(send_list(b, 1, [entry("TAG1")]) == "Accepted", "list")
    b.id_tags["TAG1"] = {"status": "Invalid"}
    b.plug(1)
    b.tag("TAG1", 1)                       # online, not pre-authorized: Authorize says Invalid
    expect(not b.sent("StartTransaction"), "the CSMS's answer decides")
    conflicts = [p for p in b.sent("StatusNotification") if p["errorCode"] == "LocalListConflict"]
    expect(len(conflicts) == 1 and conflicts[0]["connectorId"] == 0 and conflicts[0]["status"] == "Available",
           "LocalListConflict on connector 0, status unchanged: " + repr(conflicts))
    expect(b.station.feature["local_list"].entry("TAG1", b.now) == {"status": "Accepted"}, "list left alone")
    b.id_tags["TAG1"] = {"status": "Accepted"}
    mark = b.mark()
    b.tag("TAG1", 1)
    expect(not [p for a, p in b.since(mark) if a == "StatusNotification" and p["errorCode"] != "NoError"],
           "no conflict when the CSMS agrees")


def x_lal_06_disabled_list_is_not_used():
    b = booted()
    expect(send_list(b, 1, [entry("TAG1")]) == "Accepted", "list")
    change(b, "LocalPreAuthorize", "true")
    change(b, "LocalAuthListEnabled", "false")
    mark = b.mark()
    b.tag("TAG1", 1)
    expect(b.since(mark, "Authorize"), "Authorize sent: the list is off")


def x_lal_07_list_survives_restart():
    b = booted()
    expect(send_list(b, 7, [entry("TAG%d" % i, parentIdTag="FLEET") for i in range(100)]) == "Accepted", "100")
    b.restart()
    b.connect()
    expect(list_version(b) == 7, "version after restart")
    expect(b.station.feature["local_list"].entry("TAG42", b.now) == {"status": "Accepted", "parentIdTag": "FLEET"},
           "entries after restart")


def big_list_in_batches():
    """10,000 entries, sent in Differential batches of SendLocalListMaxLength, then looked up."""
    b = booted(options={"send_local_list_max": 1000})
    expect(send_list(b, 1, []) == "Accepted", "empty")
    for batch in range(10):
        entries = [entry("%08X" % (i * 7919)) for i in range(batch * 1000, (batch + 1) * 1000)]
        expect(send_list(b, batch + 2, entries, "Differential") == "Accepted", "batch " + str(batch))
    ll = b.station.feature["local_list"]
    expect(ll.list.count == 10000 and len(ll.list.index) < 8000, "10,000 entries, small index in RAM")
    for i in (0, 1, 4999, 9999):
        expect(ll.entry("%08x" % (i * 7919), b.now) == {"status": "Accepted"}, "found " + str(i))
    expect(ll.entry("%08X" % 3, b.now) is None, "absent")


# ---- Remote Trigger --------------------------------------------------------------------------------------------
def tc_054_every_trigger():
    b = booted()
    expect(trigger(b, "MeterValues", 1) == "Accepted", "MeterValues")
    mv = answer_then_call(b, "MeterValues")
    expect(mv["connectorId"] == 1 and mv["meterValue"][0]["sampledValue"][0]["context"] == "Trigger", repr(mv))
    expect(trigger(b, "Heartbeat") == "Accepted" and answer_then_call(b, "Heartbeat") == {}, "Heartbeat")
    expect(trigger(b, "StatusNotification", 1) == "Accepted", "StatusNotification")
    sn = answer_then_call(b, "StatusNotification")
    expect(sn["connectorId"] == 1 and sn["status"] == "Available", repr(sn))
    expect(trigger(b, "DiagnosticsStatusNotification") == "Accepted", "DSN")
    expect(answer_then_call(b, "DiagnosticsStatusNotification") == {"status": "Idle"}, "DSN Idle")
    expect(trigger(b, "FirmwareStatusNotification") == "Accepted", "FSN")
    expect(answer_then_call(b, "FirmwareStatusNotification") == {"status": "Idle"}, "FSN Idle")


def tc_055_unknown_connector_rejected():
    b = booted()
    mark = b.mark()
    expect(trigger(b, "MeterValues", 3) == "Rejected", "NumberOfConnectors + 1")
    expect(trigger(b, "StatusNotification", -1) == "Rejected", "negative")
    expect(b.since(mark) == [], "nothing sent")


def x_rt_02_boot_trigger():
    b = Bench(boot=[("Pending", 60), ("Accepted", 60)])
    b.connect()
    expect(trigger(b, "BootNotification") == "Accepted", "Accepted while Pending")
    expect(len(b.sent("BootNotification")) == 2, "a second Boot at once")
    mark = b.mark()
    expect(trigger(b, "BootNotification") == "Rejected", "Rejected once registered")
    expect(not b.since(mark, "BootNotification"), "no Boot")


def x_rt_03_connector_semantics():
    b = booted()
    b.meter(1, 1234, **{"Power.Active.Import": 7000})
    change(b, "MeterValuesSampledData", "Energy.Active.Import.Register,Power.Active.Import")
    tx = charging(b, 1)
    mark = b.mark()
    expect(trigger(b, "StatusNotification") == "Accepted", "SN without connector")
    expect([p["connectorId"] for a, p in b.since(mark)] == [0, 1, 2], "connector 0 and each one")
    mark = b.mark()
    expect(trigger(b, "MeterValues") == "Accepted", "MeterValues without connector")
    sent = b.since(mark, "MeterValues")
    expect([p["connectorId"] for a, p in sent] == [1, 2], "every connector")
    first = sent[0][1]
    expect(first.get("transactionId") == b.next_tx_id, "the running transaction's id: " + repr(first))
    measurands = [v["measurand"] for v in first["meterValue"][0]["sampledValue"]]
    expect(measurands == ["Energy.Active.Import.Register", "Power.Active.Import"], repr(measurands))
    expect("transactionId" not in sent[1][1], "no transaction on connector 2")
    mark = b.mark()
    expect(trigger(b, "Heartbeat", 2) == "Accepted" and b.since(mark, "Heartbeat"), "connectorId ignored")
    expect(tx is not None, "transaction")


def x_rt_04_firmware_and_diagnostics_seam():
    from controller.feature import Feature

    class Firmware(Feature):
        NAME = "firmware"

        def trigger_status(self):
            return "Downloading"

    from controller.features import DEFAULT_FEATURES
    b = Bench(features=DEFAULT_FEATURES + (Firmware,))
    b.connect()
    expect(trigger(b, "FirmwareStatusNotification") == "Accepted", "FSN")
    expect(answer_then_call(b, "FirmwareStatusNotification") == {"status": "Downloading"}, "the feature's status")


def x_rt_05_triggers_while_pending():
    b = Bench(boot=[("Pending", 600)])
    b.connect()
    for message in ("Heartbeat", "StatusNotification", "MeterValues", "DiagnosticsStatusNotification"):
        mark = b.mark()
        expect(trigger(b, message, 1 if message != "Heartbeat" else None) == "Accepted", message)
        expect([a for a, p in b.since(mark)] == [message], message + " sent while Pending")
    expect(b.station.triggered == [], "nothing else let through once answered")
    mark = b.mark()
    b.plug(1)
    b.advance(10000)
    expect(b.since(mark) == [], "nothing of its own while Pending")


SCENARIOS = [
    tc_042_1_disabled_list_reports_minus_one, tc_042_2_empty_list_is_version_zero, tc_043_full_then_differential,
    tc_043_2_version_mismatch, tc_043_3_storage_fault_fails_and_keeps_the_list, x_lal_02_limits_and_invalid_lists,
    tc_008_remote_start_from_the_list, x_lal_03_list_beats_cache_and_is_never_cached,
    x_lal_04_non_accepted_and_expired_entries, x_lal_05_local_list_conflict, x_lal_06_disabled_list_is_not_used,
    x_lal_07_list_survives_restart, big_list_in_batches,
    tc_054_every_trigger, tc_055_unknown_connector_rejected, x_rt_02_boot_trigger, x_rt_03_connector_semantics,
    x_rt_04_firmware_and_diagnostics_seam, x_rt_05_triggers_while_pending,
]
