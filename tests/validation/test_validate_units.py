"""Unit tests for controller.validate: one concrete payload per error code, paths, numbers, date-times."""

import math

import pytest

from controller import ocpp_schemas
from controller.validate import check, is_datetime, is_known, path_text, validate
from gen_tool import gen_schemas

BOOT = {"chargePointVendor": "ACME", "chargePointModel": "W1"}
BOOT_CONF = {"status": "Accepted", "currentTime": "2024-02-29T23:59:60.123456789+05:30", "interval": 300}


def profile(**schedule_extra):
    schedule = {"chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0},
                                           {"startPeriod": 900, "limit": 7.3, "numberPhases": 1}]}
    schedule.update(schedule_extra)
    return {"connectorId": 1,
            "csChargingProfiles": {"chargingProfileId": 7, "stackLevel": 0,
                                   "chargingProfilePurpose": "TxDefaultProfile",
                                   "chargingProfileKind": "Absolute", "chargingSchedule": schedule}}


def test_valid_payloads():
    assert validate("BootNotification", BOOT) is None
    assert validate("BootNotification", BOOT_CONF, True) is None
    assert validate("Heartbeat", {}) is None
    assert validate("GetConfiguration", {}) is None
    assert validate("GetConfiguration", {"key": ["HeartbeatInterval", "x" * 50]}) is None
    assert validate("SetChargingProfile", profile(minChargingRate=0.1)) is None


@pytest.mark.parametrize("payload", [[], None, "{}", 5, [BOOT]])
def test_payload_not_an_object_is_formation_violation(payload):
    assert validate("BootNotification", payload) == ("FormationViolation", "payload: expected a JSON object")


