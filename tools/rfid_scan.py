"""rfid-scan: read RFID cards and show each one as the idTag the station will send to the CSMS.

  python tools/rfid_scan.py --port /dev/serial0                 PN532 at 115200 baud, until Ctrl-C
  python tools/rfid_scan.py --driver rdm6300 --port /dev/ttyUSB0 --count 1
  python tools/rfid_scan.py --board boards/pi-hat.json --duration 30
  python tools/rfid_scan.py --emulate [--emulate-fault dead]    emulated reader with two demo cards

PASS when the reader works (PN532: initialised and answering; RDM6300: at least one valid frame, since it cannot
report its own health); FAIL on a reader fault that is still present at the end, or no frame from an RDM6300.
"""

import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tools import _common as cli

DRIVERS = ("pn532", "rdm6300")
FAULTS = ("dead", "garbage", "checksum", "unplugged")
DEFAULT_BAUD = {"pn532": 115200, "rdm6300": 9600}
DEMO_CARDS = (("pn532", "DEADBEEF"), ("pn532", "04A224B2C25C80"), ("rdm6300", "14008EC793"),
              ("rdm6300", "0A00F1C2D3"))


def _options():
    p = cli.parser("rfid-scan", "Read RFID cards and print each as its OCPP idTag.")
    p.add_argument("--driver", choices=DRIVERS, help="reader type (default pn532)")
    cli.add_serial_options(p)
    p.add_argument("--count", type=int, default=0, help="stop after this many tags (default: no limit)")
    p.add_argument("--duration", type=float, help="stop after this many seconds (default: until Ctrl-C; "
                                                  "6 with --emulate)")
    p.add_argument("--interval-ms", type=int, default=250, help="poll interval (default 250)")
    cli.add_common_options(p, FAULTS)
    return p


class _Demo:
    """Emulated reader plus a script that presents and removes the demo cards in simulated time."""

    def __init__(self, driver, fault):
        from drivers.hal.clock import FakeClock
        from drivers.hal.emulated import EmulatedSerial
        self.clock = FakeClock()
        if driver == "pn532":
            from drivers.sim.pn532_emulator import PN532Emulator
            self.device = PN532Emulator()
        else:
            from drivers.sim.rdm6300_emulator import Rdm6300Emulator
            self.device = Rdm6300Emulator(self.clock)
        self.serial = EmulatedSerial(self.device, self.clock)
        self.fault = fault
        self.cards = [uid for d, uid in DEMO_CARDS if d == driver]
        if fault == "dead":
            if driver == "pn532":
                self.device.go_dead()
            else:
                self.cards = []       # a dead RDM6300 is simply silent
        elif fault == "unplugged":
            self.serial.set_absent(True)

    def step(self, elapsed_ms):
        """Card on the reader from 1-2 s, 3-4 s, ...; faults injected while it is there."""
        slot, phase = divmod(elapsed_ms, 2000)
        index = slot
        present = 1000 <= phase and index < len(self.cards)
        if present and self.device.card is None:
            if self.fault == "garbage":
                self.serial.noise_before_reply(b"\x13\x37\x00\xff\x42", count=3)
            elif self.fault == "checksum":
                if hasattr(self.device, "bad_checksum"):
                    self.device.bad_checksum(2)
            self.device.present_card(self.cards[index])
        elif not present and self.device.card is not None:
            self.device.remove_card()


def _reader(driver, serial, clock):
    if driver == "pn532":
        from drivers.rfid.pn532 import PN532
        return PN532(serial, clock)
    from drivers.rfid.rdm6300 import Rdm6300
    return Rdm6300(serial, clock)


def main(argv=None, out=None):
    con = cli.Console(out)
    args, code = cli.parse(_options(), argv)
    if args is None:
        return code
    demo = None
    try:
        cli.merge_board(args, DRIVERS, {"driver": "driver", "port": "port", "baud": "baud", "parity": "parity"})
        driver = args.driver or "pn532"
        baud = args.baud or DEFAULT_BAUD[driver]
        if args.emulate:
            demo = _Demo(driver, args.emulate_fault)
            clock, serial = demo.clock, demo.serial
            duration_ms = int((args.duration or 6) * 1000)
            where = "emulated %s" % driver.upper()
        else:
            from drivers.hal.clock import SystemClock
            from drivers.hal.errors import BusError
            clock = SystemClock()
            try:
                serial = cli.open_serial(args.port, baud, args.parity)
            except BusError as exc:
                con.line("cannot open %s: %s" % (args.port, exc))
                return con.verdict(False, "serial port unusable (%s)" % args.port)
            duration_ms = None if args.duration is None else int(args.duration * 1000)
            where = "%s on %s at %d baud" % (driver.upper(), args.port, baud)
    except cli.UsageError as exc:
        con.line("rfid-scan: error: %s" % exc)
        return cli.EXIT_USAGE

    reader = _reader(driver, serial, clock)
    con.line("rfid-scan: %s; present a card (Ctrl-C to stop)" % where)
    t0 = clock.ticks_ms()
    tags = []
    fault = None
    healthy = False
    try:
        while True:
            elapsed = clock.ticks_diff(clock.ticks_ms(), t0)
            if duration_ms is not None and elapsed >= duration_ms:
                break
            if demo is not None:
                demo.step(elapsed)
            ev = reader.poll()
            if ev is not None:
                kind = ev["type"]
                if kind == "tag":
                    tags.append(ev["id_tag"])
                    extra = ""
                    if "sak" in ev:
                        extra = "  (ATQA %04X, SAK %02X)" % (ev["atqa"], ev["sak"])
                    con.line("%s  tag  idTag %s%s" % (cli.stamp(clock, t0), ev["id_tag"], extra))
                    healthy = True
                    if args.count and len(tags) >= args.count:
                        break
                elif kind == "reader_fault":
                    fault = ev
                    con.line("%s  FAULT  %s: %s" % (cli.stamp(clock, t0), ev["error_code"], ev["info"]))
                elif kind == "reader_ok":
                    fault = None
                    healthy = True
                    con.line("%s  reader OK  %s" % (cli.stamp(clock, t0), ev.get("info", "")))
            clock.sleep_ms(args.interval_ms)
    except KeyboardInterrupt:
        con.line("")
    stats = getattr(reader, "stats", None)
    if stats:
        con.line("reader statistics: " + ", ".join("%s=%s" % (k, v) for k, v in sorted(stats.items()) if v))
    if fault is not None:
        return con.verdict(False, "%s: %s" % (fault["error_code"], fault["info"]))
    if driver == "rdm6300" and not tags:
        return con.verdict(False, "no frame from the RDM6300 (it only talks when a card is in its field: "
                                  "check wiring, 9600 baud, and present a card)")
    if not healthy:
        return con.verdict(False, "reader never became ready")
    return con.verdict(True, "reader working, %d tag(s) read%s" % (len(tags), ": " + ", ".join(tags) if tags
                                                                    else " (no card presented)"))


if __name__ == "__main__":
    sys.exit(main())
