"""Security event scenarios for the sans-I/O core (pytest on CPython, tx_suite.py on MicroPython), after X-SEC-14 and
reference §3: the types not covered by security_scenarios.py or signed_firmware_scenarios.py (the runtime's
connection failures, the cleared and rotated log, reconfiguration), and every critical type kept across a power
cut until the CSMS has it. Which test raises each of the 18 types: docs/security.md, "Security events".
"""

from controller.features.security_events import CRITICAL
from controller.storage import MemoryStorage
from tests.micropython.core_harness import Bench, expect
from tests.micropython.tx_scenarios import booted

SPEC_CRITICAL = ("FirmwareUpdated", "SettingSystemTime", "StartupOfTheDevice", "ResetOrReboot",
                 "SecurityLogWasCleared", "MemoryExhaustion", "TamperDetectionActivated")
CONNECTION = ("FailedToAuthenticateAtCentralSystem", "InvalidCentralSystemCertificate", "InvalidTLSVersion",
              "InvalidTLSCipherSuite")


def events(b, kind=None, mark=0):
    return [p for a, p in b.since(mark, "SecurityEventNotification") if kind is None or p["type"] == kind]


def x_sec_14_connection_failures_reported_once_online():
    b = booted()
    b.disconnect()
    mark = b.mark()
    for kind in CONNECTION:
        for _ in range(3):                 # a CSMS that fails every handshake: one of each type is kept
            b.event({"type": "connect_failed", "security_event": kind, "detail": "refused handshake"})
    expect(events(b, None, mark) == [], "nothing can be sent while offline")
    b.connect()
    got = [p["type"] for p in events(b, None, mark)]
    expect(sorted(got) == sorted(CONNECTION), "each once, after the next connection: " + repr(got))
    log = b.store.read("security.log").decode()
    expect(log.count("InvalidTLSVersion") == 3, "the security log has every occurrence")


def x_sec_14_security_log_cleared_and_rotation():
    b = booted()
    mark = b.mark()
    b.station.feature["security_events"].clear_log(b.now)
    b.advance(10)
    got = events(b, "SecurityLogWasCleared", mark)
    expect(len(got) == 1, "cleared: " + repr(got))
    text = b.store.read("security.log").decode()
    expect("StartupOfTheDevice" not in text and "SecurityLogWasCleared" in text, "the new log starts with it")
    b = Bench(options={"security_log_bytes": 300})
    b.connect()
    for i in range(15):
        b.event({"type": "tamper", "detail": "lid " + str(i)})
    got = events(b, "SecurityLogWasCleared")
    expect(len(got) >= 1 and "rotation dropped" in got[0]["techInfo"], "a rotation that drops lines: " + repr(got))
    expect(b.store.size("security.log") <= 300, "still bounded")


def x_sec_14_reconfiguration_events():
    b = booted()
    mark = b.mark()
    b.csms_call("ChangeConfiguration", {"key": "CpoName", "value": "Test CPO"})
    b.csms_call("ChangeConfiguration", {"key": "AuthorizationKey", "value": "00112233445566778899aabbccddeeff"})
    got = events(b, "ReconfigurationOfSecurityParameters", mark)
    expect(len(got) == 2, repr(got))
    for p in got:
        expect("00112233" not in p.get("techInfo", ""), "never the key")


def x_sec_14_every_critical_type_survives_a_power_cut():
    expect(sorted(CRITICAL) == sorted(SPEC_CRITICAL), "the critical types are the whitepaper's: " + repr(CRITICAL))
    store = MemoryStorage()
    b = Bench(store=store)
    for kind in SPEC_CRITICAL:
        b.station.security_event(kind, "offline " + kind, b.now)
    b.restart()                                     # a power cut before any connection
    b.connect()
    sent = [p["type"] for p in events(b)]
    for kind in SPEC_CRITICAL:
        expect(kind in sent, kind + " delivered after the restart: " + repr(sent))
    b.restart()
    b.connect()
    again = [p for p in events(b) if p.get("techInfo", "").startswith("offline ")]
    expect(len(again) == len(SPEC_CRITICAL), "delivered once, not again after the next restart")


def x_sec_14_non_critical_lost_with_the_power():
    b = Bench()
    b.station.security_event("InvalidMessages", "offline", b.now)
    b.restart()
    b.connect()
    expect(events(b, "InvalidMessages") == [], "a non-critical event is RAM only (it stays in the security log)")
    expect("InvalidMessages" in b.store.read("security.log").decode(), "in the log")


SCENARIOS = (x_sec_14_connection_failures_reported_once_online, x_sec_14_security_log_cleared_and_rotation,
             x_sec_14_reconfiguration_events, x_sec_14_every_critical_type_survives_a_power_cut,
             x_sec_14_non_critical_lost_with_the_power)
