"""PN532 driver against the wire-level PN532 emulator over the emulated serial port, in simulated time."""

import pytest

from drivers.hal.clock import FakeClock
from drivers.hal.emulated import EmulatedSerial
from drivers.rfid import pn532
from drivers.rfid import pn532_frame as pf
from drivers.sim.pn532_emulator import PN532Emulator
from drivers.sim.timeline import poll_reader


def h(text):
    return bytes.fromhex(text)


class Rig:
    def __init__(self, **kw):
        self.clock = FakeClock()
        self.emu = PN532Emulator()
        self.serial = EmulatedSerial(self.emu, self.clock)
        self.reader = pn532.PN532(self.serial, self.clock, **kw)

    def poll(self, n=1, step_ms=250):
        return poll_reader(self.clock, self.reader, n, step_ms)


@pytest.fixture
def rig():
    r = Rig()
    assert r.reader.poll() == {"type": "reader_ok", "info": "PN532 firmware 1.6"}
    return r


def test_init_sequence_on_the_wire():
    r = Rig()
    r.reader.poll()
    assert r.serial.tx_log[:4] == [
        b"\x55\x55" + b"\x00" * 15,
        h("00 00 FF 05 FB D4 14 01 14 01 02 00"),          # SAMConfiguration, normal mode
        h("00 00 FF 02 FE D4 02 2A 00"),                    # GetFirmwareVersion
        h("00 00 FF 06 FA D4 32 05 FF 01 10 E5 00"),        # RFConfiguration MaxRetries, finite passive retries
    ]
    assert r.emu.passive_retries == 0x10
    assert r.reader.firmware == {"ic": 0x32, "ver": 1, "rev": 6, "support": 7}


def test_emulator_ignores_frames_until_woken():
    emu = PN532Emulator()
    emu.receive(pf.command_frame(pf.GET_FIRMWARE_VERSION))
    assert emu.pending() == b""
    emu.receive(b"\x55\x55\x00\x00" + pf.command_frame(pf.GET_FIRMWARE_VERSION))
    assert emu.pending() == pf.ACK_FRAME + h("00 00 FF 06 FA D5 03 32 01 06 07 E8 00")


def test_poll_sends_in_list_passive_target_and_reports_card_once(rig):
    assert rig.poll(3) == []
    assert rig.serial.tx_log[-1] == h("00 00 FF 04 FC D4 4A 01 00 E1 00")
    rig.emu.present_card("DEADBEEF")
    assert rig.poll(10) == [{"type": "tag", "id_tag": "DEADBEEF", "atqa": 0x0004, "sak": 0x08}]


def test_same_card_again_only_after_it_was_away_for_repeat_ms(rig):
    rig.emu.present_card("04A224B2C25C80")
    assert len(rig.poll(2)) == 1
    rig.emu.remove_card()
    rig.poll(2)                                  # away 500 ms: less than repeat_ms
    rig.emu.present_card("04A224B2C25C80")
    assert rig.poll(2) == []
    rig.emu.remove_card()
    rig.poll(12)                                 # away 3 s
    rig.emu.present_card("04A224B2C25C80")
    assert [e["id_tag"] for e in rig.poll(2)] == ["04A224B2C25C80"]


def test_a_different_card_is_reported_at_once(rig):
    rig.emu.present_card("DEADBEEF")
    rig.poll(1)
    rig.emu.present_card("04A224B2C25C80")
    assert [e["id_tag"] for e in rig.poll(1)] == ["04A224B2C25C80"]


def test_garbage_before_the_response_is_skipped(rig):
    rig.emu.present_card("DEADBEEF")
    rig.emu.garbage(b"\x13\x00\xff\x07\x42\x00", count=1)
    assert [e["id_tag"] for e in rig.poll(1)] == ["DEADBEEF"]
    assert rig.reader.garbage_bytes > 0


def test_bad_checksum_is_asked_again_with_nack(rig):
    rig.emu.present_card("DEADBEEF")
    rig.emu.bad_checksum(1)
    assert [e["id_tag"] for e in rig.poll(1)] == ["DEADBEEF"]
    assert rig.serial.tx_log[-1] == pf.NACK_FRAME
    assert rig.reader.stats["nacks_sent"] == 1 and rig.reader.stats["bad_frames"] == 1


