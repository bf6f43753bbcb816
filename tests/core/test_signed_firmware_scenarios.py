"""The SignedUpdateFirmware scenarios under pytest (tx_suite.py runs them on MicroPython)."""

import pytest

from tests.micropython.signed_firmware_scenarios import SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_signed_firmware_scenario(scenario):
    scenario()
