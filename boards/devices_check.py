"""Checks of a board file's buses and device blocks (reader, meter, pilot, pp, contactor, lock, rcd, watchdog).

`check(board, path, fail)` calls `fail(path, field, problem, fix)` (which raises) on the first problem. What each
block may contain is in docs/boards.md; the driver names and which fields are pins come from drivers/devices.py, the
factory that builds them, so the two cannot disagree.
"""

from drivers.devices import ANALOGS, DRIVERS, INPUTS, OUTPUTS, REQUIRED

GPIO_BACKENDS = ("rpi-gpio", "rpi-lgpio", "gpiod")
BUS_TYPES = ("serial", "i2c")
PARITIES = ("N", "E", "O")
MODES = ("burst", "peak")
FEEDBACK_TYPES = ("no", "nc", "none")
I2C_FIRST = 0x08
I2C_LAST = 0x77
RCD_TESTS = ("steady", "burst")
WATCHDOG_MODES = ("auto", "pwm", "toggle")
WDT_HALS = ("micropython", "emulated")
# whole-number options: (key, lowest, highest, what to write)
RCD_NUMBERS = (("test_hz", 1, 1000, "the test frequency in Hz, e.g. 60"),
               ("test_cycles", 1, 100, "how many test periods, e.g. 10"),
               ("reset_ms", 1, 1000, "the reset pulse in ms, e.g. 10"),
               ("reset_after_ms", 0, 10000, "ms from the trip to the reset pulse, e.g. 100"),
               ("clear_hold_ms", 0, 10000, "ms the input must stay clear, e.g. 100"),
               ("selftest_hours", 0, 144, "hours between self-tests (0: at start only; at most 144)"))
WATCHDOG_NUMBERS = (("hz", 1, 100000, "the toggle frequency in Hz, e.g. 1000"),
                    ("lease_ms", 100, 60000, "ms without a poll before the line stops, e.g. 2000"),
                    ("wdt_ms", 1000, 8000, "the hardware watchdog timeout in ms (1000-8000), e.g. 4000"))


def _int(value):
    return value is not True and value is not False and isinstance(value, int)


