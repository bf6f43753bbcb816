"""Modbus RTU framing, validation and client behaviour (hardware.md §2.1, §6 rows 4-5, §7 vectors)."""

import pytest

from drivers.hal.clock import FakeClock
from drivers.hal.emulated import EmulatedSerial
from drivers.meter import modbus_rtu as mb
from drivers.sim.modbus_meter_emulator import ModbusMeterEmulator
from drivers.sim.multidrop import MultiDrop


def h(text):
    return bytes.fromhex(text)


def test_crc_check_value_and_request_vectors():
    assert mb.crc16(b"123456789") == 0x4B37
    assert mb.read_request(1, 3, 0x0000, 10) == h("01 03 00 00 00 0A C5 CD")
    assert mb.read_request(1, 3, 0x0000, 1) == h("01 03 00 00 00 01 84 0A")
    assert mb.read_request(1, 4, 0x0000, 2) == h("01 04 00 00 00 02 71 CB")
    assert mb.read_request(1, 4, 0x0006, 2) == h("01 04 00 06 00 02 91 CA")
    assert mb.read_request(1, 4, 0x000C, 2) == h("01 04 00 0C 00 02 B1 C8")
    assert mb.read_request(1, 4, 0x0034, 2) == h("01 04 00 34 00 02 30 05")
    assert mb.read_request(1, 4, 0x0046, 2) == h("01 04 00 46 00 02 90 1E")
    assert mb.read_request(1, 4, 0x0048, 2) == h("01 04 00 48 00 02 F1 DD")
    assert mb.read_request(1, 4, 0x0048, 4) == h("01 04 00 48 00 04 71 DF")
    assert mb.read_request(1, 4, 0x0156, 2) == h("01 04 01 56 00 02 90 27")
    assert mb.read_request(1, 4, 0x0000, 6) == h("01 04 00 00 00 06 70 08")
    assert mb.read_request(1, 4, 0x0000, 18) == h("01 04 00 00 00 12 70 07")
    assert mb.read_request(1, 3, 0x5B00, 2) == h("01 03 5B 00 00 02 D7 2F")
    assert mb.read_request(1, 3, 0x5B0C, 2) == h("01 03 5B 0C 00 02 17 2C")
    assert mb.read_request(1, 3, 0x5B14, 2) == h("01 03 5B 14 00 02 97 2B")
    assert mb.read_request(1, 3, 0x5000, 4) == h("01 03 50 00 00 04 55 09")
    assert mb.read_request(2, 3, 0x001C, 2) == h("02 03 00 1C 00 02 05 FE")


def test_response_vectors_parse():
    assert mb.parse_response(h("01 04 04 43 66 33 33 5A FA"), 1, 4, 2) == h("43 66 33 33")
    assert mb.parse_response(h("01 04 04 44 9A 52 25 33 E0"), 1, 4, 2) == h("44 9A 52 25")
    assert mb.parse_response(h("01 04 08 44 9A 52 25 00 00 00 00 5B B2"), 1, 4, 4) == h("44 9A 52 25 00 00 00 00")
    assert mb.parse_response(h("01 03 04 00 00 08 FE 7C 73"), 1, 3, 2) == h("00 00 08 FE")
    assert mb.parse_response(h("01 03 08 00 00 00 00 00 01 E2 40 8D 47"), 1, 3, 4) == h("00 00 00 00 00 01 E2 40")
    assert mb.with_crc(h("01 04 0C 43 66 33 33 43 67 00 00 43 65 80 00")) == \
        h("01 04 0C 43 66 33 33 43 67 00 00 43 65 80 00 F6 BC")
    assert mb.crc_ok(h("01 04 24 43 66 33 33 43 67 00 00 43 65 80 00 41 80 66 66 41 7E 66 66 41 80 CC CD "
                       "45 66 08 00 45 64 20 00 45 66 A4 00 E3 03"))
    assert mb.crc_ok(h("01 03 04 FF FF FF FF FB A7"))


def test_exception_crc_and_echo_errors():
    with pytest.raises(mb.ModbusException) as e:
        mb.parse_response(h("01 84 02 C2 C1"), 1, 4, 2)
    assert (e.value.fc, e.value.code) == (4, 2)
    with pytest.raises(mb.ModbusCrcError):
        mb.parse_response(h("01 04 04 43 66 33 33 5A FB"), 1, 4, 2)
    with pytest.raises(mb.ModbusFrameError):
        mb.parse_response(mb.with_crc(h("02 04 04 43 66 33 33")), 1, 4, 2)    # another slave
    with pytest.raises(mb.ModbusFrameError):
        mb.parse_response(mb.with_crc(h("01 03 04 43 66 33 33")), 1, 4, 2)    # other function code
    with pytest.raises(mb.ModbusFrameError):
        mb.parse_response(h("01 04 04 43 66 33 33 5A FA"), 1, 4, 4)           # fewer registers than asked
    with pytest.raises(mb.ModbusTimeout):
        mb.parse_response(h("01 04"), 1, 4, 2)


def test_write_multiple_frames():
    req = mb.write_request(1, 0x001C, h("40 00 00 00"))
    assert req == mb.with_crc(h("01 10 00 1C 00 02 04 40 00 00 00"))
    assert mb.parse_response(mb.with_crc(h("01 10 00 1C 00 02")), 1, 0x10, 2, 0x001C) == b""
    with pytest.raises(mb.ModbusFrameError):
        mb.parse_response(mb.with_crc(h("01 10 00 1D 00 02")), 1, 0x10, 2, 0x001C)
    with pytest.raises(ValueError):
        mb.write_request(1, 0, b"\x01")