def test_bad_length_checksum_resyncs_then_times_out_without_fault(rig):
    rig.emu.present_card("DEADBEEF")
    rig.emu.bad_length_checksum(1)
    assert rig.poll(1) == []                      # response lost: one failure, no fault yet
    assert rig.serial.tx_log[-1] == pf.ACK_FRAME  # pending command aborted
    assert [e["id_tag"] for e in rig.poll(1)] == ["DEADBEEF"]


def test_error_frame_fails_the_command(rig):
    rig.emu.error_frame(1)
    assert rig.poll(1) == []
    assert rig.reader.stats["error_frames"] == 1
    rig.emu.present_card("DEADBEEF")
    assert len(rig.poll(1)) == 1


def test_dead_reader_gives_one_fault_then_recovers_with_backoff(rig):
    rig.emu.go_dead()
    events = rig.poll(3)
    assert len(events) == 1 and events[0]["type"] == "reader_fault"
    assert events[0]["error_code"] == "ReaderFailure" and "no ACK" in events[0]["info"]
    assert rig.poll(40) == []                     # still dead: no repeated fault events
    inits = rig.reader.stats["inits"]
    rig.poll(40)
    assert rig.reader.stats["inits"] - inits <= 3  # back-off: retries get sparser (up to 5 s apart)
    rig.emu.revive()                              # power cycle: asleep again, needs the wake-up
    events = rig.poll(25)
    assert [e["type"] for e in events] == ["reader_ok"]
    rig.emu.present_card("DEADBEEF")
    assert [e["type"] for e in rig.poll(1)] == ["tag"]


def test_reader_absent_at_start_reports_fault_after_max_failures():
    r = Rig(max_failures=3)
    r.emu.go_dead()
    events = r.poll(20, step_ms=100)
    assert [e["type"] for e in events] == ["reader_fault"]
    assert r.reader.stats["inits"] >= 3


def test_unplugged_adapter_is_a_fault_not_an_exception(rig):
    rig.serial.set_absent(True)
    events = rig.poll(3)
    assert [e["type"] for e in events] == ["reader_fault"] and "serial" in events[0]["info"]
    rig.serial.set_absent(False)
    assert [e["type"] for e in rig.poll(30)] == ["reader_ok"]


def test_response_without_ack_is_a_failure(rig):
    rig.emu.no_ack(1)
    assert rig.poll(1) == []
    assert rig.reader.stats["no_ack"] == 1


def test_health_check_sends_get_firmware_version(rig):
    rig.clock.advance(31000)
    rig.reader.poll()
    sent = [f for f in rig.serial.tx_log if f.startswith(b"\x00\x00\xff")]
    assert sent[-2] == pf.command_frame(pf.GET_FIRMWARE_VERSION)
    assert sent[-1] == pf.command_frame(pf.IN_LIST_PASSIVE_TARGET, b"\x01\x00")


def test_default_infinite_retries_would_block_so_driver_must_not_use_them():
    emu = PN532Emulator()
    emu.receive(b"\x55" + pf.command_frame(pf.IN_LIST_PASSIVE_TARGET, b"\x01\x00"))
    assert emu.pending() == pf.ACK_FRAME             # no answer while no card: waits forever
    emu.present_card("DEADBEEF")
    assert emu.pending().startswith(h("00 00 FF 0C F4 D5 4B 01 01"))
    with pytest.raises(ValueError):
        pn532.PN532(None, FakeClock(), passive_retries=0xFF)


def test_timeouts_are_bounded(rig):
    rig.emu.no_response(1)
    t0 = rig.clock.ticks_ms()
    rig.reader.poll()
    assert rig.clock.ticks_diff(rig.clock.ticks_ms(), t0) <= rig.reader.ack_timeout_ms + \
        rig.reader.response_timeout_ms + 20


def test_build_from_spec():
    clock = FakeClock()
    emu = PN532Emulator()
    r = pn532.build({"driver": "pn532", "bus": EmulatedSerial(emu, clock), "clock": clock, "repeat_ms": 0})
    assert r.poll()["type"] == "reader_ok"
    emu.present_card("DEADBEEF")
    assert r.poll()["type"] == "tag" and r.poll()["type"] == "tag"    # repeat_ms 0: every read
