"""Transactions: the configuration keys that govern starting, stopping and retrying transaction messages."""

from controller import config
from controller.feature import Feature


class Transactions(Feature):
    NAME = "transactions"

    def __init__(self, station):
        Feature.__init__(self, station)
        fixed = False
        for c in station.board["connectors"]:
            fixed = fixed or c.get("cable") == "fixed"
        self.KEYS = (
            config.Key("ConnectionTimeOut", config.INT, 60, minimum=1, maximum=3600),
            config.Key("StopTransactionOnEVSideDisconnect", config.BOOL, True),
            config.Key("StopTransactionOnInvalidId", config.BOOL, True),
            config.Key("MaxEnergyOnInvalidId", config.INT, 0, minimum=0),
            config.Key("TransactionMessageAttempts", config.INT, 3, minimum=1, maximum=100),
            config.Key("TransactionMessageRetryInterval", config.INT, 60, minimum=0, maximum=86400),
            # A fixed cable cannot be unlocked: the key is then read-only and false (errata 3.83).
            config.Key("UnlockConnectorOnEVSideDisconnect", config.BOOL, not fixed,
                       access="R" if fixed else "RW", persist=not fixed),
        )
