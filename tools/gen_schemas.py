"""Generate controller/ocpp_schemas.py from the OCPP 1.6 JSON schemas shipped by the ocpp package.

A developer tool (CPython). It compiles every request and response schema of the core and security
messages into the compact node tuples that controller/validate.py walks on CPython and MicroPython,
interns repeated sub-schemas and drops all descriptive text. A schema keyword the validator does not
implement stops the generator, so a new ocpp release cannot weaken validation silently.
"""

import argparse
import difflib
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Node kinds, written into the generated module for controller/validate.py to import.
OBJECT, ARRAY, STRING, INTEGER, NUMBER, BOOLEAN = 0, 1, 2, 3, 4, 5

DEFAULT_OUTPUT = os.path.join(ROOT, "controller", "ocpp_schemas.py")

KINDS = {"object": OBJECT, "array": ARRAY, "string": STRING, "integer": INTEGER,
         "number": NUMBER, "boolean": BOOLEAN}
# Keywords that carry no constraint for a validator.
METADATA = {"$schema", "$id", "id", "title", "description", "javaType", "definitions", "comment"}
ALLOWED = {
    "object": {"type", "properties", "required", "additionalProperties"},
    "array": {"type", "items", "minItems", "maxItems", "additionalItems"},
    "string": {"type", "maxLength", "enum", "format", "additionalProperties"},
    "integer": {"type", "minimum", "maximum", "multipleOf", "enum"},
    "number": {"type", "minimum", "maximum", "multipleOf", "enum"},
    "boolean": {"type"},
}
# uri is not checked, by the ocpp package or by us.
FORMATS = {"date-time": True, "uri": False}


def default_schema_dir():
    import ocpp.v16
    return os.path.join(os.path.dirname(ocpp.v16.__file__), "schemas")


class SchemaError(ValueError):
    pass


def _resolve(schema, root, where):
    seen = 0
    while "$ref" in schema:
        if len(schema) != 1:
            raise SchemaError(where + ": $ref with sibling keywords")
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            raise SchemaError(where + ": external $ref " + ref)
        schema = root
        for part in ref[2:].split("/"):
            schema = schema[part]
        seen += 1
        if seen > 20:
            raise SchemaError(where + ": $ref loop")
    return schema


def compile_schema(schema, root=None, where="#"):
    """Compile one JSON schema (draft-04 subset used by OCPP 1.6) into a compact node tuple."""
    if root is None:
        root = schema
    schema = _resolve(schema, root, where)
    kind = schema.get("type")
    if not isinstance(kind, str) or kind not in KINDS:
        raise SchemaError(where + ": unsupported type " + repr(kind))
    unknown = set(schema) - METADATA - ALLOWED[kind]
    if unknown:
        raise SchemaError(where + ": unsupported keywords " + ", ".join(sorted(unknown)))
    if kind == "object":
        props = schema.get("properties", {})
        names = tuple(props)
        nodes = tuple(compile_schema(props[n], root, where + "/" + n) for n in names)
        required = tuple(schema.get("required", ()))
        missing = [n for n in required if n not in props]
        if missing:
            raise SchemaError(where + ": required but undefined " + ", ".join(missing))
        extra = schema.get("additionalProperties", True)
        if extra not in (True, False):
            raise SchemaError(where + ": additionalProperties must be a boolean")
        return (OBJECT, names, nodes, required, not extra)
    if kind == "array":
        items = schema.get("items")
        if isinstance(items, list):
            raise SchemaError(where + ": tuple-style items")
        # additionalItems only matters with tuple-style items (draft-04), so it is ignored here.
        item = None if items is None else compile_schema(items, root, where + "[]")
        return (ARRAY, item, schema.get("minItems"), schema.get("maxItems"))
    if kind == "boolean":
        return (BOOLEAN,)
    if kind == "string":
        fmt = schema.get("format")
        if fmt is not None and fmt not in FORMATS:
            raise SchemaError(where + ": unsupported format " + fmt)
        enum = schema.get("enum")
        node = (STRING, schema.get("maxLength"), None if enum is None else tuple(enum),
                bool(fmt and FORMATS[fmt]))
    else:
        enum = schema.get("enum")
        node = (KINDS[kind], schema.get("minimum"), schema.get("maximum"),
                schema.get("multipleOf"), None if enum is None else tuple(enum))
    # Unconstrained leaves are the bare kind: smaller, and the validator stops after the type check.
    constrained = [c for c in node[1:] if c is not None and c is not False]
    return node if constrained else node[:1]
