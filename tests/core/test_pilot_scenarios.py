"""The pilot-driven connector scenarios under pytest (also run on MicroPython via the core suite)."""

import pytest

from tests.micropython.pilot_scenarios import SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_pilot_scenario(scenario):
    scenario()
