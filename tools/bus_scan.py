"""bus-scan: list the devices that answer on an I2C bus or a Modbus RTU line.

  python tools/bus_scan.py i2c --bus 1
  python tools/bus_scan.py modbus --port /dev/ttyUSB0 --baud 9600                 ids 1..247
  python tools/bus_scan.py modbus --port /dev/ttyUSB0 --baud 2400 --range 1-10 --timeout-ms 200
  python tools/bus_scan.py modbus --emulate [--emulate-fault absent|noisy]

Modbus probe: FC 04 read of input registers 0x0000-0x0001 (no retries); any well-formed answer, an exception
response included, proves a device at that id; a garbled answer is reported as such. PASS when at least one device
answered, FAIL otherwise.
"""

import argparse
import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tools import _common as cli

FAULTS = ("absent", "noisy")
METER_DRIVERS = ("sdm630", "sdm120", "abb_b23", "ina226")

# likely identity of common I2C addresses on charging-station boards (a hint, not a detection)
I2C_HINTS = {0x27: "PCF8574 (LCD backpack)", 0x38: "ADE7953 energy IC", 0x3C: "SSD1306 OLED",
             0x48: "ADS1115 ADC", 0x49: "ADS1115 ADC", 0x4A: "ADS1115 ADC", 0x4B: "ADS1115 ADC",
             0x50: "EEPROM", 0x68: "RTC (DS3231/DS1307)"}
for _a in range(0x40, 0x48):
    I2C_HINTS[_a] = "INA226 / INA219 power monitor"


def _range(text):
    try:
        if "-" in text:
            lo, hi = text.split("-", 1)
            lo, hi = int(lo), int(hi)
        else:
            lo = hi = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("range must look like 1-247")
    if not 1 <= lo <= hi <= 247:
        raise argparse.ArgumentTypeError("Modbus ids are 1..247")
    return lo, hi


def _options():
    p = cli.parser("bus-scan", "List devices answering on an I2C bus or a Modbus RTU line.")
    p.add_argument("kind", choices=("i2c", "modbus"), help="which bus to scan")
    p.add_argument("--bus", type=int, help="I2C bus number (default 1)")
    cli.add_serial_options(p)
    p.add_argument("--range", type=_range, default=(1, 247), help="Modbus ids to probe, e.g. 1-10 (default 1-247)")
    p.add_argument("--timeout-ms", type=int, default=100, help="Modbus wait per id (default 100)")
    cli.add_common_options(p, FAULTS)
    return p


def _emulated_modbus(fault, clock):
    from drivers.hal.emulated import EmulatedSerial
    from drivers.sim.modbus_meter_emulator import ModbusMeterEmulator
    from drivers.sim.multidrop import MultiDrop
    line = MultiDrop([ModbusMeterEmulator("sdm630", 1, clock), ModbusMeterEmulator("abb_b23", 2, clock)])
    serial = EmulatedSerial(line, clock)
    if fault == "absent":
        for d in line.devices:
            d.set_lost(True)
    elif fault == "noisy":
        line.devices[1].inject_crc_error(1000000)
    return serial


def _emulated_i2c(fault, clock):
    from drivers.hal.emulated import EmulatedI2C
    from drivers.sim.ina226_emulator import INA226Emulator
    i2c = EmulatedI2C(clock)
    i2c.attach(0x40, INA226Emulator())
    i2c.attach(0x45, INA226Emulator())
    if fault == "absent":
        i2c.set_absent(0x40)
        i2c.set_absent(0x45)
    return i2c


def scan_modbus(serial, clock, lo, hi, timeout_ms, con, baud=9600):
    """Probe ids lo..hi; returns [(id, description)] of those that answered."""
    from drivers.meter.modbus_rtu import (ModbusClient, ModbusCrcError, ModbusException, ModbusFrameError,
                                          ModbusTimeout, READ_INPUT)
    client = ModbusClient(serial, clock, baudrate=baud, timeout_ms=timeout_ms, retries=0)
    found = []
    total = hi - lo + 1
    for n, unit in enumerate(range(lo, hi + 1)):
        if n % 16 == 0 or unit == hi:
            con.status("probing id %d (%d/%d), %d found" % (unit, n + 1, total, len(found)))
        try:
            client.read(unit, READ_INPUT, 0, 2)
            desc = "answered (input registers 0-1 readable)"
        except ModbusException as exc:
            desc = "answered with exception %d" % exc.code
        except (ModbusCrcError, ModbusFrameError) as exc:
            desc = "garbled answer (%s): check wiring, termination, baud rate" % exc
        except ModbusTimeout:
            continue
        found.append((unit, desc))
        con.end_status()
        con.line("  id %3d: %s" % (unit, desc))
    con.end_status()
    return found


def scan_i2c(i2c, con):
    con.status("probing I2C addresses 0x08-0x77")
    found = i2c.scan()
    con.end_status()
    for addr in found:
        con.line("  0x%02X  %s" % (addr, I2C_HINTS.get(addr, "")))
    return found


def main(argv=None, out=None):
    con = cli.Console(out)
    args, code = cli.parse(_options(), argv)
    if args is None:
        return code
    from drivers.hal.errors import BusError
    try:
        cli.merge_board(args, METER_DRIVERS, {"port": "port", "baud": "baud", "parity": "parity",
                                              "bus": "i2c_bus"})
        if args.emulate:
            from drivers.hal.clock import FakeClock
            clock = FakeClock()
            if args.kind == "modbus":
                bus = _emulated_modbus(args.emulate_fault, clock)
            else:
                bus = _emulated_i2c(args.emulate_fault, clock)
            where = "emulated %s bus" % args.kind
        else:
            from drivers.hal.clock import SystemClock
            clock = SystemClock()
            try:
                if args.kind == "modbus":
                    bus = cli.open_serial(args.port, args.baud or 9600, args.parity)
                    where = "Modbus RTU on %s at %d baud" % (args.port, args.baud or 9600)
                else:
                    bus = cli.open_i2c(args.bus)
                    where = "I2C bus %d" % (1 if args.bus is None else args.bus)
            except BusError as exc:
                con.line("cannot open the bus: %s" % exc)
                return con.verdict(False, "bus unusable")
    except cli.UsageError as exc:
        con.line("bus-scan: error: %s" % exc)
        return cli.EXIT_USAGE

    con.line("bus-scan: %s" % where)
    try:
        if args.kind == "modbus":
            lo, hi = args.range
            found = scan_modbus(bus, clock, lo, hi, args.timeout_ms, con, args.baud or 9600)
            what = "Modbus id(s) %s" % ", ".join(str(u) for u, _ in found)
            garbled = [u for u, d in found if d.startswith("garbled")]
        else:
            found = scan_i2c(bus, con)
            what = "I2C address(es) %s" % ", ".join("0x%02X" % a for a in found)
            garbled = []
    except BusError as exc:
        return con.verdict(False, "bus error during the scan: %s" % exc)
    except KeyboardInterrupt:
        return con.verdict(False, "interrupted")
    if not found:
        return con.verdict(False, "no device answered (check power, wiring, A/B polarity, baud rate, address)")
    if garbled:
        return con.verdict(False, "%d device(s) found but id(s) %s answer garbled: %s"
                           % (len(found), ", ".join(str(u) for u in garbled), what))
    return con.verdict(True, "%d device(s): %s" % (len(found), what))


if __name__ == "__main__":
    sys.exit(main())
