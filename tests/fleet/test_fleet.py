"""Fleet mode: many stations in one process against the bench CSMS over real WebSockets; shards; the shipped
systemd template unit and Kubernetes Job run the shards they promise."""

import asyncio
import json
import os
import re
import subprocess
import sys

from bench_csms import BenchCSMS
from controller.runtime.fleet.runner import ShardError, parse_shard, shard_ids

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STATIONCTL = [sys.executable, "-m", "controller.runtime.cli"]
ENV = dict(os.environ, PYTHONPATH=ROOT)


async def _fleet(csms_url, tmp_path, name, *extra):
    summary = tmp_path / (name + ".json")
    ledger = tmp_path / (name + ".jsonl")
    proc = await asyncio.create_subprocess_exec(
        *STATIONCTL, "fleet", "--csms", csms_url, "--summary-json", str(summary), "--ledger", str(ledger),
        "--progress", "2", *extra, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=ENV,
        cwd=ROOT)
    out, _ = await proc.communicate()
    text = out.decode()
    assert proc.returncode == 0, text
    lines = [json.loads(line) for line in ledger.read_text().splitlines()]
    return json.loads(summary.read_text()), lines, text


def test_fleet_sessions_two_shards_against_one_csms(tmp_path):
    """Two shard processes, 12 stations in all, fast churn with MeterValues every 2 s: every station connects
    once, every session the fleet counts is in the CSMS's ledger, Start and Stop pair up, nothing repeats."""

    async def scenario():
        async with BenchCSMS() as csms:
            common = ("--count", "12", "--id-prefix", "FT", "--behaviour", "churn", "--stay", "5",
                      "--meter-interval", "2", "--duration", "12", "--data-dir", str(tmp_path / "data"))
            results = await asyncio.gather(_fleet(csms.url, tmp_path, "s0", "--shard", "0/2", *common),
                                           _fleet(csms.url, tmp_path, "s1", "--shard", "1/2", *common))
            csms.assert_clean()
            return csms.ledger, results

    ledger, results = asyncio.run(scenario())
    boots = {e["cp"] for e in ledger if e["dir"] == "in" and e["action"] == "BootNotification"}
    assert boots == set(shard_ids("FT", 12)), boots
    started = sum(r[0]["sessions_started"] for r in results)
    stopped = sum(r[0]["sessions_stopped"] for r in results)
    starts = [e for e in ledger if e["dir"] == "in" and e["kind"] == "CALL" and e["action"] == "StartTransaction"]
    stops = [e for e in ledger if e["dir"] == "in" and e["kind"] == "CALL" and e["action"] == "StopTransaction"]
    assert started >= 12 and len(starts) == started, (started, len(starts))
    assert len(stops) == stopped and stopped >= 12
    assert len({e["id"] for e in starts + stops}) == len(starts) + len(stops), "a transaction message repeated"
    tx_ids = {e["payload"]["transactionId"] for e in ledger
              if e["dir"] == "out" and e["kind"] == "CALLRESULT" and e["action"] == "StartTransaction"}
    assert {e["payload"]["transactionId"] for e in stops} <= tx_ids
    meters = [e for e in ledger if e["dir"] == "in" and e["kind"] == "CALL" and e["action"] == "MeterValues"]
    assert meters, "sessions of 5 s with a 2 s sample interval must send MeterValues"
    for summary, lines, text in results:
        assert summary["stations"] == 6 and summary["errors"] == {}, summary
        assert summary["late_over_1s"] == 0, summary
        assert summary["csms_latency_ms"]["p99"] is not None
        assert len(lines) == summary["frames_out"] + summary["frames_in"]
        assert {line["dir"] for line in lines} == {"out", "in"}
        assert "fleet summary:" in text and "fleet:" in text.splitlines()[1]
    # the delivered energy of a stopped session is what the EV model drew: 32 A x 3 x 230 V = 22,080 W
    for stop in stops:
        assert stop["payload"]["meterStop"] >= 0