class _Checker:
    def __init__(self, board, path, fail):
        self.board = board
        self.path = path
        self.fail = fail
        self.hal = board.get("hal")
        self.buses = board.get("buses") or {}
        self.pins = {}          # pin -> field that uses it
        self.channels = {}      # (bus, address, channel) -> field
        self.addresses = {}     # (bus, address) -> field, for devices with their own address
        self.wdt = []           # watchdog blocks that start the hardware watchdog
        self.pwm_lines = []     # watchdog blocks whose line may be free-running PWM

    def bad(self, field, problem, fix):
        self.fail(self.path, field, problem, fix)

    # ---- board level -------------------------------------------------------------------------------------------
    def run(self):
        board = self.board
        backend = board.get("gpio_backend")
        if backend is not None and (self.hal != "linux" or backend not in GPIO_BACKENDS):
            self.bad("gpio_backend", "must be one of " + ", ".join(GPIO_BACKENDS) + " on hal linux",
                     'use "rpi-gpio" (RPi.GPIO), "rpi-lgpio" (Pi 5) or "gpiod", or remove it on other hals')
        if not isinstance(board.get("buses", {}), dict):
            self.bad("buses", "must be an object of named buses", 'write e.g. {"rs485": {"type": "serial", ...}}')
        for name in self.buses:
            self.bus(name, self.buses[name])
        reader = board.get("reader")
        if reader is not None:
            self.device("reader", "reader", reader)
            cid = reader.get("connector")
            if cid is not None and not (_int(cid) and 1 <= cid <= len(board["connectors"])):
                self.bad("reader.connector", "must be the id of a connector", "name the connector the reader serves")
        for i in range(len(board["connectors"])):
            c = board["connectors"][i]
            for kind in ("meter", "pilot", "pp", "contactor", "lock", "rcd", "watchdog"):
                if kind in c:
                    self.device("connectors[%d].%s" % (i, kind), kind, c[kind])
            if c.get("cable") == "fixed":
                for kind in ("pp", "lock"):
                    if kind in c:
                        self.bad("connectors[%d].%s" % (i, kind), "is not used with a fixed cable",
                                 "remove it: a tethered cable has no PP coding and no lock")
        self.watchdogs()

    def bus(self, name, spec):
        where = "buses." + name
        if not isinstance(spec, dict) or spec.get("type") not in BUS_TYPES:
            self.bad(where + ".type", "must be serial or i2c", 'give the bus a "type": "serial" or "i2c"')
        if spec["type"] == "serial":
            if self.hal == "linux" and not isinstance(spec.get("port"), str):
                self.bad(where + ".port", "is missing", 'name the serial device, e.g. "/dev/ttyUSB0"')
            if self.hal == "micropython" and not _int(spec.get("uart")):
                self.bad(where + ".uart", "is missing", "give the UART number, e.g. 1")
            if "baud" in spec and not (_int(spec["baud"]) and spec["baud"] > 0):
                self.bad(where + ".baud", "must be a positive whole number", "give the baud rate, e.g. 9600")
            if spec.get("parity", "N") not in PARITIES:
                self.bad(where + ".parity", "must be N, E or O", "use the device's parity setting")
            for pin in ("tx", "rx", "de_pin"):
                if spec.get(pin) is not None:
                    self.pin(where + "." + pin, spec[pin])
        else:
            if self.hal in ("linux", "micropython") and "bus" in spec and not (_int(spec["bus"]) and spec["bus"] >= 0):
                self.bad(where + ".bus", "must be a bus number", "give the I2C bus number, e.g. 1 for /dev/i2c-1")
            for pin in ("scl", "sda"):
                if spec.get(pin) is not None:
                    self.pin(where + "." + pin, spec[pin])

    # ---- device blocks -----------------------------------------------------------------------------------------
    def device(self, where, kind, block):
        if not isinstance(block, dict):
            self.bad(where, "must be an object", 'describe the device, e.g. {"driver": ..., ...}')
        driver = block.get("driver")
        names = [d for d in DRIVERS if DRIVERS[d][0] == kind]
        if driver not in names:
            self.bad(where + ".driver", "must be one of " + ", ".join(names), "name the device's driver")
        bus_type = DRIVERS[driver][1]
        if bus_type is not None:
            self.bus_ref(where + ".bus", block.get("bus"), bus_type)
            self.address(where, block, bus_type)
        for field in REQUIRED.get(driver, ()):
            if block.get(field) is None:
                self.bad(where + "." + field, "is missing", "give the " + field + " of the " + kind)
        for field in OUTPUTS.get(driver, ()) + INPUTS.get(driver, ()):
            if block.get(field) is not None:
                self.pin(where + "." + field, block[field])
        for field in ANALOGS.get(driver, ()):
            if block.get(field) is not None:
                self.analog(where + "." + field, block[field])
        if driver == "contactor":
            ftype = block.get("feedback_type", "no" if block.get("feedback") is not None else "none")
            if ftype not in FEEDBACK_TYPES:
                self.bad(where + ".feedback_type", "must be no, nc or none", "describe the auxiliary contact")
            if ftype != "none" and block.get("feedback") is None:
                self.bad(where + ".feedback", "is missing for feedback_type " + ftype,
                         'give the auxiliary contact input, or "feedback_type": "none"')
        if driver == "pilot":
            self.pilot(where, block)
        if driver == "rcd":
            self.rcd(where, block)
        if kind == "watchdog":
            self.watchdog(where, driver, block)

    def whole(self, where, block, numbers):
        for key, lo, hi, what in numbers:
            if key in block and not (_int(block[key]) and lo <= block[key] <= hi):
                self.bad(where + "." + key, "must be a whole number from %d to %d" % (lo, hi), "give " + what)

    def rcd(self, where, block):
        if block.get("test", "steady") not in RCD_TESTS:
            self.bad(where + ".test", "must be steady or burst", '"burst" for a module tested with an '
                     'alternating current (the EVSE Pi HAT), "steady" for a test input held active')
        self.whole(where, block, RCD_NUMBERS)
        if block.get("selftest_before_close", False) not in (True, False):
            self.bad(where + ".selftest_before_close", "must be true or false", "say whether to test before "
                     "every closing")
        for key in ("selftest_before_close", "test"):
            if block.get(key) not in (None, False, "steady") and block.get("test_out") is None:
                self.bad(where + ".test_out", "is missing for " + key, "give the RCD's test output")

    def watchdog(self, where, driver, block):
        if driver == "toggle":
            self.pin(where + ".pin", block["pin"])
            mode = block.get("mode", "auto")
            if mode not in WATCHDOG_MODES:
                self.bad(where + ".mode", "must be auto, pwm or toggle", '"auto" (PWM where the HAL has it '
                         'for the pin, else toggled at each poll), "pwm" or "toggle"')
            if mode == "pwm" and self.board.get("gpio_backend") == "gpiod":
                self.bad(where + ".mode", "needs a software PWM, which gpiod has not",
                         'use "gpio_backend": "rpi-gpio" or "rpi-lgpio"')
            if mode != "toggle":
                self.pwm_lines.append(where)
        elif block.get("pin") is not None:
            self.bad(where + ".pin", "is not used by the wdt driver", 'use "driver": "toggle" for a line')
        self.whole(where, block, WATCHDOG_NUMBERS)
        if "wdt_ms" in block:
            if self.hal not in WDT_HALS:
                self.bad(where + ".wdt_ms", "needs hal micropython (machine.WDT)",
                         "remove it: on Linux use the service manager's watchdog")
            self.wdt.append(where)

    def watchdogs(self):
        """One hardware watchdog per board; on MicroPython a PWM line that would outlive a hang needs one."""
        if len(self.wdt) > 1:
            self.bad(self.wdt[1] + ".wdt_ms", "starts a second hardware watchdog (" + self.wdt[0] + " has one)",
                     "give wdt_ms in one watchdog block only")
        if self.hal == "micropython" and self.pwm_lines and not self.wdt:
            self.bad(self.pwm_lines[0] + ".wdt_ms", "is needed for a PWM watchdog line on micropython",
                     'give wdt_ms (e.g. 4000): the board reset is what stops the PWM if the program hangs; '
                     'or use "mode": "toggle"')

    def pilot(self, where, block):
        mode = block.get("mode", "burst")
        if mode not in MODES:
            self.bad(where + ".mode", "must be burst or peak", '"burst" for a fast ADC, "peak" for peak detectors')
        for field in (("adc",) if mode == "burst" else ("adc_high", "adc_low")):
            if block.get(field) is None:
                self.bad(where + "." + field, "is missing for mode " + mode, "give the pilot's analog input")
        pwm = block["pwm"]
        if self.hal == "linux":
            if not isinstance(pwm, dict) or not _int(pwm.get("chip", 0)) or not _int(pwm.get("channel", 0)):
                self.bad(where + ".pwm", "must be a sysfs PWM channel", 'write {"chip": 0, "channel": 0} (GPIO18)')
            if pwm.get("pin") is not None:
                self.pin(where + ".pwm.pin", pwm["pin"])
        else:
            self.pin(where + ".pwm", pwm.get("pin") if isinstance(pwm, dict) else pwm)

    def bus_ref(self, where, name, bus_type):
        spec = self.buses.get(name) if isinstance(name, str) else None
        if spec is None:
            self.bad(where, "must name a bus in buses", "add the bus to \"buses\" or fix the name")
        if spec.get("type") != bus_type:
            self.bad(where, "must name a " + bus_type + " bus ('" + name + "' is " + str(spec.get("type")) + ")",
                     "connect the device to a " + bus_type + " bus")

    def address(self, where, block, bus_type):
        address = block.get("address", 1 if bus_type == "serial" else 0x40)
        lo, hi = (1, 247) if bus_type == "serial" else (I2C_FIRST, I2C_LAST)
        if bus_type == "serial" and DRIVERS[block["driver"]][0] == "reader":
            return
        if not (_int(address) and lo <= address <= hi):
            self.bad(where + ".address", "must be a whole number from %d to %d" % (lo, hi),
                     "write the device address in decimal (0x48 = 72)")
        self.claim(self.addresses, (block["bus"], address), where + ".address", "address")

    def analog(self, where, spec):
        if not isinstance(spec, dict) or spec.get("type") not in ("adc", "ads1115"):
            self.bad(where + ".type", "must be adc or ads1115", 'write {"type": "adc", ...} for the board\'s own '
                     'ADC, or {"type": "ads1115", "bus": ..., "address": 72, "channel": 0}')
        if spec["type"] == "ads1115":
            self.bus_ref(where + ".bus", spec.get("bus"), "i2c")
            address = spec.get("address", 0x48)
            channel = spec.get("channel", 0)
            if address not in (0x48, 0x49, 0x4A, 0x4B):
                self.bad(where + ".address", "must be 72, 73, 74 or 75 (0x48-0x4B)", "use the ADS1115's ADDR strap")
            if channel not in (0, 1, 2, 3):
                self.bad(where + ".channel", "must be 0, 1, 2 or 3", "name the ADS1115 input AIN0-AIN3")
            self.claim(self.channels, (spec["bus"], address, channel), where, "ADC channel")
        elif self.hal == "linux":
            if not _int(spec.get("channel")):
                self.bad(where + ".channel", "is missing", "give the IIO channel (in_voltage<N>_raw)")
        else:
            self.pin(where + ".pin", spec.get("pin"))

    def pin(self, where, value):
        pin = value.get("pin") if isinstance(value, dict) else value
        named = isinstance(pin, str) and pin != ""
        if not ((_int(pin) and pin >= 0) or (named and self.hal == "emulated")):
            self.bad(where, "must be a pin number" + (" or name" if self.hal == "emulated" else ""),
                     'write the GPIO number, e.g. 17, or {"pin": 17, "active_low": true}')
        if isinstance(value, dict):
            if value.get("active_low", False) not in (True, False):
                self.bad(where + ".active_low", "must be true or false", "say whether the pin is active low")
            if value.get("pull") not in (None, "up", "down"):
                self.bad(where + ".pull", "must be up or down", "remove it, or use the pull the input needs")
        self.claim(self.pins, pin, where, "pin")

    def claim(self, table, key, where, what):
        if key in table:
            self.bad(where, "uses the same " + what + " as " + table[key], "give each device its own " + what)
        table[key] = where


def check(board, path, fail):
    _Checker(board, path, fail).run()
