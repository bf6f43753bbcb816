"""Reservation scenarios for the sans-I/O core (pytest on CPython, tx_suite.py on MicroPython).

After the OCTT cases TC_046 ... TC_053 and the X-RES checks of reference/ocpp16-conformance.md §1.4; the ids are
in the names. The bench board has connector 1 (socket) and connector 2 (fixed cable).
"""

from controller.storage import FaultyStorage, MemoryStorage
from tests.micropython.core_harness import BOARD, EPOCH_2026, expect, iso
from tests.micropython.tx_scenarios import booted


def answer(b, action, payload):
    got = b.csms_call(action, payload)
    expect(got is not None and got[0] == "result", action + ": " + repr(got))
    return got[1]["status"]


def reserve(b, cid, tag="TAG1", rid=1, secs=3600, parent=None):
    payload = {"connectorId": cid, "idTag": tag, "reservationId": rid, "expiryDate": iso(EPOCH_2026 + b.now +
                                                                                          secs * 1000)}
    if parent is not None:
        payload["parentIdTag"] = parent
    return answer(b, "ReserveNow", payload)


def cancel(b, rid):
    return answer(b, "CancelReservation", {"reservationId": rid})


def inoperative(b, cid):
    expect(answer(b, "ChangeAvailability", {"connectorId": cid, "type": "Inoperative"}) == "Accepted", "Inoperative")


def status_of(b, cid):
    return b.station.connectors[cid].status


def last_start(b, mark):
    starts = b.since(mark, "StartTransaction")
    expect(len(starts) == 1, "one StartTransaction: " + repr(starts))
    return starts[0][1]


def starts_without_reservation(b, tag):
    mark = b.mark()
    b.plug(1)
    b.tag(tag, 1)
    expect("reservationId" not in last_start(b, mark), "a start without reservationId")


def only_the_reserving_tag_starts(b, cid, foreign, rid):
    """On a plugged, held connector `cid`: `foreign` is refused, TAG1 starts with reservationId `rid`."""
    mark = b.mark()
    b.tag(foreign, cid)
    expect(not b.since(mark, "StartTransaction") and status_of(b, cid) == "Reserved", foreign + " refused")
    b.tag("TAG1", cid)
    start = last_start(b, mark)
    expect(start["connectorId"] == cid and start["reservationId"] == rid, repr(start))


def clean(b):
    expect(b.station.violations == [], repr(b.station.violations))


def board_with(reservation):
    board = {}
    for k in BOARD:
        board[k] = BOARD[k]
    board["reservation"] = reservation
    return board


# ---- reserving a connector -------------------------------------------------------------------------------------
def tc_046_1_reserve_connector_local_start():
    b = booted()
    inoperative(b, 2)
    mark = b.mark()
    expect(reserve(b, 1, rid=46) == "Accepted", "Accepted")
    expect(b.statuses(mark) == [(1, "Reserved")], repr(b.statuses(mark)))
    b.tag("OTHER", 1)                                     # X-RES-01 too: another id is refused
    expect(status_of(b, 1) == "Reserved" and not b.sent("StartTransaction"), "another idTag is refused")
    b.tag("TAG1", 1)
    expect(b.statuses(mark)[-1] == (1, "Preparing"), repr(b.statuses(mark)))
    b.plug(1)
    start = last_start(b, mark)
    expect(start["idTag"] == "TAG1" and start["reservationId"] == 46, repr(start))
    expect(status_of(b, 1) == "Charging", "Charging")
    expect(cancel(b, 46) == "Rejected", "the start used the reservation up")
    clean(b)


def tc_046_2_reserve_connector_remote_start():
    b = booted()
    mark = b.mark()
    expect(reserve(b, 1, rid=462) == "Accepted", "Accepted")
    b.plug(1)
    expect(status_of(b, 1) == "Reserved", "a plugged EV leaves the connector Reserved")
    expect(answer(b, "RemoteStartTransaction", {"connectorId": 1, "idTag": "OTHER"}) == "Rejected",
           "a remote start for another idTag is refused")
    expect(answer(b, "RemoteStartTransaction", {"connectorId": 1, "idTag": "TAG1"}) == "Accepted", "Accepted")
    start = last_start(b, mark)
    expect(start["idTag"] == "TAG1" and start["reservationId"] == 462, repr(start))
    expect(b.statuses(mark)[-3:] == [(1, "Reserved"), (1, "Preparing"), (1, "Charging")], repr(b.statuses(mark)))
    clean(b)


