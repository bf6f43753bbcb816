"""tools/rfid_scan.py, tools/meter_read.py and tools/bus_scan.py run through main([...]) against the emulators."""

import io
import json

import pytest

from tools import bus_scan, meter_read, rfid_scan


def run(tool, *argv):
    out = io.StringIO()
    code = tool.main(list(argv), out=out)
    return code, out.getvalue()


# -- rfid-scan -------------------------------------------------------------------------------------------------------

def test_rfid_scan_pn532_emulated_reads_demo_cards():
    code, text = run(rfid_scan, "--emulate")
    assert code == 0
    assert "idTag DEADBEEF" in text and "idTag 04A224B2C25C80" in text
    assert "VERDICT: PASS" in text


def test_rfid_scan_count_stops_early():
    code, text = run(rfid_scan, "--emulate", "--count", "1")
    assert code == 0 and "DEADBEEF" in text and "04A224B2C25C80" not in text


def test_rfid_scan_dead_reader_fails():
    code, text = run(rfid_scan, "--emulate", "--emulate-fault", "dead")
    assert code == 1
    assert "VERDICT: FAIL - ReaderFailure" in text


def test_rfid_scan_unplugged_fails():
    code, text = run(rfid_scan, "--emulate", "--emulate-fault", "unplugged")
    assert code == 1 and "serial" in text


@pytest.mark.parametrize("fault", ["garbage", "checksum"])
def test_rfid_scan_recovers_from_line_noise(fault):
    code, text = run(rfid_scan, "--emulate", "--emulate-fault", fault)
    assert code == 0 and "DEADBEEF" in text


def test_rfid_scan_rdm6300():
    code, text = run(rfid_scan, "--emulate", "--driver", "rdm6300")
    assert code == 0 and "idTag 14008EC793" in text
    code, text = run(rfid_scan, "--emulate", "--driver", "rdm6300", "--emulate-fault", "dead")
    assert code == 1 and "no frame from the RDM6300" in text


def test_rfid_scan_usage_errors():
    assert run(rfid_scan, "--driver", "mfrc522")[0] == 2
    code, text = run(rfid_scan)                        # no port, no board, no --emulate
    assert code == 2 and "no serial port" in text
    assert run(rfid_scan, "--help")[0] == 0


def test_rfid_scan_missing_port_is_a_failure():
    code, text = run(rfid_scan, "--port", "/dev/no-such-reader", "--duration", "0")
    assert code == 1 and "serial port unusable" in text


def test_rfid_scan_takes_settings_from_board_file(tmp_path):
    board = tmp_path / "board.json"
    board.write_text(json.dumps({"name": "x", "hal": "linux", "rating": {"amps": 16, "phases": 1, "volts": 230},
                                 "buses": {"uart": {"type": "serial", "port": "/dev/nothing", "baud": 9600}},
                                 "reader": {"driver": "rdm6300", "bus": "uart"},
                                 "connectors": [{"id": 1, "cable": "fixed", "max_amps": 16}]}))
    code, text = run(rfid_scan, "--board", str(board), "--emulate")
    assert code == 0 and "RDM6300" in text
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert run(rfid_scan, "--board", str(bad), "--emulate")[0] == 2
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    assert run(rfid_scan, "--board", str(empty), "--emulate")[0] == 2


# -- meter-read ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("driver", ["sdm630", "sdm120", "abb_b23", "ina226"])
def test_meter_read_one_reading_each_driver(driver):
    code, text = run(meter_read, "--emulate", "--driver", driver)
    assert code == 0, text
    assert "Energy.Active.Import.Register" in text and "VERDICT: PASS" in text
    assert text.count("-- reading") == 1


def test_meter_read_watch_table_lists_every_measurand():
    code, text = run(meter_read, "--emulate", "--driver", "sdm630", "--watch", "--count", "3")
    assert code == 0 and text.count("-- reading") == 3
    for key in ("Voltage.L3", "Current.Import.L2", "Power.Active.Import.L1", "Power.Factor", "Frequency"):
        assert key in text


@pytest.mark.parametrize("fault", ["timeout", "crc"])
def test_meter_read_transient_faults_pass(fault):
    code, text = run(meter_read, "--emulate", "--emulate-fault", fault)
    assert code == 0 and "bus statistics" in text


@pytest.mark.parametrize("driver,fault", [("sdm630", "lost"), ("abb_b23", "exception"), ("ina226", "absent")])
def test_meter_read_failing_device(driver, fault):
    code, text = run(meter_read, "--emulate", "--driver", driver, "--emulate-fault", fault)
    assert code == 1 and "PowerMeterFailure" in text and "VERDICT: FAIL" in text


