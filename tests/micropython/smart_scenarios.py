"""Smart-charging scenarios for the sans-I/O core (pytest on CPython, smart_suite.py on MicroPython): the
SetChargingProfile rules and limits, ClearChargingProfile, the RemoteStartTransaction profile, persistence, the
TxProfile's end, offline behaviour and the limit reaching the pilot. The OCTT / X-SC ids are in the names.
"""

from controller.clock import format_iso
from controller.storage import FaultyStorage, MemoryStorage
from tests.micropython.core_harness import BOARD, EPOCH_2026, Bench, expect
from tests.micropython.pilot_scenarios import PILOT_BOARD, pilot
from tests.micropython.tx_scenarios import booted


def charging(b, connector=1, tag="TAG1"):
    b.plug(connector)
    b.tag(tag, connector)
    expect(b.station.connectors[connector].transaction is not None, "transaction started")
    return b.next_tx_id


def prof(pid, purpose="TxDefaultProfile", stack=0, periods=((0, 16),), duration=None, kind="Absolute",
         unit="A", start_s=-5, b=None, **extra):
    sched = {"chargingRateUnit": unit,
             "chargingSchedulePeriod": [{"startPeriod": q[0], "limit": q[1]} for q in periods]}
    if duration is not None:
        sched["duration"] = duration
    if kind != "Relative" and start_s is not None:
        sched["startSchedule"] = format_iso(EPOCH_2026 + (b.now if b else 0) + start_s * 1000, False)
    p = {"chargingProfileId": pid, "stackLevel": stack, "chargingProfilePurpose": purpose,
         "chargingProfileKind": kind, "chargingSchedule": sched}
    p.update(extra)
    return p


def set_profile(b, connector, p):
    got = b.csms_call("SetChargingProfile", {"connectorId": connector, "csChargingProfiles": p})
    expect(got is not None and got[0] == "result", "answered: " + repr(got))
    return got[1]["status"]


def composite(b, connector, duration, unit=None):
    payload = {"connectorId": connector, "duration": duration}
    if unit:
        payload["chargingRateUnit"] = unit
    got = b.csms_call("GetCompositeSchedule", payload)
    expect(got is not None and got[0] == "result", repr(got))
    return got[1]


def periods(answer):
    return [(q["startPeriod"], q["limit"]) for q in answer["chargingSchedule"]["chargingSchedulePeriod"]]


def smart(b):
    return b.station.feature["smart_charging"]


def installed(b):
    return sorted((e["c"], e["p"]["chargingProfileId"]) for e in smart(b).entries)


def clear(b, **payload):
    got = b.csms_call("ClearChargingProfile", payload)
    expect(got is not None and got[0] == "result", repr(got))
    return got[1]["status"]


def limits(b, kind="current_limit"):
    return [(c["connector"], c["amps"]) for c in b.hardware() if c["cmd"] == kind]


# ---- SetChargingProfile and GetCompositeSchedule -------------------------------------------------------------
def tc_056_txdefault_profile():
    b = booted()
    expect(set_profile(b, 1, prof(1, duration=100, periods=((0, 6000),), unit="W", b=b)) == "Accepted", "Accepted")
    got = composite(b, 1, 100, "W")
    expect(got["status"] == "Accepted" and got["connectorId"] == 1 and got["chargingSchedule"]["duration"] == 100 and
           got["chargingSchedule"]["chargingRateUnit"] == "W", repr(got))
    expect(periods(got) == [(0, 6000), (95, 22080)], repr(periods(got)))
    expect("startSchedule" not in got["chargingSchedule"] and got["scheduleStart"].endswith("Z"), "errata 3.57")


def tc_057_tc_066_txprofile_and_three_purposes():
    b = booted()
    txid = charging(b)
    expect(set_profile(b, 0, prof(1, "ChargePointMaxProfile", duration=86400, periods=((0, 10),), b=b)) ==
           "Accepted", "CPMax")
    expect(set_profile(b, 1, prof(2, duration=300, periods=((0, 6), (60, 10), (120, 8), (180, 15), (260, 8)),
                                  b=b)) == "Accepted", "TxDefault")
    expect(set_profile(b, 1, prof(3, "TxProfile", duration=260, transactionId=txid, b=b,
                                  periods=((0, 8), (50, 11), (140, 16), (200, 6), (240, 12)))) == "Accepted", "Tx")
    expect(periods(composite(b, 1, 400)) == [(0, 8), (45, 10), (195, 6), (235, 10)], "TC_066")
    b.advance(300000)      # past the TxProfile's end: TxDefault still does not apply (CPMax only)
    expect(periods(composite(b, 1, 60)) == [(0, 10)], "TC_066 after the TxProfile")


