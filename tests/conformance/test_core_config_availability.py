"""Core profile over real WebSockets: configuration, availability, reset, DataTransfer, ClearCache
(OCTT TC_013, TC_014, TC_019, TC_021, TC_034, TC_040, TC_062; X-CORE-18/19/20/26)."""


import pytest

from bench_csms import StationCallError
from tests.station_process import run, station_env


async def booted(csms):
    await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2, timeout=10)


def test_tc_019_retrieve_configuration(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await booted(csms)
            one = await csms.call("CP1", "GetConfiguration", {"key": ["SupportedFeatureProfiles"]})
            assert one["configurationKey"][0]["key"] == "SupportedFeatureProfiles" and not one.get("unknownKey")
            everything = (await csms.call("CP1", "GetConfiguration", {}))["configurationKey"]
            readonly = dict((k["key"], k["readonly"]) for k in everything)
            assert readonly["NumberOfConnectors"] is True and readonly["HeartbeatInterval"] is False
            assert "AuthorizationKey" not in readonly
            limit = await csms.call("CP1", "GetConfiguration", {"key": ["GetConfigurationMaxKeys"]})
            n = int(limit["configurationKey"][0]["value"])
            names = [k["key"] for k in everything][:n]
            some = await csms.call("CP1", "GetConfiguration", {"key": names})
            assert len(some["configurationKey"]) == len(names) and not some.get("unknownKey")
    run(body())


def test_tc_021_tc_040_change_configuration(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await booted(csms)

            async def change(key, value):
                return (await csms.call("CP1", "ChangeConfiguration", {"key": key, "value": value}))["status"]

            assert await change("MeterValueSampleInterval", "23") == "Accepted"
            got = await csms.call("CP1", "GetConfiguration", {"key": ["MeterValueSampleInterval"]})
            assert got["configurationKey"][0]["value"] == "23"
            assert await change("Testing", "true") == "NotSupported"                  # TC_040_1
            assert await change("MeterValueSampleInterval", "-1") == "Rejected"        # TC_040_2
            assert await change("NumberOfConnectors", "5") == "Rejected"               # X-CORE-19 read-only
            assert await change("MeterValuesSampledData", "Energy.Active.Import.Register,RPM") == "Rejected"
            mixed = await csms.call("CP1", "GetConfiguration", {"key": ["HeartbeatInterval", "Nope"]})
            assert mixed["unknownKey"] == ["Nope"]                                     # X-CORE-20
            with pytest.raises(StationCallError) as err:
                await csms.call("CP1", "GetConfiguration", {"key": ["HeartbeatInterval"] * 101})
            assert err.value.code == "OccurenceConstraintViolation"
    run(body())


def test_x_core_18_change_availability(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await booted(csms)
            mark = csms.mark()
            assert (await csms.call("CP1", "ChangeAvailability", {"connectorId": 1, "type": "Inoperative"})) == \
                {"status": "Accepted"}
            await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 1 and p["status"] ==
                                "Unavailable", after=mark)
            assert (await csms.call("CP1", "ChangeAvailability", {"connectorId": 7, "type": "Inoperative"})) == \
                {"status": "Rejected"}
            mark = csms.mark()
            await csms.call("CP1", "ChangeAvailability", {"connectorId": 0, "type": "Inoperative"})
            for cid in (0, 2):
                await csms.wait_for("StatusNotification", lambda p, c=cid: p["connectorId"] == c and
                                    p["status"] == "Unavailable", after=mark)
            mark = csms.mark()
            await csms.call("CP1", "ChangeAvailability", {"connectorId": 0, "type": "Operative"})
            for cid in (0, 1, 2):
                await csms.wait_for("StatusNotification", lambda p, c=cid: p["connectorId"] == c and
                                    p["status"] == "Available", after=mark)
    run(body())


@pytest.mark.parametrize("kind", ["Hard", "Soft"])
def test_tc_013_tc_014_reset_without_transaction(tmp_path, kind):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await booted(csms)
            pid = station.proc.pid
            await csms.call("CP1", "ChangeAvailability", {"connectorId": 1, "type": "Inoperative"})
            mark = csms.mark()
            assert (await csms.call("CP1", "Reset", {"type": kind})) == {"status": "Accepted"}
            await csms.wait_for("BootNotification", after=mark, timeout=15)
            await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 1 and p["status"] ==
                                "Unavailable", after=mark, timeout=5)
            await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2 and p["status"] ==
                                "Available", after=mark, timeout=5)
            await station.wait_api()
            assert station.proc.pid == pid and "restarting the station process" in station.log_text()
            mark = csms.mark()
            await csms.call("CP1", "ChangeAvailability", {"connectorId": 1, "type": "Operative"})
            await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 1 and p["status"] ==
                                "Available", after=mark)
    run(body())


def test_tc_034_power_failure_keeps_unavailable(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await booted(csms)
            await csms.call("CP1", "ChangeAvailability", {"connectorId": 0, "type": "Inoperative"})
            await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2 and p["status"] ==
                                "Unavailable")
            await station.kill()
            mark = csms.mark()
            await station.start()
            await csms.wait_for("BootNotification", after=mark, timeout=10)
            for cid in (0, 1, 2):
                await csms.wait_for("StatusNotification", lambda p, c=cid: p["connectorId"] == c and
                                    p["status"] == "Unavailable", after=mark)
    run(body())


def test_tc_062_data_transfer_and_clear_cache(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await booted(csms)
            assert (await csms.call("CP1", "DataTransfer", {"vendorId": "com.example"})) == \
                {"status": "UnknownVendorId"}
            assert (await csms.call("CP1", "DataTransfer", {"vendorId": "org.stationcontroller",
                                                            "messageId": "x"})) == {"status": "UnknownMessageId"}
            assert (await csms.call("CP1", "ClearCache", {})) == {"status": "Accepted"}
    run(body())


def test_bad_frames_over_the_wire(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await booted(csms)
            cases = [
                ('[2,"b1","FooBar",{}]', "NotImplemented"),
                ('[2,"b2","Heartbeat",{}]', "NotSupported"),
                ('[2,"b3","Reset",{"type":"Sideways"}]', "PropertyConstraintViolation"),
                ('[2,"b4","ChangeConfiguration",{"key":"HeartbeatInterval"}]', "ProtocolError"),
                ('[2,"b5","GetConfiguration",{"key":[1,2]}]', "TypeConstraintViolation"),
                ('{{{ not json', "FormationViolation"),
                ('[2,"b7","DataTransfer",{"vendorId":"v","data":"' + "z" * 100000 + '"}]', "FormationViolation"),
            ]
            for text, code in cases:
                answer = await csms.send_raw("CP1", text)
                assert answer[0] == 4 and answer[2] == code, (text[:50], answer)
            assert (await csms.call("CP1", "GetConfiguration", {"key": ["HeartbeatInterval"]}))["configurationKey"]
    run(body())
