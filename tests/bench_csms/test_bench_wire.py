"""The bench CSMS over real WebSockets, driven by a hand-written raw-frame client (not our station)."""

import asyncio
import contextlib
import json
from urllib.parse import unquote

import pytest
from ocpp.exceptions import FormatViolationError, NotSupportedError
from websockets.exceptions import ConnectionClosed, InvalidStatus

from bench_csms import BenchCSMS, StationCallError, is_rfc3339
from bench_csms.validation import ERROR_CODES
from tests.bench_csms.rawstation import BOOT, RawStation, async_test

STATUS = {"connectorId": 1, "errorCode": "NoError", "status": "Available", "timestamp": "2024-01-01T00:00:00Z"}
METER_VALUES = {"connectorId": 1,
                "meterValue": [{"timestamp": "2024-01-01T00:00:00Z", "sampledValue": [{"value": "1"}]}]}


@contextlib.asynccontextmanager
async def bench(cp_id="CP001", **kwargs):
    """A started BenchCSMS and a RawStation connected to it."""
    csms = BenchCSMS(**kwargs)
    await csms.start()
    station = await RawStation.connect(csms.url, cp_id)
    try:
        await csms.wait_connected(unquote(cp_id))
        yield csms, station
    finally:
        await station.close()
        await csms.stop()


def violations_text(csms):
    with pytest.raises(AssertionError) as info:
        csms.assert_clean()
    return str(info.value)


# ---- answers to the station ------------------------------------------------------------------------

@async_test
async def test_boot_rejected_pending_accepted_sequence():
    async with bench() as (csms, station):
        csms.boot_responses = [("Rejected", 0), ("Pending", 0), ("Accepted", 60)]
        answers = [(await station.boot())[2] for _ in range(4)]
        assert [(a["status"], a["interval"]) for a in answers] == [
            ("Rejected", 0), ("Pending", 0), ("Accepted", 60), ("Accepted", 300)]
        assert all(is_rfc3339(a["currentTime"]) for a in answers)
        assert csms.received("BootNotification") == [BOOT] * 4
        assert csms.registration["CP001"][0] == "Accepted"
        csms.assert_clean()


@async_test
async def test_registration_rejected_means_silence():
    async with bench() as (csms, station):
        csms.boot_responses = [("Rejected", 60), ("Rejected", 60)]
        await station.boot()
        assert (await station.call("Heartbeat", {}))[0] == 3   # still answered, but flagged
        await station.boot()
        call = asyncio.ensure_future(csms.call("CP001", "GetConfiguration", {}, timeout=5))
        await station.answer_next({"configurationKey": []})
        await call
        text = violations_text(csms)
        assert "sent Heartbeat while its registration is Rejected" in text
        assert "BootNotification retried" in text and "interval 60s" in text
        assert "answered GetConfiguration while its registration is Rejected" in text
        csms.violations.clear()
        # A rebooted station (new connection) may boot at once.
        await station.close()
        station = await RawStation.connect(csms.url)
        assert (await station.boot())[2]["status"] == "Accepted"
        await station.close()
        csms.assert_clean()


@async_test
async def test_registration_pending_allows_only_boot_and_triggered_messages():
    async with bench() as (csms, station):
        csms.boot_responses = [("Pending", 60)]
        await station.boot()
        trigger = asyncio.ensure_future(csms.call("CP001", "TriggerMessage", {"requestedMessage": "Heartbeat"}))
        await station.answer_next({"status": "Accepted"})
        assert await trigger == {"status": "Accepted"}
        await station.call("Heartbeat", {})
        csms.assert_clean()
        await station.call("StatusNotification", STATUS)
        assert "sent StatusNotification while its registration is Pending" in violations_text(csms)


