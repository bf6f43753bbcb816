"""hardware.md §6 failure modes end to end: a fault inside an emulated device, noticed by the real driver, reaches
the CSMS as the right StatusNotification errorCode, and charging reacts as the table says."""

import asyncio

import pytest

from tests.conformance.test_core_transactions import charge, ready, until
from tests.station_process import run, station_env


async def faulted_with(csms, connector, code, mark, timeout=8):
    entry = await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == connector and
                                p["status"] == "Faulted" and p["errorCode"] == code, after=mark, timeout=timeout)
    return entry["payload"]


@pytest.mark.parametrize("kind,code,row", [
    ("rcd-trip", "GroundFailure", 12),
    ("diode-short", "EVCommunicationError", 16),
    ("weld", "PowerSwitchFailure", 9),
])
def test_fault_during_a_session_stops_it(tmp_path, kind, code, row):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await charge(csms, station)
            await until(station, lambda hw: hw["contactor"], "charging")
            mark = csms.mark()
            await station.post("/device-fault", connector=1, kind=kind)
            if kind == "weld":             # a weld shows when the station tries to open the contactor
                await station.post("/tag", id_tag="TAG1")
            await faulted_with(csms, 1, code, mark)
            stop = await csms.wait_for("StopTransaction", after=mark)
            assert stop["payload"]["reason"] in ("Other", "Local"), "row %d" % row
            if kind != "weld":
                await until(station, lambda hw: not hw["contactor"], "contactor opened (row %d)" % row)
            await station.post("/clear-fault", connector=1)
            await station.post("/unplug", connector=1)
            await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 1 and p["status"] ==
                                "Available", after=mark, timeout=8)
    run(body())


def test_row_4_meter_lost(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            mark = csms.mark()
            await station.post("/device-fault", connector=2, kind="meter-offline")
            payload = await faulted_with(csms, 2, "PowerMeterFailure", mark)
            assert payload["info"]
            await station.post("/clear-fault", connector=2)
            await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2 and p["status"] ==
                                "Available", after=mark, timeout=8)
    run(body())


def test_row_1_reader_dead(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            mark = csms.mark()
            await station.post("/device-fault", connector=0, kind="reader-dead")
            await faulted_with(csms, 0, "ReaderFailure", mark, timeout=15)
            await station.post("/clear-fault", connector=0)
            await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 0 and p["status"] ==
                                "Available", after=mark, timeout=15)
    run(body())


def test_row_14_cp_short(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await station.post("/plug", connector=1)
            await until(station, lambda c: c["plugged"], "EV seen", part="station")
            mark = csms.mark()
            await station.post("/device-fault", connector=1, kind="cp-short")
            payload = await faulted_with(csms, 1, "OtherError", mark)
            assert payload["info"]
    run(body())


def test_row_22_lock_jam_at_start(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await station.post("/device-fault", connector=1, kind="lock-jam")
            mark = csms.mark()
            await station.post("/plug", connector=1)
            await station.post("/tag", id_tag="TAG1", connector=1)
            await faulted_with(csms, 1, "ConnectorLockFailure", mark)
            await asyncio.sleep(0.5)
            assert not csms.received("StartTransaction")
    run(body())


def test_row_21_restart_with_ev_in_c(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await charge(csms, station)
            await until(station, lambda hw: hw["contactor"], "charging")
            await station.kill()
            mark = csms.mark()
            await station.start()
            stop = await csms.wait_for("StopTransaction", after=mark, timeout=15)
            assert stop["payload"]["reason"] == "PowerLoss"
            entry = await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 1, after=mark)
            assert entry["payload"]["status"] in ("Preparing", "Finishing"), "not a fault: " + repr(entry)
    run(body())