def test_fleet_idle_stations_sleep(tmp_path):
    """Idle stations wake only for their core's deadlines: far less than once a second each."""

    async def scenario():
        async with BenchCSMS() as csms:
            result = await _fleet(csms.url, tmp_path, "idle", "--count", "40", "--behaviour", "idle",
                                  "--duration", "5")
            csms.assert_clean()
            return csms.ledger, result

    ledger, (summary, lines, text) = asyncio.run(scenario())
    assert summary["online_at_end"] == 40 and summary["sessions_started"] == 0
    assert summary["timer_wakeups"] < 40 * 5 / 2, summary["timer_wakeups"]
    assert not [e for e in ledger if e["action"] in ("StartTransaction", "MeterValues")]


def test_shards_partition_the_ids():
    for count in (1, 7, 100, 2001):
        for m in (1, 2, 3, 8):
            parts = [shard_ids("CP", count, (k, m)) for k in range(m)]
            flat = [cp for part in parts for cp in part]
            assert flat == shard_ids("CP", count) and len(set(flat)) == count
            assert max(len(p) for p in parts) - min(len(p) for p in parts) <= 1
    assert shard_ids("CP", 12)[0] == "CP00" and shard_ids("CP", 12)[-1] == "CP11"
    for bad in ("3/3", "1", "a/2", "1/0", "-1/2"):
        try:
            parse_shard(bad)
        except ShardError as e:
            assert "--shard" in str(e)
        else:
            raise AssertionError(bad + " must be refused")


def _list_ids(argv, env=None):
    return subprocess.run(argv + ["--list-ids"], capture_output=True, text=True, check=True, env=env or ENV,
                          cwd=ROOT).stdout.split()


def test_systemd_template_unit_runs_every_shard_once():
    unit = open(os.path.join(ROOT, "deploy", "fleet", "station-fleet@.service")).read()
    exec_start = re.search(r"^ExecStart=(.+)$", unit, re.M).group(1)
    m = int(re.search(r"--shard %i/(\d+)", exec_start).group(1))
    count = int(re.search(r"--count (\d+)", exec_start).group(1))
    seen = []
    for i in range(m):
        words = exec_start.replace("%i", str(i)).replace("${CSMS_URL}", "ws://127.0.0.1:9/ocpp").split()
        assert words[0].endswith("/stationctl") and words[1] == "fleet"
        seen += _list_ids(STATIONCTL + words[1:])
    assert seen == shard_ids("FLEET", count)


def test_kubernetes_indexed_job_runs_every_shard_once(tmp_path):
    job = open(os.path.join(ROOT, "deploy", "fleet", "fleet-job.yaml")).read()
    assert re.search(r"^\s+completionMode: Indexed$", job, re.M)
    completions = int(re.search(r"^\s+completions: (\d+)$", job, re.M).group(1))
    script = re.search(r"- >-\n((?:\s{14}.+\n)+)", job).group(1)
    script = " ".join(line.strip() for line in script.splitlines())
    assert ('--shard "${JOB_COMPLETION_INDEX}/' + str(completions) + '"') in script
    count = int(re.search(r"--count (\d+)", script).group(1))
    shim = tmp_path / "stationctl"
    shim.write_text("#!/bin/sh\nexec " + " ".join(STATIONCTL) + ' "$@"\n')
    shim.chmod(0o755)
    seen = []
    for i in range(completions):
        env = dict(ENV, JOB_COMPLETION_INDEX=str(i), CSMS_URL="ws://127.0.0.1:9/ocpp",
                   PATH=str(tmp_path) + os.pathsep + os.environ["PATH"])
        seen += subprocess.run(["sh", "-c", script + " --list-ids"], capture_output=True, text=True, check=True,
                               env=env, cwd=ROOT).stdout.split()
    assert seen == shard_ids("FLEET", count)


def test_fleet_help_and_bad_shard():
    help_text = subprocess.run(STATIONCTL + ["fleet", "--help"], capture_output=True, text=True, env=ENV,
                               cwd=ROOT).stdout
    for flag in ("--csms", "--count", "--id-prefix", "--shard", "--behaviour", "--ledger"):
        assert flag in help_text
    bad = subprocess.run(STATIONCTL + ["fleet", "--csms", "ws://x", "--count", "5", "--shard", "4/4"],
                         capture_output=True, text=True, env=ENV, cwd=ROOT)
    assert bad.returncode == 2 and "K must be below M" in bad.stderr
