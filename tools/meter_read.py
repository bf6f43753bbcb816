"""meter-read: read an energy meter once, or watch every measurand live.

  python tools/meter_read.py --driver sdm630 --port /dev/ttyUSB0 --baud 9600 --address 1
  python tools/meter_read.py --driver sdm120 --port /dev/ttyUSB0 --watch          (2400 baud by default)
  python tools/meter_read.py --driver ina226 --bus 1 --address 0x40 --shunt-ohms 0.002 --max-current 20
  python tools/meter_read.py --board boards/pi-hat.json --watch --count 10
  python tools/meter_read.py --driver abb_b23 --emulate --emulate-fault lost

PASS when every reading succeeded; FAIL (exit 1) when any reading failed after the driver's retries.
"""

import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tools import _common as cli

DRIVERS = ("sdm630", "sdm120", "abb_b23", "ina226")
FAULTS = ("timeout", "crc", "exception", "lost", "reset", "absent")
DEFAULT_BAUD = {"sdm630": 9600, "sdm120": 2400, "abb_b23": 9600}


def _int_auto(text):
    return int(text, 0)


def _options():
    p = cli.parser("meter-read", "Read an energy meter: one reading, or a live table with --watch.")
    p.add_argument("--driver", choices=DRIVERS, help="meter type (default sdm630)")
    cli.add_serial_options(p)
    p.add_argument("--address", type=_int_auto, help="Modbus slave id (default 1) or I2C address (default 0x40)")
    p.add_argument("--bus", type=int, help="I2C bus number for ina226 (default 1)")
    p.add_argument("--shunt-ohms", type=float, help="ina226 shunt resistance (default 0.002)")
    p.add_argument("--max-current", type=float, help="ina226 full-scale current in A (default 20)")
    p.add_argument("--timeout-ms", type=int, default=300, help="Modbus response timeout (default 300)")
    p.add_argument("--retries", type=int, default=2, help="retries per request (default 2)")
    p.add_argument("--watch", action="store_true", help="keep reading and redraw the table")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between readings with --watch")
    p.add_argument("--count", type=int, help="number of readings with --watch (default: until Ctrl-C; "
                                             "5 with --emulate)")
    cli.add_common_options(p, FAULTS)
    return p


def _emulated(args, clock):
    """(bus, emulator, serial-or-i2c) for the chosen driver, with the requested fault."""
    from drivers.hal.emulated import EmulatedI2C, EmulatedSerial
    fault = args.emulate_fault
    if args.driver == "ina226":
        from drivers.sim.ina226_emulator import INA226Emulator
        i2c = EmulatedI2C(clock)
        emu = i2c.attach(args.address, INA226Emulator(shunt_ohms=args.shunt_ohms, bus_volts=24.0, current_a=12.5))
        if fault in ("absent", "lost"):
            i2c.set_absent(args.address)
        elif fault in ("timeout", "crc", "exception"):
            i2c.nack_next(args.address, 1)
        return i2c, emu
    from drivers.sim.modbus_meter_emulator import ModbusMeterEmulator
    emu = ModbusMeterEmulator(args.driver, args.address, clock, current=16.0, energy_wh=1234567, export_wh=0)
    serial = EmulatedSerial(emu, clock)
    if fault == "timeout":
        emu.inject_timeout(1)
    elif fault == "crc":
        emu.inject_crc_error(1)
    elif fault == "exception":
        emu.inject_exception(4, 1000000)
    elif fault in ("lost", "absent"):
        emu.set_lost(True)
    return serial, emu


def _build(args, bus, clock):
    spec = {"driver": args.driver, "bus": bus, "clock": clock, "address": args.address}
    if args.driver == "ina226":
        from drivers.meter import ina226
        spec["shunt_ohms"] = args.shunt_ohms
        spec["max_current_a"] = args.max_current
        return ina226.build(spec)
    spec.update({"baud": args.baud, "timeout_ms": args.timeout_ms, "retries": args.retries})
    if args.driver == "abb_b23":
        from drivers.meter import abb_b23
        return abb_b23.build(spec)
    from drivers.meter import sdm
    return sdm.build(spec)


