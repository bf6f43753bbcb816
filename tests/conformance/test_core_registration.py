"""Core profile over real WebSockets: registration, heartbeat, status, reconnect (OCTT TC_001, TC_002, X-CORE)."""

import asyncio

from tests.station_process import run, station_env


def test_tc_001_cold_boot_rejected_then_accepted(tmp_path):
    async def body():
        async with station_env(tmp_path, boot=[("Rejected", 2), ("Accepted", 300)]) as (csms, station):
            first = await csms.wait_for("BootNotification", timeout=10)
            mark = csms.mark()
            # X-CORE-01: while Rejected the station answers nothing.
            try:
                await csms.call("CP1", "GetConfiguration", {}, timeout=1)
                raise AssertionError("the station answered while Rejected")
            except asyncio.TimeoutError:
                pass
            second = await csms.wait_for("BootNotification", after=mark, timeout=5)
            assert second["t"] - first["t"] >= 1.9, "Boot retried only after the interval"
            calls_between = [e for e in csms.ledger[:csms.ledger.index(second)]
                             if e["dir"] == "in" and e["kind"] == "CALL" and e["action"] != "BootNotification"]
            assert calls_between == [], "nothing but Boot before Accepted"
            for connector in (0, 1, 2):
                await csms.wait_for("StatusNotification", lambda p, c=connector: p["connectorId"] == c and
                                    p["status"] == "Available", after=mark)
    run(body())


def test_tc_002_cold_boot_pending(tmp_path):
    async def body():
        async with station_env(tmp_path, boot=[("Pending", 2), ("Accepted", 300)]) as (csms, station):
            await csms.wait_for("BootNotification", timeout=10)
            everything = await csms.call("CP1", "GetConfiguration", {})
            assert any(k["key"] == "MeterValueSampleInterval" for k in everything["configurationKey"])
            answer = await csms.call("CP1", "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "17"})
            assert answer == {"status": "Accepted"}
            mark = csms.mark()
            await station.post("/plug", connector=1)
            await csms.wait_for("BootNotification", after=mark, timeout=5)
            own = [e["action"] for e in csms.ledger[mark:] if e["dir"] == "in" and e["kind"] == "CALL"]
            assert own[0] == "BootNotification", "nothing of its own while Pending: " + repr(own)
            await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 1 and p["status"] == "Preparing",
                                after=mark)
            value = await csms.call("CP1", "GetConfiguration", {"key": ["MeterValueSampleInterval"]})
            assert value["configurationKey"][0]["value"] == "17"
    run(body())


def test_x_core_06_heartbeat_and_clock(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await csms.wait_for("BootNotification", timeout=10)
            assert (await csms.call("CP1", "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "1"})) == \
                {"status": "Accepted"}
            mark = csms.mark()
            first = await csms.wait_for("Heartbeat", after=mark, timeout=3)
            second = await csms.wait_for("Heartbeat", after=csms.ledger.index(first) + 1, timeout=3)
            assert 0.8 <= second["t"] - first["t"] <= 2.0
            state = await station.state()
            assert state["clock_set"], "the clock was set from the CSMS"
    run(body())


def test_x_core_07_reconnect_without_boot(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2, timeout=10)
            await station.post("/network", up=False)
            await asyncio.sleep(0.3)
            await station.post("/plug", connector=1)
            await station.post("/fault", connector=2, error_code="GroundFailure", info="RCD trip")
            await asyncio.sleep(0.4)
            mark = csms.mark()
            await station.post("/network", up=True)
            await csms.wait_connected("CP1", timeout=5)
            faulted = await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2, after=mark)
            assert faulted["payload"]["status"] == "Faulted" and faulted["payload"]["errorCode"] == "GroundFailure"
            await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 1 and p["status"] == "Preparing",
                                after=mark)
            assert not csms.received("BootNotification")[1:], "no new Boot after a reconnect"
    run(body())


def test_csms_restart_reconnects_with_backoff(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2, timeout=10)
            await csms.stop(abort=True)
            await asyncio.sleep(1.5)
            await csms.start()
            await csms.wait_connected("CP1", timeout=5)
            assert len(csms.received("BootNotification")) == 1
            state = await station.state()
            assert state["online"] and state["registration"] == "accepted"
    run(body())


def test_x_core_08_minimum_status_duration(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2, timeout=10)
            await csms.call("CP1", "ChangeConfiguration", {"key": "MinimumStatusDuration", "value": "2"})
            mark = csms.mark()
            await station.post("/plug", connector=1)
            await asyncio.sleep(0.5)
            await station.post("/unplug", connector=1)
            await asyncio.sleep(2.5)
            assert not [e for e in csms.ledger[mark:] if e["action"] == "StatusNotification"], "short status hidden"
            await station.post("/plug", connector=1)
            entry = await csms.wait_for("StatusNotification", after=mark, timeout=4)
            assert entry["payload"]["status"] == "Preparing"
    run(body())


def test_subprotocol_refused_then_accepted(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await csms.wait_for("BootNotification", timeout=10)
            csms.omit_subprotocol = True
            await csms.drop("CP1")
            await asyncio.sleep(1.5)
            assert not csms.connected("CP1"), "a connection without ocpp1.6 is not kept"
            assert "ocpp1.6" in station.log_text()
            csms.omit_subprotocol = False
            await csms.wait_connected("CP1", timeout=5)
    run(body())
