"""`python -m bench_csms`: help, argument errors, and a stand-alone run that prints the frames."""

import asyncio
import os
import re
import signal
import subprocess
import sys

from tests.bench_csms.rawstation import RawStation, async_test

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = dict(os.environ, PYTHONPATH=ROOT)


def test_help():
    done = subprocess.run([sys.executable, "-m", "bench_csms", "--help"], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    for option in ("--host", "--port", "--boot", "--tls-cert", "--tls-key", "--client-ca", "--basic-auth"):
        assert option in done.stdout


def test_bad_basic_auth_argument():
    done = subprocess.run([sys.executable, "-m", "bench_csms", "--basic-auth", "CP001:nothex"], cwd=ROOT,
                          env=ENV, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "CPID:HEXKEY" in done.stderr


async def read_until(stream, pattern):
    while True:
        line = (await asyncio.wait_for(stream.readline(), 10)).decode()
        assert line, "bench CSMS exited early"
        match = re.search(pattern, line)
        if match:
            return match


@async_test
async def test_stand_alone_run_prints_frames():
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench_csms", "--port", "0", "--boot", "Pending", "--interval", "7",
        cwd=ROOT, env=ENV, stdout=asyncio.subprocess.PIPE)
    try:
        url = (await read_until(process.stdout, r"connect stations to (\S+)/<chargePointId>")).group(1)
        station = await RawStation.connect(url)
        answer = (await station.boot())[2]
        assert (answer["status"], answer["interval"]) == ("Pending", 7)
        await read_until(process.stdout, r"CP001 → CALL +BootNotification")
        await read_until(process.stdout, r'CP001 ← CALLRESULT +BootNotification .*"status":"Pending"')
        await station.close()
        process.send_signal(signal.SIGINT)
        await read_until(process.stdout, r"2 frames, 0 violations")
        assert await asyncio.wait_for(process.wait(), 10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