def _format(key, value):
    from drivers.meter.measurands import unit_of
    if isinstance(value, float):
        text = "%.3f" % value
    else:
        text = str(value)
    return "  %-34s %14s %s" % (key, text, unit_of(key))


def _table(con, meter, result, when):
    con.line("-- reading at %s" % when)
    if not result["ok"]:
        con.line("  FAILED: %s: %s" % (result["error_code"], result["info"]))
        return
    values = result["values"]
    for key in meter.measurands():
        if key in values:
            con.line(_format(key, values[key]))
        else:
            con.line("  %-34s %14s" % (key, "n/a"))
    if result.get("notice"):
        con.line("  note: " + result["notice"])


def main(argv=None, out=None):
    con = cli.Console(out)
    args, code = cli.parse(_options(), argv)
    if args is None:
        return code
    emu = None
    try:
        cli.merge_board(args, DRIVERS, {"driver": "driver", "port": "port", "baud": "baud", "parity": "parity",
                                        "address": "address", "bus": "i2c_bus", "shunt_ohms": "shunt_ohms",
                                        "max_current": "max_current_a"})
        if args.driver is None:
            args.driver = "sdm630"
        i2c = args.driver == "ina226"
        if args.address is None:
            args.address = 0x40 if i2c else 1
        if args.shunt_ohms is None:
            args.shunt_ohms = 0.002
        if args.max_current is None:
            args.max_current = 20.0
        if not i2c and args.baud is None:
            args.baud = DEFAULT_BAUD[args.driver]
        if args.emulate:
            from drivers.hal.clock import FakeClock
            clock = FakeClock()
            bus, emu = _emulated(args, clock)
            where = "emulated %s" % args.driver
            if args.count is None:
                args.count = 5
        else:
            from drivers.hal.clock import SystemClock
            from drivers.hal.errors import BusError
            clock = SystemClock()
            try:
                if i2c:
                    bus = cli.open_i2c(args.bus)
                    where = "%s on I2C bus %s" % (args.driver, 1 if args.bus is None else args.bus)
                else:
                    bus = cli.open_serial(args.port, args.baud, args.parity)
                    where = "%s on %s at %d baud" % (args.driver, args.port, args.baud)
            except BusError as exc:
                con.line("cannot open the bus: %s" % exc)
                return con.verdict(False, "bus unusable")
        meter = _build(args, bus, clock)
    except cli.UsageError as exc:
        con.line("meter-read: error: %s" % exc)
        return cli.EXIT_USAGE
    except ValueError as exc:
        con.line("meter-read: error: %s" % exc)
        return cli.EXIT_USAGE

    addr = ("0x%02X" % args.address) if i2c else ("id %d" % args.address)
    con.line("meter-read: %s, %s" % (where, addr))
    t0 = clock.ticks_ms()
    readings = failures = 0
    last = None
    try:
        while True:
            if args.emulate and args.emulate_fault == "reset" and readings == 1:
                emu.reset_energy(0)
            last = meter.read()
            readings += 1
            if not last["ok"]:
                failures += 1
            if args.watch and not args.emulate and con.out.isatty():
                con.out.write("\x1b[H\x1b[2J")
            _table(con, meter, last, cli.stamp(clock, t0))
            if not args.watch or (args.count and readings >= args.count):
                break
            clock.sleep_ms(int(args.interval * 1000))
    except KeyboardInterrupt:
        con.line("")
    stats = getattr(getattr(meter, "client", None), "stats", None)
    if stats:
        con.line("bus statistics: " + ", ".join("%s=%s" % (k, v) for k, v in sorted(stats.items()) if v))
    if failures:
        return con.verdict(False, "%d of %d reading(s) failed; last: %s" % (
            failures, readings, last["info"] if not last["ok"] else "ok"))
    return con.verdict(True, "%s answered %d reading(s); energy %d Wh" % (meter.__class__.__name__ if i2c else
                                                                           meter.name, readings, last["energy_wh"]))


if __name__ == "__main__":
    sys.exit(main())
