"""Ledger entries of the bench CSMS (one per WebSocket frame) and their one-line text form.

An entry is a plain dict:
    t           time.monotonic() when the frame was received or sent
    dir         "in" (from the station) or "out" (to the station)
    cp          charge point id
    kind        "CALL", "CALLRESULT", "CALLERROR", or "BAD" for a frame that is not a usable OCPP-J frame
    id          message id (None for BAD)
    action      the CALL's action; for results the action of the CALL they answer (None if unknown)
    payload     CALL/CALLRESULT payload; for CALLERROR {"errorCode", "errorDescription", "errorDetails"};
                for BAD the raw text
    raw         the frame text as it went over the wire
    latency_ms  for results: milliseconds since the CALL they answer, else None
"""

import json

MAX_PAYLOAD_CHARS = 160
_ARROWS = {"in": "→", "out": "←"}


def make_entry(t, direction, cp, kind, msg_id, action, payload, raw, latency_ms=None):
    return {"t": t, "dir": direction, "cp": cp, "kind": kind, "id": msg_id, "action": action,
            "payload": payload, "raw": raw, "latency_ms": latency_ms}


def compact(value, limit=MAX_PAYLOAD_CHARS):
    """Compact JSON of `value` (or the string itself), cut to `limit` characters."""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False,
                                                           default=str)
    if len(text) > limit:
        text = text[:limit] + "…(+%d)" % (len(text) - limit)
    return text


def short_id(msg_id):
    if not isinstance(msg_id, str):
        return repr(msg_id)
    return msg_id if len(msg_id) <= 12 else msg_id[:8] + "…"


def format_entry(entry, t0=None):
    """One readable line: `CP001 → CALL BootNotification #id {payload}`.

    "→" is a frame from the station, "←" a frame to it. With `t0`, the line starts with the time since t0.
    """
    parts = []
    if t0 is not None:
        parts.append("%+9.3fs" % (entry["t"] - t0))
    parts.append("%s %s %-10s %-26s #%s" % (entry["cp"], _ARROWS[entry["dir"]], entry["kind"],
                                            entry["action"] or "?", short_id(entry["id"])))
    if entry["latency_ms"] is not None:
        parts.append("%.1fms" % entry["latency_ms"])
    parts.append(compact(entry["payload"]))
    return " ".join(parts)
