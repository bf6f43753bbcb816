"""OCPP-J RPC: CALL / CALLRESULT / CALLERROR framing, message ids, one outstanding CALL, timeouts, routing.

Inbound CALLs are routed to the handler a feature registered for the action, after schema validation. Our own
CALLs wait in a queue and go out one at a time; a gate decides which actions may be sent in the current
registration state. Nothing here raises into the caller: bad input becomes a CALLERROR or is ignored as the
OCPP-J rules say, and every frame is reported to `on_frame` for the traffic log.
"""

import json
import os

from controller import ocpp_schemas
from controller import validate

CALL = 2
CALLRESULT = 3
CALLERROR = 4
MAX_ID_LEN = 36
MAX_FRAME_CHARS = 65536


class CallError(Exception):
    """Raised by a handler to answer with a CALLERROR instead of a CALLRESULT."""

    def __init__(self, code, description="", details=None):
        super().__init__(code)
        self.code = code
        self.description = description
        self.details = details if details is not None else {}


def encode(frame):
    return json.dumps(frame)


def _id_prefix():
    try:
        raw = os.urandom(4)
    except (AttributeError, NotImplementedError, OSError):
        import random
        raw = bytes([random.getrandbits(8) for _ in range(4)])
    return "".join("%02x" % b for b in raw)


def _sniff_id(text):
    """The message id of a frame too large or too broken to parse, when it can be read from the prefix."""
    head = text[:80]
    comma = head.find(",")
    if comma < 0:
        return "-1"
    start = head.find('"', comma)
    end = head.find('"', start + 1)
    if start < 0 or end < 0 or head[comma + 1:start].strip() or end - start - 1 > MAX_ID_LEN:
        return "-1"
    return head[start + 1:end]


DEFER = object()   # a handler returns this when it will answer later through Rpc.complete()


class Pending:
    """One of our CALLs, waiting to be sent or answered."""

    def __init__(self, msg_id, action, payload, on_result, on_error):
        self.msg_id = msg_id
        self.action = action
        self.payload = payload
        self.on_result = on_result
        self.on_error = on_error
        self.sent_at = None


