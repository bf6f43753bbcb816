"""The power-cut torture of the core on PowerCutStorage (issue 14): 200 cuts, half of them in the middle of a
write; no transaction lost, no MeterValues gap, no journaled message lost, nothing sent again after its answer
was received. The same scenario runs on MicroPython (tests/micropython/tx_suite.py)."""

from tests.micropython import power_cut_scenarios
from tests.micropython.power_cut_storage import PowerCutStorage


def test_power_cut_storage_torture_200_cuts(record_property):
    figures = power_cut_scenarios.run(cuts=200)
    print("\npower-cut storage torture:", figures)
    record_property("figures", repr(figures))
    assert figures["cuts"] == 200 and figures["torn"] > 0


def test_power_cut_storage_drops_unsynced_and_tears():
    store = PowerCutStorage()
    store.append("j", b"durable", sync=True)
    store.append("j", b"lost", sync=False)
    store.write_atomic("doc", b"v1")
    store.cut()
    assert store.read("j") == b"durable" and store.read("doc") == b"v1"
    store.arm(1)
    store.append("j", b"+one", sync=True)
    store.append("j", b"+torn", sync=True)
    store.append("j", b"+gone", sync=True)
    store.write_atomic("doc", b"v2")
    assert store.dead
    store.cut()
    assert store.read("j") == b"durable+one+t" and store.read("doc") == b"v1"
