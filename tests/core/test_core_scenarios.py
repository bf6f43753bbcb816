"""The core scenario suite under pytest (the same scenarios run on MicroPython via core_suite.py)."""

import pytest

from tests.micropython.core_scenarios import SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_core_scenario(scenario):
    scenario()