@async_test
async def test_default_answers_use_the_id_tag_table():
    async with bench() as (csms, station):
        csms.id_tags = {"ABC": {"status": "Accepted", "parentIdTag": "P"}, "BAD": {"status": "Invalid"}}
        assert (await station.call("Authorize", {"idTag": "ABC"}))[2] == {
            "idTagInfo": {"status": "Accepted", "parentIdTag": "P"}}
        assert (await station.call("Authorize", {"idTag": "NEW"}))[2] == {"idTagInfo": {"status": "Accepted"}}
        start = {"connectorId": 1, "idTag": "BAD", "meterStart": 0, "timestamp": "2024-01-01T00:00:00Z"}
        first = (await station.call("StartTransaction", start))[2]
        second = (await station.call("StartTransaction", dict(start, idTag="ABC")))[2]
        assert first["idTagInfo"] == {"status": "Invalid"}
        assert second["transactionId"] > first["transactionId"]
        stop = {"transactionId": 1, "meterStop": 10, "timestamp": "2024-01-01T01:00:00Z"}
        assert (await station.call("StopTransaction", stop))[2] == {}
        answer = (await station.call("StopTransaction", dict(stop, idTag="BAD")))[2]
        assert answer == {"idTagInfo": {"status": "Invalid"}}
        csms.assert_clean()


@async_test
async def test_responders_delays_and_silence():
    async with bench() as (csms, station):
        async def blocked(cp_id, payload):
            return {"idTagInfo": {"status": "Blocked"}}
        csms.responders["Authorize"] = blocked
        csms.responders["DataTransfer"] = lambda cp_id, payload: {"status": "UnknownVendorId"}
        csms.responders["Heartbeat"] = NotSupportedError
        csms.responders["StatusNotification"] = FormatViolationError
        csms.responders["MeterValues"] = StationCallError("GenericError", "try later", {"n": 1})
        csms.responders["FirmwareStatusNotification"] = lambda cp_id, payload: 1 / 0   # a bug in a test
        csms.delay["DiagnosticsStatusNotification"] = 0.01
        csms.silent.add("SecurityEventNotification")

        assert (await station.call("Authorize", {"idTag": "X"}))[2] == {"idTagInfo": {"status": "Blocked"}}
        assert (await station.call("DataTransfer", {"vendorId": "V"}))[2] == {"status": "UnknownVendorId"}
        assert await station.call("Heartbeat", {}, "h") == [4, "h", "NotSupported", ERROR_CODES["NotSupported"], {}]
        assert (await station.call("StatusNotification", STATUS))[2] == "FormationViolation"
        assert (await station.call("MeterValues", METER_VALUES))[2:] == [
            "GenericError", "try later", {"n": 1}]
        assert (await station.call("FirmwareStatusNotification", {"status": "Idle"}))[2] == "InternalError"
        assert (await station.call("DiagnosticsStatusNotification", {"status": "Idle"}))[0] == 3
        # Silence: no answer, and the next CALL is answered first without an "outstanding CALL" violation.
        await station.send([2, "s1", "SecurityEventNotification",
                            {"type": "StartupOfTheDevice", "timestamp": "2024-01-01T00:00:00Z"}])
        assert (await station.call("Heartbeat", {}, "h2"))[1] == "h2"
        csms.assert_clean()


# ---- validation of what the station sends -------------------------------------------------------------

BAD_INPUT = [
    # frames sent, text expected in a violation, expected answer (code / "CALLRESULT" / None for no answer)
    ([[2, "a", "Heartbeat", {"extra": 1}]], "Additional properties are not allowed", "FormationViolation"),
    ([[2, "a", "StatusNotification", {"connectorId": 1, "errorCode": "NoError"}]],
     "'status' is a required property", "ProtocolError"),
    ([[2, "a", "StatusNotification", dict(STATUS, connectorId="1")]], "is not of type 'integer'",
     "TypeConstraintViolation"),
    ([[2, "a", "StatusNotification", dict(STATUS, timestamp="2024-01-01 10:00:00Z")]],
     "is not an RFC 3339 date-time", "PropertyConstraintViolation"),
    ([[2, "a", "MeterValues", {"connectorId": 1, "meterValue": [
        {"timestamp": "2024-06-31T00:00:00Z", "sampledValue": [{"value": "1"}]}]}]],
     "meterValue/0/timestamp: '2024-06-31T00:00:00Z' is not an RFC 3339", "PropertyConstraintViolation"),
    ([[2, "x" * 37, "Heartbeat", {}]], "is 37 characters long, at most 36", "CALLRESULT"),
    ([[2, "dup", "Heartbeat", {}], [2, "dup", "Heartbeat", {}]], "CALL id 'dup' was already used", "CALLRESULT"),
    ([[2, "a", "FooBar", {}]], "unknown action 'FooBar'", "NotImplemented"),
    ([[2, "a", "Reset", {"type": "Hard"}]], "Reset is sent by a central system", "NotSupported"),
    (['[2,"a","Heartbeat",{}'], "not valid JSON", None),
    ([[2, "a", "Heartbeat"]], "CALL has 3 elements, must have 4", "FormationViolation"),
    ([[7, "a", {}]], "unknown MessageTypeId 7", None),
    ([b'[2,"a","Heartbeat",{}]'], "binary WebSocket frame", "CALLRESULT"),
    ([[3, "zzz", {}]], "CALLRESULT for a message id we never sent: 'zzz'", None),
    ([[4, "zzz", "FormatViolation", "", {}]], "1.6 spells it FormationViolation", None),
]


