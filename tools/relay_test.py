"""relay-test: click the contactor and the cable lock, check their feedback, self-test the RCD.

For field technicians. Closes and opens the contactor (`--cycles` times, honouring the
minimum time between closings), checks that the auxiliary contact follows within
250 ms, locks and unlocks the cable lock and checks its feedback, and runs the RCD
self-test when a test output is configured. Welding, a contactor that does not close,
a jammed lock or a failed RCD test give a FAIL verdict and exit code 1.

On real hardware the contactor switches mains: no EV may be connected; --yes confirms.
Pins are BCM numbers through drivers/hal/linux.py, given as options or taken from a
board file (--board, --connector: the connector's "contactor", "lock", "rcd" blocks, built
by drivers/devices.py like the station does; see docs/hardware.md "Tools: relay-test,
pilot-watch"). A connector with a "watchdog" block (the EVSE Pi HAT's GPIO4) has its line
toggling from before the coil closes until after it opened, as the station drives it, else
the HAT would raise a GFI and drop the relay.

    python -m tools.relay_test --emulate
    python -m tools.relay_test --emulate --emulate-fault weld
    python -m tools.relay_test --coil 17 --feedback 23 --lock-a 5 --lock-b 6 --lock-feedback 13 --yes

Exit codes: 0 all checks passed, 1 a fault the technician must act on, 2 usage error.
"""

import sys

from tools._common import (Console, UsageError, add_connector_options, connector_blocks, connector_board,
                           parse_connector_options, parser)

FAULTS = ("weld", "fail-close", "spurious", "jam", "jam-unlock", "jam-once", "rcd-dead", "rcd-stuck")
STEP_MS = 5


def _parser():
    p = parser("relay-test", __doc__.split("\n\n")[0])
    add_connector_options(p, FAULTS, "'contactor', 'lock' and 'rcd' blocks", "run against the emulated contactor, "
                          "lock and RCD", "make an emulated device fail (repeatable)")
    p.add_argument("--yes", action="store_true", help="confirm switching real hardware (no EV connected)")
    p.add_argument("--cycles", type=int, default=1, help="contactor close/open cycles (default 1)")
    p.add_argument("--hold-ms", type=int, default=500, help="time the contactor stays closed (default 500)")
    p.add_argument("--min-interval-ms", type=int, default=10000,
                   help="minimum time between closings (default 10000)")
    p.add_argument("--agree-ms", type=int, default=250, help="feedback must follow within this (default 250)")
    p.add_argument("--skip-contactor", action="store_true")
    p.add_argument("--skip-lock", action="store_true")
    p.add_argument("--skip-rcd", action="store_true")
    g = p.add_argument_group("explicit pins (BCM numbers, real hardware)")
    g.add_argument("--coil", type=int, help="contactor coil output")
    g.add_argument("--coil-active-low", action="store_true")
    g.add_argument("--feedback", type=int, help="contactor auxiliary contact input")
    g.add_argument("--feedback-type", choices=("no", "nc", "none"), default=None)
    g.add_argument("--feedback-active-low", action="store_true")
    g.add_argument("--lock-a", type=int, help="lock motor output towards locked")
    g.add_argument("--lock-b", type=int, help="lock motor output towards unlocked")
    g.add_argument("--lock-feedback", type=int, help="lock position input (active = locked)")
    g.add_argument("--lock-feedback-active-low", action="store_true")
    g.add_argument("--lock-pulse-ms", type=int, default=600)
    g.add_argument("--lock-retries", type=int, default=3)
    g.add_argument("--rcd", type=int, help="RCD fault input")
    g.add_argument("--rcd-active-low", action="store_true")
    g.add_argument("--rcd-test", type=int, help="RCD test output")
    g.add_argument("--gpio-backend", choices=("rpi-gpio", "rpi-lgpio", "gpiod", "rpi"), default=None,
                   help="GPIO library (default: the board's gpio_backend, else rpi-gpio)")
    g.add_argument("--chip", default=None, help="gpiod chip (default: the board's gpio_chip, else /dev/gpiochip0)")
    return p


# ---- building the devices -----------------------------------------------------------------
# Each device is given as a maker: make(extra) -> driver object, `extra` being the test's own settings
# (agree_ms, pulse_ms, ...), so a device that cannot be opened fails in its own check.

def _maker(spec):
    def make(extra):
        from drivers.devices import driver_module
        merged = dict(spec)
        merged.update(extra)
        return driver_module(spec["driver"]).build(merged)
    return make


def _emulated(args):
    from drivers.hal.clock import FakeClock
    from drivers.sim.rig import RelayRig
    clock = FakeClock()
    rig = RelayRig(clock, rcd_test_works="rcd-dead" not in args.emulate_fault)
    faults = args.emulate_fault
    if "weld" in faults:
        rig.contactor.weld()
    if "fail-close" in faults:
        rig.contactor.fail_close()
    if "jam" in faults:
        rig.lock.jam("lock")
    if "jam-unlock" in faults:
        rig.lock.jam("unlock")
    if "jam-once" in faults:
        rig.lock.jam("lock", 1)
    if "rcd-stuck" in faults:
        rig.rcd.leak(dc_ma=10)
    makers = {"contactor": _maker(rig.contactor_spec()), "lock": _maker(rig.lock_spec()),
              "rcd": _maker(rig.rcd_spec())}
    if "spurious" in faults:
        rig.contactor.invert_feedback_at(clock.ticks_add(clock.ticks_ms(), 100))
    return clock, makers