def load_schemas(schema_dir):
    """Return {action: (request_schema, response_schema)} for every action in `schema_dir`."""
    files = set(f for f in os.listdir(schema_dir) if f.endswith(".json"))
    actions = {}
    for name in sorted(files):
        if name.endswith("Response.json"):
            continue
        action = name[:-5]
        if action + "Response.json" not in files:
            raise SchemaError(name + ": no response schema")
        pair = []
        for fname in (name, action + "Response.json"):
            with open(os.path.join(schema_dir, fname), encoding="utf-8") as f:
                pair.append(json.load(f))
        actions[action] = tuple(pair)
    orphans = [f for f in files if f.endswith("Response.json") and f[:-13] not in actions]
    if orphans:
        raise SchemaError("response schemas without a request: " + ", ".join(sorted(orphans)))
    return actions


def _literal(value):
    """Python source for a nested tuple of constants, written out in full: mpy-cross then stores the whole
    table as one constant, which a frozen build keeps in flash (naming shared parts would build them in RAM)."""
    if not (isinstance(value, tuple) and value):
        return repr(value)
    return "(" + ", ".join(_literal(part) for part in value) + ("," if len(value) == 1 else "") + ")"


HEADER = '''\
# Generated by tools/gen_schemas.py from the OCPP 1.6 JSON schemas shipped by the ocpp package.
# Do not edit by hand: run `python tools/gen_schemas.py` to regenerate.
"""Compact OCPP 1.6 payload schemas (core and security messages), walked by controller.validate.

ACTIONS is the sorted tuple of every known OCPP 1.6 action name; NODES[i] is (request node, response
node) of ACTIONS[i]. Both are tuples of constants only, so a frozen firmware keeps them in flash, not in
the heap (controller.validate finds an action by its index). A node is a tuple whose first item is its kind:
    (OBJECT, names, nodes, required, closed)   names/nodes are parallel tuples; closed: no other keys
    (ARRAY, item, min_items, max_items)        item is None when the items are unconstrained
    (STRING, max_length, enum, is_date_time)
    (INTEGER, minimum, maximum, multiple_of, enum)
    (NUMBER, minimum, maximum, multiple_of, enum)
    (BOOLEAN,)
Absent constraints are None; a STRING, INTEGER or NUMBER without any is just (KIND,).
"""

OBJECT = %d
ARRAY = %d
STRING = %d
INTEGER = %d
NUMBER = %d
BOOLEAN = %d
''' % (OBJECT, ARRAY, STRING, INTEGER, NUMBER, BOOLEAN)


def render(schema_dir=None):
    """Return the source text of controller/ocpp_schemas.py for the schemas in `schema_dir`."""
    schemas = load_schemas(schema_dir or default_schema_dir())
    compiled = []
    for action in sorted(schemas):
        request, response = schemas[action]
        compiled.append((action, compile_schema(request, where=action),
                         compile_schema(response, where=action + "Response")))
    out = [HEADER, "ACTIONS = ("]
    out.extend("    %r," % action for action, _, _ in compiled)
    out.append(")")
    out.append("")
    out.append("NODES = (")
    for action, request, response in compiled:
        out.append("    # %s" % action)
        out.append("    (%s,\n     %s)," % (_literal(request), _literal(response)))
    out.append(")")
    return "\n".join(out) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Generate controller/ocpp_schemas.py, the compact OCPP 1.6 schemas used by "
                    "controller/validate.py, from the JSON schemas of the installed ocpp package.")
    parser.add_argument("--schemas", metavar="DIR",
                        help="directory of OCPP 1.6 JSON schemas (default: the ocpp package's v16/schemas)")
    parser.add_argument("--output", metavar="FILE", default=DEFAULT_OUTPUT,
                        help="module to write (default: controller/ocpp_schemas.py)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 and show a diff if FILE is not up to date")
    args = parser.parse_args(argv)
    try:
        text = render(args.schemas)
    except SchemaError as e:
        print("gen_schemas: " + str(e), file=sys.stderr)
        return 2
    if args.check:
        try:
            with open(args.output, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = ""
        if current == text:
            return 0
        sys.stdout.writelines(difflib.unified_diff(
            current.splitlines(True), text.splitlines(True), args.output, "regenerated"))
        return 1
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote %s (%d bytes)" % (args.output, len(text.encode("utf-8"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
