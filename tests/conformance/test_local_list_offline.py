"""Local Authorization List semantics over real WebSockets, offline included (X-LAL-01 ... X-LAL-04, X-LAL-06), and
the Remote Trigger's NotImplemented rule (X-RT-04).

The same checks run as fake-clock core scenarios in tests/micropython/lal_trigger_scenarios.py; here the station is
its own process, the bench CSMS validates every frame, and offline means the control API's network is down.
"""

import asyncio

from tests.conformance.test_core_transactions import ready, status, until
from tests.conformance.test_local_list_remote_trigger import _answer_then_call, change, send_list, version
from tests.micropython.lal_trigger_scenarios import entry
from tests.station_process import run, station_env


async def link(station, up, timeout=10):
    """Network down or up, and wait until the station itself sees it."""
    await station.post("/network", up=up)
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while (await station.state())["online"] is not up:
        assert loop.time() < end, "the station never saw the network " + ("up" if up else "down")
        await asyncio.sleep(0.05)


async def offline(station):
    await link(station, False)


async def online(csms, station):
    await link(station, True)
    await csms.wait_connected("CP1")


async def held(station, value, what):
    """The station's own status for connector 1 (reported or not) is `value`, and stays so a moment."""
    await asyncio.sleep(0.4)
    state = await station.state()
    assert state["connectors"][1]["status"] == value, what + ": " + repr(state["connectors"][1])


async def preparing(station, what):
    await until(station, lambda c: c["status"] == "Preparing", what, part="station")


async def present_again(station, tag):
    """A second presentation of the same tag cancels its identification: the connector is Available again."""
    await station.post("/tag", id_tag=tag, connector=1)
    await until(station, lambda c: c["status"] == "Available", tag + " cancelled", part="station")


