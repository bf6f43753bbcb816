"""Reservation scenarios on CPython and MicroPython: ReserveNow, CancelReservation, connector 0, expiry and
persistence. Run from the project root:

    python tests/micropython/reservation_suite.py
    node tools/micropython/run.mjs tests/micropython/reservation_suite.py
"""

import suite  # first: sets sys.path and the heap baseline

from controller import log
from tests.micropython import reservation_scenarios

log.set_sink(lambda level, name, text: None, log.ERROR)   # the traffic log is noise here
suite.imported()

for scenario in reservation_scenarios.SCENARIOS:
    suite.check(scenario.__name__, scenario)

suite.finish()
