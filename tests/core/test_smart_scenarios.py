"""The smart-charging scenarios under pytest (the same scenarios run on MicroPython via smart_suite.py)."""

import pytest

from tests.micropython.smart_scenarios import SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_smart_scenario(scenario):
    scenario()
