"""tools/relay_test.py run through main() against the emulators, including failing devices."""

import json

import pytest

from tools import relay_test


def run(capsys, *argv):
    code = relay_test.main(list(argv))
    return code, capsys.readouterr().out


def test_healthy_hardware_passes(capsys):
    code, out = run(capsys, "--emulate")
    assert code == 0
    assert "contactor: closed, feedback confirmed" in out
    assert "lock: locked after 800 ms (1 attempt)" in out
    assert "rcd: self-test passed" in out
    assert out.strip().splitlines()[-1].startswith("VERDICT: OK")


def test_two_cycles_respect_the_wear_limit(capsys):
    code, out = run(capsys, "--emulate", "--cycles", "2", "--skip-lock", "--skip-rcd")
    assert code == 0
    assert "waiting" in out and "relay wear limit" in out
    assert "contactor: 2 closing(s) in this test" in out


@pytest.mark.parametrize("fault,verdict,text", [
    ("weld", "contactor welded", "WELDED"),
    ("fail-close", "contactor no_close", "did NOT close"),
    ("spurious", "contactor spurious", "changed without a command"),
    ("jam", "lock lock_failed", "did NOT lock"),
    ("jam-unlock", "lock unlock_failed", "did NOT unlock"),
    ("rcd-dead", "rcd selftest", "self-test FAILED"),
    ("rcd-stuck", "rcd trip", "tripped before the test"),
])
def test_failing_devices_exit_1(capsys, fault, verdict, text):
    code, out = run(capsys, "--emulate", "--emulate-fault", fault)
    assert code == 1
    assert text in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("VERDICT: FAIL") and verdict in last


def test_lock_retry_is_not_a_failure(capsys):
    code, out = run(capsys, "--emulate", "--emulate-fault", "jam-once", "--skip-contactor", "--skip-rcd")
    assert code == 0
    assert "(2 attempts)" in out


def test_usage_errors_exit_2(capsys):
    assert run(capsys, "--emulate-fault", "weld")[0] == 2          # fault without --emulate
    assert run(capsys, "--emulate", "--emulate-fault", "bogus")[0] == 2
    assert run(capsys, "--emulate", "--cycles", "0")[0] == 2
    code, out = run(capsys, "--coil", "17")                         # real hardware without --yes
    assert code == 2 and "--yes" in out
    assert run(capsys, "--yes")[0] == 2                             # nothing configured
    assert run(capsys, "--yes", "--lock-a", "5")[0] == 2


def test_help_exits_0(capsys):
    code, out = run(capsys, "--help")
    assert code == 0 and "relay-test" in out and "--emulate-fault" in out


def test_emulated_board_file(capsys, tmp_path):
    board = {"name": "t", "hal": "emulated", "rating": {"amps": 32, "phases": 1, "volts": 230},
             "connectors": [{"id": 1, "cable": "socket", "max_amps": 32, "phases": 1}]}
    path = tmp_path / "board.json"
    path.write_text(json.dumps(board))
    code, out = run(capsys, "--board", str(path), "--skip-contactor")
    assert code == 0 and "emulated hardware" in out
    assert run(capsys, "--board", str(path), "--connector", "2")[0] == 2
    assert run(capsys, "--board", str(tmp_path / "missing.json"))[0] == 2


def test_real_hardware_missing_is_a_failure_not_a_crash(capsys, tmp_path):
    # a linux board on a machine without GPIO access: the tool reports, it does not raise
    board = {"name": "t", "hal": "linux", "gpio_backend": "gpiod",
             "rating": {"amps": 32, "phases": 1, "volts": 230},
             "connectors": [{"id": 1, "cable": "socket", "max_amps": 32, "phases": 1,
                             "contactor": {"driver": "contactor", "coil": 17, "feedback": {"pin": 23}}}]}
    path = tmp_path / "board.json"
    path.write_text(json.dumps(board))
    code, out = run(capsys, "--board", str(path), "--yes", "--chip", str(tmp_path / "nochip"))
    assert code == 1 and "VERDICT: FAIL" in out
