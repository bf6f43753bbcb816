"""The Core profile's configuration keys over real WebSockets (OCTT TC_019 and reference §2.1), and
ConnectorPhaseRotation (issue 15): its board default, item-by-item validation and persistence.
"""

import os
import re

from tests.station_process import run, station_env

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Reference §2.1, the keys marked required, with the access OCPP allows (True: read-only, False: read-write).
REQUIRED = {
    "AuthorizeRemoteTxRequests": (True, False), "ClockAlignedDataInterval": (False,),
    "ConnectionTimeOut": (False,), "ConnectorPhaseRotation": (False,), "GetConfigurationMaxKeys": (True,),
    "HeartbeatInterval": (False,), "LocalAuthorizeOffline": (False,), "LocalPreAuthorize": (False,),
    "MeterValuesAlignedData": (False,), "MeterValuesSampledData": (False,), "MeterValueSampleInterval": (False,),
    "NumberOfConnectors": (True,), "ResetRetries": (False,), "StopTransactionOnInvalidId": (False,),
    "StopTxnAlignedData": (False,), "StopTxnSampledData": (False,), "SupportedFeatureProfiles": (True,),
    "TransactionMessageAttempts": (False,), "TransactionMessageRetryInterval": (False,),
    "UnlockConnectorOnEVSideDisconnect": (True, False),
}


async def change(csms, key, value):
    return (await csms.call("CP1", "ChangeConfiguration", {"key": key, "value": value}))["status"]


async def value_of(csms, key):
    got = await csms.call("CP1", "GetConfiguration", {"key": [key]})
    return got["configurationKey"][0]["value"]


def test_tc_019_every_required_core_key_listed_with_its_access(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await csms.wait_for("BootNotification", timeout=10)
            everything = (await csms.call("CP1", "GetConfiguration", {}))["configurationKey"]
            readonly = dict((k["key"], k["readonly"]) for k in everything)
            missing = [k for k in REQUIRED if k not in readonly]
            assert missing == [], "required Core keys missing from GetConfiguration: " + ", ".join(missing)
            wrong = [k for k in REQUIRED if readonly[k] not in REQUIRED[k]]
            assert wrong == [], "required Core keys with the wrong access: " + ", ".join(wrong)
            with open(os.path.join(ROOT, "docs", "configuration.md")) as f:
                doc = f.read()
            undocumented = [k for k in readonly if not re.search(r"\b" + k + r"\b", doc)]
            assert undocumented == [], "keys missing from docs/configuration.md: " + ", ".join(undocumented)
    run(body())


def test_connector_phase_rotation_default_validation_persistence(tmp_path):
    async def body():
        async with station_env(tmp_path) as (csms, station):
            await csms.wait_for("BootNotification", timeout=10)
            assert await value_of(csms, "ConnectorPhaseRotation") == "1.RST,2.RST"     # desktop-sim: 3-phase
            assert await value_of(csms, "ConnectorPhaseRotationMaxLength") == "3"
            for bad in ("1.RST,2.XYZ", "1.RST,1.RTS", "3.RST", "1RST", "1.rst", "1.RST,,2.RST", "1.RST,2.RTS,0.RST,1.SRT"):
                assert await change(csms, "ConnectorPhaseRotation", bad) == "Rejected", bad
                assert await value_of(csms, "ConnectorPhaseRotation") == "1.RST,2.RST", bad
            assert await change(csms, "ConnectorPhaseRotationMaxLength", "5") == "Rejected"
            assert await change(csms, "ConnectorPhaseRotation", "0.RST,1.TSR,2.Unknown") == "Accepted"
            mark = csms.mark()
            assert await csms.call("CP1", "Reset", {"type": "Soft"}) == {"status": "Accepted"}
            await csms.wait_for("BootNotification", after=mark, timeout=15)
            assert await value_of(csms, "ConnectorPhaseRotation") == "0.RST,1.TSR,2.Unknown"
    run(body())