def tc_047_reservation_expires():
    b = booted()
    inoperative(b, 2)
    mark = b.mark()
    expect(reserve(b, 1, secs=30) == "Accepted", "Accepted")
    b.advance(29000)
    expect(status_of(b, 1) == "Reserved", "still Reserved")
    b.advance(2000)
    expect(b.statuses(mark) == [(1, "Reserved"), (1, "Available")], repr(b.statuses(mark)))
    starts_without_reservation(b, "OTHER")
    clean(b)


def tc_048_1_2_3_reserve_connector_faulted_occupied_unavailable():
    b = booted()
    b.event({"type": "fault", "connector": 1, "error_code": "GroundFailure", "source": "rcd"})
    expect(reserve(b, 1) == "Faulted", "TC_048_1 Faulted")
    b.plug(2)
    expect(reserve(b, 2, rid=2) == "Occupied", "TC_048_2 Occupied")
    b.unplug(2)
    inoperative(b, 2)
    expect(reserve(b, 2, rid=3) == "Unavailable", "TC_048_3 Unavailable")
    expect(reserve(b, 3, rid=4) == "Rejected", "no such connector")
    expect(not b.sent("StatusNotification") or ("Reserved" not in [s for c, s in b.statuses()]), "never Reserved")
    clean(b)


def tc_048_4_tc_050_4_reservation_not_supported():
    b = booted(board=board_with({"supported": False}))
    expect(reserve(b, 1) == "Rejected", "TC_048_4")
    expect(reserve(b, 0, rid=2) == "Rejected", "TC_050_4")
    expect(cancel(b, 1) == "Rejected", "nothing to cancel")
    got = b.csms_call("GetConfiguration", {"key": ["SupportedFeatureProfiles", "ReserveConnectorZeroSupported"]})
    expect("Reservation" not in got[1]["configurationKey"][0]["value"].split(",") and got[1]["unknownKey"] ==
           ["ReserveConnectorZeroSupported"], repr(got))


# ---- connector 0 -----------------------------------------------------------------------------------------------
def tc_049_reserve_charge_point_transaction():
    b = booted()
    got = b.csms_call("GetConfiguration", {"key": ["ReserveConnectorZeroSupported", "SupportedFeatureProfiles"]})
    keys = got[1]["configurationKey"]
    expect(keys[0]["value"] == "true" and keys[0]["readonly"] and "Reservation" in keys[1]["value"], repr(keys))
    inoperative(b, 2)
    mark = b.mark()
    expect(reserve(b, 0, rid=49) == "Accepted", "Accepted")
    expect(b.statuses(mark) == [(1, "Reserved")], "the last free connector is Reserved: " + repr(b.statuses(mark)))
    b.plug(1)
    only_the_reserving_tag_starts(b, 1, "OTHER", 49)
    clean(b)


def tc_050_1_2_3_reserve_charge_point_faulted_occupied_unavailable():
    b = booted()
    b.event({"type": "fault", "connector": 0, "error_code": "OtherError", "source": "test"})
    expect(reserve(b, 0) == "Faulted", "TC_050_1 Faulted")
    b.event({"type": "fault_cleared", "connector": 0, "source": "test"})
    b.plug(1)
    b.plug(2)
    expect(reserve(b, 0) == "Occupied", "TC_050_2 Occupied")
    b.unplug(1)
    b.unplug(2)
    inoperative(b, 0)
    expect(reserve(b, 0) == "Unavailable", "TC_050_3 Unavailable")
    clean(b)


