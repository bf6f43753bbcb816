"""The watchdog and RCD self-test blocks in board files: the loader's checks (boards/devices_check.py), and
boards/raspberry-pi.json on the Linux HAL with a stand-in RPi.GPIO wired to the emulated EVSE Pi HAT: GPIO4 runs
as the GPIO library's software PWM at 1 kHz while the relay is on, GPIO24/27 run the GFI self-test, and the keeper
thread build_hardware starts stops GPIO4 when the station stops polling."""

import copy
import sys
import threading
import types

import pytest

import boards
from drivers.hal.clock import FakeClock
from drivers.hal.linux import LinuxHal, SoftPwmOut
from drivers.sim.pi_hat_gfi import PiHatGfi
from drivers.station_hardware import build_hardware


def pi():
    return boards.load("raspberry-pi")


def mcu():
    return {"name": "m", "hal": "micropython", "rating": {"amps": 16, "phases": 1, "volts": 230},
            "connectors": [{"id": 1, "cable": "fixed", "max_amps": 16,
                            "contactor": {"driver": "contactor", "coil": 39},
                            "watchdog": {"driver": "toggle", "pin": 2, "wdt_ms": 4000}},
                           {"id": 2, "cable": "fixed", "max_amps": 16}]}


def change(board, where, key, value):
    node = board["connectors"][0] if where.startswith("c0") else board["connectors"][1]
    block = where.split(".")[1]
    if block not in node:
        node[block] = {}
    if value is None:
        del node[block][key]
    else:
        node[block][key] = value
    return board


CASES = [
    ("driver", pi, "c0.watchdog", "driver", "blink", "connectors[0].watchdog.driver", "must be one of toggle, wdt"),
    ("pin-missing", pi, "c0.watchdog", "pin", None, "connectors[0].watchdog.pin", "is missing"),
    ("pin-twice", pi, "c0.watchdog", "pin", 17, "connectors[0].watchdog.pin", "same pin as"),
    ("hz", pi, "c0.watchdog", "hz", 200000, "connectors[0].watchdog.hz", "from 1 to 100000"),
    ("hz-bool", pi, "c0.watchdog", "hz", True, "connectors[0].watchdog.hz", "whole number"),
    ("mode", pi, "c0.watchdog", "mode", "fast", "connectors[0].watchdog.mode", "must be auto, pwm or toggle"),
    ("lease", pi, "c0.watchdog", "lease_ms", 10, "connectors[0].watchdog.lease_ms", "from 100 to 60000"),
    ("wdt-on-linux", pi, "c0.watchdog", "wdt_ms", 4000, "connectors[0].watchdog.wdt_ms", "needs hal micropython"),
    ("wdt-range", mcu, "c0.watchdog", "wdt_ms", 500, "connectors[0].watchdog.wdt_ms", "from 1000 to 8000"),
    ("wdt-needs-wdt-ms", mcu, "c1.watchdog", "driver", "wdt", "connectors[1].watchdog.wdt_ms", "is missing"),
    ("pwm-needs-wdt", mcu, "c0.watchdog", "wdt_ms", None, "connectors[0].watchdog.wdt_ms",
     "is needed for a PWM watchdog line on micropython"),
    ("test", pi, "c0.rcd", "test", "pulse", "connectors[0].rcd.test", "must be steady or burst"),
    ("burst-needs-test-out", pi, "c0.rcd", "test_out", None, "connectors[0].rcd.test_out", "is missing for"),
    ("test-hz", pi, "c0.rcd", "test_hz", 0, "connectors[0].rcd.test_hz", "from 1 to 1000"),
    ("hours", pi, "c0.rcd", "selftest_hours", 200, "connectors[0].rcd.selftest_hours", "from 0 to 144"),
    ("before-close", pi, "c0.rcd", "selftest_before_close", "yes", "connectors[0].rcd.selftest_before_close",
     "must be true or false"),
    ("reset-pin-twice", pi, "c0.rcd", "reset_out", 4, "connectors[0].watchdog.pin", "same pin as"),
]


@pytest.mark.parametrize("name,make,where,key,value,field,problem", CASES, ids=[c[0] for c in CASES])
def test_each_problem_names_the_field_and_the_fix(name, make, where, key, value, field, problem):
    board = make()
    boards.check(copy.deepcopy(board), "good.json")
    change(board, where, key, value)
    with pytest.raises(boards.BoardError) as exc:
        boards.check(board, "b.json")
    text = str(exc.value)
    assert text.startswith("b.json: field '" + field + "': ") and problem in text and ". Fix: " in text