@pytest.mark.parametrize("frames, expected, answer", BAD_INPUT)
@async_test
async def test_violations_are_recorded(frames, expected, answer):
    async with bench() as (csms, station):
        replies = []
        for frame in frames:
            await station.send(frame)
            if answer is not None:
                replies.append(await station.recv())
        # Nothing else is pending: the next answer received is the one to this Heartbeat.
        assert (await station.call("Heartbeat", {}, "probe"))[1] == "probe"
        if answer == "CALLRESULT":
            assert all(reply[0] == 3 for reply in replies)
        elif answer is not None:
            assert replies[-1][0] == 4 and replies[-1][2] == answer
        assert expected in violations_text(csms)
        assert csms.ledger[-1]["action"] == "Heartbeat"


@async_test
async def test_second_call_while_one_is_unanswered():
    async with bench() as (csms, station):
        gate = asyncio.Event()

        async def slow(cp_id, payload):
            await gate.wait()
            return {"idTagInfo": {"status": "Accepted"}}
        csms.responders["Authorize"] = slow
        await station.send([2, "first", "Authorize", {"idTag": "A"}])
        await csms.wait_for("Authorize")
        await station.send([2, "second", "Heartbeat", {}])
        assert (await station.recv())[1] == "second"
        gate.set()
        assert (await station.recv())[1] == "first"
        assert "sent Heartbeat while its Authorize CALL 'first' is still unanswered" in violations_text(csms)


@async_test
async def test_station_call_timeout_lets_a_station_move_on():
    async with bench() as (csms, station):
        csms.station_call_timeout = 0
        gate = asyncio.Event()

        async def slow(cp_id, payload):
            await gate.wait()
            return {}
        csms.responders["StatusNotification"] = slow
        await station.send([2, "first", "StatusNotification", STATUS])
        await csms.wait_for("StatusNotification")
        assert (await station.call("Heartbeat", {}, "second"))[1] == "second"
        gate.set()
        assert (await station.recv())[1] == "first"
        csms.assert_clean()


# ---- ledger ------------------------------------------------------------------------------------------

@async_test
async def test_ledger_entries_and_wait_for():
    async with bench() as (csms, station):
        await station.boot()
        call, result = csms.ledger[0], csms.ledger[1]
        assert (call["dir"], call["cp"], call["kind"], call["id"], call["action"], call["payload"]) == (
            "in", "CP001", "CALL", "m1", "BootNotification", BOOT)
        assert (result["dir"], result["kind"], result["id"], result["action"]) == (
            "out", "CALLRESULT", "m1", "BootNotification")
        assert result["latency_ms"] >= 0 and result["t"] >= call["t"]
        assert json.loads(result["raw"])[2] == result["payload"]

        mark = csms.mark()
        for status in ("Preparing", "Charging"):
            await station.call("StatusNotification", dict(STATUS, status=status))
        entry = await csms.wait_for("StatusNotification", lambda p: p["status"] == "Charging", after=mark)
        assert entry["payload"]["status"] == "Charging" and csms.ledger.index(entry) > mark
        assert (await csms.wait_for("StatusNotification", after=mark))["payload"]["status"] == "Preparing"
        with pytest.raises(asyncio.TimeoutError) as info:
            await csms.wait_for("StatusNotification", after=csms.mark(), timeout=0)
        assert "last ledger lines" in str(info.value) and "Charging" in str(info.value)
        assert [p["status"] for p in csms.received("StatusNotification")] == ["Preparing", "Charging"]
        assert csms.received(cp="OTHER") == []
        with pytest.raises(asyncio.TimeoutError):
            await csms.wait_connected("OTHER", timeout=0)
        csms.assert_clean()


# ---- driving the station -----------------------------------------------------------------------------

