"""Runs every tests/micropython/*_suite.py under CPython and under MicroPython 1.27 (WebAssembly port via
tools/micropython/run.mjs), checks the harness itself, and checks the flash footprint tool.

The MicroPython tests fail, never skip, when Node or the interpreter is missing: CI must not pass
without having run them. Heap figures are printed (visible with pytest -s).
"""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUITE_DIR = os.path.join(ROOT, "tests", "micropython")
RUN_MJS = os.path.join(ROOT, "tools", "micropython", "run.mjs")
PACKAGE_DIR = os.path.join(
    ROOT, "tools", "micropython", "node_modules", "@micropython", "micropython-webassembly-pyscript"
)
PINNED_VERSION = "1.27.0"
FOOTPRINT = os.path.join(ROOT, "tools", "mpy_footprint.py")

SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$")
SUITE_TIMEOUT_S = 240
HARNESS_TIMEOUT_S = 60

SUITES = sorted(name for name in os.listdir(SUITE_DIR) if name.endswith("_suite.py"))


def _require_micropython():
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH: install Node.js >= 18, then run `make setup-micropython`")
    package_json = os.path.join(PACKAGE_DIR, "package.json")
    if not os.path.exists(package_json):
        pytest.fail(
            "MicroPython WebAssembly port not installed (%s missing): run `make setup-micropython`"
            % os.path.relpath(PACKAGE_DIR, ROOT)
        )
    with open(package_json, encoding="utf-8") as f:
        version = json.load(f)["version"]
    if version != PINNED_VERSION:
        pytest.fail("installed MicroPython port is %s, want %s: run `make setup-micropython`" % (version, PINNED_VERSION))


