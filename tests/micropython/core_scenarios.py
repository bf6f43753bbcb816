"""Scenarios for the sans-I/O core, run by pytest on CPython and by core_suite.py on MicroPython.

Each scenario is a function that raises AssertionError when the core misbehaves. They follow the OCTT cases and
the X-CORE checks of reference/ocpp16-conformance.md; the ids are in the names.
"""


from tests.micropython.core_harness import Bench, expect


def booted(**kw):
    b = Bench(**kw)
    b.connect()
    return b


# ---- registration ----------------------------------------------------------------------------------------------
def tc_001_rejected_is_silent_then_accepted():
    b = Bench(boot=[("Rejected", 30), ("Accepted", 60)])
    b.connect()
    expect(b.sent("BootNotification") and len(b.calls) == 1, "only a Boot before registration")
    expect(b.csms_call("GetConfiguration", {}) is None, "no answer while Rejected (X-CORE-01)")
    b.event({"type": "plug", "connector": 1})
    b.advance(29000)
    expect(len(b.calls) == 1, "nothing sent before the interval: " + repr(b.calls))
    b.advance(1000)
    expect(len(b.sent("BootNotification")) == 2, "Boot again after the interval")
    st = b.statuses()
    expect((0, "Available") in st and (1, "Preparing") in st and (2, "Available") in st,
           "status of every connector and of connector 0 after Accepted: " + repr(st))
    expect(b.station.config.get("HeartbeatInterval") == 60, "HeartbeatInterval from Boot.conf")


