"""relay-test on boards/raspberry-pi.json against the emulated EVSE Pi HAT: the connector's watchdog block keeps
GPIO4 toggling while the relay (GPIO17) is closed, so the HAT raises no GFI; without the block it does.

Two ways onto the HAT: the Linux HAL with a stand-in RPi.GPIO (GPIO4 as the GPIO library's software PWM), and
the HAT's own emulated HAL without PWM (GPIO4 toggled at each poll of the tool's wait loop)."""

import json

import pytest

import boards
from drivers.hal.clock import FakeClock
from drivers.hal.linux import LinuxHal
from drivers.sim.pi_hat_gfi import PiHatGfi, PiHatHal
from tests.drivers.test_watchdog_boards import HatGpio
from tools import relay_test

BOARD = "boards/raspberry-pi.json"


def linux_hal(hat, clock):
    return LinuxHal(boards.load(BOARD), clock, gpio_module=HatGpio(hat))


def polled_hal(hat, clock):
    return PiHatHal(hat, clock, pin_pwm=False)


@pytest.fixture(params=[linux_hal, polled_hal], ids=["soft-pwm", "polled-toggle"])
def hat_run(request, capsys):
    """run(board path, *options, clock=None) -> (exit code, output, hat): relay-test main() on a fresh emulated
    HAT, which stays in run.hat if main() raises."""
    def run(board, *options, clock=None):
        clock = clock or FakeClock(1000)
        run.hat = PiHatGfi(clock)
        code = relay_test.main(["--board", board, "--yes"] + list(options), hal=request.param(run.hat, clock))
        return code, capsys.readouterr().out, run.hat
    return run


def test_the_watchdog_keeps_the_relay_closed_without_a_gfi(hat_run):
    code, out, hat = hat_run(BOARD, "--cycles", "2", "--hold-ms", "3000", "--skip-rcd")
    assert code == 0 and "VERDICT: OK" in out, out
    assert out.count("contactor: closed, feedback confirmed") == 2 and "waiting" in out     # the wear limit too
    assert not hat.tripped and hat.cause is None
    assert hat.watchdog_pin.get() is False and not hat.watchdog_pwm.duty()     # the line is back at its safe level


def test_the_whole_test_passes_with_the_gfi_self_test(hat_run):
    code, out, hat = hat_run(BOARD)
    assert code == 0 and "rcd: self-test passed" in out and "VERDICT: OK" in out, out
    assert not hat.tripped


def test_without_the_watchdog_block_the_hat_trips(hat_run, tmp_path):
    board = boards.load(BOARD)
    del board["connectors"][0]["watchdog"]
    path = tmp_path / "no-watchdog.json"
    path.write_text(json.dumps(board))
    code, out, hat = hat_run(str(path), "--skip-rcd")
    assert code == 1 and "VERDICT: FAIL (contactor" in out, out
    assert hat.tripped and hat.cause == "watchdog"


class CtrlC(FakeClock):
    """A fake clock whose sleep raises KeyboardInterrupt once `at_ms` is reached (the technician's Ctrl-C)."""

    def __init__(self, at_ms):
        FakeClock.__init__(self, 1000)
        self.at_ms = at_ms

    def sleep_ms(self, ms):
        FakeClock.sleep_ms(self, ms)
        if self.ticks_ms() >= self.at_ms:
            raise KeyboardInterrupt


def test_ctrl_c_while_closed_opens_the_relay_and_stops_the_line(hat_run, capsys):
    with pytest.raises(KeyboardInterrupt):
        hat_run(BOARD, "--hold-ms", "5000", "--skip-rcd", clock=CtrlC(3000))     # 1.6 s into the hold
    out = capsys.readouterr().out
    assert "contactor: closed, feedback confirmed" in out and "cycle 1/1 open" not in out
    hat = hat_run.hat
    assert hat.relay_in.get() is False and not hat.tripped          # the coil opened before the line stopped
    assert hat.watchdog_pin.get() is False and not hat.watchdog_pwm.duty()