def test_x_lal_01_differential_semantics(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            await change(csms, "LocalPreAuthorize", "true")
            assert await send_list(csms, 1, [entry("A"), entry("B", "Blocked")]) == "Accepted"
            assert await send_list(csms, 2, [entry("C"), {"idTag": "A"}], "Differential") == "Accepted"
            mark = csms.mark()
            await station.post("/tag", id_tag="c", connector=1)                # added; compared case-insensitively
            await status(csms, 1, "Preparing", after=mark)
            assert csms.received("Authorize") == [], "C is on the list: pre-authorized"
            await present_again(station, "c")
            await station.post("/tag", id_tag="A", connector=1)                # deleted: the CSMS is asked
            await csms.wait_for("Authorize", lambda p: p["idTag"] == "A", after=mark)
            await present_again(station, "A")
            assert await send_list(csms, 3, [], "Differential") == "Accepted" and await version(csms) == 3
            assert await send_list(csms, 4, [{"idTag": "D"}]) == "Failed", "a Full entry needs idTagInfo"
            assert await version(csms) == 3
            assert await send_list(csms, 4, []) == "Accepted" and await version(csms) == 0, "Full, empty: cleared"
    run(body())


def test_x_lal_02_limits_and_invalid_lists(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            keys = await csms.call("CP1", "GetConfiguration", {"key": ["LocalAuthListMaxLength",
                                                                       "SendLocalListMaxLength"]})
            limits = dict((k["key"], int(k["value"])) for k in keys["configurationKey"])
            total, per_request = limits["LocalAuthListMaxLength"], limits["SendLocalListMaxLength"]
            assert [k["readonly"] for k in keys["configurationKey"]] == [True, True]
            tags = ["T%06d" % i for i in range(total + 1)]
            assert await send_list(csms, 1, [entry(t) for t in tags[:per_request + 1]]) == "Failed"   # > n
            assert await send_list(csms, 1, [entry("DUP"), entry("dup")]) == "Failed"                 # twice
            assert await send_list(csms, -1, [entry("NEG")]) == "Failed"                              # negative
            assert await version(csms) == 0
            v = 0
            for at in range(0, total, per_request):                                            # fill it up: m
                v += 1
                kind = "Full" if at == 0 else "Differential"
                assert await send_list(csms, v, [entry(t) for t in tags[at:at + per_request]], kind) == "Accepted"
            assert await send_list(csms, v + 1, [entry(tags[total])], "Differential") == "Failed"       # > m
            assert await version(csms) == v
            await change(csms, "LocalPreAuthorize", "true")
            mark = csms.mark()
            await station.post("/tag", id_tag=tags[total], connector=1)        # the refused update left no trace
            await csms.wait_for("Authorize", lambda p: p["idTag"] == tags[total], after=mark)
            await present_again(station, tags[total])
            assert await send_list(csms, v + 1, [entry(tags[total]), {"idTag": tags[0]}], "Differential") == \
                "Accepted", "a delete makes room"
            mark = csms.mark()
            await station.post("/tag", id_tag=tags[total - 1], connector=1)    # the last of 10,000: from the list
            await status(csms, 1, "Preparing", after=mark)
            assert not [e for e in csms.ledger[mark:] if e["action"] == "Authorize"], "a listed tag, no Authorize"
    run(body())


def test_x_lal_03_list_beats_cache_never_cached_offline_per_config(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            mark = csms.mark()
            await station.post("/tag", id_tag="TAG1", connector=1)             # the CSMS says Accepted: cached
            await status(csms, 1, "Preparing", after=mark)
            await present_again(station, "TAG1")
            assert await send_list(csms, 1, [entry("TAG1", "Blocked"), entry("TAG2")]) == "Accepted"
            mark = csms.mark()
            await station.post("/tag", id_tag="TAG2", connector=1)             # answered while listed: not cached
            await csms.wait_for("Authorize", lambda p: p["idTag"] == "TAG2", after=mark)
            await status(csms, 1, "Preparing", after=mark)
            await present_again(station, "TAG2")
            await change(csms, "LocalPreAuthorize", "true")
            mark = csms.mark()
            await station.post("/tag", id_tag="TAG2", connector=1)             # online: pre-authorized
            await status(csms, 1, "Preparing", after=mark)
            assert not [e for e in csms.ledger[mark:] if e["action"] == "Authorize"], "LocalPreAuthorize"
            await present_again(station, "TAG2")
            await offline(station)
            await station.post("/tag", id_tag="TAG1", connector=1)
            await held(station, "Available", "the list's Blocked wins over the cached Accepted")
            await station.post("/tag", id_tag="TAG2", connector=1)             # LocalAuthorizeOffline (true)
            await preparing(station, "a listed Accepted tag is authorized offline")
            await present_again(station, "TAG2")
            await online(csms, station)
            await change(csms, "LocalAuthorizeOffline", "false")
            await offline(station)
            await station.post("/tag", id_tag="TAG2", connector=1)
            await held(station, "Available", "LocalAuthorizeOffline false: not even a listed tag offline")
            await online(csms, station)
            await change(csms, "LocalAuthorizeOffline", "true")
            await change(csms, "LocalAuthListEnabled", "false")                # only the cache is left
            await offline(station)
            await station.post("/tag", id_tag="TAG2", connector=1)
            await held(station, "Available", "TAG2 was only ever on the list: never cached")
            await station.post("/tag", id_tag="TAG1", connector=1)
            await preparing(station, "TAG1 is in the cache as Accepted")
            await online(csms, station)
    run(body())


def test_x_lal_04_non_accepted_and_expired_entries(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            listed = [entry("OLD", expiryDate="2020-01-01T00:00:00Z"), entry("BLK", "Blocked"),
                      entry("INV", "Invalid"), entry("EXP", "Expired")]
            assert await send_list(csms, 1, listed) == "Accepted"
            await change(csms, "LocalPreAuthorize", "true")
            await offline(station)
            for tag in ("OLD", "BLK", "INV", "EXP"):
                await station.post("/tag", id_tag=tag, connector=1)
                await held(station, "Available", tag + " refused offline")
            await online(csms, station)
            mark = csms.mark()
            await station.post("/tag", id_tag="OLD", connector=1)              # online the CSMS may say otherwise
            await csms.wait_for("Authorize", lambda p: p["idTag"] == "OLD", after=mark)
            await status(csms, 1, "Preparing", after=mark)
            assert not [e for e in csms.ledger[mark:] if e["action"] == "StartTransaction"]
    run(body())


def test_x_lal_06_disabled_list_is_not_used(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            assert await send_list(csms, 4, [entry("TAG1")]) == "Accepted"
            await change(csms, "LocalPreAuthorize", "true")
            await change(csms, "LocalAuthListEnabled", "false")
            assert await version(csms) == -1
            mark = csms.mark()
            await station.post("/tag", id_tag="TAG1", connector=1)
            await csms.wait_for("Authorize", lambda p: p["idTag"] == "TAG1", after=mark)
            await status(csms, 1, "Preparing", after=mark)
            await present_again(station, "TAG1")
            await change(csms, "LocalAuthListEnabled", "true")
            assert await version(csms) == 4, "enabled again: the same list"
    run(body())


def test_x_rt_04_every_message_implemented(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await ready(csms)
            for message in ("BootNotification", "DiagnosticsStatusNotification", "FirmwareStatusNotification",
                            "Heartbeat", "MeterValues", "StatusNotification"):
                mark = csms.mark()
                got = (await csms.call("CP1", "TriggerMessage", {"requestedMessage": message}))["status"]
                assert got != "NotImplemented", message
                if message == "BootNotification":
                    assert got == "Rejected", "registered already (X-RT-02)"
                    continue
                assert got == "Accepted", message
                await csms.wait_for(message, after=mark)
                payload = _answer_then_call(csms, mark, message)
                if message.endswith("StatusNotification") and message != "StatusNotification":
                    assert payload == {"status": "Idle"}, "nothing running: Idle"
            reply = await csms.send_raw("CP1", '[2,"rt-04","TriggerMessage",{"requestedMessage":"Coffee"}]')
            assert reply[:3] == [4, "rt-04", "PropertyConstraintViolation"], "outside MessageTrigger: " + repr(reply)
            mark = csms.mark()
            assert (await csms.call("CP1", "TriggerMessage", {"requestedMessage": "Heartbeat"}))["status"] == \
                "Accepted"
            await csms.wait_for("Heartbeat", after=mark)
    run(body())
