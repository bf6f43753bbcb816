"""Shared plumbing of the technician tools: options, board files, buses, progress lines and verdicts.

Exit codes: 0 = OK, 1 = a failure the technician must act on, 2 = usage error.

Board files (`--board FILE` or a board name, docs/boards.md) are read and checked by boards.load(), and their
devices are found and built by drivers/devices.py, the factory the station itself uses: `merge_board` fills unset
options from the first block whose driver a tool handles and from that block's bus (port, baud, parity, I2C bus
number); `connector_board` loads the board of a tool that takes `--board` and `--connector`, and
`connector_blocks` gives that connector's device blocks, to build with `drivers.devices.Devices`. A board with hal
"emulated" (desktop-sim) runs the tool against its emulators. Explicit command-line options win over the board file.
"""

import argparse
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
    p.add_argument("--board", metavar="FILE", help="board file (JSON) or board name to take the device settings "
                                                   "from (an emulated board runs like --emulate)")
    p.add_argument("--emulate", action="store_true",
                   help="run against the built-in device emulators, in simulated time")
    p.add_argument("--emulate-fault", choices=faults, metavar="NAME",
                   help="make the emulated device fail: " + ", ".join(faults))


def add_connector_options(p, faults, blocks, emulate_help, fault_help):
    """--board, --connector, --emulate and a repeatable --emulate-fault: a tool that works on one connector's
    device `blocks` (e.g. "'pilot' and 'pp' blocks")."""
    p.add_argument("--board", metavar="FILE", help="board file (boards/*.json): its connector's %s (an emulated "
                                                   "board runs like --emulate)" % blocks)
    p.add_argument("--connector", type=int, default=1, help="connector of the board (default 1)")
    p.add_argument("--emulate", action="store_true", help=emulate_help)
    p.add_argument("--emulate-fault", choices=faults, action="append", default=[], help=fault_help)


def parse(p, argv):
    """argparse without sys.exit: returns (args, None) or (None, exit code)."""
    try:
        return p.parse_args(argv), None
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else EXIT_USAGE
        return None, code


def parse_connector_options(p, argv, con):
    """parse() for a tool with add_connector_options(), which also refuses --emulate-fault without --emulate."""
    args, code = parse(p, argv)
    if args is not None and args.emulate_fault and not args.emulate:
        con.line("%s: --emulate-fault needs --emulate" % p.prog)
        return None, EXIT_USAGE
    return args, code


# ---- board files ---------------------------------------------------------------------------------------------------

def load_board(path):
    """The checked board (boards.load); raises UsageError with the loader's message."""
    import boards
    try:
        return boards.load(path)
    except boards.BoardError as exc:
        raise UsageError(str(exc))


def board_settings(board, drivers):
    """The first block whose driver is in `drivers`, flattened with its bus: "port", "baud", "parity", "i2c_bus"."""
    from drivers.devices import find
    found = find(board, drivers)
    if found is None:
        raise UsageError("board %s has no device with driver %s" % (board["name"], " or ".join(drivers)))
    out = dict(found[2])
    bus = (board.get("buses") or {}).get(out.get("bus"))
    if isinstance(bus, dict):
        if bus.get("type") == "i2c":
            out["i2c_bus"] = bus.get("bus")
        else:
            for key in ("port", "baud", "parity"):
                if key in bus:
                    out[key] = bus[key]
    return out


def merge_board(args, drivers, names):
    """Fill unset options in `args` from the board file (option name -> settings key in `names`); an emulated
    board switches on --emulate. Returns the board or None."""
    if not args.board:
        return None
    board = load_board(args.board)
    settings = board_settings(board, drivers)
    for opt, key in names.items():
        if getattr(args, opt, None) is None and key in settings:
            setattr(args, opt, settings[key])
    if board["hal"] == "emulated":
        args.emulate = True
    return board


def connector_board(args):
    """The board of --board with its --connector checked, or None without --board; an emulated board switches
    on --emulate. Raises UsageError."""
    if not args.board:
        return None
    board = load_board(args.board)
    connector_blocks(board, args.connector, ())
    if board["hal"] == "emulated":
        args.emulate = True
    return board


def connector_blocks(board, connector_id, kinds):
    """{kind: block} of one connector's device blocks; raises UsageError if there is no such connector."""
    for c in board["connectors"]:
        if c.get("id") == connector_id:
            return dict((kind, c[kind]) for kind in kinds if isinstance(c.get(kind), dict))
    raise UsageError("%s has no connector %d" % (board["name"], connector_id))


def open_serial(port, baud, parity="N"):
    """A Linux serial port; raises UsageError without a port. BusError propagates (device missing)."""
    if not port:
        raise UsageError("no serial port: give --port, --board or --emulate")
    from drivers.hal.linux import Serial
    return Serial(port, baudrate=baud, parity=parity or "N")


def open_i2c(bus):
    from drivers.hal.linux import I2C
    return I2C(1 if bus is None else int(bus))


# ---- output --------------------------------------------------------------------------------------------------------

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

    def findings(self, failures, ok_text):
        """The last line of a tool that collects failures (relay-test, pilot-watch): `VERDICT: FAIL (a, b)`, or
        `VERDICT: OK (ok_text)` when there are none. Returns the exit code."""
        if failures:
            self.line("VERDICT: FAIL (%s)" % ", ".join(failures))
            return EXIT_FAIL
        self.line("VERDICT: OK (%s)" % ok_text)
        return EXIT_OK


def stamp(clock, t0):
    """Seconds since t0 as text, e.g. "  12.345s"."""
    ms = clock.ticks_diff(clock.ticks_ms(), t0)
    return "%8.3fs" % (ms / 1000)
