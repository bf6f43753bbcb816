"""Checks the bench CSMS applies to OCPP 1.6-J frames and payloads.

Frame rules follow OCPP-J 1.6 §4 (reference/ocpp16-conformance.md §4.2). Payloads are checked against the
JSON schemas shipped with the `ocpp` package (1.6 core and the security whitepaper messages). Every
`format: date-time` string must also be a valid RFC 3339 date-time, which neither jsonschema (by default)
nor the `ocpp` package checks.

Error codes use the 1.6 spellings (FormationViolation, OccurenceConstraintViolation). The `ocpp` package
swaps NotImplemented and NotSupported and offers 2.0.1 spellings, so its mapping is not used here.
"""

import datetime
import decimal
import json
import os
import re

import jsonschema
import ocpp.v16
from ocpp.v16.enums import Action

SCHEMA_DIR = os.path.join(os.path.dirname(ocpp.v16.__file__), "schemas")

ALL_ACTIONS = frozenset(action.value for action in Action)
# CALLs a charge point sends; DataTransfer goes both ways.
STATION_ACTIONS = frozenset({
    "Authorize", "BootNotification", "DataTransfer", "DiagnosticsStatusNotification",
    "FirmwareStatusNotification", "Heartbeat", "MeterValues", "StartTransaction", "StatusNotification",
    "StopTransaction", "LogStatusNotification", "SecurityEventNotification", "SignCertificate",
    "SignedFirmwareStatusNotification",
})
CSMS_ACTIONS = (ALL_ACTIONS - STATION_ACTIONS) | {"DataTransfer"}

# OCPP-J 1.6 Table 7, spelled as in 1.6 (typos included), with what each code means.
ERROR_CODES = {
    "NotImplemented": "Requested Action is not known by the receiver",
    "NotSupported": "Requested Action is recognized but not supported by the receiver",
    "InternalError": "The receiver could not process the requested Action because of an internal error",
    "ProtocolError": "Payload for Action is incomplete",
    "SecurityError": "A security issue prevented the receiver from completing the Action",
    "FormationViolation": "Payload for Action is syntactically incorrect or does not conform to the PDU structure",
    "PropertyConstraintViolation": "Payload is syntactically correct but a field contains an invalid value",
    "OccurenceConstraintViolation": "Payload is syntactically correct but a field violates occurrence constraints",
    "TypeConstraintViolation": "Payload is syntactically correct but a field violates data type constraints",
    "GenericError": "Any other error",
}
# Spellings other libraries (and OCPP 2.0.1) use, mapped back to 1.6.
SPELLING_16 = {
    "FormatViolation": "FormationViolation",
    "OccurrenceConstraintViolation": "OccurenceConstraintViolation",
}

MAX_ID_LENGTH = 36
KIND_NAMES = {2: "CALL", 3: "CALLRESULT", 4: "CALLERROR"}
# message type id -> element count and the types of the elements after the type id
_SHAPES = {2: (4, (str, str, dict)), 3: (3, (str, dict)), 4: (5, (str, str, str, dict))}

# Which jsonschema keyword failure becomes which CALLERROR code when we refuse a station's CALL.
_SCHEMA_CODES = {
    "type": "TypeConstraintViolation",
    "maxLength": "TypeConstraintViolation",
    "required": "ProtocolError",
    "additionalProperties": "FormationViolation",
    "minItems": "OccurenceConstraintViolation",
    "maxItems": "OccurenceConstraintViolation",
    "enum": "PropertyConstraintViolation",
    "format": "PropertyConstraintViolation",
    "minimum": "PropertyConstraintViolation",
    "maximum": "PropertyConstraintViolation",
    "exclusiveMinimum": "PropertyConstraintViolation",
    "multipleOf": "PropertyConstraintViolation",
    "pattern": "PropertyConstraintViolation",
}

_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"(?:[Zz]|[+-]([0-9]{2}):([0-9]{2}))\Z"
)


def is_rfc3339(text):
    """True if `text` is an RFC 3339 §5.6 date-time (leap second 60 allowed, calendar checked)."""
    match = _RFC3339.match(text) if isinstance(text, str) else None
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    if hour > 23 or minute > 59 or second > 60:
        return False
    off_hour, off_minute = match.group(8), match.group(9)
    return off_hour is None or (int(off_hour) <= 23 and int(off_minute) <= 59)


