"""Security events (Security Whitepaper ed. 3 §8, A04; X-SEC-14): SecurityEventNotification and the security log.

Every event is written to the rolling security log (`security.log`, the older half in `security.log.1`; GetLog's
SecurityLog uploads them). Critical events go through the journal like transaction messages: fsynced, kept across
restarts and offline periods, delivered in order. The others wait in a small queue in RAM (one per type while
offline, so a CSMS that fails every TLS handshake does not fill it) and are sent once the station is registered.

Where each type comes from:
    StartupOfTheDevice                   every start of the core
    ResetOrReboot                        Reset.req (before_reset hook)
    SettingSystemTime                    the wall clock moved by CLOCK_JUMP_MS or more (Boot, Heartbeat)
    SecurityLogWasCleared                `clear_log()`, and a rotation that drops the oldest half of the log
    MemoryExhaustion                     the journal is 90 % full
    TamperDetectionActivated             a {"type": "tamper"} hardware event
    InvalidMessages                      a CSMS frame that is not valid OCPP (answered with a CALLERROR)
    AttemptedReplayAttacks               a CSMS CALL whose message id was already used on this connection
    ReconfigurationOfSecurityParameters  key, profile, CpoName, certificate changes (features/security_profile.py,
                                         features/certificates.py)
    FailedToAuthenticateAtCentralSystem, InvalidCentralSystemCertificate, InvalidTLSVersion,
    InvalidTLSCipherSuite                the runtime's {"type": "connect_failed", "security_event": ...}
    InvalidChargePointCertificate        CertificateSigned rejected (features/certificates.py)
    FirmwareUpdated, InvalidFirmwareSignature, InvalidFirmwareSigningCertificate
                                         the firmware feature calls `Station.security_event`
    CentralSystemFailedToAuthenticate    not raised: OCPP 1.6 has no CSMS authentication beyond its TLS certificate,
                                         whose failures are InvalidCentralSystemCertificate
"""

import json

from controller import clock as clockmod
from controller.feature import Feature

CRITICAL = ("FirmwareUpdated", "SettingSystemTime", "StartupOfTheDevice", "ResetOrReboot", "SecurityLogWasCleared",
            "MemoryExhaustion", "TamperDetectionActivated")
LOG = "security.log"
LOG_OLD = "security.log.1"
LOG_MAX_BYTES = 64 * 1024
MAX_QUEUED = 20
CLOCK_JUMP_MS = 2000
RECENT_IDS = 64
MALFORMED = ("FormationViolation", "ProtocolError", "TypeConstraintViolation", "PropertyConstraintViolation",
             "OccurenceConstraintViolation")


def in_window(line, start_epoch, stop_epoch):
    """Whether a security log line (it starts with its ISO 8601 time) is within [start, stop] (epoch ms; None is
    open-ended): GetLog's oldestTimestamp / latestTimestamp."""
    if start_epoch is None and stop_epoch is None:
        return True
    cut = line.find(" ")
    when = clockmod.parse_iso(line[:cut]) if cut > 0 else None
    if when is None:
        return False
    return (start_epoch is None or when >= start_epoch) and (stop_epoch is None or when <= stop_epoch)


