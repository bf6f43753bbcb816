"""Power-cut torture: SIGKILL the station at random instants of scripted charging sessions, restart it on the
same data directory, and check the bench CSMS ledger: every transaction started once and stopped once, meter
values in order, nothing lost, at most one duplicate per cut (the message in flight)."""

import asyncio
import random

from tests.reliability import ledger_checks
from tests.station_process import run, station_env

CUTS = 50


async def session(station, rng, number, hold=(0.1, 1.2)):
    connector = rng.choice((1, 2))
    tag = "T%03d" % number
    await station.post("/unplug", connector=connector)
    await station.post("/plug", connector=connector)
    await station.post("/tag", id_tag=tag, connector=connector)
    await asyncio.sleep(rng.uniform(*hold))
    await station.post("/tag", id_tag=tag)
    await asyncio.sleep(rng.uniform(0.0, 0.3))
    await station.post("/unplug", connector=connector)


async def settle(station, csms, timeout=30):
    """Stop whatever still runs and wait until the journal is empty."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        state = await station.state()
        for c in state["connectors"][1:]:
            if c["transaction"]:
                await station.post("/unplug", connector=c["id"])
        if state["online"] and state["registration"] == "accepted" and state["journal_backlog"] == 0 and \
                not any(c["transaction"] for c in state["connectors"]):
            return state
        await asyncio.sleep(0.2)
    raise AssertionError("the station did not settle: " + repr(state))


def test_power_cut_torture(tmp_path, record_property):
    async def body():
        rng = random.Random(20261122)
        async with station_env(tmp_path) as (csms, station):
            await csms.wait_for("BootNotification", timeout=10)
            await csms.call("CP1", "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "1"})
            for cut in range(CUTS):
                task = asyncio.ensure_future(session(station, rng, cut))
                await asyncio.sleep(rng.uniform(0.05, 1.5))
                await station.kill()
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                await station.start()
            await settle(station, csms)
            counts = ledger_checks.check(csms.ledger, CUTS)
            print("\npower-cut torture:", counts)
            record_property("figures", repr(counts))
            assert counts["transactions"] >= CUTS // 3, "the sessions really ran: " + repr(counts)
    run(body())