def tc_058_1_txprofile_without_transaction():
    b = booted()
    expect(set_profile(b, 1, prof(1, "TxProfile", transactionId=5, b=b)) == "Rejected", "no transaction")
    expect(installed(b) == [], "nothing installed")


def tc_058_2_wrong_transaction_id():
    b = booted()
    txid = charging(b)
    expect(set_profile(b, 1, prof(1, "TxProfile", transactionId=txid + 1, b=b)) == "Rejected", "wrong id")
    expect(set_profile(b, 2, prof(1, "TxProfile", transactionId=txid, b=b)) == "Rejected", "not on connector 2")
    expect(installed(b) == [], "nothing installed")


def tc_082_txdefault_applies_to_running_transaction():
    b = booted()
    charging(b)
    b.hardware()
    expect(set_profile(b, 1, prof(1, periods=((0, 10),), b=b)) == "Accepted", "Accepted")
    expect(periods(composite(b, 1, 60)) == [(0, 10)], "composite")
    expect(limits(b) == [(1, 10)], "the running transaction follows it")


def x_sc_01_purpose_and_connector_rules():
    b = booted()
    expect(set_profile(b, 1, prof(1, "ChargePointMaxProfile", b=b)) == "Rejected", "CPMax on connector 1")
    expect(set_profile(b, 0, prof(2, "TxProfile", b=b)) == "Rejected", "TxProfile on connector 0")
    expect(set_profile(b, 3, prof(3, b=b)) == "Rejected", "no connector 3")
    expect(set_profile(b, 0, prof(4, "ChargePointMaxProfile", b=b)) == "Accepted", "CPMax on 0")
    expect(set_profile(b, 0, prof(5, b=b)) == "Accepted", "TxDefault on 0")
    expect(installed(b) == [(0, 4), (0, 5)], repr(installed(b)))


def x_sc_02_replacement():
    b = booted()
    set_profile(b, 1, prof(1, stack=1, periods=((0, 10),), b=b))
    set_profile(b, 1, prof(1, stack=2, periods=((0, 12),), b=b))        # same id: replaced
    expect(installed(b) == [(1, 1)], "same id replaces")
    set_profile(b, 1, prof(2, stack=2, periods=((0, 8),), b=b))         # same purpose and stack: replaced
    expect(installed(b) == [(1, 2)], "same stack and purpose replace")
    set_profile(b, 2, prof(3, stack=2, b=b))
    expect(installed(b) == [(1, 2), (2, 3)], "another connector adds")
    expect(periods(composite(b, 1, 60)) == [(0, 8)], "the new one applies")


def rejected_nothing_changed(b, connector, p, what):
    before = (installed(b), b.store.read("charging_profiles.json"), periods(composite(b, 1, 60)))
    expect(set_profile(b, connector, p) == "Rejected", what + ": Rejected")
    after = (installed(b), b.store.read("charging_profiles.json"), periods(composite(b, 1, 60)))
    expect(before == after, what + ": nothing changed")


def x_sc_03_capability_limits():
    b = booted(board=dict(BOARD, smart_charging={"units": ["A"], "max_profiles": 3}))
    set_profile(b, 1, prof(1, periods=((0, 10),), b=b))
    rejected_nothing_changed(b, 1, prof(2, stack=11, b=b), "stackLevel 11 > 10")
    rejected_nothing_changed(b, 1, prof(2, stack=1, periods=[(i * 10, 10) for i in range(11)], b=b), "11 periods")
    rejected_nothing_changed(b, 1, prof(2, stack=1, unit="W", b=b), "W on an A-only board")
    set_profile(b, 1, prof(2, stack=1, b=b))
    set_profile(b, 2, prof(3, b=b))
    rejected_nothing_changed(b, 2, prof(4, stack=3, b=b), "MaxChargingProfilesInstalled 3")
    expect(set_profile(b, 2, prof(3, stack=4, b=b)) == "Accepted", "a replacement fits")
    keys = b.csms_call("GetConfiguration", {"key": ["ChargingScheduleAllowedChargingRateUnit",
                                                    "MaxChargingProfilesInstalled", "ChargeProfileMaxStackLevel",
                                                    "ChargingScheduleMaxPeriods"]})[1]["configurationKey"]
    expect(sorted((k["key"], k["value"], k["readonly"]) for k in keys) ==
           [("ChargeProfileMaxStackLevel", "10", True), ("ChargingScheduleAllowedChargingRateUnit", "Current", True),
            ("ChargingScheduleMaxPeriods", "10", True), ("MaxChargingProfilesInstalled", "3", True)], repr(keys))


