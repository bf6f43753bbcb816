"""The board loader's checks of buses and device blocks (boards/devices_check.py): every problem names the file,
the field and the fix, in the loader's one style; the shipped boards pass."""

import copy
import json
import re

import pytest

import boards

STYLE = re.compile(r"^(.+): field '([^']+)': (.+)\. Fix: (.+)$")


def linux_board():
    return {"name": "t", "hal": "linux", "gpio_backend": "rpi-gpio",
            "rating": {"amps": 32, "phases": 3, "volts": 230},
            "buses": {"rs485": {"type": "serial", "port": "/dev/ttyUSB0", "baud": 9600},
                      "uart": {"type": "serial", "port": "/dev/serial0", "baud": 115200},
                      "i2c": {"type": "i2c", "bus": 1}},
            "reader": {"driver": "pn532", "bus": "uart"},
            "connectors": [{"id": 1, "cable": "socket", "max_amps": 32, "phases": 3,
                            "meter": {"driver": "sdm630", "bus": "rs485", "address": 1},
                            "pilot": {"driver": "pilot", "pwm": {"chip": 0, "channel": 0}, "mode": "peak",
                                      "adc_high": {"type": "ads1115", "bus": "i2c", "address": 72, "channel": 0},
                                      "adc_low": {"type": "ads1115", "bus": "i2c", "address": 72, "channel": 1}},
                            "pp": {"driver": "proximity", "adc": {"type": "ads1115", "bus": "i2c", "channel": 2}},
                            "contactor": {"driver": "contactor", "coil": 17, "feedback": 23, "feedback_type": "no"},
                            "lock": {"driver": "lock", "lock_out": 5, "unlock_out": 6, "feedback": 13},
                            "rcd": {"driver": "rcd", "input": {"pin": 22, "pull": "down"}, "test_out": 24}},
                           {"id": 2, "cable": "fixed", "max_amps": 32, "phases": 3,
                            "meter": {"driver": "sdm630", "bus": "rs485", "address": 2}}]}


def micropython_board():
    return {"name": "m", "hal": "micropython", "rating": {"amps": 16, "phases": 1, "volts": 230},
            "buses": {"uart1": {"type": "serial", "uart": 1, "tx": 17, "rx": 18}},
            "connectors": [{"id": 1, "cable": "socket", "max_amps": 16,
                            "pilot": {"driver": "pilot", "pwm": 5, "adc": {"type": "adc", "pin": 1}},
                            "pp": {"driver": "proximity", "adc": {"type": "adc", "pin": 2}}}]}


def set_path(board, path, value):
    node = board
    keys = path.split("/")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is DELETE:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value


DELETE = object()
C0 = "connectors/0/"

