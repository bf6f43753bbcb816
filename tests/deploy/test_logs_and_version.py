"""The station's log on stdout as journald keeps it (priority prefixes when JOURNAL_STREAM is stdout) and as
JSON lines; `stationctl --version` against the BootNotification the bench CSMS received."""

import asyncio
import json
import os
import re
import subprocess
import sys

from controller import log
from controller.runtime import log_output
from controller.runtime.child_station import ROOT
from tests.station_process import run, station_env

JOURNAL_LINE = re.compile(r"^<[3-7]>[a-z_]+: \S")


async def _connect_and_drop(csms, station):
    await csms.wait_for("StatusNotification", timeout=15)
    await station.post("/network", up=False)        # a warning line
    await station.post("/network", up=True)
    for _ in range(150):
        if (await station.state())["online"] is True:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the station did not come back online")


def _lines(station):
    with open(station.log_path, encoding="utf-8") as f:
        return f.read().splitlines()


def test_journal_prefixes_when_stdout_is_the_journal_stream(tmp_path):
    log_path = tmp_path / "station.log"
    log_path.write_bytes(b"")
    st = os.stat(log_path)

    async def body():
        async with station_env(tmp_path, stdout_file=True,
                               extra_env={"JOURNAL_STREAM": str(st.st_dev) + ":" + str(st.st_ino)}) as (csms, station):
            await _connect_and_drop(csms, station)
            await station.state()
        return station

    station = run(body())
    lines = _lines(station)
    assert lines, "the station logged nothing"
    bad = [line for line in lines if not JOURNAL_LINE.match(line)]
    assert bad == [], "lines journald would not read as one prioritised event: " + repr(bad[:5])
    assert any(line.startswith("<6>runtime: connected to ws://") for line in lines)
    assert any(line.startswith("<4>runtime: network dropped") for line in lines)


def test_a_redirected_stdout_keeps_the_text_form(tmp_path):
    async def body():
        # JOURNAL_STREAM inherited from a service, but stdout is a pipe: no prefixes
        async with station_env(tmp_path, extra_env={"JOURNAL_STREAM": "1:1"}) as (csms, station):
            await csms.wait_for("StatusNotification", timeout=15)
        return station

    lines = _lines(run(body()))
    assert any(re.match(r"^\d\d:\d\d:\d\d\.\d{3} INFO  runtime  connected to ws://", line) for line in lines)
    assert not any(line.startswith("<") for line in lines)


def test_log_format_json_gives_one_object_per_line(tmp_path):
    async def body():
        async with station_env(tmp_path, extra_args=["--log-format", "json"]) as (csms, station):
            await _connect_and_drop(csms, station)
        return station

    lines = _lines(run(body()))
    records = [json.loads(line) for line in lines]      # every line is one JSON object
    for r in records:
        assert sorted(r) == ["level", "logger", "msg", "ts"], r
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", r["ts"]), r
        assert r["level"] in ("debug", "info", "warning", "error")
    assert any(r["logger"] == "runtime" and r["msg"].startswith("connected to ws://") for r in records)
    assert any(r["level"] == "warning" and r["msg"] == "network dropped" for r in records)


def test_a_message_never_spans_lines():
    assert log_output.format_line("journal", log.ERROR, "rpc", "bad\nframe", 0) == "<3>rpc: bad\\nframe"
    assert log_output.format_line("text", log.DEBUG, "rpc", "a\r\nb", 0).endswith(" a\\r\\nb")
    assert json.loads(log_output.format_line("json", log.INFO, "rpc", "a\nb", 0))["msg"] == "a\nb"
    assert "\n" not in log_output.format_line("json", log.INFO, "rpc", "a\nb", 0)


def test_version_is_the_boot_notifications_firmware_version(tmp_path):
    out = subprocess.run([sys.executable, "-m", "controller.runtime.cli", "--version"], cwd=ROOT,
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    name, version = out.stdout.split()
    assert name == "stationctl" and re.match(r"^\d+\.\d+\.\d+", version), out.stdout

    async def body():
        async with station_env(tmp_path) as (csms, station):
            boot = await csms.wait_for("BootNotification", timeout=15)
            return boot["payload"]["firmwareVersion"]

    assert run(body()) == version