def test_response_length_and_limits():
    assert mb.response_length(4, 2) == 9
    assert mb.response_length(3, 125) == 255
    assert mb.response_length(4, 2, h("01 84")) == 5
    assert mb.response_length(0x10, 2) == 8
    with pytest.raises(ValueError):
        mb.read_request(1, 4, 0, 126)
    with pytest.raises(ValueError):
        mb.read_request(1, 6, 0, 1)


def test_frame_gap():
    assert mb.frame_gap_ms(9600) == 4          # 3.5 x 1.042 ms = 3.65 ms -> 4
    assert mb.frame_gap_ms(2400) == 15         # 14.6 ms
    assert mb.frame_gap_ms(115200) == 2        # fixed 1.75 ms above 19200


class Rig:
    def __init__(self, model="sdm630", retries=2, baud=9600):
        self.clock = FakeClock()
        self.emu = ModbusMeterEmulator(model, 1, self.clock, energy_wh=1234567)
        self.serial = EmulatedSerial(self.emu, self.clock)
        self.client = mb.ModbusClient(self.serial, self.clock, baudrate=baud, timeout_ms=300, retries=retries)


def test_client_reads_emulator_with_byte_exact_request():
    r = Rig()
    assert r.client.read_input(1, 0x0048, 2) == h("44 9A 52 25")
    assert r.serial.tx_log[-1] == h("01 04 00 48 00 02 F1 DD")


def test_crc_error_is_retried_and_counted():
    r = Rig()
    r.emu.inject_crc_error(1)
    assert r.client.read_input(1, 0x0048, 2) == h("44 9A 52 25")
    assert r.client.stats["crc_errors"] == 1 and r.client.stats["ok"] == 1


def test_timeout_retries_then_gives_up():
    r = Rig(retries=2)
    r.emu.inject_timeout(2)
    assert r.client.read_input(1, 0x0048, 2) == h("44 9A 52 25")
    r.emu.set_lost(True)
    t0 = r.clock.ticks_ms()
    with pytest.raises(mb.ModbusTimeout):
        r.client.read_input(1, 0x0048, 2)
    assert r.client.stats["timeouts"] == 5
    assert r.clock.ticks_diff(r.clock.ticks_ms(), t0) >= 3 * 300     # three full waits, in simulated time


def test_exception_is_final_but_busy_is_retried():
    r = Rig()
    with pytest.raises(mb.ModbusException) as e:
        r.client.read_input(1, 0x0100, 2)          # no such register
    assert e.value.code == 2 and r.client.stats["requests"] == 1
    r.emu.inject_exception(6, 1)
    assert r.client.read_input(1, 0x0048, 2) == h("44 9A 52 25")
    r.emu.inject_exception(1, 1)
    with pytest.raises(mb.ModbusException):
        r.client.read_input(1, 0x0048, 2)


def test_answer_from_wrong_slave_is_discarded_and_retried():
    r = Rig()
    r.emu.inject_wrong_address(1)
    assert r.client.read_input(1, 0x0048, 2) == h("44 9A 52 25")
    assert r.client.stats["frame_errors"] == 1


def test_noise_before_reply_and_truncated_reply():
    r = Rig()
    r.serial.noise_before_reply(b"\x00\x13", count=1)
    assert r.client.read_input(1, 0x0048, 2) == h("44 9A 52 25")
    assert r.client.stats["crc_errors"] + r.client.stats["frame_errors"] == 1


def test_other_slaves_on_the_line_stay_silent():
    clock = FakeClock()
    line = MultiDrop([ModbusMeterEmulator("sdm630", 1, clock, energy_wh=1000),
                      ModbusMeterEmulator("sdm120", 2, clock, energy_wh=2000)])
    client = mb.ModbusClient(EmulatedSerial(line, clock), clock, retries=0)
    assert client.read_input(2, 0x0048, 2) == h("40 00 00 00")            # 2.0 kWh
    with pytest.raises(mb.ModbusTimeout):
        client.read_input(3, 0x0048, 2)


def test_inter_frame_gap_is_kept_between_requests():
    r = Rig(baud=2400)
    times = []
    dev = r.emu
    real = dev.receive

    def stamp(data):
        times.append(r.clock.ticks_ms())
        real(data)
    dev.receive = stamp
    r.client.read_input(1, 0x0048, 2)
    r.client.read_input(1, 0x0048, 2)
    assert times[1] - times[0] >= mb.frame_gap_ms(2400)


def test_emulator_ignores_bad_crc_and_answers_exceptions():
    clock = FakeClock()
    emu = ModbusMeterEmulator("sdm630", 1, clock)
    emu.receive(h("01 04 00 48 00 02 F1 DE"))
    assert emu.pending() == b""
    emu.receive(h("01 04 00 48 00"))                              # incomplete frame: waits
    assert emu.pending() == b""
    emu = ModbusMeterEmulator("abb_b23", 1, clock)
    emu.receive(mb.read_request(1, 4, 0x5000, 4))
    assert emu.pending() == mb.with_crc(h("01 84 01"))           # ABB serves holding registers only


def test_write_then_read_holding_register():
    r = Rig()
    r.client.write_registers(1, 0x001C, h("40 A0 00 00"))          # baud code 5.0
    assert r.client.read_holding(1, 0x001C, 2) == h("40 A0 00 00")
    with pytest.raises(mb.ModbusException):
        r.client.write_registers(1, 0x0100, h("00 00 00 00"))