def tc_002_pending_answers_but_sends_nothing():
    b = Bench(boot=[("Pending", 20), ("Accepted", 60)])
    b.connect()
    got = b.csms_call("GetConfiguration", {})
    expect(got is not None and got[0] == "result", "answers GetConfiguration while Pending")
    keys = [k["key"] for k in got[1]["configurationKey"]]
    expect("MeterValueSampleInterval" in keys, "full key list")
    expect(b.csms_call("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "30"}) ==
           ("result", {"status": "Accepted"}), "ChangeConfiguration accepted while Pending")
    b.event({"type": "plug", "connector": 1})
    b.advance(19000)
    expect([a for a, p in b.calls] == ["BootNotification"], "nothing of its own while Pending: " + repr(b.calls))
    b.advance(1000)
    expect(len(b.sent("BootNotification")) == 2, "Boot retried after the Pending interval")
    expect(b.station.config.get("MeterValueSampleInterval") == 30, "value kept")


def x_core_02_zero_interval_backs_off():
    b = Bench(boot=[("Rejected", 0)] * 6)
    b.connect()
    b.advance(5 * 60 * 1000)
    boots = len(b.sent("BootNotification"))
    expect(2 <= boots <= 6, "Boot retried with a growing back-off, not flooded: " + str(boots))


def x_core_03_nothing_before_accepted():
    b = Bench()
    b.answers["BootNotification"] = None
    b.connect()
    b.event({"type": "plug", "connector": 1})
    b.advance(5000)
    expect([a for a, p in b.calls] == ["BootNotification"], "only Boot before its answer")
    b.reply_held({"status": "Accepted", "currentTime": "2026-11-22T00:00:00Z", "interval": 60})
    expect((1, "Preparing") in b.statuses(), "statuses after Accepted")


def boot_timeout_is_retried():
    b = Bench()
    b.answers["BootNotification"] = None
    b.connect()
    b.advance(31000 + 20000)
    expect(len(b.sent("BootNotification")) >= 2, "a Boot without answer is sent again")


def x_core_07_reconnect_without_boot():
    b = booted()
    b.disconnect()
    b.event({"type": "plug", "connector": 1})
    b.event({"type": "unplug", "connector": 1})
    b.event({"type": "fault", "connector": 2, "error_code": "GroundFailure"})
    mark = b.mark()
    b.connect()
    expect(not b.since(mark, "BootNotification"), "no Boot on reconnect")
    expect(b.statuses(mark) == [(2, "Faulted")], "only changed statuses: " + repr(b.statuses(mark)))


def clock_set_from_boot_and_heartbeat():
    b = Bench()
    b.answers["BootNotification"] = lambda p: {"status": "Accepted", "currentTime": "2030-01-01T00:00:00Z",
                                               "interval": 10}
    b.connect()
    expect(b.station.clock.iso(b.now) == "2030-01-01T00:00:00.000Z", "clock from Boot")
    b.answers["Heartbeat"] = lambda p: {"currentTime": "2031-06-01T12:00:00.5+02:00"}
    b.advance(10000)
    expect(b.station.clock.iso(b.now) == "2031-06-01T10:00:00.500Z", "clock from Heartbeat, offset honoured")


# ---- heartbeat and status ------------------------------------------------------------------------------------
def x_core_06_heartbeat_interval():
    b = booted()
    expect(b.csms_call("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "20"}) ==
           ("result", {"status": "Accepted"}), "accepted")
    mark = b.mark()
    b.advance(61000)
    expect(len(b.since(mark, "Heartbeat")) == 3, "a Heartbeat every 20 s when idle: " + repr(b.since(mark)))


def x_core_08_minimum_status_duration():
    b = booted()
    b.csms_call("ChangeConfiguration", {"key": "MinimumStatusDuration", "value": "5"})
    mark = b.mark()
    b.event({"type": "plug", "connector": 1})
    b.advance(2000)
    b.event({"type": "unplug", "connector": 1})
    b.advance(10000)
    expect(b.statuses(mark) == [], "a status shorter than 5 s is not reported: " + repr(b.statuses(mark)))
    b.event({"type": "plug", "connector": 1})
    b.advance(4900)
    expect(b.statuses(mark) == [], "not before 5 s")
    b.advance(200)
    expect(b.statuses(mark) == [(1, "Preparing")], "reported once stable")


def faults_per_connector_and_station():
    b = booted()
    mark = b.mark()
    b.event({"type": "fault", "connector": 1, "error_code": "GroundFailure", "info": "RCD trip"})
    b.event({"type": "fault", "connector": 0, "error_code": "HighTemperature"})
    sn = b.since(mark, "StatusNotification")
    expect(sn[0][1]["status"] == "Faulted" and sn[0][1]["errorCode"] == "GroundFailure" and
           sn[0][1]["info"] == "RCD trip", "connector fault with its errorCode")
    expect(set([(p["connectorId"], p["status"]) for a, p in sn]) ==
           set([(1, "Faulted"), (0, "Faulted"), (2, "Faulted")]), "station fault faults every connector")
    b.event({"type": "fault_cleared", "connector": 0})
    b.event({"type": "fault_cleared", "connector": 1})
    expect(b.station.connectors[1].status == "Available", "cleared")
    expect(not b.station.violations, repr(b.station.violations))


# ---- availability ------------------------------------------------------------------------------------------------
def x_core_18_change_availability_matrix():
    b = booted()
    mark = b.mark()
    expect(b.csms_call("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}) ==
           ("result", {"status": "Accepted"}), "(a) idle connector")
    expect(b.statuses(mark) == [(1, "Unavailable")], "SN Unavailable")
    expect(b.csms_call("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}) ==
           ("result", {"status": "Accepted"}), "(b) already so")
    expect(b.csms_call("ChangeAvailability", {"connectorId": 9, "type": "Inoperative"}) ==
           ("result", {"status": "Rejected"}), "(g) unknown connector")
    mark = b.mark()
    expect(b.csms_call("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}) ==
           ("result", {"status": "Accepted"}), "(d) whole station")
    expect(set(b.statuses(mark)) == set([(0, "Unavailable"), (2, "Unavailable")]), repr(b.statuses(mark)))
    mark = b.mark()
    b.csms_call("ChangeAvailability", {"connectorId": 0, "type": "Operative"})
    expect(set(b.statuses(mark)) == set([(0, "Available"), (1, "Available"), (2, "Available")]), "(e) back")


def x_core_18_scheduled_when_transaction_runs():
    b = booted()
    c = b.station.connectors[1]
    b.plug(1)
    b.tag("TAG1", 1)
    expect(c.transaction is not None, "a transaction runs")
    expect(b.csms_call("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}) ==
           ("result", {"status": "Scheduled"}), "(c) Scheduled")
    expect(c.availability == "Operative", "not yet")
    b.restart()
    expect(b.station.connectors[1].scheduled is None and b.station.connectors[1].availability == "Inoperative",
           "a scheduled change survives a power cut and applies when no transaction survived")


def tc_034_unavailable_survives_power_cycle():
    b = booted()
    b.csms_call("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"})
    b.restart()
    mark = b.mark()
    b.connect()
    expect(set(b.statuses(mark)) == set([(0, "Unavailable"), (1, "Unavailable"), (2, "Unavailable")]),
           "Unavailable again after the power cycle: " + repr(b.statuses(mark)))


# ---- configuration -----------------------------------------------------------------------------------------------
def tc_019_get_configuration():
    b = booted()
    got = b.csms_call("GetConfiguration", {"key": ["SupportedFeatureProfiles"]})
    expect(got[1]["configurationKey"][0]["value"].startswith("Core") and "unknownKey" not in got[1], "step 1")
    every = b.csms_call("GetConfiguration", {})[1]["configurationKey"]
    names = [k["key"] for k in every]
    for required in ("AuthorizeRemoteTxRequests", "ClockAlignedDataInterval", "ConnectionTimeOut",
                     "GetConfigurationMaxKeys", "HeartbeatInterval", "LocalAuthorizeOffline", "LocalPreAuthorize",
                     "MeterValuesAlignedData", "MeterValuesSampledData", "MeterValueSampleInterval",
                     "NumberOfConnectors", "ResetRetries", "StopTransactionOnInvalidId", "StopTxnAlignedData",
                     "StopTxnSampledData", "SupportedFeatureProfiles", "TransactionMessageAttempts",
                     "TransactionMessageRetryInterval", "UnlockConnectorOnEVSideDisconnect"):
        expect(required in names, required + " missing")
    expect("AuthorizationKey" not in names, "AuthorizationKey is never listed")
    readonly = dict((k["key"], k["readonly"]) for k in every)
    expect(readonly["NumberOfConnectors"] and readonly["GetConfigurationMaxKeys"] and
           not readonly["HeartbeatInterval"], "readonly flags")
    limit = int(b.csms_call("GetConfiguration", {"key": ["GetConfigurationMaxKeys"]})[1]["configurationKey"][0]
                ["value"])
    some = names[:limit]
    got = b.csms_call("GetConfiguration", {"key": some})[1]
    expect(len(got["configurationKey"]) == len(some) and "unknownKey" not in got, "step 4")


def x_core_20_get_configuration_details():
    b = booted()
    got = b.csms_call("GetConfiguration", {"key": ["heartbeatinterval", "NoSuchKey", "AuthorizationKey"]})[1]
    expect(got["unknownKey"] == ["NoSuchKey"], "unknown keys listed")
    entries = dict((k["key"], k) for k in got["configurationKey"])
    expect("HeartbeatInterval" in entries, "keys are case-insensitive")
    expect("value" not in entries["AuthorizationKey"], "AuthorizationKey has no value")
    too_many = ["HeartbeatInterval"] * 101
    expect(b.csms_call("GetConfiguration", {"key": too_many}) == ("error", "OccurenceConstraintViolation"),
           "more than GetConfigurationMaxKeys")


def tc_021_tc_040_x_core_19_change_configuration():
    b = booted()

    def change(key, value):
        return b.csms_call("ChangeConfiguration", {"key": key, "value": value})[1]["status"]

    expect(change("MeterValueSampleInterval", "15") == "Accepted", "TC_021")
    expect(b.csms_call("GetConfiguration", {"key": ["MeterValueSampleInterval"]})[1]["configurationKey"][0]
           ["value"] == "15", "TC_021 read back")
    expect(change("Testing", "true") == "NotSupported", "TC_040_1")
    expect(change("MeterValueSampleInterval", "-1") == "Rejected", "TC_040_2")
    expect(change("NumberOfConnectors", "3") == "Rejected", "read-only")
    expect(change("LocalPreAuthorize", "maybe") == "Rejected", "not a boolean")
    expect(change("WebSocketPingInterval", "-5") == "Rejected", "negative ping interval")
    expect(change("MeterValuesSampledData", "Energy.Active.Import.Register,Voltage.L1") == "Accepted", "measurands")
    expect(change("MeterValuesSampledData", "Energy.Active.Import.Register,SoC") == "Rejected",
           "unsupported measurand")
    expect(b.station.config.get("MeterValuesSampledData") == ["Energy.Active.Import.Register", "Voltage.L1"],
           "unchanged after a rejected list")
    expect(change("AuthorizationKey", "00112233445566778899aabbccddeeff") == "Accepted", "hex key")
    expect(change("AuthorizationKey", "not-hex") == "Rejected", "bad key")
    b.restart()
    expect(b.station.config.get("MeterValueSampleInterval") == 15, "persisted across restart")


# ---- reset, data transfer, cache -----------------------------------------------------------------------------
def tc_013_hard_reset_restarts():
    b = booted()
    b.csms_call("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"})
    answer = b.csms_call("Reset", {"type": "Hard"})
    expect(answer == ("result", {"status": "Accepted"}) and b.resets == ["Hard"], "answer, then restart")
    b.restart()
    mark = b.mark()
    b.connect()
    expect(b.since(mark)[0][0] == "BootNotification", "Boot after restart")
    expect(set(b.statuses(mark)) == set([(0, "Available"), (1, "Unavailable"), (2, "Available")]), "kept")


def tc_062_x_core_26_data_transfer():
    b = booted()
    expect(b.csms_call("DataTransfer", {"vendorId": "com.other"}) == ("result", {"status": "UnknownVendorId"}),
           "foreign vendor, without data")
    expect(b.csms_call("DataTransfer", {"vendorId": "org.stationcontroller", "messageId": "Nope"}) ==
           ("result", {"status": "UnknownMessageId"}), "unknown message")
    expect(b.csms_call("DataTransfer", {"vendorId": "org.stationcontroller", "messageId": "Echo", "data": "hi"})
           == ("result", {"status": "Accepted", "data": "hi"}), "our own")


def clear_cache_accepted():
    b = booted()
    expect(b.csms_call("ClearCache", {}) == ("result", {"status": "Accepted"}), "ClearCache")


# ---- bad input ---------------------------------------------------------------------------------------------------
def bad_frames_get_the_right_callerror():
    b = booted()
    cases = [
        ('[2,"a1","NoSuchAction",{}]', "a1", "NotImplemented"),
        ('[2,"a2","GetConfiguration",{"key":"x"}]', "a2", "TypeConstraintViolation"),
        ('[2,"a3","ChangeConfiguration",{"key":"x"}]', "a3", "ProtocolError"),
        ('[2,"a4","Reset",{"type":"Medium"}]', "a4", "PropertyConstraintViolation"),
        ('[2,"a5","Reset",{"type":"Soft","extra":1}]', "a5", "FormationViolation"),
        ('[2,"a6","Reset"]', "a6", "FormationViolation"),
        ('[2,"a7","Reset",[]]', "a7", "FormationViolation"),
        ('not json at all', "-1", "FormationViolation"),
        ('{"a": 1}', "-1", "FormationViolation"),
        ('[2,"' + "x" * 37 + '","Reset",{"type":"Soft"}]', "-1", "FormationViolation"),
        ('[2,"big","DataTransfer",{"vendorId":"v","data":"' + "x" * 70000 + '"}]', "big", "FormationViolation"),
    ]
    for text, msg_id, code in cases:
        got = b.send_raw(text)
        expect(len(got) == 1 and got[0][0] == 4 and got[0][1] == msg_id and got[0][2] == code,
               text[:60] + " -> " + repr(got)[:200])
        expect(isinstance(got[0][4], dict), "errorDetails is an object")
    expect(b.send_raw('[5,"z",{}]') == [], "unknown message type ignored")
    expect(b.send_raw('[3,"nobody",{}]') == [], "result for no CALL ignored")
    expect(b.csms_call("GetConfiguration", {"key": ["HeartbeatInterval"]})[0] == "result", "still running")


def known_but_unsupported_action():
    b = booted()
    got = b.csms_call("Heartbeat", {})      # an action of the station's own: no feature answers it
    expect(got == ("error", "NotSupported"), "NotSupported for a known action we do not support: " + repr(got))


def one_outstanding_call_and_timeout():
    b = Bench()
    b.connect()
    b.answers["StatusNotification"] = None
    b.event({"type": "plug", "connector": 1})
    expect(len(b.held) == 1, "the first SN waits for its answer; the others queue behind it")
    before = len(b.calls)
    b.advance(29000)
    expect(len(b.calls) == before, "nothing else while one CALL is outstanding")
    b.advance(2000)
    expect(len(b.calls) == before + 1, "the next CALL after the 30 s timeout")


def invalid_callresult_is_an_error():
    b = Bench()
    b.answers["BootNotification"] = lambda p: {"status": "Maybe", "currentTime": "x", "interval": 1}
    b.connect()
    expect(b.station.registration == "none", "a malformed Boot answer does not register the station")


def statuses_wait_for_the_hardware():
    b = Bench(options={"await_hardware": True})
    b.connect()
    expect(b.station.registration == "accepted" and not b.statuses(), "no status before the hardware spoke")
    b.event({"type": "plug", "connector": 1})
    b.event({"type": "hardware_ready"})
    expect(set(b.statuses()) == set([(0, "Available"), (1, "Preparing"), (2, "Available")]),
           "the first report is the truth, not Available: " + repr(b.statuses()))


SCENARIOS = [
    tc_001_rejected_is_silent_then_accepted, tc_002_pending_answers_but_sends_nothing, x_core_02_zero_interval_backs_off,
    x_core_03_nothing_before_accepted, boot_timeout_is_retried, x_core_07_reconnect_without_boot,
    clock_set_from_boot_and_heartbeat, x_core_06_heartbeat_interval, x_core_08_minimum_status_duration,
    faults_per_connector_and_station, x_core_18_change_availability_matrix, x_core_18_scheduled_when_transaction_runs,
    tc_034_unavailable_survives_power_cycle, tc_019_get_configuration, x_core_20_get_configuration_details,
    tc_021_tc_040_x_core_19_change_configuration, tc_013_hard_reset_restarts, tc_062_x_core_26_data_transfer,
    clear_cache_accepted, bad_frames_get_the_right_callerror, known_but_unsupported_action,
    one_outstanding_call_and_timeout, invalid_callresult_is_an_error, statuses_wait_for_the_hardware,
]
