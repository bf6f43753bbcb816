"""Security extension scenarios for the sans-I/O core (pytest on CPython, tx_suite.py on MicroPython): the
AuthorizationKey (X-SEC-01/02), profile upgrades and their fall-back (TC_083/084, X-SEC-05), secrets at rest, and
the security events (X-SEC-14) with critical ones kept across a power cut.
"""

import json

from controller.storage import FaultyStorage, MemoryStorage
from tests.micropython.core_harness import Bench, expect
from tests.micropython.tx_scenarios import booted

KEY = "00112233445566778899aabbccddeeff"
KEY2 = "ffeeddccbbaa99887766554433221100ffeeddcc"


def change(b, key, value):
    """ChangeConfiguration's status."""
    got = b.csms_call("ChangeConfiguration", {"key": key, "value": value})
    expect(got is not None and got[0] == "result", "answered: " + repr(got))
    return got[1]["status"]


def events(b, kind=None, mark=0):
    return [p for a, p in b.since(mark, "SecurityEventNotification") if kind is None or p["type"] == kind]


def profile(b):
    got = b.csms_call("GetConfiguration", {"key": ["SecurityProfile"]})[1]
    return int(got["configurationKey"][0]["value"])


def reconnects(b):
    return [e for e in b.effects if e[0] == "reconnect"]


def watched(options=None, store=None):
    """A booted bench that also keeps the non-send effects (reconnects)."""
    b = Bench(options=options, store=store)
    b.effects = []
    take = b.station.take_effects

    def keep():
        out = take()
        b.effects += [e for e in out if e[0] != "send"]
        return out
    b.station.take_effects = keep
    b.connect()
    return b


def x_sec_01_key_must_be_hex_of_16_to_20_bytes():
    b = booted()
    for bad in ("00112233445566778899aabbccddee", "0011223344556677889900112233445566778899aa", "zz" * 16,
                KEY + "0"):
        expect(change(b, "AuthorizationKey", bad) == "Rejected", "rejected: " + bad)
    expect(change(b, "AuthorizationKey", KEY) == "Accepted", "16 bytes")
    expect(change(b, "AuthorizationKey", KEY2) == "Accepted", "20 bytes")


def x_sec_02_key_is_write_only_and_never_in_config_json():
    store = MemoryStorage()
    b = Bench(store=store)
    b.connect()
    expect(change(b, "AuthorizationKey", KEY2) == "Accepted", "set")
    every = json.dumps(b.csms_call("GetConfiguration", {})[1])
    expect(KEY2 not in every, "GetConfiguration never shows it")
    expect(KEY2.encode() not in (store.read("config.json") or b""), "not in config.json")
    expect(store.read("security/authorization_key") == KEY2.encode(), "in the security store")
    for name in store.files:
        if not name.startswith("security/"):
            expect(KEY2.encode() not in store.files[name], "not in " + name)


def x_sec_02_key_from_an_old_config_json_moves_to_the_store():
    store = MemoryStorage()
    store.write_atomic("config.json", json.dumps({"AuthorizationKey": KEY, "HeartbeatInterval": 60}).encode())
    b = Bench(store=store, options={"security_profile": 1})
    expect(store.read("security/authorization_key") == KEY.encode(), "moved to the security store")
    expect(KEY.encode() not in store.read("config.json"), "gone from config.json")
    expect(b.station.feature["security"].authorization_key() == bytes.fromhex(KEY), "still in use")


def tc_084_downgrade_and_equal_rejected():
    b = watched({"security_profile": 2, "authorization_key": KEY, "tls_root": True})
    expect(change(b, "SecurityProfile", "1") == "Rejected", "lower")
    expect(change(b, "SecurityProfile", "2") == "Rejected", "equal")
    expect(change(b, "SecurityProfile", "0") == "Rejected", "zero")
    expect(reconnects(b) == [] and profile(b) == 2, "no reconnect, still 2")


def x_sec_05_prerequisites_checked_first():
    b = watched()
    expect(change(b, "SecurityProfile", "1") == "Rejected", "1 needs a key")
    change(b, "AuthorizationKey", KEY)
    expect(change(b, "SecurityProfile", "2") == "Rejected", "2 needs a CSMS root")
    b = watched({"tls_root": True})
    expect(change(b, "SecurityProfile", "3") == "Rejected", "3 needs a client certificate")
    expect(change(b, "SecurityProfile", "2") == "Rejected", "2 needs a key too")
    b = watched({"tls_root": True, "tls_client": True})
    expect(change(b, "SecurityProfile", "3") == "Accepted", "0 -> 3 with a root and a client certificate")
    expect(len(reconnects(b)) == 1 and b.station.feature["security"].connection()["client"] == "provisioned",
           "reconnects with the client certificate")


def tc_083_upgrade_tried_then_final():
    store = MemoryStorage()
    b = watched({"security_profile": 1, "authorization_key": KEY, "tls_root": True}, store)
    expect(change(b, "SecurityProfile", "2") == "Accepted", "raised")
    expect(len(reconnects(b)) == 1, "reconnect")
    b.disconnect()
    b.event({"type": "connect_failed", "security_event": None})       # one failure is not yet a fall-back
    expect(b.station.feature["security"].connection()["profile"] == 2, "still trying 2")
    b.connect()
    expect(json.loads(store.read("security/state.json")) == {"profile": 2}, "final after a connection")
    b.disconnect()
    for _ in range(5):
        b.event({"type": "connect_failed", "security_event": None})
    expect(b.station.feature["security"].connection()["profile"] == 2, "no fall-back once final")
    b.restart()
    expect(b.station.feature["security"].connection()["profile"] == 2, "kept over a restart, above the settings")


