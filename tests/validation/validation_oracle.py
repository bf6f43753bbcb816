"""Reference validation for the tests: jsonschema's Draft4Validator on the ocpp package's own schemas.

Written independently of controller/validate.py: a regex and the calendar module for date-time, and
Decimal parsing of both schema and payload so that `multipleOf: 0.1` is decimal arithmetic (as the
ocpp package itself does it), not binary floating point.
"""

import calendar
import decimal
import json
import os
import re

from jsonschema import Draft4Validator, FormatChecker

import ocpp.v16

SCHEMA_DIR = os.path.join(os.path.dirname(ocpp.v16.__file__), "schemas")
ACTIONS = sorted(f[:-5] for f in os.listdir(SCHEMA_DIR) if f.endswith(".json") and not f.endswith("Response.json"))
# (action, response) pairs: every message in both directions.
MESSAGES = [(a, r) for a in ACTIONS for r in (False, True)]

CODES = {
    "required": "ProtocolError",
    "additionalProperties": "FormationViolation",
    "type": "TypeConstraintViolation",
    "maxLength": "TypeConstraintViolation",
    "enum": "PropertyConstraintViolation",
    "format": "PropertyConstraintViolation",
    "minimum": "PropertyConstraintViolation",
    "maximum": "PropertyConstraintViolation",
    "multipleOf": "PropertyConstraintViolation",
    "minItems": "OccurenceConstraintViolation",
    "maxItems": "OccurenceConstraintViolation",
}

_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))\Z",
    re.ASCII)


def oracle_datetime(text):
    if not isinstance(text, str):
        return True
    m = _DATE_TIME.match(text)
    if not m:
        return False
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    if not 1 <= month <= 12:
        return False
    # calendar.monthrange cannot take year 0; any year with the same leap-ness has the same days.
    days = calendar.monthrange(2000 if calendar.isleap(year) else 2001, month)[1]
    if not 1 <= day <= days or hour > 23 or minute > 59 or second > 60:
        return False
    if m.group(7) is not None and (int(m.group(7)) > 23 or int(m.group(8)) > 59):
        return False
    return True


FORMAT_CHECKER = FormatChecker(formats=())
FORMAT_CHECKER.checks("date-time")(oracle_datetime)


def schema_file(action, response):
    return os.path.join(SCHEMA_DIR, action + ("Response" if response else "") + ".json")


def load_schema(action, response, as_decimal=False):
    with open(schema_file(action, response), encoding="utf-8") as f:
        return json.load(f, parse_float=decimal.Decimal if as_decimal else float)


_VALIDATORS = {}


def validator_for(schema):
    """Draft4Validator for a schema given as plain JSON (floats are re-read as Decimal)."""
    key = json.dumps(schema, sort_keys=True)
    v = _VALIDATORS.get(key)
    if v is None:
        v = Draft4Validator(json.loads(key, parse_float=decimal.Decimal), format_checker=FORMAT_CHECKER)
        _VALIDATORS[key] = v
    return v


def errors(schema, payload):
    """Every violation jsonschema finds, as a set of (code, path) like validate's descriptions."""
    instance = json.loads(json.dumps(payload), parse_float=decimal.Decimal)
    found = set()
    for err in validator_for(schema).iter_errors(instance):
        path = list(err.absolute_path)
        code = CODES[err.validator]
        if err.validator == "required":
            for name in err.validator_value:
                if name not in err.instance:
                    found.add((code, render_path(path + [name])))
        elif err.validator == "additionalProperties":
            known = err.schema.get("properties", {})
            for name in err.instance:
                if name not in known:
                    found.add((code, render_path(path + [name])))
        elif err.validator == "type" and not path:
            found.add(("FormationViolation", "payload"))
        else:
            found.add((code, render_path(path)))
    return found


def render_path(parts):
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += "[%d]" % part
        else:
            out += ("." if out else "") + part
    return out or "payload"