def x_res_04_connector_zero_not_supported():
    b = booted(board=board_with({"connector_zero": False}))
    expect(reserve(b, 0) == "Rejected", "ReserveNow(0) Rejected")
    expect(reserve(b, 1) == "Accepted", "connector 1 still reservable")
    got = b.csms_call("GetConfiguration", {"key": ["ReserveConnectorZeroSupported"]})
    expect(got[1]["configurationKey"][0]["value"] == "false", repr(got))


def x_res_06_connector_zero_keeps_the_last_free_connector():
    b = booted()
    mark = b.mark()
    expect(reserve(b, 0, rid=60) == "Accepted", "Accepted")
    expect(status_of(b, 1) == "Available" and status_of(b, 2) == "Available", "two free: none held yet")
    b.plug(1)
    b.tag("OTHER", 1)                                     # another user takes one connector...
    expect(last_start(b, mark)["connectorId"] == 1, "the other user charges on 1")
    expect(status_of(b, 2) == "Reserved", "...and the last free one is held")
    expect(reserve(b, 0, rid=61) == "Occupied", "no connector left for a second connector-0 reservation")
    b.plug(2)
    only_the_reserving_tag_starts(b, 2, "OTHER2", 60)
    clean(b)


# ---- cancelling, replacing, ending -----------------------------------------------------------------------------
def tc_051_cancel_reservation():
    b = booted()
    mark = b.mark()
    expect(reserve(b, 1, rid=51) == "Accepted", "Accepted")
    expect(cancel(b, 51) == "Accepted", "cancelled")
    expect(b.statuses(mark) == [(1, "Reserved"), (1, "Available")], repr(b.statuses(mark)))
    starts_without_reservation(b, "TAG2")
    clean(b)


def tc_052_cancel_reservation_rejected():
    b = booted()
    expect(reserve(b, 1, rid=52) == "Accepted", "Accepted")
    expect(cancel(b, 999) == "Rejected", "unknown reservationId")
    expect(status_of(b, 1) == "Reserved", "the reservation stands")
    expect(cancel(b, 52) == "Accepted", "the real one is still there")


def tc_053_reserved_connector_used_via_parent_id_tag():
    b = booted()
    b.id_tags["TAG2"] = {"status": "Accepted", "parentIdTag": "FLEET"}
    b.id_tags["TAG3"] = {"status": "Accepted", "parentIdTag": "ELSEWHERE"}
    inoperative(b, 2)
    mark = b.mark()
    expect(reserve(b, 1, tag="TAG1", rid=53, parent="FLEET") == "Accepted", "Accepted")
    b.tag("TAG3", 1)                                       # X-RES-01: Authorize tells us its parent differs
    expect(b.since(mark, "Authorize") and status_of(b, 1) == "Reserved", "TAG3 refused")
    b.tag("TAG2", 1)
    expect(status_of(b, 1) == "Preparing", "TAG2 shares the parent")
    b.plug(1)
    start = last_start(b, mark)
    expect(start["idTag"] == "TAG2" and start["reservationId"] == 53, repr(start))
    clean(b)


def x_res_02_same_reservation_id_replaces():
    b = booted()
    expect(reserve(b, 1, tag="TAG1", rid=5) == "Accepted", "first")
    expect(reserve(b, 1, tag="TAG2", rid=5) == "Accepted", "the same id replaces")
    expect(reserve(b, 2, tag="TAG2", rid=5) == "Accepted", "and may move to another connector")
    expect(status_of(b, 1) == "Available" and status_of(b, 2) == "Reserved", "moved")
    mark = b.mark()
    b.plug(2)
    b.tag("TAG1", 2)
    expect(not b.since(mark, "StartTransaction"), "the old idTag no longer holds it")
    b.tag("TAG2", 2)
    expect(last_start(b, mark)["reservationId"] == 5, "the new one does")
    clean(b)


def x_res_03_connector_already_reserved():
    b = booted()
    expect(reserve(b, 1, rid=7) == "Accepted", "first")
    expect(reserve(b, 1, tag="TAG2", rid=8) == "Occupied", "another reservationId on a reserved connector")