def test_more_rules():
    board = mcu()
    board["connectors"][1]["watchdog"] = {"driver": "wdt", "wdt_ms": 4000}
    with pytest.raises(boards.BoardError, match="connectors\\[1\\].watchdog.wdt_ms': starts a second"):
        boards.check(board)
    board = mcu()
    board["connectors"][1]["watchdog"] = {"driver": "wdt", "wdt_ms": 4000, "pin": 3}
    with pytest.raises(boards.BoardError, match="is not used by the wdt driver"):
        boards.check(board)
    board = mcu()
    del board["connectors"][0]["watchdog"]["wdt_ms"]
    board["connectors"][0]["watchdog"]["mode"] = "toggle"       # a polled line stops with the program
    boards.check(board)
    board = pi()
    board["gpio_backend"] = "gpiod"
    board["connectors"][0]["watchdog"]["mode"] = "pwm"
    with pytest.raises(boards.BoardError, match="needs a software PWM, which gpiod has not"):
        boards.check(board)
    board = pi()
    del board["connectors"][0]["rcd"]["test"]
    board["connectors"][0]["rcd"]["selftest_before_close"] = True
    del board["connectors"][0]["rcd"]["test_out"]
    with pytest.raises(boards.BoardError, match="test_out': is missing for selftest_before_close"):
        boards.check(board)


def test_the_pi_board_drives_the_hat_lines():
    c = pi()["connectors"][0]
    assert c["watchdog"]["pin"] == 4 and 100 <= c["watchdog"].get("hz", 1000) <= 100000    # the HAT's range
    assert (c["rcd"]["test_out"], c["rcd"]["test"], c["rcd"]["test_hz"], c["rcd"]["test_cycles"]) == \
        (24, "burst", 60, 10)
    assert c["rcd"]["reset_out"] == 27


# ---- raspberry-pi.json on the Linux HAL -------------------------------------------------------------------------

class HatGpio:
    """RPi.GPIO stand-in wired to an emulated EVSE Pi HAT by BCM number; GPIO.PWM on GPIO4 drives the HAT's
    watchdog input (at the frequency asked for, while started)."""
    BCM, OUT, IN, HIGH, LOW, BOTH = "BCM", "OUT", "IN", 1, 0, "BOTH"
    PUD_UP, PUD_DOWN, PUD_OFF = "up", "down", "off"

    def __init__(self, hat):
        self.hat = hat
        self.lines = {4: hat.watchdog_pin, 17: hat.relay_in, 22: hat.fault_out, 23: hat.relay_test,
                      24: hat.test_in, 27: hat.reset_in}
        self.pwm_calls = []

    def setwarnings(self, flag):
        pass

    def setmode(self, mode):
        pass

    def setup(self, pin, direction, initial=None, pull_up_down=None):
        if initial is not None:
            self.output(pin, initial)

    def output(self, pin, level):
        self.lines[pin].set(bool(level))

    def input(self, pin):
        return int(self.lines[pin].get())

    def add_event_detect(self, pin, edge, callback=None):
        pass

    def PWM(self, pin, freq):
        gpio = self

        class Pwm:
            def start(self, dc):
                gpio.pwm_calls.append(("start", pin, freq, dc))
                gpio.hat.watchdog_pwm.freq = freq
                gpio.hat.watchdog_pwm.set_duty(int(dc * 10))

            def ChangeDutyCycle(self, dc):
                gpio.pwm_calls.append(("duty", pin, dc))
                gpio.hat.watchdog_pwm.set_duty(int(dc * 10))

            def stop(self):
                gpio.pwm_calls.append(("stop", pin))
                gpio.hat.watchdog_pwm.set_duty(0)

        return Pwm()


def linux_pi(hat, clock):
    board = pi()
    del board["reader"]
    for block in ("meter", "pilot"):
        del board["connectors"][0][block]
    return build_hardware(board, LinuxHal(board, clock, gpio_module=HatGpio(hat)))


def of(events, kind):
    return [e for e in events if e["type"] == kind]


