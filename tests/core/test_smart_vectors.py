"""The composite schedule's golden vectors under pytest (the same table runs on MicroPython via smart_suite.py)."""

import pytest

from tests.micropython.smart_vectors import VECTORS, check


def test_there_are_at_least_40_vectors():
    assert len(VECTORS) >= 40 and len(set(v["name"] for v in VECTORS)) == len(VECTORS)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_composite_vector(vector):
    assert check(vector) is None, check(vector)
