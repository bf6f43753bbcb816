"""The Local Authorization List and Remote Trigger scenarios under pytest (tx_suite.py runs them on MicroPython)."""

import pytest

from tests.micropython.lal_trigger_scenarios import SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_lal_trigger_scenario(scenario):
    scenario()