def _pin(pin, active_low=False):
    return None if pin is None else {"pin": pin, "active_low": bool(active_low)}


def _option_blocks(args):
    """Device blocks (docs/boards.md) from the explicit pin options."""
    blocks = {}
    if args.coil is not None:
        blocks["contactor"] = {"driver": "contactor", "coil": _pin(args.coil, args.coil_active_low),
                               "feedback": _pin(args.feedback, args.feedback_active_low)}
        if args.feedback_type is not None:
            blocks["contactor"]["feedback_type"] = args.feedback_type
    if args.lock_a is not None or args.lock_b is not None:
        if args.lock_a is None or args.lock_b is None:
            raise UsageError("--lock-a and --lock-b go together")
        blocks["lock"] = {"driver": "lock", "lock_out": args.lock_a, "unlock_out": args.lock_b,
                          "feedback": _pin(args.lock_feedback, args.lock_feedback_active_low)}
    if args.rcd is not None:
        blocks["rcd"] = {"driver": "rcd", "input": _pin(args.rcd, args.rcd_active_low), "test_out": args.rcd_test}
    return blocks


class _Watched:
    """A contactor with its power stage's watchdog line, driven as drivers/station_hardware.py does: on before the
    coil closes, polled with the contactor, off after the coil opened."""

    def __init__(self, contactor, watchdog):
        self.contactor = contactor
        self.watchdog = watchdog

    def __getattr__(self, name):                    # fault, pending_close, feedback_type, closings
        return getattr(self.contactor, name)

    def set(self, on, now):
        if on:
            self.watchdog.set(True, now)
        self.contactor.set(on, now)
        if not on:
            self.watchdog.set(False, now)

    def poll(self, now):
        return self.watchdog.poll(now) + self.contactor.poll(now)


def _real(args, board, hal=None):
    from drivers.devices import Devices
    board = board or {}
    hal_board = {"hal": "linux", "gpio_backend": args.gpio_backend or board.get("gpio_backend", "rpi-gpio"),
                 "gpio_chip": args.chip or board.get("gpio_chip", "/dev/gpiochip0")}
    if hal is None:
        from drivers.hal.linux import LinuxHal
        hal = LinuxHal(hal_board)
    devices = Devices(hal_board, hal)
    blocks = connector_blocks(board, args.connector, ("contactor", "lock", "rcd", "watchdog")) if board else {}
    blocks.update(_option_blocks(args))
    watchdog = blocks.pop("watchdog", None)

    def maker(block):
        return lambda extra: devices.build(block, extra)

    makers = dict((kind, maker(blocks[kind])) for kind in blocks)
    if watchdog is not None and "contactor" in makers:
        contactor = makers["contactor"]
        makers["contactor"] = lambda extra: _Watched(contactor(extra), devices.build(watchdog))
    return hal.clock, makers


# ---- the checks ---------------------------------------------------------------------------

def _wait(clock, device, done, timeout_ms, log):
    """Poll `device` until done(event) is true for one of its events, or timeout. Returns (event, ms)."""
    start = clock.ticks_ms()
    while True:
        for event in device.poll(clock.ticks_ms()):
            log(event)
            if done(event):
                return event, clock.ticks_diff(clock.ticks_ms(), start)
        elapsed = clock.ticks_diff(clock.ticks_ms(), start)
        if elapsed >= timeout_ms:
            return None, elapsed
        clock.sleep_ms(STEP_MS)


def _log_event(out):
    def log(event):
        kind = event.get("type")
        if kind.endswith("_fault"):
            out("  ! %s: %s (%s)" % (kind, event.get("info"), event.get("error_code")))
        elif kind == "contactor_delayed":
            out("  waiting %d ms before closing again (relay wear limit)" % event["wait_ms"])
    return log


def check_contactor(clock, make, args, out):
    dev = make({"agree_ms": args.agree_ms, "min_interval_ms": args.min_interval_ms})
    try:
        failures = _contactor_cycles(clock, dev, args, out)
    finally:                                        # also on an I/O error or Ctrl-C
        dev.set(False, clock.ticks_ms())
        if isinstance(dev, _Watched):
            dev.watchdog.stop()
    out("contactor: %d closing(s) in this test" % dev.closings)
    return failures


