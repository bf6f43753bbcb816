"""The one device factory: drivers built from a board file's blocks on a HAL object (drivers/hal/select.py).

The station (drivers/station_hardware.py), the desktop rig (drivers/sim/desktop_rig.py) and the technician tools
all build their devices here, so a board file means the same thing everywhere. Board format: docs/boards.md.

    devices = Devices(board, hal_for(board))
    meter = devices.build(board["connectors"][0]["meter"], {"energy_offset_wh": 120})

A block names its driver; buses are referred to by name (`board["buses"]`) and opened once, so several Modbus
meters on one RS-485 line share one ModbusClient and several channels of one ADS1115 share one chip. Pins, PWM
outputs and analog inputs are resolved through the HAL. An analog input is either the HAL's own ADC
({"type": "adc", ...backend keys}) or a channel of an ADS1115 on an I2C bus ({"type": "ads1115", "bus", "address",
"channel", "pga_mv", "sps"}). Driver modules are imported only when a board uses them (MicroPython heap).

For the tools: `blocks(board)` lists every device block, `find(board, drivers)` the first with one of `drivers`,
and `driver_module(name)` imports a driver's module (for specs that already hold HAL objects, like the rigs').
"""

# driver name -> (block kind, bus type the block's "bus" must name, or None)
DRIVERS = {
    "pn532": ("reader", "serial"),
    "rdm6300": ("reader", "serial"),
    "sdm630": ("meter", "serial"),
    "sdm120": ("meter", "serial"),
    "abb_b23": ("meter", "serial"),
    "ina226": ("meter", "i2c"),
    "pilot": ("pilot", None),
    "proximity": ("pp", None),
    "contactor": ("contactor", None),
    "lock": ("lock", None),
    "rcd": ("rcd", None),
    "toggle": ("watchdog", None),
    "wdt": ("watchdog", None),
}
CONNECTOR_KINDS = ("meter", "pilot", "pp", "contactor", "lock", "rcd", "watchdog")

# the fields of a block that are HAL objects: outputs, inputs, analog inputs; and what each driver cannot lack
OUTPUTS = {"contactor": ("coil",), "lock": ("lock_out", "unlock_out"), "rcd": ("test_out", "reset_out"),
           "pilot": ("peak_reset",)}
INPUTS = {"contactor": ("feedback",), "lock": ("feedback",), "rcd": ("input",)}
ANALOGS = {"pilot": ("adc", "adc_high", "adc_low"), "proximity": ("adc",)}
REQUIRED = {"contactor": ("coil",), "lock": ("lock_out", "unlock_out"), "rcd": ("input",), "pilot": ("pwm",),
            "proximity": ("adc",), "toggle": ("pin",), "wdt": ("wdt_ms",)}


def driver_module(driver):
    if driver == "pn532":
        from drivers.rfid import pn532 as m
    elif driver == "rdm6300":
        from drivers.rfid import rdm6300 as m
    elif driver in ("sdm630", "sdm120"):
        from drivers.meter import sdm as m
    elif driver == "abb_b23":
        from drivers.meter import abb_b23 as m
    elif driver == "ina226":
        from drivers.meter import ina226 as m
    elif driver == "pilot":
        from drivers.pilot import pilot as m
    elif driver == "proximity":
        from drivers.pilot import proximity as m
    elif driver == "contactor":
        from drivers.relays import contactor as m
    elif driver == "lock":
        from drivers.relays import lock as m
    elif driver == "rcd":
        from drivers.safety import rcd as m
    elif driver in ("toggle", "wdt"):
        from drivers.safety import watchdog as m    # opens its own line: PWM or a plain output (hal.pin_pwm)
    else:
        raise ValueError("unknown driver %r" % (driver,))
    return m


def blocks(board):
    """Every device block of a board: (kind, connector id or None for the reader, block)."""
    out = []
    if isinstance(board.get("reader"), dict):
        out.append(("reader", None, board["reader"]))
    for c in board.get("connectors") or ():
        for kind in CONNECTOR_KINDS:
            if isinstance(c.get(kind), dict):
                out.append((kind, c.get("id"), c[kind]))
    return out


def find(board, drivers, connector=None):
    """The first block whose driver is in `drivers` (on `connector` if given): (kind, connector id, block) or None."""
    for kind, cid, block in blocks(board):
        if block.get("driver") in drivers and (connector is None or cid is None or cid == connector):
            return kind, cid, block
    return None


class Devices:
    def __init__(self, board, hal, clock=None):
        self.board = board
        self.hal = hal
        self.clock = clock if clock is not None else hal.clock
        self.buses = {}
        self._modbus = {}
        self._ads = {}

    def bus_spec(self, name):
        spec = (self.board.get("buses") or {}).get(name)
        if spec is None:
            raise ValueError("board %s has no bus %r" % (self.board.get("name"), name))
        return spec

    def bus(self, name):
        """The serial port or I2C bus `name`, opened once."""
        if name not in self.buses:
            spec = self.bus_spec(name)
            if spec.get("type") == "i2c":
                self.buses[name] = self.hal.i2c(name, spec)
            else:
                self.buses[name] = self.hal.serial(name, spec)
        return self.buses[name]

    def modbus(self, name, block):
        """The ModbusClient of serial bus `name`, shared by every meter on that line."""
        client = self._modbus.get(name)
        if client is None:
            from drivers.meter.modbus_rtu import ModbusClient
            client = ModbusClient(self.bus(name), self.clock, baudrate=self.bus_spec(name).get("baud", 9600),
                                  timeout_ms=block.get("timeout_ms", 300), retries=block.get("retries", 2))
            self._modbus[name] = client
        return client

    def analog(self, spec):
        """An object with read_mv(): an ADS1115 channel or the HAL's ADC."""
        if spec.get("type") != "ads1115":
            return self.hal.adc(spec)
        key = (spec["bus"], spec.get("address", 0x48))
        adc = self._ads.get(key)
        if adc is None:
            from drivers.pilot.ads1115 import ADS1115
            adc = ADS1115(self.bus(spec["bus"]), key[1], spec.get("pga_mv", 4096), spec.get("sps", 860), self.clock,
                          spec.get("timeout_ms", 20))
            self._ads[key] = adc
        return adc.input(spec.get("channel", 0))

    def build(self, block, extra=None):
        """The driver object for one device block; `extra` adds spec keys (e.g. a meter's persisted energy state)."""
        driver = block.get("driver")
        if driver not in DRIVERS:
            raise ValueError("unknown driver %r" % (driver,))
        kind, bus_type = DRIVERS[driver]
        spec = {}
        for key in block:
            spec[key] = block[key]
        for key in extra or ():
            spec[key] = extra[key]
        spec["clock"] = self.clock
        if bus_type == "serial" and kind == "meter":
            spec["bus"] = self.modbus(block["bus"], block)
            spec["baud"] = self.bus_spec(block["bus"]).get("baud", 9600)
        elif bus_type is not None:
            spec["bus"] = self.bus(block["bus"])
        for field in OUTPUTS.get(driver, ()):
            if block.get(field) is not None:
                spec[field] = self.hal.output(block[field], False)
        for field in INPUTS.get(driver, ()):
            if block.get(field) is not None:
                spec[field] = self.hal.input(block[field])
        for field in ANALOGS.get(driver, ()):
            if block.get(field) is not None:
                spec[field] = self.analog(block[field])
        if driver == "pilot":
            spec["pwm"] = self.hal.pwm(block["pwm"], None)
        return driver_module(driver).build(spec, self.hal)
