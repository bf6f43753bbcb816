"""controller.validate gives the same answers on MicroPython 1.27 as on CPython.

A fixed corpus (every action and direction: valid payloads and single mutations, plus date-time
strings) is built on CPython, run through validate on the MicroPython WebAssembly port with
tools/micropython/run.mjs, and the results compared. Skipped when Node or the port is not installed
(`make setup-micropython`).
"""

import json
import os
import shutil
import subprocess

import pytest

from controller.validate import is_datetime, validate
import payload_gen as gen
import validation_oracle as oracle
from gen_tool import ROOT

RUNNER = os.path.join(ROOT, "tools", "micropython", "run.mjs")
PORT = os.path.join(ROOT, "tools", "micropython", "node_modules", "@micropython",
                    "micropython-webassembly-pyscript", "micropython.mjs")

pytestmark = pytest.mark.skipif(not (shutil.which("node") and os.path.exists(RUNNER) and os.path.exists(PORT)),
                                reason="MicroPython WebAssembly port not installed")

SCRIPT = r'''
import json
from controller.validate import validate, is_datetime
cases = json.loads(CORPUS)
out = []
for action, response, payload in cases["payloads"]:
    r = validate(action, payload, response)
    out.append(None if r is None else list(r))
dates = [is_datetime(s) for s in cases["dates"]]
try:
    validate("FooBar", {})
    unknown = "no error"
except KeyError:
    unknown = "KeyError"
print("RESULT " + json.dumps({"payloads": out, "dates": dates, "unknown": unknown}))
'''


def corpus():
    ch = gen.RandomChooser(1627)
    payloads = []
    for action, response in oracle.MESSAGES:
        schema = oracle.load_schema(action, response)
        for _ in range(2):
            payload = gen.valid_value(schema, schema, ch)
            payloads.append((action, response, payload))
            options = gen.mutation_options(schema, schema, payload)
            for kind in sorted(options):
                path, sub = ch.choice(options[kind])
                payloads.append((action, response, gen.mutate(payload, schema, kind, path, sub, ch)[0]))
    payloads.append(("SetChargingProfile", False, {"connectorId": True, "csChargingProfiles": {}}))
    dates = [gen.valid_datetime(ch) for _ in range(200)] + gen.BAD_DATETIMES
    return {"payloads": payloads, "dates": dates}


def test_micropython_agrees_with_cpython(tmp_path):
    cases = corpus()
    script = tmp_path / "validate_corpus.py"
    script.write_text("CORPUS = " + repr(json.dumps(cases)) + "\n" + SCRIPT, encoding="utf-8")
    run = subprocess.run(["node", RUNNER, "--heap", "8m", str(script)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    line = [ln for ln in run.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    got = json.loads(line[len("RESULT "):])

    expected = [validate(a, p, r) for a, r, p in cases["payloads"]]
    expected = [None if e is None else list(e) for e in expected]
    assert sum(e is None for e in expected) >= 150 and sum(e is not None for e in expected) >= 300
    for case, mine, theirs in zip(cases["payloads"], expected, got["payloads"]):
        assert mine == theirs, case
    assert got["dates"] == [is_datetime(s) for s in cases["dates"]]
    assert got["unknown"] == "KeyError"
