"""Connector status: the OCPP 1.6 §4.9 transition table, and what status a connector's facts add up to.

Everything that decides a connector's ChargePointStatus lives in this file. The table is data: `allowed(a, b)`
says whether the spec lets a connector go from a to b. A transition outside the table is a bug; the station
records it so a test catches it, rather than hiding it.
"""

AVAILABLE = "Available"
PREPARING = "Preparing"
CHARGING = "Charging"
SUSPENDED_EV = "SuspendedEV"
SUSPENDED_EVSE = "SuspendedEVSE"
FINISHING = "Finishing"
RESERVED = "Reserved"
UNAVAILABLE = "Unavailable"
FAULTED = "Faulted"

# From -> the statuses it may go to (OCPP 1.6 §4.9, with errata 3.20: B6 Preparing -> Finishing allowed).
TRANSITIONS = {
    AVAILABLE: (PREPARING, CHARGING, SUSPENDED_EV, SUSPENDED_EVSE, RESERVED, UNAVAILABLE, FAULTED),
    PREPARING: (AVAILABLE, CHARGING, SUSPENDED_EV, SUSPENDED_EVSE, FINISHING, FAULTED),
    CHARGING: (AVAILABLE, SUSPENDED_EV, SUSPENDED_EVSE, FINISHING, UNAVAILABLE, FAULTED),
    SUSPENDED_EV: (AVAILABLE, CHARGING, SUSPENDED_EVSE, FINISHING, UNAVAILABLE, FAULTED),
    SUSPENDED_EVSE: (AVAILABLE, CHARGING, SUSPENDED_EV, FINISHING, UNAVAILABLE, FAULTED),
    FINISHING: (AVAILABLE, PREPARING, UNAVAILABLE, FAULTED),
    RESERVED: (AVAILABLE, PREPARING, UNAVAILABLE, FAULTED),
    UNAVAILABLE: (AVAILABLE, PREPARING, CHARGING, SUSPENDED_EV, SUSPENDED_EVSE, FAULTED),
    FAULTED: (AVAILABLE, PREPARING, CHARGING, SUSPENDED_EV, SUSPENDED_EVSE, FINISHING, RESERVED, UNAVAILABLE),
}

# Connector 0 stands for the whole station and only ever reports these.
STATION_STATUSES = (AVAILABLE, UNAVAILABLE, FAULTED)

OPERATIVE = "Operative"
INOPERATIVE = "Inoperative"


def allowed(old, new):
    return old == new or new in TRANSITIONS.get(old, ())


class Connector:
    """The facts about one connector (id 0 is the station) that its status is derived from."""

    def __init__(self, cid):
        self.id = cid
        self.availability = OPERATIVE
        self.scheduled = None          # availability to apply once the running transaction ends
        self.maintenance = False       # a firmware install is waiting: Unavailable once free (not persisted)
        self.fault = None              # (errorCode, info) while faulted
        self.faults = {}               # source -> (errorCode, info): every fault still reported
        self.plugged = False            # an EV is connected
        self.cable_in = False           # a cable is in the socket (it may stay after the EV side is unplugged)
        self.pending = None             # an authorization waiting for the EV: {"id_tag", "parent", "expires"...}
        self.preparing = False          # `pending` is set
        self.locked = False
        self.lock_requested = False
        self.lock_fault = False         # the lock failed; cleared when the cable is removed
        self.locked_for = None          # after DeAuthorized: the cable stays locked until this idTag comes back
        self.unlock_token = None        # a deferred UnlockConnector answer waiting for the lock
        self.transaction = None        # the running transaction, if any (see controller/features/transactions)
        self.finishing = False         # transaction ended, cable still in
        self.reserved = None
        self.ev_suspended = False
        self.evse_suspended = False
        self.status = None             # last derived status
        self.changed_at = 0            # now_ms when `status` was entered
        self.reported = None           # last status sent in a StatusNotification
        self.report_at = None          # now_ms when a changed status is due to be reported

    def derive(self, zero):
        """The status these facts add up to; `zero` is connector 0, the station as a whole."""
        if self.id == 0:
            if self.fault is not None:
                return FAULTED
            return UNAVAILABLE if self.availability == INOPERATIVE else AVAILABLE
        if self.fault is not None or self.lock_fault or zero.fault is not None:
            return FAULTED
        if self.transaction is not None:
            if self.evse_suspended:
                return SUSPENDED_EVSE
            if self.ev_suspended or not self.plugged:
                return SUSPENDED_EV
            return CHARGING
        if self.availability == INOPERATIVE or zero.availability == INOPERATIVE:
            return UNAVAILABLE
        if self.maintenance and self.status != PREPARING:
            return UNAVAILABLE          # Preparing may not go to Unavailable (4.9): it passes through Available
        if self.finishing:
            return FINISHING
        if self.reserved is not None and not self.preparing:
            return RESERVED             # an EV plugged in stays Reserved until the reserved user identifies
        if self.plugged or self.preparing:
            return PREPARING
        return AVAILABLE

    def error_code(self):
        if self.fault is not None:
            return self.fault
        if self.lock_fault:
            return ("ConnectorLockFailure", None)
        return ("NoError", None)