class Rpc:
    def __init__(self, timeout_ms=30000):
        self.handlers = {}
        self.timeout_ms = timeout_ms
        self.queue = []
        self.in_flight = None
        self.silent = False          # Boot Rejected: answer nothing at all
        self.gate = lambda action: True
        self.on_frame = lambda direction, kind, action, msg_id, latency_ms, text: None
        self.after_reply = []        # callbacks to run once the current answer is queued
        self.current = None          # (message id, action) of the CALL being handled
        self._prefix = _id_prefix()
        self._counter = 0

    def new_id(self):
        self._counter += 1
        return self._prefix + "-" + str(self._counter)

    # ---- our CALLs -------------------------------------------------------------------------------------------
    def call(self, action, payload, on_result=None, on_error=None, msg_id=None, front=False):
        entry = Pending(msg_id or self.new_id(), action, payload, on_result, on_error)
        if front:
            self.queue.insert(0, entry)
        else:
            self.queue.append(entry)
        return entry

    def next_frame(self, now):
        """The next CALL to put on the wire, if one may go now (one outstanding at a time)."""
        if self.in_flight is not None:
            return None
        for i in range(len(self.queue)):
            entry = self.queue[i]
            if self.gate(entry.action):
                self.queue.pop(i)
                entry.sent_at = now
                self.in_flight = entry
                text = encode([CALL, entry.msg_id, entry.action, entry.payload])
                self.on_frame("out", "CALL", entry.action, entry.msg_id, None, text)
                return text
        return None

    def deadline(self):
        return None if self.in_flight is None else self.in_flight.sent_at + self.timeout_ms

    def tick(self, now):
        entry = self.in_flight
        if entry is not None and now - entry.sent_at >= self.timeout_ms:
            self.in_flight = None
            self.on_frame("in", "TIMEOUT", entry.action, entry.msg_id, now - entry.sent_at, "")
            if entry.on_error:
                entry.on_error("Timeout", "no answer within " + str(self.timeout_ms) + " ms", now)

    def fail_all(self, reason, now):
        """The connection is gone: every queued and in-flight CALL fails; their owners decide what to redo."""
        entries = self.queue
        if self.in_flight is not None:
            entries = [self.in_flight] + entries
        self.queue = []
        self.in_flight = None
        for entry in entries:
            if entry.on_error:
                entry.on_error("Disconnected", reason, now)

    def drop_where(self, predicate):
        self.queue = [e for e in self.queue if not predicate(e)]

    # ---- inbound ---------------------------------------------------------------------------------------------
    def receive(self, text, now):
        """Handle one inbound frame; returns the frames to send back (zero or one)."""
        if not isinstance(text, str):
            try:
                text = bytes(text).decode()
            except Exception:
                return self._reject_frame("-1", "frame is not UTF-8 text", text)
        if len(text) > MAX_FRAME_CHARS:
            return self._reject_frame(_sniff_id(text), "frame larger than " + str(MAX_FRAME_CHARS) +
                                      " characters", "")
        try:
            frame = json.loads(text)
        except Exception:
            return self._reject_frame(_sniff_id(text), "frame is not valid JSON", text)
        if not isinstance(frame, list) or not frame:
            return self._reject_frame("-1", "frame is not a JSON array", text)
        kind = frame[0]
        if kind is True or kind is False or not isinstance(kind, int) or kind not in (CALL, CALLRESULT, CALLERROR):
            self.on_frame("in", "IGNORED", "", "", None, text)
            return []
        msg_id = frame[1] if len(frame) > 1 else None
        if not isinstance(msg_id, str) or not msg_id or len(msg_id) > MAX_ID_LEN:
            if kind != CALL:
                self.on_frame("in", "IGNORED", "", "", None, text)
                return []
            return self._reject_frame("-1", "message id must be a string of 1 to 36 characters", text)
        if kind == CALL:
            return self._receive_call(frame, msg_id, text, now)
        self._receive_answer(frame, kind, msg_id, text, now)
        return []

    def _reject_frame(self, msg_id, why, text):
        self.on_frame("in", "BAD", "", msg_id, None, text if isinstance(text, str) else "")
        if self.silent:
            return []
        return [self._error_frame(msg_id, "FormationViolation", why, None)]

    def _error_frame(self, msg_id, code, description, action):
        out = encode([CALLERROR, msg_id, code, description, {}])
        self.on_frame("out", "CALLERROR", action or "", msg_id, None, out)
        return out

    def _receive_call(self, frame, msg_id, text, now):
        action = frame[2] if len(frame) > 2 else None
        self.on_frame("in", "CALL", action if isinstance(action, str) else "", msg_id, None, text)
        if self.silent:
            return []
        if len(frame) != 4 or not isinstance(action, str):
            return [self._error_frame(msg_id, "FormationViolation", "a CALL has 4 elements: 2, id, action, "
                                      "payload", None)]
        if action not in ocpp_schemas.ACTIONS:
            return [self._error_frame(msg_id, "NotImplemented", "unknown action " + action[:60], action)]
        handler = self.handlers.get(action)
        if handler is None:
            return [self._error_frame(msg_id, "NotSupported", action + " is not supported by this station",
                                      action)]
        problem = validate.validate(action, frame[3])
        if problem is not None:
            return [self._error_frame(msg_id, problem[0], problem[1], action)]
        self.current = (msg_id, action)
        try:
            result = handler(frame[3], now)
        except CallError as e:
            return [self._error_frame(msg_id, e.code, e.description, action)]
        except Exception as e:
            return [self._error_frame(msg_id, "InternalError", "handler failed: " + repr(e)[:200], action)]
        finally:
            self.current = None
        if result is DEFER:
            return []
        out = encode([CALLRESULT, msg_id, result])
        self.on_frame("out", "CALLRESULT", action, msg_id, None, out)
        return [out]

    def defer(self):
        """Called by a handler that will answer later: returns the token to pass to `complete`."""
        return self.current

    def complete(self, token, payload):
        """The CALLRESULT frame for a deferred CALL."""
        out = encode([CALLRESULT, token[0], payload])
        self.on_frame("out", "CALLRESULT", token[1], token[0], None, out)
        return out

    def take_after_reply(self):
        todo = self.after_reply
        self.after_reply = []
        return todo

    def _receive_answer(self, frame, kind, msg_id, text, now):
        entry = self.in_flight
        if entry is None or entry.msg_id != msg_id:
            self.on_frame("in", "IGNORED", "", msg_id, None, text)
            return
        self.in_flight = None
        latency = now - entry.sent_at
        if kind == CALLRESULT:
            payload = frame[2] if len(frame) == 3 else None
            problem = None
            if len(frame) != 3:
                problem = ("FormationViolation", "a CALLRESULT has 3 elements")
            else:
                problem = validate.validate(entry.action, payload, True)
            if problem is None:
                self.on_frame("in", "CALLRESULT", entry.action, msg_id, latency, text)
                if entry.on_result:
                    entry.on_result(payload, now)
                return
            self.on_frame("in", "BADRESULT", entry.action, msg_id, latency, text)
            if entry.on_error:
                entry.on_error(problem[0], "invalid " + entry.action + " answer: " + problem[1], now)
            return
        self.on_frame("in", "CALLERROR", entry.action, msg_id, latency, text)
        code = frame[2] if len(frame) > 2 and isinstance(frame[2], str) else "GenericError"
        description = frame[3] if len(frame) > 3 and isinstance(frame[3], str) else ""
        if entry.on_error:
            entry.on_error(code, description, now)
