"""The real station over real WebSockets, for conformance tests.

`station_env(tmp_path, ...)` starts a bench CSMS and the station (`python -m controller.runtime.cli run`) on
loopback and yields both; on exit it stops them and fails the test if the CSMS saw a protocol violation or the
station recorded an illegal status transition.
"""

import asyncio
import contextlib
import sys

from bench_csms import BenchCSMS
from controller.runtime.child_station import StationProcess



@contextlib.asynccontextmanager
async def station_env(tmp_path, boot=None, csms_kwargs=None, start=True, **settings):
    csms = BenchCSMS(**(csms_kwargs or {}))
    if boot:
        csms.boot_responses = list(boot)
    await csms.start()
    scheme = "wss" if settings.get("security_profile", 0) >= 2 else "ws"
    station = StationProcess(tmp_path, csms.url.replace("ws://", scheme + "://", 1), **settings)
    try:
        if start:
            await station.start()
        yield csms, station
        if station.proc is not None and station.proc.returncode is None:
            state = await station.wait_api()          # after a Reset the control API may still be coming back
            assert state["violations"] == [], state["violations"]
        csms.assert_clean()
    except BaseException:
        sys.stderr.write("---- station log ----\n" + station.log_text() + "\n---- CSMS ledger ----\n" +
                         csms.tail(25) + "\n")
        raise
    finally:
        await station.stop()
        await csms.stop()


def run(coro):
    return asyncio.run(coro)
