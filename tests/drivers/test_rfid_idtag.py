"""idTag formation rules (hardware.md §1.6 and §7)."""

import pytest
from hypothesis import given, strategies as st

from drivers.rfid import idtag


def test_vectors():
    assert idtag.from_uid(bytes.fromhex("DEADBEEF")) == "DEADBEEF"
    assert idtag.from_uid(bytes.fromhex("04A224B2C25C80")) == "04A224B2C25C80"
    assert idtag.from_uid(bytes(range(10))) == "00010203040506070809"     # 10-byte UID fills CiString20
    assert idtag.equals("deadbeef", "DEADBEEF")
    assert not idtag.equals("DEADBEEF", "DEADBEEE")
    assert not idtag.equals(None, "DEADBEEF")


def test_rejects_too_long_or_empty():
    with pytest.raises(ValueError):
        idtag.from_uid(bytes(11))
    with pytest.raises(ValueError):
        idtag.from_uid(b"")


def test_em4100_formats():
    data = bytes.fromhex("14008EC793")
    assert idtag.from_em4100(data) == "14008EC793"
    assert idtag.from_em4100(data, idtag.EM_HEX8) == "008EC793"
    assert idtag.from_em4100(data, idtag.EM_DEC10) == "0009357203"
    with pytest.raises(ValueError):
        idtag.from_em4100(data, "wiegand")
    with pytest.raises(ValueError):
        idtag.from_em4100(data[:4])


def test_is_valid_cistring20():
    assert idtag.is_valid("DEADBEEF")
    assert idtag.is_valid("x" * 20)
    assert not idtag.is_valid("x" * 21)
    assert not idtag.is_valid("")
    assert not idtag.is_valid("tab\there")
    assert not idtag.is_valid(b"DEADBEEF")
    assert idtag.normalize("deadBEEF") == "DEADBEEF"


@given(st.binary(min_size=1, max_size=10))
def test_any_uid_gives_a_valid_upper_case_tag_of_twice_its_length(uid):
    tag = idtag.from_uid(uid)
    assert idtag.is_valid(tag) and len(tag) == 2 * len(uid) and tag == tag.upper()
    assert bytes.fromhex(tag) == uid
    assert idtag.equals(tag.lower(), tag)