def x_res_05_unavailable_or_fault_ends_the_reservation():
    b = booted()
    expect(reserve(b, 1, rid=1) == "Accepted" and reserve(b, 2, rid=2) == "Accepted", "two reservations")
    mark = b.mark()
    inoperative(b, 1)
    expect(b.statuses(mark) == [(1, "Unavailable")], repr(b.statuses(mark)))
    expect(cancel(b, 1) == "Rejected", "ended by Unavailable")
    b.event({"type": "fault", "connector": 2, "error_code": "GroundFailure", "source": "rcd"})
    expect(cancel(b, 2) == "Rejected", "ended by the fault")
    b.event({"type": "fault_cleared", "connector": 2, "source": "rcd"})
    expect(status_of(b, 2) == "Available", "Available once repaired, not Reserved")
    clean(b)


def tag_without_connector_goes_to_its_reservation():
    b = booted()
    expect(reserve(b, 2, rid=21) == "Accepted", "connector 2 reserved")
    b.tag("OTHER")                                  # a reader shared by both connectors
    expect(status_of(b, 1) == "Preparing" and status_of(b, 2) == "Reserved", "OTHER goes to the free connector")
    b.tag("TAG1")
    expect(status_of(b, 2) == "Preparing", "TAG1 goes to the connector reserved for it")
    mark = b.mark()
    b.plug(2)
    expect(last_start(b, mark)["reservationId"] == 21, "with the reservationId")
    clean(b)


def reserved_user_lapses_then_reserved_again():
    b = booted()
    answer(b, "ChangeConfiguration", {"key": "ConnectionTimeOut", "value": "10"})
    expect(reserve(b, 1) == "Accepted", "Accepted")
    mark = b.mark()
    b.tag("TAG1", 1)
    b.advance(11000)
    expect(b.statuses(mark) == [(1, "Preparing"), (1, "Available"), (1, "Reserved")],
           "through Available, as the 4.9 table wants: " + repr(b.statuses(mark)))
    clean(b)


def bad_reservations_are_refused():
    b = booted()
    expect(reserve(b, 1, secs=-5) == "Rejected", "an expiryDate in the past")
    got = b.csms_call("ReserveNow", {"connectorId": 1, "idTag": "T", "reservationId": 1, "expiryDate": "soon"})
    expect(got == ("error", "PropertyConstraintViolation"), repr(got))
    got = b.csms_call("ReserveNow", {"connectorId": 1, "idTag": "T", "expiryDate": iso(EPOCH_2026 + 99999999)})
    expect(got is not None and got[0] == "error", repr(got))
    expect(status_of(b, 1) == "Available", "nothing reserved")


class FailingStorage(MemoryStorage):
    def write_atomic(self, name, data):
        if name.startswith("reservations"):
            raise OSError(28, "no space left")
        MemoryStorage.write_atomic(self, name, data)


def storage_fault_rejects_the_reservation():
    b = booted(store=FailingStorage())
    expect(reserve(b, 1) == "Rejected", "not durable, so not accepted")
    expect(status_of(b, 1) == "Available" and cancel(b, 1) == "Rejected", "nothing kept")


def reservations_survive_a_power_cut():
    store = MemoryStorage()
    b = booted(store=store)
    expect(reserve(b, 1, rid=11, secs=600) == "Accepted" and reserve(b, 0, rid=12, secs=60) == "Accepted", "two")
    b.restart()                     # the documents are written before the answer: a power cut keeps them
    mark = b.mark()
    b.connect()
    b.meter(1, 1000)
    b.meter(2, 5000)
    expect((1, "Reserved") in b.statuses(mark), "connector 1 Reserved after the restart: " + repr(b.statuses(mark)))
    expect(status_of(b, 2) == "Reserved", "connector 2 held for the connector-0 reservation")
    b.advance(61000)
    expect(status_of(b, 2) == "Available", "the connector-0 reservation expired on time")
    b.plug(1)
    b.tag("TAG1", 1)
    expect(last_start(b, mark)["reservationId"] == 11, "the reservation still works")
    clean(b)


