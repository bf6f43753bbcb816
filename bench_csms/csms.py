"""BenchCSMS: an OCPP 1.6-J central system for tests, benchmarks and `stationctl demo`.

It accepts station connections with `websockets`, checks every frame the station sends (validation.py)
and records every violation, keeps a ledger of every frame in both directions (ledger.py), answers the
station's CALLs (answers.py, overridable per action) and lets a test drive the station with
CSMS-initiated CALLs or raw text.

It does not use the `ocpp` package's ChargePoint class: a test partner needs every raw frame (to check
ids, shapes and ordering) and the 1.6 error-code spellings, which that class does not give. It uses the
package's schemas and action list instead.
"""

import asyncio
import http
import inspect
import json
import logging
import time
import uuid

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from .answers import DefaultAnswers
from .handshake import credentials_ok, describe, read_request
from .ledger import compact, format_entry, make_entry
from .validation import (ALL_ACTIONS, CSMS_ACTIONS, KIND_NAMES, STATION_ACTIONS, callerror_fields,
                         check_frame, check_payload)

log = logging.getLogger("bench_csms")

SUBPROTOCOL = "ocpp1.6"
# TriggerMessage / ExtendedTriggerMessage requestedMessage -> the CALL the station then sends
_TRIGGERED = {
    "TriggerMessage": {},
    "ExtendedTriggerMessage": {"FirmwareStatusNotification": "SignedFirmwareStatusNotification",
                               "SignChargePointCertificate": "SignCertificate"},
}
# A Boot retry this much earlier than the interval we gave is not blamed on the station.
_BOOT_RETRY_SLACK = 0.05


class StationCallError(Exception):
    """The station answered our CALL with a CALLERROR. Also usable as a responder to answer one."""

    def __init__(self, code, description="", details=None):
        super().__init__("%s: %s %s" % (code, description, details or {}))
        self.code = code
        self.description = description
        self.details = details or {}


class _Session:
    """One WebSocket connection from a station."""

    def __init__(self, cp, ws, handshake):
        self.cp = cp
        self.ws = ws
        self.handshake = handshake
        self.station_calls = {}   # id -> (action, t) of every CALL the station sent on this connection
        self.unanswered = set()   # ids of station CALLs we still have to answer
        self.sent = {}            # id -> (action, t) of every CALL we sent on this connection
        self.answered = set()     # ids of our CALLs the station has answered
        self.pending = {}         # id -> future of a call() waiting for its answer
        self.call_lock = asyncio.Lock()   # our side of "one outstanding CALL per direction"
        self.raw_waiting = 0      # send_raw() calls waiting for a reply (answers to unknown ids are expected)
        self.registration = None  # (status, t, interval) of our last BootNotification answer on this connection
        self.triggered = set()    # actions we asked for with (Extended)TriggerMessage: allowed while Pending
        self.tasks = set()
        self.closed = asyncio.Event()


