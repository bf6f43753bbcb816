"""Fixtures shared by the driver and tool tests."""

import pytest


@pytest.fixture
def pty_bridge():
    """make(device) -> a started PtyBridge with `device` on its master side (its `.port` is the slave's path);
    every bridge made is closed after the test."""
    from drivers.sim.pty_bridge_linux import PtyBridge
    made = []

    def make(device):
        b = PtyBridge(device).start()
        made.append(b)
        return b
    yield make
    for b in made:
        b.close()