_FORMAT_CHECKER = jsonschema.FormatChecker(formats=())
# Non-strings pass here: the schema's "type" keyword reports them.
_FORMAT_CHECKER.checks("date-time")(lambda value: not isinstance(value, str) or is_rfc3339(value))

_validators = {}


def _validator(schema_name):
    """Validator for one schema file and whether it needs decimals (multipleOf 0.1 fails with floats)."""
    if schema_name not in _validators:
        with open(os.path.join(SCHEMA_DIR, schema_name + ".json"), encoding="utf-8-sig") as f:
            text = f.read()
        use_decimal = '"multipleOf"' in text
        schema = json.loads(text, parse_float=decimal.Decimal if use_decimal else float)
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft4Validator)
        _validators[schema_name] = (cls(schema, format_checker=_FORMAT_CHECKER), use_decimal)
    return _validators[schema_name]


def check_payload(action, payload, response=False):
    """Check a request (or, with response=True, a response) payload for a known action.

    Returns a list of (error_code, readable problem); empty when the payload is valid.
    """
    validator, use_decimal = _validator(action + ("Response" if response else ""))
    if use_decimal:
        payload = json.loads(json.dumps(payload), parse_float=decimal.Decimal)
    problems = []
    for error in sorted(validator.iter_errors(payload), key=lambda e: [str(p) for p in e.absolute_path]):
        where = "/".join(str(p) for p in error.absolute_path) or "payload"
        if error.validator == "format":
            text = "%s: %r is not an RFC 3339 date-time" % (where, error.instance)
        else:
            text = "%s: %s" % (where, error.message)
        problems.append((_SCHEMA_CODES.get(error.validator, "FormationViolation"), text))
    return problems


def _reject_constant(name):
    raise ValueError("%s is not valid JSON" % name)


def check_frame(text):
    """Parse and check one OCPP-J frame.

    Returns (frame, fatal, minor): `frame` is the parsed JSON (None if not JSON); `fatal` lists problems
    that make the frame unusable (wrong shape); `minor` lists problems in a usable frame (id too long,
    error code not spelled as in 1.6).
    """
    try:
        frame = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        return None, ["frame is not valid JSON (%s)" % exc], []
    if not isinstance(frame, list) or not frame:
        return frame, ["frame is not a non-empty JSON array"], []
    type_id = frame[0]
    if type(type_id) is not int or type_id not in _SHAPES:
        return frame, ["unknown MessageTypeId %r" % (type_id,)], []
    kind = KIND_NAMES[type_id]
    size, types = _SHAPES[type_id]
    if len(frame) != size:
        return frame, ["%s has %d elements, must have %d" % (kind, len(frame), size)], []
    fatal = [
        "%s element %d must be a JSON %s, got %r" % (kind, i, "string" if t is str else "object", value)
        for i, (value, t) in enumerate(zip(frame[1:], types), 1)
        if not isinstance(value, t)
    ]
    minor = []
    if isinstance(frame[1], str) and len(frame[1]) > MAX_ID_LENGTH:
        minor.append("message id %r is %d characters long, at most %d allowed"
                     % (frame[1], len(frame[1]), MAX_ID_LENGTH))
    if type_id == 4 and isinstance(frame[2], str) and frame[2] not in ERROR_CODES:
        hint = " (1.6 spells it %s)" % SPELLING_16[frame[2]] if frame[2] in SPELLING_16 else ""
        minor.append("CALLERROR code %r is not an OCPP 1.6 error code%s" % (frame[2], hint))
    return frame, fatal, minor


def callerror_fields(exc):
    """(code, description, details) for a CALLERROR answering with exception `exc`.

    Accepts the `ocpp` package's OCPPError classes (their code is fixed to the 1.6 spelling, and their
    swapped default descriptions are replaced by ours) or any exception with code/description/details.
    """
    code = getattr(exc, "code", None)
    code = SPELLING_16.get(code, code)
    if code not in ERROR_CODES:
        code = "InternalError" if code is None else "GenericError"
    description = getattr(exc, "description", None)
    if not description or description == getattr(type(exc), "default_description", None):
        description = ERROR_CODES[code]
    details = getattr(exc, "details", None)
    return code, description, details if isinstance(details, dict) else {}