def _run_mpy(args, timeout=HARNESS_TIMEOUT_S, cwd=ROOT):
    _require_micropython()
    return subprocess.run(
        ["node", RUN_MJS] + list(args), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def _run_cpython(script):
    return subprocess.run(
        [sys.executable, script], cwd=ROOT, capture_output=True, text=True, timeout=SUITE_TIMEOUT_S, check=False
    )


def _assert_suite_passed(label, proc):
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("HEAP "):
            print("%s %s" % (label, line))
    detail = "%s exited %d\n--- stdout ---\n%s\n--- stderr ---\n%s" % (label, proc.returncode, proc.stdout, proc.stderr)
    failures = [line for line in lines if line.startswith("FAIL ")]
    assert not failures, detail
    assert proc.returncode == 0, detail
    assert lines, detail
    match = SUMMARY.match(lines[-1])
    assert match, "last line is not 'N passed, M failed'\n" + detail
    assert int(match.group(2)) == 0, detail
    assert int(match.group(1)) >= 1, "the suite ran no check\n" + detail


@pytest.mark.parametrize("suite", SUITES)
def test_suite_on_cpython(suite):
    proc = _run_cpython(os.path.join("tests", "micropython", suite))
    _assert_suite_passed("%s [cpython]" % suite, proc)


@pytest.mark.parametrize("suite", SUITES)
def test_suite_on_micropython(suite):
    proc = _run_mpy([os.path.join("tests", "micropython", suite)], timeout=SUITE_TIMEOUT_S)
    _assert_suite_passed("%s [micropython]" % suite, proc)


# -- the harness itself --------------------------------------------------------------------------


def _script(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_harness_runs_micropython_with_the_project_tree(tmp_path):
    script = _script(
        tmp_path,
        "where.py",
        "import sys, os\n"
        "print('impl', sys.implementation.name, sys.implementation.version[:2])\n"
        "print('argv', sys.argv[1:])\n"
        "print('cwd', os.getcwd())\n"
        "print('suite_copied', 'suite.py' in os.listdir('tests/micropython'))\n"
        "print('tail', end='')\n",
    )
    proc = _run_mpy([script, "one", "two"])
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert "impl micropython (1, 27)" in out
    assert "argv ['one', 'two']" in out
    assert "cwd /project" in out
    assert "suite_copied True" in out
    assert out[-1] == "tail"  # a last line without newline is not lost


def test_harness_exit_status_follows_the_script(tmp_path):
    boom = _script(tmp_path, "boom.py", "def f():\n    raise ValueError('boom')\nf()\n")
    proc = _run_mpy([boom])
    assert proc.returncode == 1
    assert "ValueError: boom" in proc.stderr
    assert "boom.py\", line 2, in f" in proc.stderr

    exits = _script(tmp_path, "exits.py", "import sys\nsys.exit(5)\n")
    assert _run_mpy([exits]).returncode == 5


def test_harness_asyncio_run_waits_for_the_coroutine(tmp_path):
    script = _script(
        tmp_path,
        "aio.py",
        "import asyncio, sys\n"
        "async def main():\n"
        "    await asyncio.sleep(0)\n"
        "    print('main done')\n"
        "    sys.exit(4)\n"
        "asyncio.run(main())\n",
    )
    proc = _run_mpy([script])
    assert proc.stdout.splitlines() == ["main done"], proc.stderr
    assert proc.returncode == 4

    stuck = _script(
        tmp_path, "stuck.py", "import asyncio\nasync def main():\n    await asyncio.Event().wait()\nasyncio.run(main())\n"
    )
    proc = _run_mpy([stuck])
    assert proc.returncode == 1
    assert "never finished" in proc.stderr


def test_harness_board_profile_hides_modules_a_board_lacks(tmp_path):
    script = _script(
        tmp_path,
        "profile.py",
        "import os, collections\n"
        "for name in ('logging', 'functools', 'itertools', 'datetime'):\n"
        "    try:\n"
        "        __import__(name)\n"
        "        print(name, 'importable')\n"
        "    except ImportError:\n"
        "        print(name, 'missing')\n"
        "print('os.path', hasattr(os, 'path'), 'defaultdict', hasattr(collections, 'defaultdict'))\n",
    )
    proc = _run_mpy([script])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "logging missing",
        "functools missing",
        "itertools missing",
        "datetime missing",
        "os.path False defaultdict False",
    ]
    # The same build without the profile has them, which is why the profile exists.
    proc = _run_mpy(["--no-board-profile", script])
    assert "logging importable" in proc.stdout.splitlines()


def test_harness_heap_budget_is_reported_and_enforced_on_request(tmp_path):
    script = _script(tmp_path, "big.py", "keep = [bytearray(1000) for _ in range(400)]\nprint('allocated')\n")
    proc = _run_mpy([script])
    assert proc.returncode == 0, proc.stderr
    assert "heap budget exceeded" in proc.stderr
    assert _run_mpy(["--strict-heap", script]).returncode == 3
    assert _run_mpy(["--strict-heap", "--heap", "1m", script]).returncode == 0


CHURN_SUITE = """
import sys
sys.path.insert(0, "/project/tests/micropython")
import suite
suite.imported()

def churn():
    for _ in range(100):
        bytearray(1000)  # 100 KB of garbage per check

for i in range(20):
    suite.check("churn_%d" % i, churn)
suite.finish()
"""


def test_suite_checks_get_garbage_collected_between_them(tmp_path):
    # 2 MB of garbage in all: it fits a 256 KiB heap only if the port collects between checks.
    proc = _run_mpy(["--strict-heap", _script(tmp_path, "churn_suite.py", CHURN_SUITE)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == "20 passed, 0 failed"
    # The same churn in one synchronous run is never collected.
    flat = _script(tmp_path, "flat.py", "for _ in range(2000):\n    bytearray(1000)\n")
    assert _run_mpy(["--strict-heap", flat]).returncode == 3


def test_harness_usage_errors(tmp_path):
    assert _run_mpy(["--heap", "lots", "x.py"]).returncode == 2
    assert _run_mpy([str(tmp_path / "missing.py")]).returncode == 2


# -- flash footprint -----------------------------------------------------------------------------


def _footprint(*args):
    return subprocess.run(
        [sys.executable, FOOTPRINT] + list(args), cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def _flash_bytes(stdout):
    last = stdout.strip().splitlines()[-1]
    match = re.match(r"^FLASH_BYTES=(\d+)$", last)
    assert match, "last line is not FLASH_BYTES=<n>: %r" % last
    return int(match.group(1))


def test_footprint_of_the_tree():
    proc = _footprint()
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _flash_bytes(proc.stdout) > 0


def _write(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_footprint_skips_cpython_only_modules(tmp_path):
    kept = [
        "controller/__init__.py",
        "controller/core.py",
        "controller/runtime/micropython.py",
        "controller/runtime/micropython_ws/client.py",
        "drivers/hal/machine_hal.py",
        "boards/esp32_s3.py",
    ]
    skipped = [
        "controller/runtime/__init__.py",
        "controller/runtime/cpython.py",
        "drivers/hal/linux.py",
        "drivers/hal/linux_gpio.py",
    ]
    for rel in kept + skipped:
        _write(tmp_path, rel, "VALUE = %r\n\ndef f(x):\n    return x + 1\n" % rel)
    _write(tmp_path, "boards/desktop-sim.json", '{"not": "python"}')

    proc = _footprint("--root", str(tmp_path), "--top", "100")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    listed = dict(
        (line.split()[1], int(line.split()[0])) for line in proc.stdout.splitlines() if line.startswith("  ")
    )
    assert sorted(listed) == sorted(kept)
    assert _flash_bytes(proc.stdout) == sum(listed.values())
    assert not list(tmp_path.rglob("*.mpy")), "mpy-cross wrote into the tree"


def test_footprint_reports_syntax_micropython_rejects(tmp_path):
    _write(tmp_path, "controller/ok.py", "X = 1\n")
    _write(tmp_path, "controller/merge.py", "a = {'x': 1}\nb = {**a}\n")
    proc = _footprint("--root", str(tmp_path))
    assert proc.returncode == 1
    assert "ERROR controller/merge.py" in proc.stderr
    assert _flash_bytes(proc.stdout) > 0
