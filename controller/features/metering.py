"""Meter values: configuration keys for sampled, clock-aligned and stop-transaction data.

A measurand list is accepted only if every item is one the board's meters provide (a phase suffix such as
`.L1` is allowed); the board declares them.
"""

from controller import config
from controller.feature import Feature

PHASES = ("L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1")


class Metering(Feature):
    NAME = "metering"

    def __init__(self, station):
        Feature.__init__(self, station)
        supported = station.board.get("measurands") or ["Energy.Active.Import.Register"]

        def check(items):
            for item in items:
                base = item
                dot = item.rfind(".")
                if dot > 0 and item[dot + 1:] in PHASES:
                    base = item[:dot]
                if item not in supported and base not in supported:
                    return False
            return True

        default = ["Energy.Active.Import.Register"]
        self.KEYS = (
            config.Key("MeterValueSampleInterval", config.INT, 60, minimum=0, maximum=86400),
            config.Key("ClockAlignedDataInterval", config.INT, 0, minimum=0, maximum=86400),
            config.Key("MeterValuesSampledData", config.CSL, default, check=check,
                       max_items_key="MeterValuesSampledDataMaxLength"),
            config.Key("MeterValuesSampledDataMaxLength", config.INT, 16, access="R", persist=False),
            config.Key("MeterValuesAlignedData", config.CSL, default, check=check,
                       max_items_key="MeterValuesAlignedDataMaxLength"),
            config.Key("MeterValuesAlignedDataMaxLength", config.INT, 16, access="R", persist=False),
            config.Key("StopTxnSampledData", config.CSL, default, check=check,
                       max_items_key="StopTxnSampledDataMaxLength"),
            config.Key("StopTxnSampledDataMaxLength", config.INT, 16, access="R", persist=False),
            config.Key("StopTxnAlignedData", config.CSL, [], check=check,
                       max_items_key="StopTxnAlignedDataMaxLength"),
            config.Key("StopTxnAlignedDataMaxLength", config.INT, 16, access="R", persist=False),
        )
