"""The security event scenarios under pytest (tx_suite.py runs them on MicroPython)."""

import pytest

from tests.micropython.security_event_scenarios import SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_security_event_scenario(scenario):
    scenario()
