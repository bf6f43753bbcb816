"""CSMS churn: the CSMS restarts, or the network drops, 20 times during charging sessions; the ledger keeps the
same invariants as after power cuts (duplicates only of a message in flight, at most one per disruption)."""

import asyncio
import random

from tests.reliability import ledger_checks
from tests.reliability.test_power_cut_torture import session, settle
from tests.station_process import run, station_env

DISRUPTIONS = 20


def test_csms_churn(tmp_path, record_property):
    async def body():
        rng = random.Random(1122)
        async with station_env(tmp_path) as (csms, station):
            await csms.wait_for("BootNotification", timeout=10)
            await csms.call("CP1", "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "1"})
            # Sessions that begin while the link is down start offline, so every one of them is a transaction.
            await csms.call("CP1", "ChangeConfiguration", {"key": "AllowOfflineTxForUnknownId", "value": "true"})
            for n in range(DISRUPTIONS):
                task = asyncio.ensure_future(session(station, rng, n, hold=(1.0, 2.5)))
                await asyncio.sleep(rng.uniform(0.05, 1.2))
                if n % 2:
                    await csms.stop(abort=True)
                    await asyncio.sleep(rng.uniform(0.1, 0.8))
                    await csms.start()
                else:
                    await station.post("/network", up=False)
                    await asyncio.sleep(rng.uniform(0.1, 0.8))
                    await station.post("/network", up=True)
                await task
            await settle(station, csms)
            counts = ledger_checks.check(csms.ledger, DISRUPTIONS)
            print("\nCSMS churn:", counts)
            record_property("figures", repr(counts))
            assert counts["transactions"] == DISRUPTIONS and counts["meter_values"] >= DISRUPTIONS // 2
    run(body())