def test_meter_read_reset_shows_monotonic_note():
    code, text = run(meter_read, "--emulate", "--driver", "sdm120", "--watch", "--count", "3",
                     "--emulate-fault", "reset")
    assert code == 0 and "note: energy register dropped" in text


def test_meter_read_usage_errors():
    assert run(meter_read, "--driver", "xyz")[0] == 2
    code, text = run(meter_read, "--driver", "sdm630")
    assert code == 2 and "no serial port" in text
    assert run(meter_read, "--emulate", "--driver", "ina226", "--shunt-ohms", "0.000001")[0] == 2


def test_meter_read_address_in_hex_and_board_file(tmp_path):
    board = tmp_path / "b.json"
    board.write_text(json.dumps({"name": "dc", "hal": "linux", "rating": {"amps": 16, "phases": 1, "volts": 230},
                                 "buses": {"i2c": {"type": "i2c", "bus": 1}},
                                 "connectors": [{"id": 1, "cable": "fixed", "max_amps": 16,
                                                 "meter": {"driver": "ina226", "bus": "i2c", "address": 69,
                                                           "shunt_ohms": 0.01, "max_current_a": 5}}]}))
    code, text = run(meter_read, "--board", str(board), "--emulate")
    assert code == 0 and "0x45" in text
    code, text = run(meter_read, "--emulate", "--driver", "ina226", "--address", "0x41")
    assert code == 0 and "0x41" in text


# -- bus-scan ------------------------------------------------------------------------------------------------------

def test_bus_scan_modbus_finds_emulated_meters_with_progress():
    code, text = run(bus_scan, "modbus", "--emulate")
    assert code == 0
    assert "id   1: answered" in text and "id   2: answered with exception 1" in text
    assert "probing id 247 (247/247)" in text
    assert "VERDICT: PASS - 2 device(s)" in text


def test_bus_scan_modbus_range_and_absent_devices():
    code, text = run(bus_scan, "modbus", "--emulate", "--range", "2-3")
    assert code == 0 and "id   1" not in text and "id   2" in text
    code, text = run(bus_scan, "modbus", "--emulate", "--emulate-fault", "absent", "--range", "1-20")
    assert code == 1 and "no device answered" in text


def test_bus_scan_modbus_garbled_device_fails():
    code, text = run(bus_scan, "modbus", "--emulate", "--emulate-fault", "noisy", "--range", "1-4")
    assert code == 1 and "garbled" in text


def test_bus_scan_i2c():
    code, text = run(bus_scan, "i2c", "--emulate")
    assert code == 0 and "0x40" in text and "0x45" in text
    code, text = run(bus_scan, "i2c", "--emulate", "--emulate-fault", "absent")
    assert code == 1


def test_bus_scan_usage_errors():
    assert run(bus_scan)[0] == 2
    assert run(bus_scan, "modbus", "--emulate", "--range", "0-300")[0] == 2
    assert run(bus_scan, "spi")[0] == 2


# -- the same tools on a real serial port (a pty with an emulator on the other end) -------------------------------

def test_rfid_scan_on_a_serial_port(pty_bridge):
    from drivers.sim.pn532_emulator import PN532Emulator
    emu = PN532Emulator()
    emu.present_card("04A224B2C25C80")
    b = pty_bridge(emu)
    code, text = run(rfid_scan, "--port", b.port, "--count", "1", "--duration", "5", "--interval-ms", "20")
    assert code == 0 and "idTag 04A224B2C25C80" in text


def test_meter_read_on_a_serial_port(pty_bridge):
    from drivers.sim.modbus_meter_emulator import ModbusMeterEmulator
    b = pty_bridge(ModbusMeterEmulator("sdm120", 3, energy_wh=4321, current=6.0))
    code, text = run(meter_read, "--driver", "sdm120", "--port", b.port, "--address", "3")
    assert code == 0 and "4321 Wh" in text and "Current.Import.L1" in text


def test_bus_scan_on_a_serial_port(pty_bridge):
    from drivers.sim.modbus_meter_emulator import ModbusMeterEmulator
    b = pty_bridge(ModbusMeterEmulator("sdm630", 2))
    code, text = run(bus_scan, "modbus", "--port", b.port, "--baud", "19200", "--range", "1-3",
                     "--timeout-ms", "30")
    assert code == 0 and "id   2: answered" in text and "id   1" not in text