def bad_input_rejected_nothing_changed():
    b = booted()
    txid = charging(b)
    set_profile(b, 1, prof(1, periods=((0, 10),), b=b))
    cases = [
        ("periods not ascending", prof(2, stack=1, periods=((0, 10), (60, 8), (30, 6)), b=b)),
        ("periods repeated", prof(2, stack=1, periods=((0, 10), (0, 8)), b=b)),
        ("first startPeriod not 0", prof(2, stack=1, periods=((10, 10),), b=b)),
        ("negative limit", prof(2, stack=1, periods=((0, -1),), b=b)),
        ("duration 0", prof(2, stack=1, duration=0, b=b)),
        ("negative stackLevel", prof(2, stack=-1, b=b)),
        ("Recurring without startSchedule", prof(2, stack=1, kind="Recurring", recurrencyKind="Daily", start_s=None)),
        ("Recurring without recurrencyKind", prof(2, stack=1, kind="Recurring", b=b)),
        ("validTo before validFrom", prof(2, stack=1, validFrom=format_iso(EPOCH_2026 + 10000),
                                          validTo=format_iso(EPOCH_2026), b=b)),
        ("unknown transactionId", prof(2, "TxProfile", transactionId=txid + 7, b=b)),
    ]
    for what, p in cases:
        rejected_nothing_changed(b, 1, p, what)
    got = b.csms_call("SetChargingProfile", {"connectorId": 1, "csChargingProfiles": {"chargingProfileId": 1}})
    expect(got is not None and got[0] == "error", "schema-invalid: CALLERROR " + repr(got))
    got = b.csms_call("GetCompositeSchedule", {"connectorId": 1, "duration": 60, "chargingRateUnit": "kW"})
    expect(got is not None and got[0] == "error" and got[1] == "PropertyConstraintViolation", "X-SC-04 " + repr(got))
    expect(installed(b) == [(1, 1)], "still the one profile")


def x_sc_06_composite_edges():
    b = booted()
    expect(composite(b, 3, 60) == {"status": "Rejected"}, "unknown connector")
    expect(periods(composite(b, 0, 60)) == [(0, 32)], "the station's rating with nothing installed")
    expect(composite(b, 1, 60)["chargingSchedule"]["chargingRateUnit"] == "A", "A by default")


def x_sc_07_clear_charging_profile():
    b = booted()
    set_profile(b, 1, prof(1, stack=1, b=b))
    set_profile(b, 1, prof(2, stack=0, b=b))
    set_profile(b, 0, prof(3, "ChargePointMaxProfile", b=b))
    set_profile(b, 2, prof(4, stack=0, b=b))
    expect(clear(b, id=99) == "Unknown", "unknown id")
    expect(clear(b, id=99, connectorId=1) == "Unknown", "id given: the other fields are ignored")
    expect(clear(b, id=1) == "Accepted" and installed(b) == [(0, 3), (1, 2), (2, 4)], "by id")
    expect(clear(b, chargingProfilePurpose="TxDefaultProfile", stackLevel=1) == "Unknown", "AND of the fields")
    expect(clear(b, connectorId=2) == "Accepted" and installed(b) == [(0, 3), (1, 2)], "by connector")
    expect(clear(b, chargingProfilePurpose="TxDefaultProfile", stackLevel=0) == "Accepted", "by purpose and stack")
    expect(clear(b) == "Accepted" and installed(b) == [], "all")
    expect(clear(b) == "Unknown", "nothing left")


# ---- RemoteStartTransaction with a chargingProfile -----------------------------------------------------------
def remote_start(b, p, connector=1):
    got = b.csms_call("RemoteStartTransaction", {"connectorId": connector, "idTag": "TAG1", "chargingProfile": p})
    return got[1]["status"]


