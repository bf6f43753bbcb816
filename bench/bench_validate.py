"""Micro-benchmark of controller.validate: mean and p99 time to validate three typical payloads.

Run: .venv/bin/python bench/bench_validate.py [--runs N] [--jsonschema]
The budget is p99 <= 1 ms for a whole CALL -> answer on CPython; validation is a small part of it.
--jsonschema also times jsonschema's Draft4Validator on the same payloads, for comparison.
"""

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from controller.validate import validate  # noqa: E402

BOOT = ("BootNotification", False, {
    "chargePointVendor": "ACME Charging", "chargePointModel": "Wallbox-22", "chargePointSerialNumber": "SN-000123",
    "chargeBoxSerialNumber": "CB-000123", "firmwareVersion": "1.4.2", "iccid": "8931440400000000001",
    "imsi": "262019876543210", "meterType": "SDM630", "meterSerialNumber": "MTR-42"})

GET_CONFIGURATION = ("GetConfiguration", False, {"key": [
    "HeartbeatInterval", "MeterValueSampleInterval", "MeterValuesSampledData", "ConnectionTimeOut",
    "LocalAuthorizeOffline", "AuthorizeRemoteTxRequests", "NumberOfConnectors", "WebSocketPingInterval"]})

SET_CHARGING_PROFILE = ("SetChargingProfile", False, {
    "connectorId": 1,
    "csChargingProfiles": {
        "chargingProfileId": 100, "transactionId": 4711, "stackLevel": 2,
        "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Absolute",
        "validFrom": "2024-06-01T00:00:00Z", "validTo": "2024-06-02T00:00:00.000+02:00",
        "chargingSchedule": {
            "duration": 86400, "startSchedule": "2024-06-01T00:00:00Z", "chargingRateUnit": "A",
            "minChargingRate": 6.0,
            # A full day in 30-minute periods.
            "chargingSchedulePeriod": [
                {"startPeriod": i * 1800, "limit": round(6.0 + (i % 27) * 0.9, 1), "numberPhases": 3} for i in range(48)],
        },
    },
})

CASES = [BOOT, GET_CONFIGURATION, SET_CHARGING_PROFILE]


def measure(fn, runs):
    for _ in range(min(runs, 1000)):
        fn()
    times = []
    clock = time.perf_counter_ns
    for _ in range(runs):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    times.sort()
    return sum(times) / len(times) / 1000.0, times[int(len(times) * 0.99)] / 1000.0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20000, help="timed runs per payload (default 20000)")
    parser.add_argument("--jsonschema", action="store_true", help="also time jsonschema for comparison")
    args = parser.parse_args(argv)

    oracle = None
    if args.jsonschema:
        import decimal
        import json
        from jsonschema import Draft4Validator
        import ocpp.v16
        schema_dir = os.path.join(os.path.dirname(ocpp.v16.__file__), "schemas")

        def oracle(action, payload):
            # Decimal numbers, as the ocpp package does it, or multipleOf 0.1 rejects 8.7.
            with open(os.path.join(schema_dir, action + ".json"), encoding="utf-8") as f:
                checker = Draft4Validator(json.load(f, parse_float=decimal.Decimal))
            instance = json.loads(json.dumps(payload), parse_float=decimal.Decimal)
            return lambda: checker.validate(instance)

    print("validate() on %s %s, %d runs each" % (sys.implementation.name, sys.version.split()[0], args.runs))
    print("%-38s %10s %10s" % ("payload", "mean us", "p99 us"))
    for action, response, payload in CASES:
        assert validate(action, payload, response) is None, action
        mean, p99 = measure(lambda: validate(action, payload, response), args.runs)
        label = action + (" (periods: 48)" if action == "SetChargingProfile" else "")
        print("%-38s %10.2f %10.2f" % (label, mean, p99))
        if oracle is not None:
            mean, p99 = measure(oracle(action, payload), max(args.runs // 20, 100))
            print("%-38s %10.2f %10.2f" % ("  jsonschema (Decimal), same payload", mean, p99))


if __name__ == "__main__":
    main()
