"""The technician tools on the shared board factory: `--board boards/desktop-sim.json --emulate` (and the board's
name alone) still runs every tool against its emulators, and a bad board file is a usage error with the loader's
message."""

import io
import json

import pytest

from tools import bus_scan, meter_read, pilot_watch, relay_test, rfid_scan

BOARD = "boards/desktop-sim.json"


def run(tool, *argv):
    out = io.StringIO()
    return tool.main(list(argv), out=out), out.getvalue()


@pytest.mark.parametrize("argv", [["--board", BOARD, "--emulate"], ["--board", "desktop-sim"]])
def test_device_tools_on_the_desktop_sim_board(argv):
    code, text = run(rfid_scan, *argv)
    assert code == 0 and "emulated PN532" in text          # the board's reader block
    code, text = run(meter_read, *argv)
    assert code == 0 and "emulated sdm630, id 1" in text     # the first meter block, 9600 baud from its bus
    code, text = run(bus_scan, "modbus", "--range", "1-2", *argv)
    assert code == 0 and "VERDICT: PASS" in text


def test_relay_and_pilot_tools_on_the_desktop_sim_board(capsys):
    assert relay_test.main(["--board", BOARD, "--emulate", "--connector", "2"]) == 0
    assert "emulated hardware" in capsys.readouterr().out
    assert pilot_watch.main(["--board", BOARD, "--emulate", "--count", "2", "--amps", "16"]) == 0
    assert "26.7 % (16.0 A)" in capsys.readouterr().out


def test_board_errors_are_usage_errors(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "x", "hal": "linux", "rating": {"amps": 16, "phases": 1, "volts": 230},
                               "connectors": [{"id": 1, "cable": "fixed", "max_amps": 16,
                                               "meter": {"driver": "sdm630", "bus": "nowhere"}}]}))
    code, text = run(meter_read, "--board", str(bad))
    assert code == 2 and "field 'connectors[0].meter.bus': must name a bus in buses" in text
    assert relay_test.main(["--board", str(bad), "--yes"]) == 2
    assert "connectors[0].meter.bus" in capsys.readouterr().out
