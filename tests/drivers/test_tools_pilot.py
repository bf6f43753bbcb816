"""tools/pilot_watch.py run through main() against the emulated EV and ADCs, including faults."""

import pytest

from tools import pilot_watch


def run(capsys, *argv):
    code = pilot_watch.main(list(argv))
    return code, capsys.readouterr().out


def lines(out):
    return [line for line in out.splitlines() if " state " in line]


@pytest.mark.parametrize("adc", ["burst", "ads1115"])
def test_watch_a_charging_ev(capsys, adc):
    code, out = run(capsys, "--emulate", "--adc", adc, "--amps", "16", "--count", "3")
    assert code == 0
    rows = lines(out)
    assert len(rows) == 3
    assert "state A" in rows[0] and "+12.00 V" in rows[0] and "PP no cable" in rows[0]
    assert "state C" in rows[1] and "+6.00 V / -12.00 V" in rows[1]
    assert "26.7 % (16.0 A)" in rows[1] and "PP 32 A (220 ohm)" in rows[1]
    assert out.strip().splitlines()[-1] == "VERDICT: OK (no pilot fault seen)"


def test_without_offer_the_ev_waits_in_b(capsys):
    code, out = run(capsys, "--emulate", "--count", "2")
    assert code == 0
    assert "state B" in lines(out)[1] and "steady +12 V (no offer)" in lines(out)[1]


def test_default_count_with_emulate_is_bounded(capsys):
    code, out = run(capsys, "--emulate", "--interval-ms", "40")
    assert code == 0 and len(lines(out)) == 10


@pytest.mark.parametrize("fault,verdict", [
    ("diode-short", "diode EVCommunicationError"),
    ("diode-missing", "diode EVCommunicationError"),
    ("cp-short", "short OtherError"),
    ("ventilation", "ventilation OtherError"),
    ("adc-fail", "adc OtherError"),
    ("pp-short", "pp OtherError"),
])
def test_faults_exit_1(capsys, fault, verdict):
    code, out = run(capsys, "--emulate", "--emulate-fault", fault, "--amps", "32", "--count", "3")
    assert code == 1
    assert "! p" in out                              # the fault line as it happened
    last = out.strip().splitlines()[-1]
    assert last.startswith("VERDICT: FAIL") and verdict in last


def test_ads1115_absent(capsys):
    code, out = run(capsys, "--emulate", "--adc", "ads1115", "--emulate-fault", "adc-fail", "--count", "3")
    assert code == 1 and "no I2C device answers at 0x48" in out


def test_digital_mode_and_no_ev(capsys):
    code, out = run(capsys, "--emulate", "--digital", "--emulate-fault", "no-ev", "--count", "2")
    assert code == 0
    assert "5.0 % (digital communication)" in out and "state A" in lines(out)[1]


def test_usage_errors_exit_2(capsys):
    assert run(capsys, "--emulate-fault", "cp-short")[0] == 2
    assert run(capsys, "--emulate", "--count", "0")[0] == 2
    assert run(capsys, "--emulate", "--amps", "16", "--digital")[0] == 2
    assert run(capsys, "--emulate", "--adc", "iio")[0] == 2
    assert run(capsys, "--emulate", "--interval-ms", "5")[0] == 2


def test_help_exits_0(capsys):
    code, out = run(capsys, "--help")
    assert code == 0 and "pilot-watch" in out


def test_desktop_sim_board_runs_emulated(capsys):
    code, out = run(capsys, "--board", "desktop-sim", "--count", "2", "--amps", "10")
    assert code == 0 and "emulated EV" in out and "16.7 % (10.0 A)" in out


def test_missing_hardware_is_a_failure_not_a_crash(capsys, tmp_path):
    # no sysfs PWM chip on the test machine
    import json
    board = {"name": "t", "hal": "linux", "rating": {"amps": 32, "phases": 1, "volts": 230},
             "connectors": [{"id": 1, "cable": "socket", "max_amps": 32, "phases": 1,
                             "pilot": {"driver": "pilot", "pwm": {"chip": 97}, "mode": "peak",
                                       "adc_high": {"type": "ads1115", "bus": "i2c", "channel": 0},
                                       "adc_low": {"type": "ads1115", "bus": "i2c", "channel": 1}}}],
             "buses": {"i2c": {"type": "i2c", "bus": 97}}}
    path = tmp_path / "board.json"
    path.write_text(json.dumps(board))
    code, out = run(capsys, "--board", str(path), "--count", "1")
    assert code == 1 and "cannot open the hardware" in out
