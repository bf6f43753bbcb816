"""sd_notify against a real station process: READY, WATCHDOG fed only while the hardware poll makes progress,
STATUS following the CSMS link, STOPPING on SIGTERM. The fake systemd is a real AF_UNIX datagram socket."""

import asyncio
import os
import time

from controller.runtime import systemd_notify
from tests.deploy.notify_listener import NotifyListener
from tests.station_process import run, station_env

WATCHDOG_MS = 2000      # fed every 500 ms; a poll late by 1000 ms stops the feeding


def _abstract_name():
    return "@station-test-" + str(os.getpid()) + "-" + str(time.monotonic_ns())


def test_ready_watchdog_status_and_stopping_over_an_abstract_socket(tmp_path):
    async def body():
        async with NotifyListener(_abstract_name()) as sd:
            async with station_env(tmp_path, extra_env=sd.env(WATCHDOG_MS)) as (csms, station):
                ready = await sd.wait("READY", "1")
                await sd.wait("STATUS", "CSMS link up, registration accepted; hardware ok", since=ready)
                start = time.monotonic()
                await asyncio.sleep(2.5)
                fed = sd.times("WATCHDOG", since=start)
                assert len(fed) >= 3, "WATCHDOG=1 about every 500 ms: " + repr(fed)
                assert not sd.times("WATCHDOG", until=ready - 0.001), "no watchdog before READY"

                await station.post("/network", up=False)
                down = await sd.wait("STATUS", "CSMS link down", since=start)
                await station.post("/network", up=True)
                await sd.wait("STATUS", "CSMS link up, registration accepted", since=down)
                proc = station.proc
                stop_at = time.monotonic()
            assert proc.returncode == 0
            await sd.wait("STOPPING", "1", since=stop_at, timeout=5)
            assert sd.values("READY") == ["1"], "READY once"
    run(body())


def test_no_watchdog_while_the_hardware_poll_is_frozen(tmp_path):
    async def body():
        async with NotifyListener(str(tmp_path / "notify")) as sd:
            async with station_env(tmp_path, extra_env=sd.env(WATCHDOG_MS)) as (csms, station):
                await sd.wait("STATUS", "registration accepted; hardware ok")
                await sd.wait("WATCHDOG", "1")
                t0 = time.monotonic()
                await station.post("/freeze-poll", seconds=4)
                stalled = await sd.wait("STATUS", "hardware poll stalled", since=t0, timeout=4)
                # the event loop still runs: the control API answers and the CSMS link is served
                state = await station.state()
                assert state["online"] is True
                answer = await csms.call("CP1", "GetConfiguration", {"key": ["HeartbeatInterval"]}, timeout=5)
                assert answer["configurationKey"][0]["key"] == "HeartbeatInterval"
                await sd.wait("STATUS", "hardware ok", since=stalled, timeout=8)
                resumed = await sd.wait("WATCHDOG", "1", since=stalled, timeout=3)
                # the poll hangs from about t0 to t0 + 4 s; feeding stops once it is late by 1 s (+ a tick)
                during = sd.times("WATCHDOG", since=t0 + 1.6, until=t0 + 3.9)
                assert during == [], "WATCHDOG=1 sent while the poll was frozen: " + repr([t - t0 for t in during])
                assert resumed - t0 >= 3.9, "fed again only after the poll came back"
                log = station.log_text()
                assert "the systemd watchdog is no longer fed" in log
                assert "the hardware poll is making progress again" in log
    run(body())


def test_a_path_socket_gets_each_line_and_a_missing_one_is_not_fatal(tmp_path):
    async def body():
        async with NotifyListener(str(tmp_path / "sd.sock")) as sd:
            notifier = systemd_notify.Notifier.from_env({"NOTIFY_SOCKET": str(tmp_path / "sd.sock")})
            notifier.send("READY=1", "STATUS=hello")
            await sd.wait("STATUS", "hello", timeout=2)
            assert sd.messages[-1][1] == {"READY": "1", "STATUS": "hello"}
            notifier.close()
        gone = systemd_notify.Notifier.from_env({"NOTIFY_SOCKET": str(tmp_path / "nobody")})
        gone.send("WATCHDOG=1")     # logged once, not raised
        gone.close()
    run(body())


def test_watchdog_settings_from_the_environment():
    assert systemd_notify.Notifier.from_env({}) is None
    assert systemd_notify.Notifier.from_env({"NOTIFY_SOCKET": "vsock:2:3"}) is None
    assert systemd_notify.watchdog_ms({"WATCHDOG_USEC": "30000000"}) == 30000
    assert systemd_notify.watchdog_ms({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}) == 30000
    assert systemd_notify.watchdog_ms({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert systemd_notify.watchdog_ms({"WATCHDOG_USEC": "0"}) is None
    assert systemd_notify.watchdog_ms({}) is None


def test_freeze_poll_rejects_bad_durations(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            for bad in (0, -1, True, "5", 601):
                try:
                    await station.post("/freeze-poll", seconds=bad)
                    raise AssertionError("accepted seconds=" + repr(bad))
                except ValueError as e:
                    assert "seconds must be a number" in str(e)
    run(body())