# (id, board, path to change, new value, field named in the error, words of the problem)
CASES = [
    ("gpio-backend", linux_board, "gpio_backend", "wiringpi", "gpio_backend", "must be one of rpi-gpio"),
    ("gpio-backend-not-linux", micropython_board, "gpio_backend", "gpiod", "gpio_backend", "on hal linux"),
    ("buses-not-object", linux_board, "buses", [], "buses", "must be an object"),
    ("bus-type", linux_board, "buses/i2c/type", "spi", "buses.i2c.type", "must be serial or i2c"),
    ("linux-port", linux_board, "buses/rs485/port", DELETE, "buses.rs485.port", "is missing"),
    ("micropython-uart", micropython_board, "buses/uart1/uart", DELETE, "buses.uart1.uart", "is missing"),
    ("baud", linux_board, "buses/rs485/baud", "fast", "buses.rs485.baud", "positive whole number"),
    ("parity", linux_board, "buses/rs485/parity", "X", "buses.rs485.parity", "must be N, E or O"),
    ("i2c-bus-number", linux_board, "buses/i2c/bus", -1, "buses.i2c.bus", "must be a bus number"),
    ("reader-connector", linux_board, "reader/connector", 7, "reader.connector", "must be the id of a connector"),
    ("block-not-object", linux_board, C0 + "meter", "sdm630", "connectors[0].meter", "must be an object"),
    ("driver", linux_board, C0 + "meter/driver", "pn532", "connectors[0].meter.driver",
     "must be one of sdm630, sdm120, abb_b23, ina226"),
    ("bus-unknown", linux_board, C0 + "meter/bus", "rs232", "connectors[0].meter.bus", "must name a bus"),
    ("bus-wrong-type", linux_board, "reader/bus", "i2c", "reader.bus", "must name a serial bus"),
    ("modbus-address", linux_board, C0 + "meter/address", 300, "connectors[0].meter.address", "from 1 to 247"),
    ("modbus-address-twice", linux_board, C0 + "meter/address", 2, "connectors[1].meter.address",
     "same address as connectors[0].meter.address"),
    ("required", linux_board, C0 + "contactor/coil", DELETE, "connectors[0].contactor.coil", "is missing"),
    ("pin-name-on-linux", linux_board, C0 + "contactor/coil", "k1", "connectors[0].contactor.coil",
     "must be a pin number"),
    ("pin-active-low", linux_board, C0 + "contactor/feedback", {"pin": 23, "active_low": "yes"},
     "connectors[0].contactor.feedback.active_low", "must be true or false"),
    ("pin-pull", linux_board, C0 + "rcd/input", {"pin": 22, "pull": "sideways"}, "connectors[0].rcd.input.pull",
     "must be up or down"),
    ("pin-twice", linux_board, C0 + "lock/feedback", 17, "connectors[0].lock.feedback",
     "same pin as connectors[0].contactor.coil"),
    ("feedback-type", linux_board, C0 + "contactor/feedback_type", "mirror", "connectors[0].contactor.feedback_type",
     "must be no, nc or none"),
    ("feedback-missing", linux_board, C0 + "contactor/feedback", DELETE, "connectors[0].contactor.feedback",
     "is missing for feedback_type no"),
    ("pilot-mode", linux_board, C0 + "pilot/mode", "average", "connectors[0].pilot.mode", "must be burst or peak"),
    ("pilot-adc-missing", linux_board, C0 + "pilot/adc_low", DELETE, "connectors[0].pilot.adc_low",
     "is missing for mode peak"),
    ("linux-pwm", linux_board, C0 + "pilot/pwm", 18, "connectors[0].pilot.pwm", "must be a sysfs PWM channel"),
    ("analog-type", linux_board, C0 + "pp/adc/type", "mcp3008", "connectors[0].pp.adc.type",
     "must be adc or ads1115"),
    ("ads1115-address", linux_board, C0 + "pp/adc/address", 64, "connectors[0].pp.adc.address",
     "must be 72, 73, 74 or 75"),
    ("ads1115-channel", linux_board, C0 + "pp/adc/channel", 4, "connectors[0].pp.adc.channel",
     "must be 0, 1, 2 or 3"),
    ("ads1115-channel-twice", linux_board, C0 + "pp/adc/channel", 1, "connectors[0].pp.adc",
     "same ADC channel as connectors[0].pilot.adc_low"),
    ("iio-channel", linux_board, C0 + "pp/adc", {"type": "adc", "device": 0}, "connectors[0].pp.adc.channel",
     "is missing"),
    ("native-adc-pin", micropython_board, C0 + "pp/adc", {"type": "adc"}, "connectors[0].pp.adc.pin",
     "must be a pin number"),
    ("micropython-pwm-pin", micropython_board, C0 + "pilot/pwm", "GPIO5", "connectors[0].pilot.pwm",
     "must be a pin number"),
    ("uart-pin-twice", micropython_board, C0 + "pilot/pwm", 17, "connectors[0].pilot.pwm",
     "same pin as buses.uart1.tx"),
    ("pp-on-fixed-cable", linux_board, "connectors/1/pp", {"driver": "proximity", "adc": {"type": "adc", "channel": 3}},
     "connectors[1].pp", "is not used with a fixed cable"),
    ("lock-on-fixed-cable", linux_board, "connectors/1/lock", {"driver": "lock", "lock_out": 20, "unlock_out": 21},
     "connectors[1].lock", "is not used with a fixed cable"),
]


@pytest.mark.parametrize("name,make,path,value,field,problem", CASES, ids=[c[0] for c in CASES])
def test_each_problem_names_the_field_and_the_fix(tmp_path, name, make, path, value, field, problem):
    board = make()
    boards.check(copy.deepcopy(board), "good.json")             # the base board is fine
    set_path(board, path, value)
    file = tmp_path / "b.json"
    file.write_text(json.dumps(board))
    with pytest.raises(boards.BoardError) as exc:
        boards.load(str(file))
    m = STYLE.match(str(exc.value))
    assert m, str(exc.value)
    assert m.group(1) == str(file) and m.group(2) == field
    assert problem in m.group(3) and m.group(4)


def test_emulated_boards_may_name_their_pins():
    board = linux_board()
    board["hal"] = "emulated"
    del board["gpio_backend"]
    board["connectors"][0]["pilot"]["pwm"] = "cp1"
    board["connectors"][0]["contactor"] = {"driver": "contactor", "coil": "k1.coil", "feedback": "k1.aux"}
    boards.check(board)
    board["connectors"][0]["contactor"]["feedback"] = "k1.coil"
    with pytest.raises(boards.BoardError, match="same pin"):
        boards.check(board)


@pytest.mark.parametrize("name", ["desktop-sim", "raspberry-pi", "esp32-s3"])
def test_shipped_boards_load(name):
    board = boards.load(name)
    assert board["name"] == name


def test_desktop_sim_keeps_two_32_a_three_phase_connectors():
    board = boards.load("desktop-sim")
    assert [(c["id"], c["cable"], c["max_amps"], c["phases"]) for c in board["connectors"]] == \
        [(1, "socket", 32, 3), (2, "fixed", 32, 3)]
    assert "Energy.Active.Import.Register" in board["measurands"]
