"""Differential property tests: controller.validate against jsonschema on the ocpp package's schemas.

Payloads are built from the raw JSON schemas (not from the generated module), for every action in
both directions, valid or with mutations whose error code and field path are known in advance.
"""

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from controller import validate as v
from gen_tool import gen_schemas
import payload_gen as gen
import validation_oracle as oracle

MESSAGES = oracle.MESSAGES
SCHEMAS = {m: oracle.load_schema(*m) for m in MESSAGES}

COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def split(description, candidates):
    """The path part of a description, matched against the candidate paths (paths may hold ': ')."""
    for path in sorted(candidates, key=len, reverse=True):
        if description.startswith(path + ": "):
            return path
    return description.split(": ", 1)[0]


@settings(max_examples=700, **COMMON)
@given(message=st.sampled_from(MESSAGES), data=st.data())
def test_valid_payloads_pass_both(message, data):
    schema = SCHEMAS[message]
    payload = gen.valid_value(schema, schema, gen.DrawChooser(data))
    assert oracle.errors(schema, payload) == set()
    assert v.validate(message[0], payload, message[1]) is None


BY_KIND = {}
for _m in MESSAGES:
    for _k in gen.possible_kinds(SCHEMAS[_m], SCHEMAS[_m]):
        BY_KIND.setdefault(_k, []).append(_m)


@settings(max_examples=1300, **COMMON)
@given(target=st.sampled_from(sorted(BY_KIND)), data=st.data())
def test_single_mutation_gives_expected_code_and_path(target, data):
    # Pick the mutation kind first, so that rare ones (too_few, not_multiple) get their share.
    message = data.draw(st.sampled_from(BY_KIND[target]))
    schema = SCHEMAS[message]
    ch = gen.DrawChooser(data)
    payload = gen.valid_value(schema, schema, ch)
    options = gen.mutation_options(schema, schema, payload)
    kind = target if target in options else ch.choice(sorted(options))
    path, sub = ch.choice(options[kind])
    bad, code, where = gen.mutate(payload, schema, kind, path, sub, ch)
    event(kind)

    expected = oracle.errors(schema, bad)
    assert (code, where) in expected, (kind, expected)
    # A value of the wrong type may also miss its enum: still one field at fault.
    assert {p for _, p in expected} == {where}

    result = v.validate(message[0], bad, message[1])
    assert result is not None, (kind, bad)
    assert result[0] == code, (kind, result)
    assert result[1].startswith(where + ": "), (kind, result)


@settings(max_examples=300, **COMMON)
@given(message=st.sampled_from(MESSAGES), data=st.data())
def test_stacked_mutations_agree_on_validity(message, data):
    schema = SCHEMAS[message]
    ch = gen.DrawChooser(data)
    payload = gen.valid_value(schema, schema, ch)
    for _ in range(data.draw(st.integers(0, 3))):
        if not isinstance(payload, dict):
            break
        options = gen.mutation_options(schema, schema, payload)
        kind = ch.choice(sorted(options))
        path, sub = ch.choice(options[kind])
        payload = gen.mutate(payload, schema, kind, path, sub, ch)[0]
    expected = oracle.errors(schema, payload)
    result = v.validate(message[0], payload, message[1])
    if not expected:
        assert result is None
    else:
        assert result is not None
        # The first violation validate finds is one of those jsonschema finds.
        where = split(result[1], [p for _, p in expected])
        assert (result[0], where) in expected, (result, expected)


# Keywords the OCPP 1.6 schemas do not use today but the generator and validator support.
@st.composite
def synthetic_schemas(draw):
    kind = draw(st.sampled_from(["integer", "number", "array", "string"]))
    if kind == "integer":
        step = draw(st.sampled_from([None, 1, 3, 5]))
        schema = {"type": "integer"}
        if step:
            schema["multipleOf"] = step
        base = step or 1
        lo = draw(st.integers(-50, 50)) * base
        if draw(st.booleans()):
            schema["minimum"] = lo
        if draw(st.booleans()):
            schema["maximum"] = lo + draw(st.integers(0, 50)) * base
        return schema
    if kind == "number":
        schema = {"type": "number"}
        step = draw(st.sampled_from([None, 0.1, 0.01, 0.5, 0.25, 0.2, 2]))
        if step:
            schema["multipleOf"] = step
        lo = draw(st.integers(-1000, 1000))
        if draw(st.booleans()):
            schema["minimum"] = lo
        if draw(st.booleans()):
            schema["maximum"] = lo + draw(st.integers(0, 1000))
        return schema
    if kind == "array":
        lo = draw(st.integers(0, 3))
        schema = {"type": "array", "items": {"type": "integer"}}
        if lo:
            schema["minItems"] = lo
        if draw(st.booleans()):
            schema["maxItems"] = lo + draw(st.integers(0, 3))
        return schema
    return {"type": "string", "maxLength": draw(st.integers(0, 8)), "format": "date-time"}


def wrap(schema):
    return {"type": "object", "properties": {"v": schema}, "required": ["v"], "additionalProperties": False}


def check_node(node, payload):
    err = v.check(node, payload)
    return None if err is None else (err[0], v.path_text(err[2]))


@settings(max_examples=300, **COMMON)
@given(inner=synthetic_schemas(), data=st.data())
def test_synthetic_keywords_agree(inner, data):
    schema = wrap(inner)
    node = gen_schemas.compile_schema(schema)
    ch = gen.DrawChooser(data)
    payload = gen.valid_value(schema, schema, ch)
    if inner["type"] == "string":
        payload = {"v": data.draw(st.text(max_size=10) | st.sampled_from(gen.BAD_DATETIMES[:5]))}
    assert check_node(node, payload) is None or oracle.errors(schema, payload)
    if oracle.errors(schema, payload) == set():
        assert check_node(node, payload) is None
        # Mutations inside the wrapper object, at the keyword under test.
        options = gen.mutation_options(schema, schema, payload)
        inside = sorted(k for k in options if any(p for p, _ in options[k]))
        kind = ch.choice(inside)
        path, sub = ch.choice([o for o in options[kind] if o[0]])
        payload, code, where = gen.mutate(payload, schema, kind, path, sub, ch)
        event(kind)
        assert (code, where) in oracle.errors(schema, payload)
        assert check_node(node, payload) == (code, where)
    else:
        result = check_node(node, payload)
        assert result in oracle.errors(schema, payload)


@st.composite
def datetime_candidates(draw):
    text = gen.valid_datetime(gen.DrawChooser(draw(st.data())))
    for _ in range(draw(st.integers(0, 2))):
        pos = draw(st.integers(0, len(text)))
        char = draw(st.sampled_from(list("0123456789-:TtZz+.x ٣") + [""]))
        how = draw(st.sampled_from(["replace", "insert"]))
        text = text[:pos] + char + text[pos + (how == "replace"):]
    return text


@settings(max_examples=600, **COMMON)
@given(text=datetime_candidates())
def test_is_datetime_agrees_with_oracle(text):
    assert v.is_datetime(text) == oracle.oracle_datetime(text), text