def test_unknown_property_is_formation_violation():
    assert validate("BootNotification", dict(BOOT, firmware="1.0")) == (
        "FormationViolation", "firmware: unknown property")
    p = profile()
    p["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][1]["phase"] = 1
    assert validate("SetChargingProfile", p) == (
        "FormationViolation",
        "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[1].phase: unknown property")
    assert validate("Heartbeat", {"x": 1}) == ("FormationViolation", "x: unknown property")


def test_missing_required_is_protocol_error():
    assert validate("BootNotification", {"chargePointVendor": "ACME"}) == (
        "ProtocolError", "chargePointModel: required property missing")
    p = profile()
    del p["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]
    assert validate("SetChargingProfile", p) == (
        "ProtocolError", "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit: "
                         "required property missing")


@pytest.mark.parametrize("value", ["1", 1.0, 1.5, True, False, None, [], {}])
def test_wrong_type_for_integer_is_type_constraint_violation(value):
    assert validate("UnlockConnector", {"connectorId": value}) == (
        "TypeConstraintViolation", "connectorId: expected integer")


def test_integer_accepts_big_and_negative_ints():
    assert validate("UnlockConnector", {"connectorId": -(2 ** 70)}) is None
    assert validate("UnlockConnector", {"connectorId": 0}) is None


@pytest.mark.parametrize("value", [True, False, "16", None, float("nan"), float("inf"), -math.inf])
def test_wrong_type_for_number_is_type_constraint_violation(value):
    p = profile()
    p["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] = value
    code, description = validate("SetChargingProfile", p)
    assert code == "TypeConstraintViolation"
    assert description.startswith("csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit: ")


def test_other_wrong_types():
    assert validate("BootNotification", dict(BOOT, chargePointModel=12)) == (
        "TypeConstraintViolation", "chargePointModel: expected string")
    assert validate("GetConfiguration", {"key": "HeartbeatInterval"}) == (
        "TypeConstraintViolation", "key: expected array")
    assert validate("GetConfiguration", {"key": [1]}) == ("TypeConstraintViolation", "key[0]: expected string")
    assert validate("SetChargingProfile", dict(profile(), csChargingProfiles=[])) == (
        "TypeConstraintViolation", "csChargingProfiles: expected object")
    conf = {"configurationKey": [{"key": "A", "readonly": 1}]}
    assert validate("GetConfiguration", conf, True) == (
        "TypeConstraintViolation", "configurationKey[0].readonly: expected boolean")


def test_string_longer_than_max_length_is_type_constraint_violation():
    assert validate("BootNotification", dict(BOOT, chargePointVendor="x" * 20)) is None
    assert validate("BootNotification", dict(BOOT, chargePointVendor="é" * 20)) is None  # characters, not bytes
    assert validate("BootNotification", dict(BOOT, chargePointVendor="x" * 21)) == (
        "TypeConstraintViolation", "chargePointVendor: longer than 20 characters")


def test_enum_violation_is_property_constraint_violation():
    assert validate("Reset", {"type": "Hard"}) is None
    assert validate("Reset", {"type": "hard"}) == ("PropertyConstraintViolation", "type: value not allowed")
    assert validate("SetChargingProfile", profile(chargingRateUnit="kW")) == (
        "PropertyConstraintViolation", "csChargingProfiles.chargingSchedule.chargingRateUnit: value not allowed")


def test_bad_date_time_is_property_constraint_violation():
    conf = dict(BOOT_CONF, currentTime="2023-02-29T00:00:00Z")
    assert validate("BootNotification", conf, True) == (
        "PropertyConstraintViolation", "currentTime: not an RFC 3339 date-time")


@pytest.mark.parametrize("limit", [0.3, 7.3, 16, -0.1, 0.7, 1234567.8, 2.0 ** 60, 1e300, 0])
def test_multiple_of_point_one_is_decimal(limit):
    p = profile()
    p["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] = limit
    assert validate("SetChargingProfile", p) is None


@pytest.mark.parametrize("limit", [0.05, 7.31, 0.30000000000000004, 1234567.89, 1e-9])
def test_multiple_of_violation_is_property_constraint_violation(limit):
    p = profile()
    p["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] = limit
    assert validate("SetChargingProfile", p) == (
        "PropertyConstraintViolation",
        "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit: not a multiple of 0.1")


def test_too_few_items_is_occurence_constraint_violation():
    assert validate("MeterValues", {"connectorId": 1, "meterValue": []}) == (
        "OccurenceConstraintViolation", "meterValue: too few items (minimum 1)")
    mv = {"connectorId": 1, "meterValue": [{"timestamp": "2024-01-01T00:00:00Z", "sampledValue": []}]}
    assert validate("MeterValues", mv) == (
        "OccurenceConstraintViolation", "meterValue[0].sampledValue: too few items (minimum 1)")


def test_response_direction_uses_the_response_schema():
    assert validate("BootNotification", BOOT_CONF) == ("FormationViolation", "currentTime: unknown property")
    assert validate("BootNotification", BOOT, True) == ("FormationViolation", "chargePointModel: unknown property")


def test_unknown_action_raises_key_error():
    assert not is_known("FooBar")
    assert not is_known("bootNotification")
    assert is_known("SignedUpdateFirmware")
    with pytest.raises(KeyError):
        validate("FooBar", {})
    with pytest.raises(KeyError):
        validate("NotifyEVChargingNeeds", {}, True)  # an OCPP 2.0.1 action


CORE = ["Authorize", "BootNotification", "CancelReservation", "ChangeAvailability", "ChangeConfiguration",
        "ClearCache", "ClearChargingProfile", "DataTransfer", "DiagnosticsStatusNotification",
        "FirmwareStatusNotification", "GetCompositeSchedule", "GetConfiguration", "GetDiagnostics",
        "GetLocalListVersion", "Heartbeat", "MeterValues", "RemoteStartTransaction", "RemoteStopTransaction",
        "ReserveNow", "Reset", "SendLocalList", "SetChargingProfile", "StartTransaction", "StatusNotification",
        "StopTransaction", "TriggerMessage", "UnlockConnector", "UpdateFirmware"]
SECURITY = ["CertificateSigned", "DeleteCertificate", "ExtendedTriggerMessage", "GetInstalledCertificateIds",
            "GetLog", "InstallCertificate", "LogStatusNotification", "SecurityEventNotification",
            "SignCertificate", "SignedFirmwareStatusNotification", "SignedUpdateFirmware"]


def test_actions_are_the_core_and_security_messages():
    assert set(ocpp_schemas.ACTIONS) == set(CORE + SECURITY)
    assert list(ocpp_schemas.ACTIONS) == sorted(ocpp_schemas.ACTIONS)
    assert len(ocpp_schemas.NODES) == len(ocpp_schemas.ACTIONS)


def test_violation_order_is_structure_first_then_schema_order():
    # Unknown keys, then missing keys, then values in schema order, whatever the dict order.
    for payload in ({"x": 1, "chargePointVendor": 5}, {"chargePointVendor": 5, "x": 1}):
        assert validate("BootNotification", payload) == ("FormationViolation", "x: unknown property")
    assert validate("BootNotification", {"zz": 1, "b": 2, "y": 3}) == ("FormationViolation", "b: unknown property")
    assert validate("BootNotification", {"chargePointVendor": 5}) == (
        "ProtocolError", "chargePointModel: required property missing")
    for payload in ({"chargePointModel": 1, "chargePointVendor": 5}, {"chargePointVendor": 5, "chargePointModel": 1}):
        assert validate("BootNotification", payload) == ("TypeConstraintViolation",
                                                         "chargePointVendor: expected string")


def test_keywords_unused_by_ocpp_schemas_today():
    node = gen_schemas.compile_schema({
        "type": "object", "additionalProperties": False,
        "properties": {"n": {"type": "integer", "minimum": 1, "maximum": 5, "multipleOf": 2},
                       "f": {"type": "number", "minimum": -1.5, "maximum": 1.5},
                       "e": {"type": "integer", "enum": [1, 3]},
                       "a": {"type": "array", "items": {"type": "boolean"}, "maxItems": 2},
                       "open": {"type": "object", "properties": {"k": {"type": "integer"}}}}})
    assert check(node, {"n": 2, "f": 1.5, "e": 3, "a": [True, False], "open": {"k": 1, "other": "x"}}) is None
    assert check(node, {"n": 0}) == ["PropertyConstraintViolation", "below minimum 1", ["n"]]
    assert check(node, {"n": 6}) == ["PropertyConstraintViolation", "above maximum 5", ["n"]]
    assert check(node, {"n": 3}) == ["PropertyConstraintViolation", "not a multiple of 2", ["n"]]
    assert check(node, {"f": -1.6})[:2] == ["PropertyConstraintViolation", "below minimum -1.5"]
    assert check(node, {"e": 2})[:2] == ["PropertyConstraintViolation", "value not allowed"]
    assert check(node, {"e": True})[:2] == ["TypeConstraintViolation", "expected integer"]
    assert check(node, {"a": [True] * 3}) == ["OccurenceConstraintViolation", "too many items (maximum 2)", ["a"]]
    assert check(node, {"open": {"k": "1"}}) == ["TypeConstraintViolation", "expected integer", ["k", "open"]]
    assert path_text(["k", 3, "open"]) == "open[3].k"
    assert path_text([]) == "payload"


@pytest.mark.parametrize("schema", [
    {"type": "string", "pattern": "^a"},
    {"type": "string", "minLength": 1},
    {"type": "integer", "exclusiveMinimum": True, "minimum": 0},
    {"type": ["string", "null"]},
    {"type": "object", "additionalProperties": {"type": "string"}},
    {"type": "array", "items": [{"type": "string"}]},
    {"type": "string", "format": "email"},
    {"type": "object", "properties": {}, "required": ["x"]},
    {"$ref": "other.json#/x"},
])
def test_generator_refuses_what_the_validator_cannot_check(schema):
    with pytest.raises(gen_schemas.SchemaError):
        gen_schemas.compile_schema(schema)


def test_generator_resolves_refs_and_ignores_metadata():
    schema = {"$schema": "x", "$id": "urn:x", "title": "T", "definitions": {"E": {"type": "string", "enum": ["A"]}},
              "type": "object", "properties": {"e": {"$ref": "#/definitions/E"}, "u": {"type": "string",
                                                                                     "format": "uri"}}}
    assert gen_schemas.compile_schema(schema) == (0, ("e", "u"), ((2, None, ("A",), False), (2,)), (), False)


def test_generator_keeps_zero_and_false_like_constraints():
    assert gen_schemas.compile_schema({"type": "integer", "minimum": 0}) == (3, 0, None, None, None)
    assert gen_schemas.compile_schema({"type": "string", "maxLength": 0}) == (2, 0, None, False)
    assert gen_schemas.compile_schema({"type": "number"}) == (4,)


VALID_DATES = [
    "2024-01-01T00:00:00Z", "2024-01-01t00:00:00z", "2024-02-29T12:00:00Z", "2000-02-29T12:00:00Z",
    "1600-02-29T00:00:00Z", "0000-02-29T00:00:00Z", "9999-12-31T23:59:59Z", "2016-12-31T23:59:60Z",
    "2024-06-30T23:59:60+00:00", "2024-01-01T00:00:00.1Z", "2024-01-01T00:00:00.123456789012345Z",
    "2024-01-01T00:00:00+23:59", "2024-01-01T00:00:00-12:00", "2024-01-01T00:00:00.5-00:00",
    "2024-04-30T10:00:00Z", "2024-11-30T10:00:00Z", "2024-12-31T10:00:00Z", "2024-09-30T10:00:00+01:00",
]
BAD_DATES = [
    "", "2024-01-01", "2024-01-01T00:00:00", "2024-01-01T00:00Z", "2024-01-01 00:00:00Z",
    "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2024-02-30T00:00:00Z",
    "2024-04-31T00:00:00Z", "2024-06-31T00:00:00Z", "2024-09-31T00:00:00Z", "2024-11-31T00:00:00Z",
    "2024-01-32T00:00:00Z", "2024-00-01T00:00:00Z", "2024-13-01T00:00:00Z", "2024-01-00T00:00:00Z",
    "2024-01-01T24:00:00Z", "2024-01-01T23:60:00Z", "2024-01-01T23:59:61Z", "2024-01-01T00:00:00.Z",
    "2024-01-01T00:00:00.", "2024-01-01T00:00:00.1", "2024-01-01T00:00:00+24:00", "2024-01-01T00:00:00+01:60",
    "2024-01-01T00:00:00+0100", "2024-01-01T00:00:00+1:00", "2024-01-01T00:00:00+01:00Z",
    "2024-01-01T00:00:00ZZ", "2024-01-01T00:00:00Z ", " 2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z\n",
    "+2024-01-01T00:00:00Z", "20240101T000000Z", "2024-1-01T00:00:00Z", "2024-01-01T0:00:00Z",
    "2024-01-01T00:00:00GMT", "2024-01-01T00:00:00UTC", "2024/01/01T00:00:00Z", "2024-01-01T00-00-00Z",
    "２０２４-01-01T00:00:00Z", "2024-01-01T00:00:0٣Z", "2024-01-01T00:00:00.٣Z", "-024-01-01T00:00:00Z",
    "2024-01-01T00:00:00.1e5Z",
]


@pytest.mark.parametrize("text", VALID_DATES)
def test_is_datetime_accepts(text):
    assert is_datetime(text)


@pytest.mark.parametrize("text", BAD_DATES)
def test_is_datetime_rejects(text):
    assert not is_datetime(text)


@pytest.mark.parametrize("value", [None, 20240101, b"2024-01-01T00:00:00Z"])
def test_is_datetime_rejects_non_strings(value):
    assert not is_datetime(value)