def test_the_pi_board_on_the_linux_hal_runs_gpio4_as_software_pwm_with_a_keeper():
    clock = FakeClock(1000)
    hat = PiHatGfi(clock)
    hw = linux_pi(hat, clock)
    gpio_calls = hw.port(1).dev["watchdog"].pwm._g.pwm_calls
    try:
        assert hw.state()["connectors"][0]["watchdog"]["output"] == "pwm" and hw.keeper is not None

        def run(ms, step=100):
            events = []
            for _ in range(ms // step):
                clock.advance(step)
                events += hw.poll()
            return events

        assert of(run(1000), "fault") == [] and hat.resets == 1           # the start-up GFI test passed
        hw.apply({"cmd": "contactor", "connector": 1, "on": True})
        events = run(5000)
        assert of(events, "contactor_state") == [{"type": "contactor_state", "connector": 1, "on": True}]
        assert gpio_calls == [("start", 4, 1000, 50.0)]                 # RPi.GPIO's PWM: 1 kHz, 50 %
        assert hat.power_on and not hat.tripped and of(events, "fault") == []
        hw.apply({"cmd": "contactor", "connector": 1, "on": False})
        run(500)
        assert gpio_calls[-1] == ("stop", 4) and hat.watchdog_pin.get() is False and not hat.tripped

        hw.apply({"cmd": "contactor", "connector": 1, "on": True})
        run(12000, step=500)                                              # the next closing, 10 s later
        assert hat.power_on and gpio_calls[-1][0] == "start"
        stopped = threading.Event()
        hat.watchdog_pwm.watch(lambda p: stopped.set() if p.duty() == 0 else None)
        clock.advance(2100)                                               # the station stops polling
        assert stopped.wait(5)                                            # the keeper thread stopped GPIO4
        clock.advance(50)
        assert hat.tripped and hat.cause == "watchdog" and not hat.power_on
    finally:
        hw.close()
    assert hw.keeper is None


def test_soft_pwm_steady_levels_and_the_backends_without_it():
    clock = FakeClock()
    hat = PiHatGfi(clock)
    gpio = HatGpio(hat)
    pwm = SoftPwmOut(4, 1000, gpio)
    pwm.set_duty(250)
    pwm.set_duty(600)
    pwm.set_duty(None)                                  # steady high: PWM stopped, pin driven
    assert gpio.pwm_calls == [("start", 4, 1000, 25.0), ("duty", 4, 60.0), ("stop", 4)]
    assert hat.watchdog_pin.get() is True and pwm.duty() is None
    pwm.set_duty(0)                                     # steady low: only the pin
    assert hat.watchdog_pin.get() is False and len(gpio.pwm_calls) == 3
    assert LinuxHal({"gpio_backend": "gpiod"}).pin_pwm(4, 1000) is None

    class NoPwm:
        pass

    assert LinuxHal({}, gpio_module=NoPwm()).pin_pwm(4, 1000) is None


# ---- a MicroPython board: machine.PWM on the line, machine.WDT behind it -------------------------------------------

class Machine:
    """The parts of a stand-in `machine` module the watchdog uses; `log` records what the board was told."""
    log = []

    class Pin:
        OUT, IN = 1, 0

        def __init__(self, pin, mode=None, value=None):
            self.id = pin
            if value is not None:
                Machine.log.append(("level", pin, value))

        def value(self, v=None):
            if v is not None:
                Machine.log.append(("level", self.id, v))

    class PWM:
        def __init__(self, pin, freq=None, duty_u16=None):
            self.pin = pin.id
            Machine.log.append(("pwm", self.pin, freq, duty_u16))

        def duty_u16(self, v):
            Machine.log.append(("duty", self.pin, v))

        def deinit(self):
            Machine.log.append(("deinit", self.pin))

    class WDT:
        def __init__(self, timeout):
            Machine.log.append(("wdt", timeout))

        def feed(self):
            Machine.log.append("feed")


def test_a_micropython_line_is_machine_pwm_and_the_board_watchdog_is_machine_wdt(monkeypatch):
    from drivers.hal.select import hal_for
    module = types.ModuleType("machine")
    for name in ("Pin", "PWM", "WDT"):
        setattr(module, name, getattr(Machine, name))
    monkeypatch.setitem(sys.modules, "machine", module)
    monkeypatch.delitem(sys.modules, "drivers.hal.micropython", raising=False)
    Machine.log = []
    try:
        board = boards.check(mcu())
        board["connectors"][0]["contactor"]["min_interval_ms"] = 0
        clock = FakeClock()
        hw = build_hardware(board, hal_for(board, clock))
        assert ("level", 2, 0) in Machine.log and not any(e[0] == "wdt" for e in Machine.log)
        Machine.log = []
        clock.advance(10)
        hw.poll()
        assert Machine.log[:2] == [("wdt", 4000), "feed"]
        hw.apply({"cmd": "contactor", "connector": 1, "on": True})
        Machine.log = []
        clock.advance(10)
        hw.poll()
        assert ("pwm", 2, 1000, 32768) in Machine.log   # 50 % of duty_u16 at 1 kHz on GPIO2, before the coil
        assert Machine.log.index(("pwm", 2, 1000, 32768)) < Machine.log.index(("level", 39, 1))
        assert Machine.log.count("feed") == 1
        hw.apply({"cmd": "contactor", "connector": 1, "on": False})
        Machine.log = []
        clock.advance(10)
        hw.poll()
        assert Machine.log.index(("level", 39, 0)) < Machine.log.index(("deinit", 2)) < \
            Machine.log.index(("level", 2, 0))
        hw.close()                                      # (under CPython build_hardware started a keeper too)
    finally:
        sys.modules.pop("drivers.hal.micropython", None)