@async_test
async def test_call_returns_the_callresult():
    async with bench() as (csms, station):
        call = asyncio.ensure_future(csms.get_configuration("CP001", ["HeartbeatInterval"]))
        frame = await station.answer_next({"configurationKey": [
            {"key": "HeartbeatInterval", "readonly": False, "value": "300"}]})
        assert frame[0] == 2 and frame[2:] == ["GetConfiguration", {"key": ["HeartbeatInterval"]}]
        assert isinstance(frame[1], str) and len(frame[1]) <= 36
        assert (await call)["configurationKey"][0]["value"] == "300"
        assert csms.ledger[-1]["latency_ms"] is not None
        call = asyncio.ensure_future(csms.remote_start("CP001", "ABC", connector_id=1))
        frame = await station.answer_next({"status": "Rejected"})
        assert frame[2:] == ["RemoteStartTransaction", {"idTag": "ABC", "connectorId": 1}]
        assert await call == "Rejected"
        csms.assert_clean()


@async_test
async def test_call_raises_on_a_callerror():
    async with bench() as (csms, station):
        call = asyncio.ensure_future(csms.call("CP001", "Reset", {"type": "Hard"}))
        frame = await station.recv()
        await station.send([4, frame[1], "NotSupported", "no reset here", {"why": "test"}])
        with pytest.raises(StationCallError) as info:
            await call
        assert (info.value.code, info.value.description, info.value.details) == (
            "NotSupported", "no reset here", {"why": "test"})
        csms.assert_clean()


@async_test
async def test_invalid_station_answers_are_violations_but_still_returned():
    async with bench() as (csms, station):
        call = asyncio.ensure_future(csms.call("CP001", "Reset", {"type": "Soft"}))
        await station.answer_next({"status": "Maybe"})
        assert await call == {"status": "Maybe"}
        mark = csms.mark()
        await station.send([3, csms.ledger[-2]["id"], {"status": "Accepted"}])   # answered twice
        await csms.wait_for(kind="CALLRESULT", after=mark)
        text = violations_text(csms)
        assert "ResetResponse: status: 'Maybe' is not one of" in text
        assert "second answer to our CALL" in text


@async_test
async def test_call_refuses_invalid_requests_and_waits_its_turn():
    async with bench() as (csms, station):
        with pytest.raises(ValueError, match="'type' is a required property"):
            await csms.call("CP001", "Reset", {"kind": "Hard"})
        with pytest.raises(ValueError, match="not a CALL a central system sends"):
            await csms.call("CP001", "Heartbeat", {})
        with pytest.raises(ConnectionError):
            await csms.call("NOBODY", "Reset", {"type": "Hard"})
        assert csms.ledger == []
        # One outstanding CALL per direction: the second CALL goes out only after the first is answered.
        first = asyncio.ensure_future(csms.call("CP001", "ClearCache", {}))
        second = asyncio.ensure_future(csms.call("CP001", "Reset", {"type": "Hard"}))
        assert (await station.answer_next({"status": "Accepted"}))[2] == "ClearCache"
        assert (await station.answer_next({"status": "Accepted"}))[2] == "Reset"
        await asyncio.gather(first, second)
        kinds = [(e["dir"], e["kind"], e["action"]) for e in csms.ledger]
        assert kinds.index(("out", "CALL", "Reset")) > kinds.index(("in", "CALLRESULT", "ClearCache"))
        csms.assert_clean()


@async_test
async def test_call_timeout_and_late_answer():
    async with bench() as (csms, station):
        with pytest.raises(asyncio.TimeoutError, match="did not answer ClearCache"):
            await csms.call("CP001", "ClearCache", {}, timeout=0.05)
        frame = await station.recv()
        await station.send([3, frame[1], {"status": "Accepted"}])   # late, but for an id we sent
        await csms.wait_for(kind="CALLRESULT", after=1)
        csms.assert_clean()


