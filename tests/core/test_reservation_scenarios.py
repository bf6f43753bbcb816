"""The reservation scenarios under pytest (the same scenarios run on MicroPython via tx_suite.py)."""

import pytest

from tests.micropython.reservation_scenarios import SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_reservation_scenario(scenario):
    scenario()
