"""RDM6300 / ID-12LA driver and frame rules (hardware.md §1.2, §1.3, §7) against the RDM6300 emulator."""

import pytest

from drivers.hal.clock import FakeClock
from drivers.hal.emulated import EmulatedSerial
from drivers.rfid import rdm6300
from drivers.sim.rdm6300_emulator import Rdm6300Emulator
from drivers.sim.timeline import poll_reader

VECTOR = b"\x02" + b"14008EC793CE" + b"\x03"


def test_frame_vectors():
    assert bytes.fromhex("02 31 34 30 30 38 45 43 37 39 33 43 45 03") == VECTOR
    assert rdm6300.decode_frame(VECTOR[1:-1]) == bytes.fromhex("14008EC793")
    with pytest.raises(ValueError, match="checksum"):
        rdm6300.decode_frame(b"14008EC793CF")
    assert rdm6300.decode_frame(b"14008EC793CE\r\n") == bytes.fromhex("14008EC793")     # ID-12LA framing
    assert rdm6300.decode_frame(b"14008ec793ce") == bytes.fromhex("14008EC793")
    with pytest.raises(ValueError):
        rdm6300.decode_frame(b"14008EC793C")
    with pytest.raises(ValueError):
        rdm6300.decode_frame(b"14008EC793CG")
    assert rdm6300.encode_frame(bytes.fromhex("14008EC793")) == VECTOR


class Rig:
    def __init__(self, **kw):
        self.clock = FakeClock()
        self.emu = Rdm6300Emulator(self.clock, interval_ms=100)
        self.serial = EmulatedSerial(self.emu, self.clock)
        self.reader = rdm6300.Rdm6300(self.serial, self.clock, **kw)

    def poll(self, n=1, step_ms=100):
        return poll_reader(self.clock, self.reader, n, step_ms)


def test_card_in_field_reported_once_while_frames_repeat():
    r = Rig()
    assert r.poll(3) == []
    r.emu.present_card("14008EC793")
    assert r.poll(20) == [{"type": "tag", "id_tag": "14008EC793"}]
    assert r.reader.stats["frames"] >= 19
    r.emu.remove_card()
    r.poll(25)
    r.emu.present_card("14008EC793")
    assert r.poll(2) == [{"type": "tag", "id_tag": "14008EC793"}]


def test_checksum_error_is_dropped_and_counted():
    r = Rig()
    r.emu.bad_checksum(1)
    r.emu.present_card("14008EC793")
    assert r.poll(1) == []
    assert r.reader.stats["checksum_errors"] == 1
    assert r.poll(1) == [{"type": "tag", "id_tag": "14008EC793"}]


def test_id12la_framing_and_lower_case():
    r = Rig()
    r.emu.id12_framing = True
    r.emu.lower_case = True
    r.emu.present_card("14008EC793")
    assert r.poll(1) == [{"type": "tag", "id_tag": "14008EC793"}]


def test_garbage_and_truncated_frames_resync_at_next_stx():
    r = Rig()
    r.emu.garbage(b"\x7f\x31\xff")
    r.emu.truncated(1)
    r.emu.present_card("14008EC793")
    assert r.poll(1) == []
    assert r.poll(1) == [{"type": "tag", "id_tag": "14008EC793"}]
    assert r.reader.stats["framing_errors"] == 1


def test_frame_without_etx_is_abandoned_after_timeout():
    r = Rig()
    r.serial.device._out = b"\x0214008EC7"
    assert r.poll(1) == []
    r.clock.advance(200)
    assert r.poll(1) == []
    assert r.reader.stats["framing_errors"] == 1


def test_all_zero_tag_is_rejected():
    r = Rig()
    r.emu.present_card("0000000000")
    assert r.poll(3) == []
    assert r.reader.stats["zero_tags"] >= 1


def test_id_formats():
    r = Rig(id_format="dec10")
    r.emu.present_card("14008EC793")
    assert r.poll(1) == [{"type": "tag", "id_tag": "0009357203"}]
    r = Rig(id_format="hex8")
    r.emu.present_card("14008EC793")
    assert r.poll(1) == [{"type": "tag", "id_tag": "008EC793"}]
    with pytest.raises(ValueError):
        Rig(id_format="decimal")


def test_serial_failure_is_a_reader_fault_then_ok():
    r = Rig()
    r.serial.set_absent(True)
    assert [e["type"] for e in r.poll(3)] == ["reader_fault"]
    r.serial.set_absent(False)
    assert r.poll(1) == [{"type": "reader_ok"}]


def test_build_from_spec():
    clock = FakeClock()
    emu = Rdm6300Emulator()                        # without a clock: one frame per present_card
    reader = rdm6300.build({"driver": "rdm6300", "bus": EmulatedSerial(emu), "clock": clock,
                            "id_format": "hex8"})
    emu.present_card(bytes.fromhex("14008EC793"))
    assert reader.poll() == {"type": "tag", "id_tag": "008EC793"}
    assert reader.poll() is None
