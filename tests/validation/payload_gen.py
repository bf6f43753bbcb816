"""Builds valid OCPP 1.6 payloads straight from the JSON schemas, and single mutations of them.

The choices come from a chooser: `DrawChooser` wraps hypothesis' `data.draw` (property tests) and
`RandomChooser` a seeded random.Random (a fixed corpus for the MicroPython run). Each mutation knows
the error code and field path that validate must report.
"""

import calendar
import copy
import random

from hypothesis import strategies as st

from validation_oracle import render_path

TEXT_ALPHABET = "abcXYZ019 _-:./+éß€✓"
FLOAT_LIMIT = 1e9


class DrawChooser:
    def __init__(self, data):
        self.data = data

    def int(self, lo=None, hi=None):
        return self.data.draw(st.integers(lo, hi))

    def choice(self, seq):
        seq = list(seq)
        # An index from st.integers (cached by hypothesis) draws much faster than st.sampled_from.
        return seq[self.data.draw(st.integers(0, len(seq) - 1))]

    def text(self, lo, hi):
        if hi <= 50:
            return self.data.draw(st.text(min_size=lo, max_size=hi))
        # Long strings (up to maxLength 10000): a short drawn piece, repeated to a drawn length.
        piece = self.data.draw(st.text(min_size=1, max_size=5))
        n = self.data.draw(st.integers(lo, hi))
        return (piece * (n // len(piece) + 1))[:n]

    def float(self):
        return self.data.draw(st.floats(-FLOAT_LIMIT, FLOAT_LIMIT, allow_nan=False))


class RandomChooser:
    def __init__(self, seed):
        self.rng = random.Random(seed)

    def int(self, lo=None, hi=None):
        if lo is None and hi is None:
            return self.rng.choice([0, 1, -1, 2 ** 31, -(2 ** 40), self.rng.randint(-10 ** 6, 10 ** 6)])
        return self.rng.randint(-(10 ** 6) if lo is None else lo, 10 ** 6 if hi is None else hi)

    def choice(self, seq):
        return self.rng.choice(list(seq))

    def text(self, lo, hi):
        n = self.rng.randint(lo, min(hi, lo + 40))
        piece = "".join(self.rng.choice(TEXT_ALPHABET) for _ in range(min(n, 40)))
        return (piece * (n // max(len(piece), 1) + 1))[:n]

    def float(self):
        return self.rng.uniform(-FLOAT_LIMIT, FLOAT_LIMIT)


def deref(schema, root):
    while "$ref" in schema:
        target = root
        for part in schema["$ref"][2:].split("/"):
            target = target[part]
        schema = target
    return schema


def two(n):
    return "%02d" % n


def valid_datetime(ch):
    year = ch.int(0, 9999)
    month = ch.int(1, 12)
    day = ch.int(1, calendar.monthrange(2000 if calendar.isleap(year) else 2001, month)[1])
    text = "%04d-%s-%s%s%s:%s:%s" % (year, two(month), two(day), ch.choice("Tt"), two(ch.int(0, 23)),
                                     two(ch.int(0, 59)), two(ch.int(0, 60)))
    digits = ch.int(0, 12)
    if digits:
        text += ".%0*d" % (digits, ch.int(0, 10 ** digits - 1))
    zone = ch.choice(["Z", "z", "+", "-"])
    if zone in "+-":
        zone += two(ch.int(0, 23)) + ":" + two(ch.int(0, 59))
    return text + zone


BAD_DATETIMES = [
    "", "2024-01-01", "2024-01-01T10:00:00", "2024-13-01T00:00:00Z", "2024-00-10T00:00:00Z",
    "2024-01-32T00:00:00Z", "2023-02-29T00:00:00Z", "2024-02-30T00:00:00Z", "1900-02-29T12:00:00Z",
    "2024-04-31T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T23:60:00Z", "2024-01-01T23:59:61Z",
    "2024-01-01T10:00:00+24:00", "2024-01-01T10:00:00+05:60", "2024-01-01T10:00:00+0500",
    "2024-01-01T10:00:00.Z", "2024-01-01 10:00:00Z", "2024-01-01T10:00:00Zjunk", "24-01-01T10:00:00Z",
    "2024-1-01T10:00:00Z", "2024-01-01T10:00Z", "2024-01-01T10:00:00.5", "2024-01-01T1O:00:00Z",
    "2024-01-01T10:00:00Z\n", "２０２４-01-01T10:00:00Z", "2024-01-01T10:00:0٣Z", "2024/01/01T10:00:00Z",
    "2024-01-01X10:00:00Z", "2024-01-01T10:00:00+5:00", "2024-01-01T10:00:00GMT", "now",
]


def valid_value(schema, root, ch):
    schema = deref(schema, root)
    kind = schema["type"]
    if kind == "object":
        props = schema.get("properties", {})
        required = schema.get("required", [])
        out = {}
        for name in props:
            if name in required or ch.choice([False, True]):
                out[name] = valid_value(props[name], root, ch)
        return out
    if kind == "array":
        lo = schema.get("minItems", 0)
        hi = schema.get("maxItems", lo + 3)
        return [valid_value(schema["items"], root, ch) for _ in range(ch.int(lo, hi))]
    if kind == "string":
        if "enum" in schema:
            return ch.choice(schema["enum"])
        if schema.get("format") == "date-time":
            return valid_datetime(ch)
        limit = schema.get("maxLength")
        if limit is not None and ch.choice([False, True, False]):
            return ch.text(limit, limit)  # at the boundary
        return ch.text(0, min(limit or 30, 30))
    if kind == "integer":
        lo, hi = schema.get("minimum"), schema.get("maximum")
        if "enum" in schema:
            return ch.choice(schema["enum"])
        step = schema.get("multipleOf")
        if step is not None:
            return step * ch.int(None if lo is None else -(-lo // step),
                                 None if hi is None else hi // step)
        return ch.int(lo, hi)
    if kind == "number":
        step = schema.get("multipleOf")
        lo, hi = schema.get("minimum"), schema.get("maximum")
        if isinstance(step, int):
            value = step * ch.int(-10 ** 6, 10 ** 6) * ch.choice([1, 1.0])
        elif step is not None:
            # A decimal multiple of step, as a CSMS would write it in JSON.
            scale = round(1 / step)
            k = ch.int(-10 ** 8, 10 ** 8)
            value = ch.choice([k / scale, k])
        else:
            value = ch.choice([ch.float(), ch.int(-10 ** 6, 10 ** 6)])
        if lo is not None and value < lo:
            value = lo
        if hi is not None and value > hi:
            value = hi
        return value
    if kind == "boolean":
        return ch.choice([False, True])
    raise AssertionError(kind)


def json_type(value):
    if value is True or value is False:
        return "boolean"
    for kind, types in (("integer", int), ("number", float), ("string", str), ("object", dict),
                        ("array", list)):
        if isinstance(value, types):
            return kind
    return "null"


def sites(schema, root, value, path=()):
    """Every (path, schema) pair in `value` whose JSON type is the schema's, the root first.

    Parts already mutated (unknown keys, values of another type) are left out.
    """
    schema = deref(schema, root)
    kind = json_type(value)
    if kind != schema["type"] and not (kind == "integer" and schema["type"] == "number"):
        return
    yield path, schema
    if kind == "object":
        props = schema.get("properties", {})
        for name, item in value.items():
            if name in props:
                yield from sites(props[name], root, item, path + (name,))
    elif kind == "array":
        for i, item in enumerate(value):
            yield from sites(schema["items"], root, item, path + (i,))


# Values of each JSON type, to put where another type is expected.
SAMPLES = {"string": "7", "integer": 7, "float": 7.5, "integral float": 7.0, "bool": True,
           "null": None, "object": {}, "array": []}
ACCEPTS = {"string": {"string"}, "integer": {"integer"}, "number": {"integer", "float", "integral float"},
           "boolean": {"bool"}, "object": {"object"}, "array": {"array"}}

CODES = {
    "drop_required": "ProtocolError", "unknown_property": "FormationViolation",
    "wrong_type": "TypeConstraintViolation", "too_long": "TypeConstraintViolation",
    "bad_enum": "PropertyConstraintViolation", "bad_datetime": "PropertyConstraintViolation",
    "not_multiple": "PropertyConstraintViolation", "below_minimum": "PropertyConstraintViolation",
    "above_maximum": "PropertyConstraintViolation", "too_few": "OccurenceConstraintViolation",
    "too_many": "OccurenceConstraintViolation",
}


def possible_kinds(schema, root):
    """The mutation kinds some payload of `schema` offers (optional parts included)."""
    schema = deref(schema, root)
    found = {"wrong_type"}
    kind = schema["type"]
    if kind == "object":
        found.add("unknown_property")
        if schema.get("required"):
            found.add("drop_required")
        for sub in schema.get("properties", {}).values():
            found |= possible_kinds(sub, root)
    elif kind == "array":
        found |= possible_kinds(schema["items"], root)
        if schema.get("minItems"):
            found.add("too_few")
        if "maxItems" in schema:
            found.add("too_many")
    elif kind == "string":
        found |= {k for k, key in (("too_long", "maxLength"), ("bad_enum", "enum")) if key in schema}
        if schema.get("format") == "date-time":
            found.add("bad_datetime")
    elif kind in ("integer", "number"):
        found |= {k for k, key in (("below_minimum", "minimum"), ("above_maximum", "maximum"))
                  if key in schema}
        if schema.get("multipleOf", 1) != 1:
            found.add("not_multiple")
    return found


def mutation_options(schema, root, payload):
    """{kind: [(path, schema), ...]} for the mutations that apply to `payload`."""
    options = {}
    for path, sub in sites(schema, root, payload):
        kind = sub["type"]
        kinds = ["wrong_type"]
        if kind == "object":
            kinds.append("unknown_property")
            value = payload
            for part in path:
                value = value[part]
            if any(name in value for name in sub.get("required", ())):
                kinds.append("drop_required")
        elif kind == "string":
            if "maxLength" in sub:
                kinds.append("too_long")
            if "enum" in sub:
                kinds.append("bad_enum")
            if sub.get("format") == "date-time":
                kinds.append("bad_datetime")
        elif kind in ("integer", "number"):
            if sub.get("multipleOf", 1) != 1:
                kinds.append("not_multiple")
            if "minimum" in sub:
                kinds.append("below_minimum")
            if "maximum" in sub:
                kinds.append("above_maximum")
        elif kind == "array":
            if sub.get("minItems"):
                kinds.append("too_few")
            if "maxItems" in sub:
                kinds.append("too_many")
        for k in kinds:
            options.setdefault(k, []).append((path, sub))
    return options


def mutate(payload, root, kind, path, sub, ch):
    """Apply one mutation; return (new payload, expected code, expected path text)."""
    payload = copy.deepcopy(payload)
    code = CODES[kind]
    report = path

    def replace(value):
        nonlocal payload
        if not path:
            payload = value
            return
        target = payload
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    current = payload
    for part in path:
        current = current[part]
    if kind == "drop_required":
        name = ch.choice([n for n in sub["required"] if n in current])
        del current[name]
        report = path + (name,)
    elif kind == "unknown_property":
        name = ch.choice(["extra", "ConnectorId", "", "idtag", "x" * 40, "ключ"])
        name = name if name not in sub.get("properties", {}) else name + "_"
        current[name] = ch.choice([1, "x", None, {}])
        report = path + (name,)
    elif kind == "wrong_type":
        bad = sorted(set(SAMPLES) - ACCEPTS[sub["type"]])
        replace(copy.deepcopy(SAMPLES[ch.choice(bad)]))
        if not path:
            code = "FormationViolation"
    elif kind == "too_long":
        limit = sub["maxLength"]
        replace(ch.text(limit + 1, limit + 3))
    elif kind == "bad_enum":
        allowed = sub["enum"]
        candidates = [allowed[0].lower(), allowed[0].upper(), allowed[0] + " ", "", "Unknown", "accepted"]
        replace(ch.choice([c for c in candidates if c not in allowed]))
    elif kind == "bad_datetime":
        replace(ch.choice(BAD_DATETIMES))
    elif kind == "not_multiple":
        step = sub["multipleOf"]
        if isinstance(step, int):
            off = ch.int(1, step - 1) if sub["type"] == "integer" else ch.choice([0.5, 1.5, 0.1])
            replace(step * ch.int(-10 ** 6, 10 ** 6) + off)
        else:
            # One more decimal than step allows: k / 100 with k not a multiple of 10, for step 0.1.
            scale = round(1 / step)
            k = ch.int(-10 ** 6, 10 ** 6) * 10 + ch.int(1, 9)
            replace(k / (scale * 10))
    elif kind in ("below_minimum", "above_maximum"):
        # Whole steps away from the bound, so that multipleOf still holds.
        step = sub.get("multipleOf", 1)
        delta = ch.int(1, 1000) * (step if isinstance(step, int) else 1)
        replace(sub["minimum"] - delta if kind == "below_minimum" else sub["maximum"] + delta)
    elif kind == "too_few":
        replace(current[:sub["minItems"] - 1])
    elif kind == "too_many":
        item = valid_value(sub["items"], root, ch)
        replace(current + [item] * (sub["maxItems"] + 1 - len(current)))
    else:
        raise AssertionError(kind)
    return payload, code, render_path(report)