def _contactor_cycles(clock, dev, args, out):
    log = _log_event(out)
    failures = []
    settle_limit = args.agree_ms + 100
    _wait(clock, dev, lambda e: False, settle_limit, log)          # start-up: coil off, check not welded
    if dev.fault:
        failures.append(dev.fault)
    for cycle in range(1, args.cycles + 1):
        if dev.fault:
            break
        out("contactor: cycle %d/%d close" % (cycle, args.cycles))
        dev.set(True, clock.ticks_ms())
        wait_limit = settle_limit + (args.min_interval_ms if dev.pending_close else 0)
        event, ms = _wait(clock, dev, lambda e: e["type"] in ("contactor", "contactor_fault"), wait_limit, log)
        if event is None or event["type"] != "contactor":
            failures.append(dev.fault or "no_close")
            out("contactor: did NOT close (feedback stayed open)")
            break
        out("contactor: closed, feedback confirmed after %d ms" % ms if dev.feedback_type != "none"
            else "contactor: closed (no feedback input to check)")
        _wait(clock, dev, lambda e: e["type"] == "contactor_fault", args.hold_ms, log)
        if dev.fault:
            failures.append(dev.fault)
            break
        out("contactor: cycle %d/%d open" % (cycle, args.cycles))
        dev.set(False, clock.ticks_ms())
        event, ms = _wait(clock, dev, lambda e: e["type"] in ("contactor", "contactor_fault"), settle_limit, log)
        if event is None or event["type"] != "contactor":
            failures.append(dev.fault or "welded")
            out("contactor: did NOT open - WELDED contacts, keep the station out of service")
            break
        out("contactor: opened, feedback confirmed after %d ms" % ms if dev.feedback_type != "none"
            else "contactor: opened")
    return failures


def check_lock(clock, make, args, out):
    dev = make({"pulse_ms": args.lock_pulse_ms, "retries": args.lock_retries})
    log = _log_event(out)
    limit = dev.retries * (dev.check_ms + dev.retry_gap_ms) + 500
    failures = []
    for target, word in ((True, "lock"), (False, "unlock")):
        out("lock: %s" % word)
        dev.reset()
        if target:
            dev.lock(clock.ticks_ms())
        else:
            dev.unlock(clock.ticks_ms())
        event, ms = _wait(clock, dev, lambda e: e["type"] in ("lock", "lock_fault"), limit, log)
        if event is None or event["type"] != "lock" or event["locked"] != target:
            failures.append(dev.fault or (word + "_failed"))
            out("lock: did NOT %s - JAMMED or no feedback" % word)
            if target:
                continue
            break
        attempts = event.get("attempts", 1)
        if attempts == 0:
            out("lock: already %sed (feedback)" % word)
        else:
            out("lock: %sed after %d ms (%d attempt%s)" % (word, ms, attempts, "" if attempts == 1 else "s"))
    return failures


def check_rcd(clock, make, args, out):
    dev = make({})
    log = _log_event(out)
    _wait(clock, dev, lambda e: False, 20, log)
    if dev.tripped:
        out("rcd: tripped before the test (residual current or a broken module)")
        return [dev.fault]
    if dev.test_out is None:
        out("rcd: no test output configured: input reads OK, self-test skipped")
        return []
    out("rcd: self-test")
    dev.self_test(clock.ticks_ms())
    event, ms = _wait(clock, dev, lambda e: e["type"] == "rcd_selftest",
                      dev.test_timeout_ms + dev.clear_timeout_ms + 200, log)
    if event is None or not event["ok"]:
        out("rcd: self-test FAILED")
        return [dev.fault or "selftest"]
    out("rcd: self-test passed (%d ms)" % ms)
    return []


def main(argv=None, hal=None):
    """`hal`: the HAL for real hardware instead of a LinuxHal (a test's, on stand-in GPIO and a fake clock)."""
    con = Console()
    out = con.line
    args, code = parse_connector_options(_parser(), argv, con)
    if args is None:
        return code
    if args.cycles < 1:
        out("relay-test: --cycles must be at least 1")
        return 2
    try:
        board = connector_board(args)
        if args.emulate:
            clock, makers = _emulated(args)
            out("relay-test: emulated hardware" + (" (faults: %s)" % ", ".join(args.emulate_fault)
                                                   if args.emulate_fault else ""))
        else:
            if not args.yes:
                out("relay-test: this switches the contactor and the lock on real hardware.")
                out("Make sure no EV is connected, then run again with --yes.")
                return 2
            clock, makers = _real(args, board, hal)
            if not makers:
                out("relay-test: nothing to test: give --board or --coil/--lock-a/--lock-b/--rcd")
                return 2
    except UsageError as exc:
        out("relay-test: %s" % exc)
        return 2

    failures = []
    checks = (("contactor", check_contactor, args.skip_contactor), ("lock", check_lock, args.skip_lock),
              ("rcd", check_rcd, args.skip_rcd))
    for name, fn, skip in checks:
        if skip or name not in makers:
            continue
        try:
            for f in fn(clock, makers[name], args, out):
                failures.append("%s %s" % (name, f))
        except OSError as exc:
            out("%s: I/O error: %s" % (name, exc))
            failures.append("%s io" % name)
    return con.findings(failures, "all feedback as commanded")


if __name__ == "__main__":
    sys.exit(main())