def x_sec_05_fall_back_after_three_failures():
    store = MemoryStorage()
    b = watched({"security_profile": 1, "authorization_key": KEY, "tls_root": True}, store)
    expect(change(b, "SecurityProfile", "2") == "Accepted", "raised")
    b.disconnect()
    for _ in range(3):
        b.event({"type": "connect_failed", "security_event": "InvalidCentralSystemCertificate", "detail": "x"})
    sec = b.station.feature["security"]
    expect(sec.connection()["profile"] == 1 and sec.connection()["key"] == bytes.fromhex(KEY), "back on 1")
    b.connect()
    expect(profile(b) == 1, "GetConfiguration says 1")
    expect(events(b, "InvalidCentralSystemCertificate") != [], "the refused handshake is reported once online")


def tc_073_key_fall_back_keeps_old_key():
    store = MemoryStorage()
    b = watched({"security_profile": 1, "authorization_key": KEY}, store)
    expect(change(b, "AuthorizationKey", KEY2) == "Accepted", "new key")
    expect(len(reconnects(b)) == 1, "reconnect with it")
    b.disconnect()
    for _ in range(3):
        b.event({"type": "connect_failed", "security_event": "FailedToAuthenticateAtCentralSystem"})
    expect(b.station.feature["security"].authorization_key() == bytes.fromhex(KEY), "old key back")
    expect(store.read("security/authorization_key.previous") is None, "no stale copy")


def x_sec_14_critical_events_survive_a_power_cut():
    store = MemoryStorage()
    b = Bench(store=store)
    expect(events(b) == [], "offline: nothing sent")
    b.restart()                       # power cut before any connection: two StartupOfTheDevice are journaled
    b.connect()
    expect(len(events(b, "StartupOfTheDevice")) == 2, "both starts delivered")
    log = store.read("security.log").decode()
    expect(log.count("StartupOfTheDevice") == 2, "both in the security log")


def x_sec_14_reset_clock_tamper_replay_invalid():
    b = booted()
    mark = b.mark()
    b.csms_call("Reset", {"type": "Hard"})
    expect(events(b, "ResetOrReboot", mark) != [], "ResetOrReboot")
    b.station.clock.set(b.station.clock.epoch_ms(b.now) + 3600000, b.now)
    b.advance(10)
    expect(events(b, "SettingSystemTime", mark) != [], "SettingSystemTime for a 1 h jump")
    b.event({"type": "tamper", "detail": "enclosure open"})
    expect(events(b, "TamperDetectionActivated", mark) != [], "tamper")
    b.csms_call("GetConfiguration", {}, msg_id="same")
    b.csms_call("GetConfiguration", {}, msg_id="same")
    expect(events(b, "AttemptedReplayAttacks", mark) != [], "a CALL id used twice on one connection")
    b.send_raw('[2, "bad-1", "ChangeConfiguration", {"key": 5}]')
    expect(events(b, "InvalidMessages", mark) != [], "a CALL that is not valid OCPP")


def x_sec_14_memory_exhaustion_once():
    b = Bench(options={"journal_max_messages": 10})
    for _ in range(9):
        b.station.feature["outbox"].push("DataTransfer", {"vendorId": "x"}, now=b.now)
    b.advance(10)
    b.advance(10)
    text = b.store.read("security.log").decode()
    expect(text.count("MemoryExhaustion") == 1, "raised once at 90 %")


def x_sec_14_security_log_rolls():
    b = Bench(options={"security_log_bytes": 400})
    for i in range(30):
        b.event({"type": "tamper", "detail": "n" + str(i)})
    store = b.store
    expect(store.size("security.log") <= 400 and store.size("security.log.1") > 0, "two halves")
    expect(b"n29" in store.read("security.log"), "the newest kept")


def secrets_storage_fault_refuses_the_key():
    store = FaultyStorage(MemoryStorage())
    b = Bench(store=store)
    b.connect()
    store.fails = True
    expect(change(b, "AuthorizationKey", KEY) == "Rejected", "not stored: Rejected")
    store.fails = False
    expect(b.station.feature["security"].authorization_key() is None, "the old (no) key kept")


SCENARIOS = [x_sec_01_key_must_be_hex_of_16_to_20_bytes, x_sec_02_key_is_write_only_and_never_in_config_json,
             x_sec_02_key_from_an_old_config_json_moves_to_the_store, tc_084_downgrade_and_equal_rejected,
             x_sec_05_prerequisites_checked_first, tc_083_upgrade_tried_then_final,
             x_sec_05_fall_back_after_three_failures, tc_073_key_fall_back_keeps_old_key,
             x_sec_14_critical_events_survive_a_power_cut, x_sec_14_reset_clock_tamper_replay_invalid,
             x_sec_14_memory_exhaustion_once, x_sec_14_security_log_rolls, secrets_storage_fault_refuses_the_key]