def tc_059_x_sc_11_remote_start_with_profile():
    for authorize in ("true", "false"):
        b = booted()
        b.csms_call("ChangeConfiguration", {"key": "AuthorizeRemoteTxRequests", "value": authorize})
        b.plug(1)
        b.hardware()
        p = prof(7, "TxProfile", periods=((0, 10), (30, 14)), duration=60, kind="Relative")
        expect(remote_start(b, p) == "Accepted", "Accepted")
        expect(b.station.connectors[1].transaction is not None, "started (Authorize " + authorize + ")")
        expect(bool(b.sent("Authorize")) == (authorize == "true"), "Authorize as configured")
        expect(periods(composite(b, 1, 100)) == [(0, 10), (30, 14), (60, 32)], "the tx follows the profile")
        expect((1, 10) in limits(b), "offered 10 A")
        b.tag("TAG1")
        expect(installed(b) == [], "the TxProfile ended with its transaction")


def tc_060_x_sc_11_remote_start_profile_rejected():
    b = booted()
    b.plug(1)
    expect(remote_start(b, prof(1, "TxDefaultProfile", b=b)) == "Rejected", "TC_060: not a TxProfile")
    expect(remote_start(b, prof(1, "TxProfile", transactionId=3, b=b)) == "Rejected", "X-SC-11: transactionId")
    expect(remote_start(b, prof(1, "TxProfile", periods=((5, 10),), b=b)) == "Rejected", "an impossible profile")
    expect(b.station.connectors[1].transaction is None and installed(b) == [], "nothing started or installed")


def remote_start_profile_dropped_when_it_lapses():
    b = booted()
    b.id_tags["TAG1"] = {"status": "Invalid"}
    expect(remote_start(b, prof(1, "TxProfile", kind="Relative")) == "Accepted", "accepted at first")
    expect(installed(b) == [], "Authorize refused: the held profile is gone")


# ---- lifecycle -----------------------------------------------------------------------------------------------
def x_sc_09_persist_restart_and_tx_profile_ends():
    b = booted()
    txid = charging(b)
    set_profile(b, 0, prof(1, "ChargePointMaxProfile", periods=((0, 20),), b=b))
    set_profile(b, 1, prof(2, periods=((0, 12),), b=b))
    set_profile(b, 1, prof(3, "TxProfile", periods=((0, 8),), transactionId=txid, b=b))
    expect(installed(b) == [(0, 1), (1, 2), (1, 3)], "three")
    b.restart()
    b.connect()
    b.meter(1, 1000)          # the meter's first reading closes the transaction that the power cut ended
    expect(installed(b) == [(0, 1), (1, 2)], "kept across a power cut; the TxProfile ended with its transaction")
    expect(b'"TxProfile"' not in b.store.read("charging_profiles.json"), "and it left the disk too")
    expect(periods(composite(b, 1, 60)) == [(0, 12)], "TxDefault again")
    charging(b)
    b.tag("TAG1")
    expect(installed(b) == [(0, 1), (1, 2)], "TxDefault stays after a transaction")


def storage_fault_rejects_and_keeps_the_old():
    store = FaultyStorage(MemoryStorage(), spared=("journal.log",))
    b = booted(store=store)
    set_profile(b, 1, prof(1, periods=((0, 10),), b=b))
    store.fails = True
    expect(set_profile(b, 1, prof(2, stack=1, periods=((0, 6),), b=b)) == "Rejected", "not written: Rejected")
    expect(installed(b) == [(1, 1)] and periods(composite(b, 1, 60)) == [(0, 10)], "the old profile kept")
    expect(clear(b, id=1) == "Accepted" and installed(b) == [], "a clear applies at once")
    store.fails = False
    b.advance(31000)
    b.restart()
    expect(installed(b) == [], "and reaches the disk when the storage is back")


def x_sc_05_not_supported_board():
    b = booted(board=dict(BOARD, smart_charging={"supported": False}))
    got = b.csms_call("SetChargingProfile", {"connectorId": 1, "csChargingProfiles": prof(1, b=b)})
    expect(got == ("error", "NotSupported"), repr(got))
    profiles = b.csms_call("GetConfiguration", {"key": ["SupportedFeatureProfiles"]})[1]["configurationKey"][0]
    expect("SmartCharging" not in profiles["value"].split(","), profiles["value"])


