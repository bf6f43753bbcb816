"""Unit tests of the bench CSMS checks: RFC 3339 date-times, frame shapes, schemas, CALLERROR codes."""

import pytest
from ocpp.exceptions import (FormatViolationError, InternalError, NotImplementedError, NotSupportedError,
                             OccurrenceConstraintViolationError)

from bench_csms import BenchCSMS, StationCallError
from bench_csms.validation import (ERROR_CODES, STATION_ACTIONS, callerror_fields, check_frame, check_payload,
                                   is_rfc3339)


@pytest.mark.parametrize("text", [
    "2024-01-01T00:00:00Z",
    "2024-02-29T23:59:60.123+05:30",   # leap day, leap second, offset
    "2024-01-01t00:00:00z",            # RFC 3339 allows lower case t and z
    "2019-12-31T23:59:59.999999-00:00",
])
def test_rfc3339_accepts(text):
    assert is_rfc3339(text)


@pytest.mark.parametrize("text", [
    "2023-02-29T00:00:00Z",      # not a leap year
    "2024-04-31T00:00:00Z",
    "2024-01-01 00:00:00Z",      # space instead of T
    "2024-01-01T00:00:00",       # no offset
    "2024-1-01T00:00:00Z",
    "2024-01-01T24:00:00Z",
    "2024-01-01T00:60:00Z",
    "2024-01-01T00:00:61Z",
    "2024-01-01T00:00:00+0100",
    "2024-01-01T00:00:00+24:00",
    "2024-01-01T00:00:00.Z",
    "２０２４-01-01T00:00:00Z",  # full-width digits
    "2024-01-01T00:00:00Z\n",
    "",
    20240101,
])
def test_rfc3339_rejects(text):
    assert not is_rfc3339(text)


def test_schema_date_time_is_checked_in_core_and_security_schemas():
    status = {"connectorId": 1, "errorCode": "NoError", "status": "Available", "timestamp": "2024-13-01T00:00:00Z"}
    assert check_payload("StatusNotification", status) == [
        ("PropertyConstraintViolation", "timestamp: '2024-13-01T00:00:00Z' is not an RFC 3339 date-time")]
    event = {"type": "StartupOfTheDevice", "timestamp": "yesterday"}   # draft-06 security schema
    assert [code for code, _ in check_payload("SecurityEventNotification", event)] == ["PropertyConstraintViolation"]
    boot_conf = {"status": "Accepted", "currentTime": "2024-01-01T00:00:00", "interval": 300}
    assert check_payload("BootNotification", boot_conf, response=True)


def test_schema_problems_map_to_16_codes():
    payload = {"connectorId": "1", "status": "Sleeping", "colour": "red"}
    codes = sorted(code for code, _ in check_payload("StatusNotification", payload))
    assert codes == ["FormationViolation", "PropertyConstraintViolation", "ProtocolError",
                     "TypeConstraintViolation"]


def test_multiple_of_one_decimal_uses_exact_decimals():
    def profile(limit):
        return {"idTag": "ABC", "chargingProfile": {
            "chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative", "chargingSchedule": {
                "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]}}}
    assert check_payload("RemoteStartTransaction", profile(21.4)) == []
    assert check_payload("RemoteStartTransaction", profile(21.45)) != []


def test_every_default_answer_is_schema_valid():
    csms = BenchCSMS()
    for action in sorted(STATION_ACTIONS):
        answer = csms.default_answer("CP001", action, {"idTag": "ABC"})
        assert check_payload(action, answer, response=True) == [], action


@pytest.mark.parametrize("text, fatal, minor", [
    ('[2,"a","Heartbeat",{}]', "", ""),
    ('[3,"a",{}]', "", ""),
    ('[4,"a","GenericError","",{}]', "", ""),
    ('[2,"a","Heartbeat"', "not valid JSON", ""),
    ('[2,"a","Heartbeat",NaN]', "not valid JSON", ""),
    ('{"a":1}', "not a non-empty JSON array", ""),
    ('[]', "not a non-empty JSON array", ""),
    ('[5,"a",{}]', "unknown MessageTypeId 5", ""),
    ('[true,"a",{}]', "unknown MessageTypeId True", ""),
    ('[2,"a","Heartbeat"]', "CALL has 3 elements, must have 4", ""),
    ('[3,"a",{},{}]', "CALLRESULT has 4 elements, must have 3", ""),
    ('[2,1,"Heartbeat",{}]', "CALL element 1 must be a JSON string", ""),
    ('[2,"a","Heartbeat",null]', "CALL element 3 must be a JSON object", ""),
    ('[4,"a","GenericError","",null]', "CALLERROR element 4 must be a JSON object", ""),
    ('[2,"%s","Heartbeat",{}]' % ("x" * 37), "", "is 37 characters long, at most 36"),
    ('[4,"a","FormatViolation","",{}]', "", "1.6 spells it FormationViolation"),
])
def test_check_frame(text, fatal, minor):
    _, fatal_found, minor_found = check_frame(text)
    assert (fatal in " ".join(fatal_found)) and bool(fatal_found) == bool(fatal)
    assert (minor in " ".join(minor_found)) and bool(minor_found) == bool(minor)


def test_callerror_fields_use_16_spellings_and_meanings():
    assert callerror_fields(NotImplementedError()) == ("NotImplemented", ERROR_CODES["NotImplemented"], {})
    assert callerror_fields(NotSupportedError()) == ("NotSupported", ERROR_CODES["NotSupported"], {})
    assert "not known" in callerror_fields(NotImplementedError())[1]
    assert callerror_fields(FormatViolationError())[0] == "FormationViolation"
    assert callerror_fields(OccurrenceConstraintViolationError())[0] == "OccurenceConstraintViolation"
    assert callerror_fields(InternalError("disk full", {"x": 1})) == ("InternalError", "disk full", {"x": 1})
    assert callerror_fields(StationCallError("SecurityError", "", None))[0] == "SecurityError"
    assert callerror_fields(ValueError("bug"))[0] == "InternalError"
