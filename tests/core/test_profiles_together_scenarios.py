"""The three-profile scenarios under pytest (tx_suite.py runs them on MicroPython)."""

import pytest

from tests.micropython.profiles_together_scenarios import SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_profiles_together_scenario(scenario):
    scenario()