class BenchCSMS(DefaultAnswers):
    """OCPP 1.6-J test central system. See docs/bench-csms.md."""

    def __init__(self, host="127.0.0.1", port=0, ssl_context=None, basic_auth=None, require_subprotocol=True,
                 tls_listener=None):
        super().__init__()
        self.host = host
        self._port = port
        self.ssl_context = ssl_context
        # A second, TLS listener beside a plain one (`tls_url`): a station raising its security profile moves to it.
        self.tls_listener = tls_listener
        self._tls_server = None
        # {cp_id: password bytes}: security profile 1/2 Basic auth; None accepts any (or no) credentials.
        self.basic_auth = basic_auth
        self.require_subprotocol = require_subprotocol
        self.base_path = "/ocpp"
        # Misbehaviour on demand
        self.omit_subprotocol = False   # accept the upgrade without a Sec-WebSocket-Protocol header
        self.reject_status = None       # e.g. 404: refuse every upgrade with this HTTP status
        # Answer overrides
        self.responders = {}    # action -> fn(cp_id, payload) -> dict (may be async), or an exception
        self.delay = {}         # action -> seconds to wait before answering
        self.silent = set()     # actions never answered
        self.station_call_timeout = None  # seconds after which an unanswered station CALL stops blocking
        self.check_registration = True    # flag CALLs sent while Boot was Rejected/Pending
        # Records
        self.ledger = []
        self.violations = []
        self.handshakes = []    # one dict per upgrade request, accepted or not
        self.registration = {}  # cp -> (status, t, interval) of our last BootNotification answer
        self._sessions = {}
        self._server = None
        self._changed = asyncio.Event()
        self._t0 = time.monotonic()

    # ---- server life cycle -----------------------------------------------------------------------

    async def start(self):
        """Listen; after a stop(), listen again on the same port."""
        self._server = await serve(
            self._handler, self.host, self._port, ssl=self.ssl_context,
            process_request=self._process_request, select_subprotocol=self._select_subprotocol,
        )
        self._port = self._server.sockets[0].getsockname()[1]
        if self.tls_listener is not None:
            self._tls_server = await serve(
                self._handler, self.host, 0, ssl=self.tls_listener,
                process_request=self._process_request, select_subprotocol=self._select_subprotocol,
            )
        log.info("bench CSMS listening on %s/<chargePointId>", self.url)
        return self

    async def stop(self, abort=False):
        """Stop listening and close every connection (close code 1001, or abruptly with abort=True)."""
        if self._server is None:
            return
        if abort:
            for session in list(self._sessions.values()):
                session.ws.transport.abort()
        for server in (self._server, self._tls_server):
            if server is not None:
                server.close()
                await server.wait_closed()
        self._server = None
        self._tls_server = None
        log.info("bench CSMS stopped")

    async def __aenter__(self):
        return await self.start()

    async def __aexit__(self, *exc_info):
        await self.stop()

    @property
    def port(self):
        return self._port

    @property
    def url(self):
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "%s://%s:%d%s" % ("wss" if self.ssl_context else "ws", host, self._port, self.base_path)

    @property
    def tls_url(self):
        """The TLS listener's URL (wss://), when there is one."""
        port = self._tls_server.sockets[0].getsockname()[1]
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "wss://%s:%d%s" % (host, port, self.base_path)

    def connected(self, cp_id):
        return cp_id in self._sessions

    # ---- records ---------------------------------------------------------------------------------

    def mark(self):
        """Current ledger length: pass it as `after=` to wait for something that happens later."""
        return len(self.ledger)

    def received(self, action=None, cp=None):
        """Payloads of the CALLs the station sent, optionally only one action / one charge point."""
        return [e["payload"] for e in self.ledger
                if e["dir"] == "in" and e["kind"] == "CALL"
                and (action is None or e["action"] == action) and (cp is None or e["cp"] == cp)]

    def tail(self, n=10):
        """The last `n` ledger entries as text lines."""
        return "\n".join(format_entry(e, self._t0) for e in self.ledger[-n:]) or "(ledger is empty)"

    def assert_clean(self):
        if self.violations:
            raise AssertionError("%d OCPP violation(s) seen by the bench CSMS:\n%s"
                                 % (len(self.violations), "\n".join("  - " + v for v in self.violations)))

    async def wait_for(self, action=None, predicate=None, timeout=5.0, after=0, cp=None, kind="CALL",
                       direction="in"):
        """First ledger entry at index >= `after` matching; `predicate` is called with the payload.

        By default it waits for a CALL from the station. Raises asyncio.TimeoutError listing the last ledger
        lines when nothing matches within `timeout` seconds.
        """
        kinds = (kind,) if isinstance(kind, str) else tuple(kind)
        position = after

        def find():
            nonlocal position
            while position < len(self.ledger):
                entry = self.ledger[position]
                position += 1
                if (entry["dir"] == direction and entry["kind"] in kinds
                        and (action is None or entry["action"] == action)
                        and (cp is None or entry["cp"] == cp)
                        and (predicate is None or predicate(entry["payload"]))):
                    return entry
            return None

        what = "%s %s %s%s" % (direction, "/".join(kinds), action or "(any action)",
                               " from/to " + cp if cp else "")
        return await self._wait_until(find, timeout, "no ledger entry matching %s after index %d" % (what, after))

    async def wait_connected(self, cp_id, timeout=5.0):
        """Wait until `cp_id` is connected; returns its handshake record."""
        def find():
            session = self._sessions.get(cp_id)
            return session.handshake if session else None
        return await self._wait_until(find, timeout, "%s did not connect" % cp_id)

    async def _wait_until(self, find, timeout, failure):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = find()
            if found is not None:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise asyncio.TimeoutError("%s within %.1fs; last ledger lines:\n%s"
                                           % (failure, timeout, self.tail()))
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def _notify(self):
        self._changed.set()
        self._changed = asyncio.Event()

    def _record(self, direction, cp, kind, msg_id, action, payload, raw, t, latency_ms=None):
        entry = make_entry(t, direction, cp, kind, msg_id, action, payload, raw, latency_ms)
        self.ledger.append(entry)
        if log.isEnabledFor(logging.INFO):
            log.info("%s", format_entry(entry))
        self._notify()
        return entry

    def _violation(self, cp, text):
        line = "%s: %s" % (cp, text)
        self.violations.append(line)
        log.error("VIOLATION %s", line)

    # ---- driving the station ---------------------------------------------------------------------

    async def call(self, cp_id, action, payload, timeout=10):
        """Send a CSMS-initiated CALL and return the station's CALLRESULT payload.

        Raises StationCallError on a CALLERROR, asyncio.TimeoutError without an answer, ConnectionError if
        the station is not connected or disconnects first, ValueError if our own request is invalid.
        """
        if action not in CSMS_ACTIONS:
            raise ValueError("%r is not a CALL a central system sends in OCPP 1.6" % action)
        problems = check_payload(action, payload)
        if problems:
            raise ValueError("refusing to send an invalid %s: %s" % (action, "; ".join(p for _, p in problems)))
        session = self._session(cp_id)

        async def exchange():
            async with session.call_lock:
                msg_id = str(uuid.uuid4())
                future = asyncio.get_running_loop().create_future()
                session.pending[msg_id] = future
                try:
                    await self._send(session, [2, msg_id, action, payload])
                    return await future
                finally:
                    session.pending.pop(msg_id, None)

        try:
            return await asyncio.wait_for(exchange(), timeout)
        except asyncio.TimeoutError:
            raise asyncio.TimeoutError("%s did not answer %s within %ss; last ledger lines:\n%s"
                                       % (cp_id, action, timeout, self.tail())) from None

    async def send_raw(self, cp_id, text, expect_reply=True, timeout=5, allow_timeout=False):
        """Send any text to the station; return the next CALLRESULT/CALLERROR it sends, as a parsed list.

        Returns None with expect_reply=False, or on timeout when allow_timeout=True (else raises
        asyncio.TimeoutError). While waiting, answers with unknown ids (e.g. "-1") are not violations.
        """
        session = self._session(cp_id)
        start = self.mark()
        session.raw_waiting += 1
        try:
            await self._send(session, text)
            if not expect_reply:
                return None
            entry = await self.wait_for(cp=cp_id, kind=("CALLRESULT", "CALLERROR"), after=start, timeout=timeout)
            return json.loads(entry["raw"])
        except asyncio.TimeoutError:
            if allow_timeout:
                return None
            raise
        finally:
            session.raw_waiting -= 1

    async def drop(self, cp_id):
        """Close the station's connection abruptly (no close frame, like a network failure)."""
        session = self._sessions.get(cp_id)
        if session is None:
            return
        log.info("%s: dropping the connection", cp_id)
        session.ws.transport.abort()
        await asyncio.wait_for(session.closed.wait(), 5)

    # Two examples of convenience wrappers; everything else goes through call().
    async def get_configuration(self, cp_id, keys=None, timeout=10):
        return await self.call(cp_id, "GetConfiguration", {"key": list(keys)} if keys else {}, timeout)

    async def remote_start(self, cp_id, id_tag, connector_id=None, timeout=10):
        payload = {"idTag": id_tag}
        if connector_id is not None:
            payload["connectorId"] = connector_id
        return (await self.call(cp_id, "RemoteStartTransaction", payload, timeout))["status"]

    def _session(self, cp_id):
        session = self._sessions.get(cp_id)
        if session is None:
            raise ConnectionError("%s is not connected to the bench CSMS" % cp_id)
        return session

    async def _send(self, session, frame):
        """Record and send a frame (a list, or raw text for send_raw)."""
        text = frame if isinstance(frame, str) else json.dumps(frame, separators=(",", ":"), ensure_ascii=False)
        t = time.monotonic()
        parsed, fatal, _ = check_frame(text)
        if fatal:
            self._record("out", session.cp, "BAD", None, None, text, text, t)
        else:
            kind, msg_id = KIND_NAMES[parsed[0]], parsed[1]
            if kind == "CALL":
                action, latency = parsed[2], None
                session.sent[msg_id] = (action, t)
                self._note_trigger(session, action, parsed[3])
            else:
                action, t_call = session.station_calls.get(msg_id, (None, None))
                latency = (t - t_call) * 1000 if t_call is not None else None
            self._record("out", session.cp, kind, msg_id, action, _payload_of(parsed), text, t, latency)
        try:
            await session.ws.send(text)
        except ConnectionClosed:
            raise ConnectionError("%s disconnected before %s could be sent" % (session.cp, compact(text, 60)))

    def _note_trigger(self, session, action, payload):
        if action in _TRIGGERED and isinstance(payload, dict):
            requested = payload.get("requestedMessage")
            session.triggered.add(_TRIGGERED[action].get(requested, requested))

    # ---- connections -----------------------------------------------------------------------------

    def _process_request(self, connection, request):
        """Check the upgrade request before the handshake; return an HTTP response to refuse it."""
        record = read_request(connection, request, self.base_path)
        self.handshakes.append(record)
        connection.bench_handshake = record
        cp, segment = record["cp"], record["segment"]
        status, text = None, ""
        if self.reject_status is not None:
            status, text = self.reject_status, "rejected on purpose by the bench CSMS"
        elif not segment or "/" in segment:
            status, text = http.HTTPStatus.NOT_FOUND, "expected %s/<chargePointId>" % self.base_path
            self._violation(cp or "?", "connected to %r, expected %s/<chargePointId>"
                            % (record["path"], self.base_path))
        elif self.basic_auth is not None and not credentials_ok(record, self.basic_auth):
            status, text = http.HTTPStatus.UNAUTHORIZED, "invalid or missing Basic credentials"
        elif self.require_subprotocol and SUBPROTOCOL not in record["subprotocols"]:
            status, text = http.HTTPStatus.BAD_REQUEST, "subprotocol %s required" % SUBPROTOCOL
            self._violation(cp, "did not offer subprotocol %s (offered %s)" % (SUBPROTOCOL, record["subprotocols"]))
        if status is not None:
            record["status"] = int(status)
        log.info("%s: %s", cp or "?", describe(record))
        if status is None:
            return None
        response = connection.respond(status, text + "\n")
        if status == http.HTTPStatus.UNAUTHORIZED:
            response.headers["WWW-Authenticate"] = 'Basic realm="bench-csms"'
        return response

    def _select_subprotocol(self, connection, subprotocols):
        if self.omit_subprotocol or SUBPROTOCOL not in subprotocols:
            return None
        return SUBPROTOCOL

    async def _handler(self, ws):
        handshake = ws.bench_handshake
        cp = handshake["cp"]
        session = _Session(cp, ws, handshake)
        old = self._sessions.get(cp)
        if old is not None:
            log.warning("%s: new connection while the previous one is open; aborting the old one", cp)
            old.ws.transport.abort()
        self._sessions[cp] = session
        log.info("%s: connected (subprotocol %s)", cp, ws.subprotocol)
        self._notify()
        try:
            async for message in ws:
                self._on_message(session, message)
        except ConnectionClosed:
            pass
        finally:
            for task in list(session.tasks):
                task.cancel()
            for future in session.pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("%s disconnected before answering" % cp))
            if self._sessions.get(cp) is session:
                del self._sessions[cp]
            session.closed.set()
            log.info("%s: disconnected (close code %s)", cp, ws.close_code)
            self._notify()

    # ---- frames from the station -----------------------------------------------------------------

    def _on_message(self, session, message):
        t = time.monotonic()
        if isinstance(message, bytes):
            self._violation(session.cp, "binary WebSocket frame (%d bytes); OCPP-J uses text frames" % len(message))
            message = message.decode("utf-8", "replace")
        frame, fatal, minor = check_frame(message)
        if fatal:
            self._record("in", session.cp, "BAD", None, None, message, message, t)
            for problem in fatal:
                self._violation(session.cp, "%s: %s" % (problem, compact(message, 100)))
            if isinstance(frame, list) and len(frame) > 1 and frame[0] == 2 and isinstance(frame[1], str):
                self._schedule_answer(session, frame[1], None, None, ("FormationViolation", fatal[0]))
            return
        if frame[0] == 2:
            self._on_call(session, frame, message, minor, t)
        else:
            self._on_answer(session, frame, message, minor, t)

    def _on_call(self, session, frame, raw, problems, t):
        cp, (_, msg_id, action, payload) = session.cp, frame
        self._record("in", cp, "CALL", msg_id, action, payload, raw, t)
        if msg_id in session.station_calls:
            problems.append("CALL id %r was already used on this connection" % msg_id)
        for other in session.unanswered:
            other_action, t_other = session.station_calls[other]
            if self.station_call_timeout is None or t - t_other < self.station_call_timeout:
                problems.append("sent %s while its %s CALL %r is still unanswered (one outstanding CALL "
                                "per direction)" % (action, other_action, other))
                break
        session.station_calls[msg_id] = (action, t)
        problems += self._registration_problems(session, action, t)

        error = None
        if action not in ALL_ACTIONS:
            error = ("NotImplemented", "unknown action %r" % action)
        elif action not in STATION_ACTIONS:
            error = ("NotSupported", "%s is sent by a central system, not by a charge point" % action)
        else:
            schema_problems = check_payload(action, payload)
            if schema_problems:
                error = schema_problems[0]
            problems += ["%s: %s" % (action, text) for _, text in schema_problems]
        if error and action not in STATION_ACTIONS:
            problems.append(error[1])
        for problem in problems:
            self._violation(cp, "%s [%s]" % (problem, compact(raw, 100)))
        if action not in self.silent:
            session.unanswered.add(msg_id)
            self._schedule_answer(session, msg_id, action, payload, error)

    def _registration_problems(self, session, action, t):
        """CALLs the station must not send after a Rejected or Pending BootNotification answer.

        Checked per connection: a station that reboots and reconnects starts afresh.
        """
        if not self.check_registration or session.registration is None:
            return []
        status, since, interval = session.registration
        if status == "Accepted" or (status == "Pending" and action in session.triggered):
            return []
        if action == "BootNotification":
            waited = t - since
            if waited < interval - _BOOT_RETRY_SLACK:
                return ["BootNotification retried %.2fs after a %s answer with interval %ss"
                        % (waited, status, interval)]
            return []
        return ["sent %s while its registration is %s" % (action, status)]

    def _on_answer(self, session, frame, raw, problems, t):
        cp, msg_id = session.cp, frame[1]
        kind = KIND_NAMES[frame[0]]
        action, t_call = session.sent.get(msg_id, (None, None))
        latency = (t - t_call) * 1000 if t_call is not None else None
        payload = _payload_of(frame)
        self._record("in", cp, kind, msg_id, action, payload, raw, t, latency)
        if t_call is None:
            if session.raw_waiting:
                log.warning("%s: %s for unknown message id %r (accepted: a send_raw is waiting)", cp, kind, msg_id)
            else:
                problems.append("%s for a message id we never sent: %r" % (kind, msg_id))
        elif msg_id in session.answered:
            problems.append("second answer to our CALL %r" % msg_id)
        elif kind == "CALLRESULT" and action in CSMS_ACTIONS:
            problems += ["%sResponse: %s" % (action, text) for _, text in check_payload(action, payload, True)]
        session.answered.add(msg_id)
        status, since, interval = session.registration or ("Accepted", 0, 0)
        if self.check_registration and status == "Rejected" and t - since < interval:
            problems.append("answered %s while its registration is Rejected" % (action or "a CALL"))
        for problem in problems:
            self._violation(cp, "%s [%s]" % (problem, compact(raw, 100)))
        future = session.pending.get(msg_id)
        if future is not None and not future.done():
            if kind == "CALLRESULT":
                future.set_result(payload)
            else:
                future.set_exception(StationCallError(frame[2], frame[3], frame[4]))

    # ---- answers to the station ------------------------------------------------------------------

    def _schedule_answer(self, session, msg_id, action, payload, error):
        task = asyncio.get_running_loop().create_task(self._answer(session, msg_id, action, payload, error))
        session.tasks.add(task)
        task.add_done_callback(session.tasks.discard)

    async def _answer(self, session, msg_id, action, payload, error):
        if self.delay.get(action):
            await asyncio.sleep(self.delay[action])
        if error is not None:
            frame = [4, msg_id, error[0], error[1], {}]
        else:
            frame = await self._answer_frame(session.cp, msg_id, action, payload)
        if frame[0] == 3:
            problems = check_payload(action, frame[2], response=True)
            if problems:
                log.warning("%s: the bench CSMS answers %s with an invalid payload: %s", session.cp, action,
                            "; ".join(p for _, p in problems))
            if action == "BootNotification":
                self._note_registration(session, frame[2])
        session.unanswered.discard(msg_id)
        try:
            await self._send(session, frame)
        except ConnectionError:
            log.warning("%s: connection closed before our answer to %s was sent", session.cp, action)

    async def _answer_frame(self, cp, msg_id, action, payload):
        responder = self.responders.get(action)
        try:
            if isinstance(responder, BaseException) or (
                    isinstance(responder, type) and issubclass(responder, BaseException)):
                raise responder
            if responder is None:
                result = self.default_answer(cp, action, payload)
            else:
                result = responder(cp, payload)
                if inspect.isawaitable(result):
                    result = await result
        except Exception as exc:
            if getattr(exc, "code", None) is None:
                log.exception("%s: the bench CSMS failed to answer %s", cp, action)
            code, description, details = callerror_fields(exc)
            return [4, msg_id, code, description, details]
        return [3, msg_id, result]

    def _note_registration(self, session, answer):
        status, interval = answer.get("status"), answer.get("interval", 0)
        session.registration = (status, time.monotonic(), interval if isinstance(interval, int) else 0)
        session.triggered.clear()
        self.registration[session.cp] = session.registration


def _payload_of(frame):
    if frame[0] == 2:
        return frame[3]
    if frame[0] == 3:
        return frame[2]
    return {"errorCode": frame[2], "errorDescription": frame[3], "errorDetails": frame[4]}