class SecurityEvents(Feature):
    NAME = "security_events"

    def __init__(self, station):
        Feature.__init__(self, station)
        self.queue = []            # non-critical SecurityEventNotification payloads waiting to be sent
        self.in_flight = False
        self.memory_alarm = False
        self.recent_ids = []       # the CSMS's CALL ids on this connection
        self.log_max = station.options.get("security_log_bytes", LOG_MAX_BYTES)
        self.rotating = False

    def start(self, now):
        self.st.clock.on_set = self._clock_set
        self.st.frame_watchers.append(self._frame)
        self.raise_event("StartupOfTheDevice", "firmware " + str(self.st.identity.get("firmware_version", "?")), now)

    # ---- raising ----------------------------------------------------------------------------------------------
    def raise_event(self, kind, tech_info, now):
        payload = {"type": kind, "timestamp": self.st.now_iso(now)}
        if tech_info:
            payload["techInfo"] = tech_info[:255]
        self._log(payload)
        self.st.log.info("security event " + kind + (": " + tech_info if tech_info else ""))
        if kind in CRITICAL:
            self.st.feature["outbox"].push("SecurityEventNotification", payload, now=now)
            return
        for queued in self.queue:
            if queued["type"] == kind:
                return
        if len(self.queue) >= MAX_QUEUED:
            self.queue.pop(0 if not self.in_flight else 1)
        self.queue.append(payload)
        self._pump(now)

    def _log(self, payload):
        line = (payload["timestamp"] + " " + payload["type"] + " " + payload.get("techInfo", "")).rstrip() + "\n"
        store = self.st.store
        dropped = 0
        try:
            if store.size(LOG) + len(line) > self.log_max:
                dropped = store.size(LOG_OLD)
                store.write_atomic(LOG_OLD, store.read(LOG) or b"")
                store.remove(LOG)
            store.append(LOG, line.encode(), False)
        except OSError:
            self.st.log.error("the security log could not be written")
        if dropped > 0 and not self.rotating:
            self.rotating = True        # the event's own line cannot rotate again: the log was just emptied
            self.raise_event("SecurityLogWasCleared", "rotation dropped the oldest " + str(dropped) + " bytes",
                             self.st.last_now)
            self.rotating = False

    def clear_log(self, now):
        self.st.store.remove(LOG_OLD)
        self.st.store.remove(LOG)
        self.raise_event("SecurityLogWasCleared", None, now)

    def log_names(self):
        """The security log's files, oldest first (what GetLog(SecurityLog) uploads)."""
        return [n for n in (LOG_OLD, LOG) if self.st.store.size(n) > 0]

    # ---- sending the non-critical ones ------------------------------------------------------------------------
    def on_accepted(self, now):
        self._pump(now)

    def on_connected(self, now):
        self.recent_ids = []
        self._pump(now)

    def on_disconnected(self, now):
        self.in_flight = False

    def _pump(self, now):
        st = self.st
        if self.in_flight or not self.queue or not st.online or st.registration != "accepted":
            return
        self.in_flight = True
        st.call("SecurityEventNotification", self.queue[0], self._sent, self._failed)

    def _sent(self, payload, now):
        self.in_flight = False
        if self.queue:
            self.queue.pop(0)
        self._pump(now)

    def _failed(self, code, description, now):
        self.in_flight = False
        if code not in ("Disconnected", "Timeout") and self.queue:
            self.queue.pop(0)        # the CSMS cannot take it: not critical, not retried
        self._pump(now)

    # ---- sources ----------------------------------------------------------------------------------------------
    def before_reset(self, kind, now):
        self.raise_event("ResetOrReboot", kind + " reset requested by the central system", now)

    def _clock_set(self, jump_ms, now):
        if jump_ms >= CLOCK_JUMP_MS or jump_ms <= -CLOCK_JUMP_MS:
            self.raise_event("SettingSystemTime", "clock moved by " + str(jump_ms // 1000) + " s", now)

    def on_event(self, event, now):
        kind = event.get("type")
        if kind == "tamper":
            self.raise_event("TamperDetectionActivated", event.get("detail"), now)
        elif kind == "connect_failed" and event.get("security_event"):
            self.raise_event(event["security_event"], event.get("detail"), now)

    def tick(self, now):
        outbox = self.st.feature["outbox"]
        limit = outbox.journal.max_pending
        backlog = outbox.backlog()
        if not self.memory_alarm and backlog >= limit * 9 // 10:
            self.memory_alarm = True
            self.raise_event("MemoryExhaustion", "journal holds " + str(backlog) + " of " + str(limit) +
                             " messages", now)
        elif self.memory_alarm and backlog < limit // 2:
            self.memory_alarm = False

    def _frame(self, direction, kind, msg_id, text):
        now = self.st.last_now
        if direction == "in" and kind in ("BAD", "BADRESULT"):
            self.raise_event("InvalidMessages", kind.lower() + " frame from the central system", now)
        elif direction == "out" and kind == "CALLERROR":
            try:
                code = json.loads(text)[2]
            except (ValueError, IndexError):
                return
            if code in MALFORMED:
                self.raise_event("InvalidMessages", "answered " + code, now)
        elif direction == "in" and kind == "CALL":
            if msg_id in self.recent_ids:
                self.raise_event("AttemptedReplayAttacks", "message id " + str(msg_id)[:40] + " used again", now)
                return
            self.recent_ids.append(msg_id)
            if len(self.recent_ids) > RECENT_IDS:
                self.recent_ids.pop(0)
