"""`stationctl demo --scenario reservation`: the Reservation profile on the demo station, narrated.

The central system reserves connector 1 for a card and lets the reservation expire (the connector goes from
Reserved back to Available); it reserves it again, another driver's card is refused there, and the reserving
driver's charge starts with a StartTransaction that carries the reservationId.
"""

import time

from controller.clock import format_iso
from controller.runtime.demo import CP_ID, registration, wait_status

CARD = "04A1B2C3"
OTHER_CARD = "0BADCAFE"


def expiry(seconds):
    return format_iso(int(time.time() * 1000) + seconds * 1000)


async def reserve(csms, rid, seconds, intro, say):
    """Narrate `intro`, reserve connector 1 for CARD, wait for Reserved; returns the ledger mark from before."""
    mark = csms.mark()
    say(intro)
    answer = await csms.call(CP_ID, "ReserveNow", {"connectorId": 1, "idTag": CARD, "reservationId": rid,
                                                   "expiryDate": expiry(seconds)})
    say("ReserveNow(connector 1, card " + CARD + ", reservationId " + str(rid) + ", for " + str(seconds) +
        " s): " + answer["status"] + ".")
    await wait_status(csms, 1, "Reserved", mark)
    return mark


async def expiring_reservation(csms, station, say):
    mark = await reserve(csms, 1, 5, "The central system reserves connector 1 for a driver who is on the way "
                         "(ReserveNow), for 5 s only.", say)
    say("Connector 1 reports Reserved. The driver does not come...")
    await wait_status(csms, 1, "Available", mark, timeout=15)
    say("...the reservation expired: connector 1 is Available again, nobody had to cancel it.")


async def used_reservation(csms, station, say):
    mark = await reserve(csms, 2, 600, "A new reservation, for 10 minutes this time.", say)
    say("Someone else plugs a car into connector 1: the connector stays Reserved.")
    await station.post("/plug", connector=1, ev_max_amps=16)
    say("They hold their card " + OTHER_CARD + " to the reader: the central system accepts the card (Authorize), "
        "but connector 1 is reserved for another card, so no charge starts.")
    await station.post("/tag", id_tag=OTHER_CARD, connector=1)
    await csms.wait_for("Authorize", lambda p: p["idTag"] == OTHER_CARD, after=mark)
    await station.post("/unplug", connector=1)
    say("They unplug and leave. The driver with the reservation arrives, plugs in and holds card " + CARD + ".")
    await station.post("/plug", connector=1, ev_max_amps=16)
    await station.post("/tag", id_tag=CARD, connector=1)
    start = await csms.wait_for("StartTransaction", after=mark, timeout=10)
    await wait_status(csms, 1, "Charging", mark)
    if start["payload"].get("reservationId") != 2:
        raise AssertionError("the StartTransaction does not carry reservationId 2: " + repr(start["payload"]))
    say("Charging. The StartTransaction carries reservationId " + str(start["payload"]["reservationId"]) +
        ", so the central system knows the reservation was used; it is over now.")
    cancel = await csms.call(CP_ID, "CancelReservation", {"reservationId": 2})
    say("CancelReservation(2) after the start: " + cancel["status"] + " (nothing left to cancel).")
    await station.post("/tag", id_tag=CARD)
    await wait_status(csms, 1, "Finishing", mark)
    await station.post("/unplug", connector=1)
    await wait_status(csms, 1, "Available", mark)
    say("The driver stops with the card and unplugs: connector 1 is Available.")


async def reservation_scenario(csms, station, say):
    await registration(csms, station, say)
    await expiring_reservation(csms, station, say)
    await used_reservation(csms, station, say)