def storage_fault_keeps_the_old_reservations():
    """ReserveNow and CancelReservation that cannot be written are Rejected and change nothing, in RAM or on disk:
    a cancelled reservation never comes back after a restart."""
    store = FaultyStorage(MemoryStorage(), spared=("journal.log",))
    b = booted(store=store)
    expect(reserve(b, 1, rid=31) == "Accepted", "Accepted while the storage works")
    store.fails = True
    expect(reserve(b, 2, rid=32) == "Rejected", "a new reservation that cannot be written")
    expect(reserve(b, 1, tag="TAG2", rid=31) == "Rejected", "a replacement that cannot be written")
    expect(cancel(b, 31) == "Rejected", "a cancel that cannot be written")
    expect(status_of(b, 1) == "Reserved" and status_of(b, 2) == "Available", "the old state stands")
    b.plug(1)
    only_the_reserving_tag_starts(b, 1, "TAG2", 31)       # the old reservation, not the rejected replacement
    store.fails = False
    b.advance(5000)                                       # the used-up reservation is written when it can be
    b.restart()
    b.connect()
    expect(cancel(b, 31) == "Rejected", "used up by the start, on disk too, once the storage works again")
    expect(reserve(b, 2, rid=33) == "Accepted" and cancel(b, 33) == "Accepted", "reserve and cancel")
    b.restart()
    b.connect()
    expect(cancel(b, 33) == "Rejected" and status_of(b, 2) == "Available", "a cancelled reservation stays gone")
    clean(b)


def remote_start_uses_the_parent_from_the_list():
    """A tag sharing the reserving tag's parentIdTag may start remotely on the reserved connector, with the
    reservationId, when only the local list knows that parent (no Authorize, or a CSMS answer without it)."""
    from tests.micropython.lal_trigger_scenarios import entry, send_list
    for authorize_remote in ("false", "true"):
        b = booted()
        answer(b, "ChangeConfiguration", {"key": "AuthorizeRemoteTxRequests", "value": authorize_remote})
        b.id_tags["TAG2"] = {"status": "Accepted"}
        expect(send_list(b, 1, [entry("TAG2", parentIdTag="FLEET"), entry("TAG3", parentIdTag="OTHER")]) ==
               "Accepted", "list")
        expect(reserve(b, 1, tag="TAG1", rid=54, parent="FLEET") == "Accepted", "reserved")
        b.plug(1)
        mark = b.mark()
        expect(answer(b, "RemoteStartTransaction", {"connectorId": 1, "idTag": "TAG3"}) == "Rejected",
               "another parent is refused")
        expect(answer(b, "RemoteStartTransaction", {"connectorId": 1, "idTag": "TAG2"}) == "Accepted",
               "the same parent, from the list (AuthorizeRemoteTxRequests " + authorize_remote + ")")
        start = last_start(b, mark)
        expect(start["idTag"] == "TAG2" and start.get("reservationId") == 54, repr(start))
        expect(cancel(b, 54) == "Rejected", "the start used the reservation up")
        clean(b)


SCENARIOS = [
    tc_046_1_reserve_connector_local_start, tc_046_2_reserve_connector_remote_start, tc_047_reservation_expires,
    tc_048_1_2_3_reserve_connector_faulted_occupied_unavailable, tc_048_4_tc_050_4_reservation_not_supported,
    tc_049_reserve_charge_point_transaction, tc_050_1_2_3_reserve_charge_point_faulted_occupied_unavailable,
    x_res_04_connector_zero_not_supported, x_res_06_connector_zero_keeps_the_last_free_connector,
    tc_051_cancel_reservation, tc_052_cancel_reservation_rejected, tc_053_reserved_connector_used_via_parent_id_tag,
    x_res_02_same_reservation_id_replaces, x_res_03_connector_already_reserved,
    x_res_05_unavailable_or_fault_ends_the_reservation, tag_without_connector_goes_to_its_reservation,
    reserved_user_lapses_then_reserved_again,
    bad_reservations_are_refused, storage_fault_rejects_the_reservation, reservations_survive_a_power_cut,
    storage_fault_keeps_the_old_reservations, remote_start_uses_the_parent_from_the_list,
]
