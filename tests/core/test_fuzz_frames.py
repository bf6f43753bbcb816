"""Fuzzed inbound frames: the station answers each one as the OCPP-J rules say and keeps running.

An oracle built on jsonschema and the ocpp package's 1.6 schemas decides what the answer must be. 2,500
generated frames per run, a mix of garbage text, arbitrary JSON, malformed frames and CALLs with near-valid
payloads for every action.
"""

import json
import os

import jsonschema
import ocpp
from hypothesis import HealthCheck, given, settings, strategies as st

from controller import log, ocpp_schemas
from controller.clock import parse_iso
from tests.micropython.core_harness import Bench

SCHEMA_DIR = os.path.join(os.path.dirname(ocpp.__file__), "v16", "schemas")
SCHEMA_CODES = {"FormationViolation", "ProtocolError", "TypeConstraintViolation", "PropertyConstraintViolation",
                "OccurenceConstraintViolation"}
CHECKER = jsonschema.FormatChecker(formats=())
CHECKER.checks("date-time")(lambda s: not isinstance(s, str) or parse_iso(s) is not None)
VALIDATORS = {}


def schema_ok(action, payload):
    if action not in VALIDATORS:
        with open(os.path.join(SCHEMA_DIR, action + ".json")) as f:
            VALIDATORS[action] = jsonschema.Draft4Validator(json.load(f), format_checker=CHECKER)
    return VALIDATORS[action].is_valid(payload)


log.set_sink(lambda level, name, text: None, log.ERROR)   # 2,500 frames of traffic log is noise here
BENCH = Bench()
BENCH.connect()
SUPPORTED = set(BENCH.station.rpc.handlers)
ACTIONS = sorted(ocpp_schemas.ACTIONS)

json_scalars = st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False,
                                                                                   allow_infinity=False) | st.text(max_size=30)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4) |
                           st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)
field_names = st.sampled_from(["connectorId", "type", "key", "value", "vendorId", "messageId", "data", "idTag",
                               "listVersion", "updateType", "requestedMessage", "transactionId", "reservationId",
                               "expiryDate", "location", "retrieveDate", "csChargingProfiles", "x"])
payloads = st.dictionaries(field_names, json_values, max_size=4) | st.sampled_from([
    {"type": "Soft"}, {"key": ["HeartbeatInterval"]}, {}, {"connectorId": 1, "type": "Operative"},
    {"key": "MeterValueSampleInterval", "value": "30"}, {"vendorId": "org.stationcontroller", "messageId": "Echo"},
    {"vendorId": "other"}, {"connectorId": 1}, {"requestedMessage": "Heartbeat"}])
message_ids = st.text(min_size=1, max_size=40) | st.integers() | st.none()
actions = st.sampled_from(ACTIONS) | st.text(max_size=20)
calls = st.tuples(message_ids, actions, payloads).map(lambda t: json.dumps([2, t[0], t[1], t[2]]))
odd_frames = st.lists(json_values, max_size=6).map(json.dumps)
garbage = st.text(max_size=60) | st.binary(max_size=40).map(lambda b: b.decode("latin-1"))
frames = st.one_of(calls, calls, calls, odd_frames, garbage)


def expected(text):
    """What the station must answer: None (ignore), or (message id, error code or "result", allowed codes)."""
    try:
        frame = json.loads(text)
    except ValueError:
        return ("-1", {"FormationViolation"})
    if not isinstance(frame, list) or not frame:
        return ("-1", {"FormationViolation"})
    kind = frame[0]
    if isinstance(kind, bool) or not isinstance(kind, int) or kind not in (2, 3, 4):
        return None          # an unknown MessageTypeId (2.0 is not an integer) is ignored, OCPP-J 4.1.3
    msg_id = frame[1] if len(frame) > 1 else None
    if not isinstance(msg_id, str) or not 1 <= len(msg_id) <= 36:
        return ("-1", {"FormationViolation"}) if kind == 2 else None
    if kind != 2:
        return None
    if len(frame) != 4 or not isinstance(frame[2], str):
        return (msg_id, {"FormationViolation"})
    action = frame[2]
    if action not in ocpp_schemas.ACTIONS:
        return (msg_id, {"NotImplemented"})
    if action not in SUPPORTED:
        return (msg_id, {"NotSupported"})
    if not isinstance(frame[3], dict) or not schema_ok(action, frame[3]):
        return (msg_id, SCHEMA_CODES)
    return (msg_id, {"result", "OccurenceConstraintViolation"})


@settings(max_examples=2500, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(frames)
def test_fuzzed_frames_get_the_right_answer(text):
    want = expected(text)
    got = BENCH.send_raw(text)
    if want is None:
        assert got == [], text
        return
    msg_id, codes = want
    assert len(got) == 1, (text, got)
    answer = got[0]
    assert answer[1] == msg_id, (text, answer)
    code = "result" if answer[0] == 3 else answer[2]
    assert code in codes, (text, answer)
    if answer[0] == 4:
        assert len(answer) == 5 and isinstance(answer[3], str) and answer[4] == {}
    assert BENCH.station.registration == "accepted"


def test_station_still_answers_after_fuzzing():
    assert BENCH.csms_call("GetConfiguration", {"key": ["HeartbeatInterval"]})[0] == "result"
    assert BENCH.station.violations == []