def supported_feature_profiles_lists_smart_charging():
    b = booted()
    profiles = b.csms_call("GetConfiguration", {"key": ["SupportedFeatureProfiles"]})[1]["configurationKey"][0]
    expect("SmartCharging" in profiles["value"].split(","), profiles["value"])


# ---- the physical loop ---------------------------------------------------------------------------------------
def pilot_charging():
    b = Bench(board=PILOT_BOARD)
    b.connect()
    b.meter(1, 1000)
    b.event({"type": "pp", "connector": 1, "amps": 32})
    pilot(b, 1, "B")
    b.tag("TAG1", 1)
    pilot(b, 1, "C")
    expect(b.station.connectors[1].status == "Charging", "Charging")
    return b


def limit_reaches_pilot_at_each_boundary_without_polling():
    b = pilot_charging()
    b.advance(6000)
    b.hardware()
    set_profile(b, 1, prof(1, periods=((0, 16), (20, 10), (40, 20)), duration=60, start_s=0, b=b))
    expect(limits(b, "pilot") == [(1, 16)], "16 A at once (the last duty change is over 5 s old)")
    due = b.station.next_deadline()
    expect(due == b.now + 20000, "the next boundary is the deadline: " + repr(due) + " vs " + repr(b.now))
    b.advance(20000)
    expect(limits(b, "pilot") == [(1, 10)], "10 A at 20 s")
    b.advance(20000)
    expect(limits(b, "pilot") == [(1, 20)], "20 A at 40 s")
    b.advance(20000)
    expect(limits(b, "pilot") == [(1, 32)], "the schedule ended: the connector's 32 A")


def duty_changes_held_5_s():
    b = pilot_charging()
    b.hardware()
    set_profile(b, 1, prof(1, periods=((0, 16),), b=b))
    expect(limits(b, "pilot") == [], "held: the 32 A offer is less than 5 s old")
    b.advance(5000)
    expect(limits(b, "pilot") == [(1, 16)], "16 A once the 5 s passed")


def below_6_a_suspended_evse_then_charging():
    b = pilot_charging()
    b.advance(6000)
    b.hardware()
    mark = b.mark()
    set_profile(b, 1, prof(1, periods=((0, 4),), b=b))
    expect(limits(b, "pilot") == [(1, 0)], "below 6 A nothing is offered")
    pilot(b, 1, "B")                       # the EV leaves C when the PWM goes
    expect(b.station.connectors[1].status == "SuspendedEVSE", "SuspendedEVSE")
    set_profile(b, 1, prof(1, periods=((0, 12),), b=b))
    expect(limits(b, "pilot") == [(1, 12)], "12 A offered again")
    pilot(b, 1, "C")
    expect(b.statuses(mark) == [(1, "SuspendedEVSE"), (1, "Charging")], repr(b.statuses(mark)))


def x_sc_12_offline_keeps_following():
    b = booted()
    txid = charging(b)
    set_profile(b, 1, prof(1, "TxProfile", periods=((0, 16), (30, 8)), transactionId=txid, start_s=0, b=b))
    b.hardware()
    b.disconnect()
    b.advance(31000)
    expect(limits(b) == [(1, 8)], "offline, the TxProfile still applies at its boundary")
    b.tag("TAG1")
    expect(installed(b) == [], "it ended with the transaction, offline too")
    b.hardware()
    charging(b)
    expect((1, 32) in limits(b), "no profile: unconstrained")


SCENARIOS = [tc_056_txdefault_profile, tc_057_tc_066_txprofile_and_three_purposes,
             tc_058_1_txprofile_without_transaction, tc_058_2_wrong_transaction_id,
             tc_082_txdefault_applies_to_running_transaction, x_sc_01_purpose_and_connector_rules,
             x_sc_02_replacement, x_sc_03_capability_limits, bad_input_rejected_nothing_changed,
             x_sc_06_composite_edges, x_sc_07_clear_charging_profile, tc_059_x_sc_11_remote_start_with_profile,
             tc_060_x_sc_11_remote_start_profile_rejected, remote_start_profile_dropped_when_it_lapses,
             x_sc_09_persist_restart_and_tx_profile_ends, storage_fault_rejects_and_keeps_the_old,
             x_sc_05_not_supported_board, supported_feature_profiles_lists_smart_charging,
             limit_reaches_pilot_at_each_boundary_without_polling, duty_changes_held_5_s,
             below_6_a_suspended_evse_then_charging, x_sc_12_offline_keeps_following]