@async_test
async def test_send_raw():
    async with bench() as (csms, station):
        raw = asyncio.ensure_future(csms.send_raw("CP001", "this is not json"))
        assert await station.ws.recv() == "this is not json"
        await station.send([4, "-1", "FormationViolation", "", {}])
        assert await raw == [4, "-1", "FormationViolation", "", {}]
        assert csms.ledger[0]["kind"] == "BAD" and csms.ledger[0]["dir"] == "out"

        raw = asyncio.ensure_future(csms.send_raw("CP001", '[2,"r1","Reset",{"type":"Hard"}]'))
        await station.answer_next({"status": "Accepted"})
        assert await raw == [3, "r1", {"status": "Accepted"}]
        assert csms.ledger[-1]["action"] == "Reset"

        assert await csms.send_raw("CP001", '[3,"nobody",{}]', expect_reply=False) is None
        assert await csms.send_raw("CP001", "[]", timeout=0.05, allow_timeout=True) is None
        with pytest.raises(asyncio.TimeoutError):
            await csms.send_raw("CP001", "[]", timeout=0.05)
        csms.assert_clean()


@async_test
async def test_drop_closes_abruptly():
    async with bench() as (csms, station):
        await csms.drop("CP001")
        assert not csms.connected("CP001")
        with pytest.raises(ConnectionClosed) as info:
            await station.recv()
        assert info.value.rcvd is None   # no close frame: like a network failure
        with pytest.raises(ConnectionError):
            await csms.call("CP001", "ClearCache", {})


@async_test
async def test_pending_call_fails_when_the_station_disconnects():
    async with bench() as (csms, station):
        call = asyncio.ensure_future(csms.call("CP001", "ClearCache", {}))
        await station.recv()
        await station.close()
        with pytest.raises(ConnectionError):
            await call


# ---- connections ---------------------------------------------------------------------------------

@async_test
async def test_restart_on_the_same_port():
    csms = BenchCSMS()
    await csms.start()
    port, url = csms.port, csms.url
    assert port != 0 and url == "ws://127.0.0.1:%d/ocpp" % port
    station = await RawStation.connect(url)
    await csms.wait_connected("CP001")
    await csms.stop()
    with pytest.raises(ConnectionClosed) as info:
        await station.recv()
    assert info.value.rcvd.code == 1001
    assert not csms.connected("CP001")

    await csms.start()
    assert csms.port == port
    station = await RawStation.connect(url)
    await csms.wait_connected("CP001")
    assert (await station.boot())[2]["status"] == "Accepted"
    await csms.stop(abort=True)
    with pytest.raises(ConnectionClosed) as info:
        await station.recv()
    assert info.value.rcvd is None
    csms.assert_clean()


@async_test
async def test_reconnect_replaces_the_old_connection():
    async with bench() as (csms, old):
        new = await RawStation.connect(csms.url)
        assert (await new.boot())[0] == 3
        with pytest.raises(ConnectionClosed):
            await old.recv()
        assert csms.connected("CP001") and len(csms.handshakes) == 2
        await new.close()


@async_test
async def test_charge_point_id_is_percent_decoded():
    async with bench("RDAM%20123") as (csms, station):
        handshake = await csms.wait_connected("RDAM 123")
        assert handshake["path"] == "/ocpp/RDAM%20123" and handshake["subprotocols"] == ["ocpp1.6"]
        assert station.ws.subprotocol == "ocpp1.6"
        await station.boot()
        assert csms.ledger[0]["cp"] == "RDAM 123"


@async_test
async def test_subprotocol_and_path_rules():
    async with BenchCSMS() as csms:
        with pytest.raises(InvalidStatus) as info:
            await RawStation.connect(csms.url, subprotocols=())
        assert info.value.response.status_code == 400
        assert "did not offer subprotocol ocpp1.6" in violations_text(csms)
        csms.violations.clear()

        with pytest.raises(InvalidStatus) as info:
            await RawStation.connect(csms.url + "/a", "b")      # /ocpp/a/b
        assert info.value.response.status_code == 404
        assert "connected to '/ocpp/a/b'" in violations_text(csms)
        csms.violations.clear()

        csms.omit_subprotocol = True
        station = await RawStation.connect(csms.url)
        assert station.ws.subprotocol is None
        await station.close()

        csms.reject_status = 404
        with pytest.raises(InvalidStatus) as info:
            await RawStation.connect(csms.url)
        assert info.value.response.status_code == 404
        assert csms.handshakes[-1]["status"] == 404
        csms.assert_clean()

    async with BenchCSMS(require_subprotocol=False) as csms:
        station = await RawStation.connect(csms.url, subprotocols=())
        assert (await station.boot())[0] == 3
        await station.close()
        csms.assert_clean()
