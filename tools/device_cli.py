"""Shared plumbing of the device tools (rfid_scan, meter_read, bus_scan): options, board files, buses, verdicts.

Exit codes: 0 = OK, 1 = a failure the technician must act on, 2 = usage error.

Board files (`--board FILE`, JSON) are searched for the first object whose "driver" is one the tool handles; from
it the tool takes "port", "baud", "parity", "address", "i2c_bus" (or an integer "bus") and driver options such as
"shunt_ohms". Explicit command-line options win over the board file.
"""

import argparse
import json
import sys

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad options or board file: exit code 2."""


def parser(prog, description):
    return argparse.ArgumentParser(prog=prog, description=description)


def add_serial_options(p):
    g = p.add_argument_group("serial port")
    g.add_argument("--port", help="serial device, e.g. /dev/serial0 or /dev/ttyUSB0")
    g.add_argument("--baud", type=int, help="baud rate")
    g.add_argument("--parity", choices=("N", "E", "O"), help="parity (default N)")


def add_common_options(p, faults):
    p.add_argument("--board", metavar="FILE", help="board file (JSON) to take the device settings from")
    p.add_argument("--emulate", action="store_true",
                   help="run against the built-in device emulators, in simulated time")
    p.add_argument("--emulate-fault", choices=faults, metavar="NAME",
                   help="make the emulated device fail: " + ", ".join(faults))


def parse(p, argv):
    """argparse without sys.exit: returns (args, None) or (None, exit code)."""
    try:
        return p.parse_args(argv), None
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else EXIT_USAGE
        return None, code


def _find_device(node, drivers):
    if isinstance(node, dict):
        if node.get("driver") in drivers:
            return node
        children = list(node.values())
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _find_device(child, drivers)
        if found is not None:
            return found
    return None


def board_device(path, drivers):
    """The first device object in the board file whose "driver" is in `drivers`; raises UsageError."""
    try:
        with open(path) as f:
            board = json.load(f)
    except (OSError, ValueError) as exc:
        raise UsageError("cannot read board file %s: %s" % (path, exc))
    dev = _find_device(board, drivers)
    if dev is None:
        raise UsageError("board file %s has no device with driver %s" % (path, " or ".join(drivers)))
    return dev


def merge_board(args, drivers, names):
    """Fill unset options in `args` from the board file (option name -> board key in `names`)."""
    if not args.board:
        return None
    dev = board_device(args.board, drivers)
    for opt, key in names.items():
        if getattr(args, opt, None) is None and key in dev:
            setattr(args, opt, dev[key])
    return dev


def open_serial(port, baud, parity="N"):
    """A Linux serial port; raises UsageError without a port. BusError propagates (device missing)."""
    if not port:
        raise UsageError("no serial port: give --port, --board or --emulate")
    from drivers.hal.linux import Serial
    return Serial(port, baudrate=baud, parity=parity or "N")


def open_i2c(bus):
    from drivers.hal.linux import I2C
    return I2C(1 if bus is None else int(bus))


class Console:
    """Progress and result lines, flushed at once so a technician sees them live."""

    def __init__(self, out=None):
        self.out = out or sys.stdout

    def line(self, text=""):
        self.out.write(text + "\n")
        self.out.flush()

    def status(self, text):
        """A progress line: rewritten in place on a terminal, printed normally otherwise."""
        if getattr(self.out, "isatty", lambda: False)():
            self.out.write("\r" + text + "\x1b[K")
            self.out.flush()
        else:
            self.line(text)

    def end_status(self):
        if getattr(self.out, "isatty", lambda: False)():
            self.out.write("\n")

    def verdict(self, ok, text):
        self.line(("VERDICT: PASS - " if ok else "VERDICT: FAIL - ") + text)
        return EXIT_OK if ok else EXIT_FAIL


def stamp(clock, t0):
    """Seconds since t0 as text, e.g. "  12.345s"."""
    ms = clock.ticks_diff(clock.ticks_ms(), t0)
    return "%8.3fs" % (ms / 1000)
