"""pilot-watch: live control-pilot state, voltages, duty and proximity (PP) rating.

For field technicians. Drives the CP output itself (steady +12 V unless --amps or
--digital), polls the pilot every 20 ms and prints one line per --interval-ms:
state, the CP high/low plateau voltages, the duty and the current it offers, and the
cable rating from PP. Pilot faults (diode, CP short, state F, ventilation, ADC) are
printed as they happen and give exit code 1. Run it with the station stopped: it
takes over the pilot PWM.

Real hardware (CPython, drivers/hal/linux.py): sysfs PWM --pwm-chip/--pwm-channel; the
CP measured by an ADS1115 behind peak detectors (--adc ads1115, --bus, --address,
--channel = positive peak, --low-channel = negative peak, --pp-channel) or an IIO ADC
sampled in bursts (--adc iio, --iio-device, --channel). Or --board FILE --connector N:
the connector's "pilot" and "pp" blocks (docs/boards.md), built by drivers/devices.py
like the station does.

    python -m tools.pilot_watch --emulate --amps 16 --count 6
    python -m tools.pilot_watch --emulate --emulate-fault diode-short --amps 16 --count 6

Exit codes: 0 no fault seen, 1 a pilot/PP fault the technician must act on, 2 usage error.
"""

import sys

from drivers.pilot import pilot as pilot_mod
from drivers.pilot import proximity
from drivers.pilot.duty import duty_to_ma
from tools._common import (Console, UsageError, add_connector_options, connector_blocks, connector_board,
                           parse_connector_options, parser)

FAULTS = ("diode-short", "diode-missing", "diode-open", "cp-short", "ventilation", "adc-fail", "no-ev",
          "pp-short")
POLL_MS = 20


def _parser():
    p = parser("pilot-watch", __doc__.split("\n\n")[0])
    add_connector_options(p, FAULTS, "'pilot' and 'pp' blocks", "watch an emulated EV (plugs in after the first line)",
                          "give the emulated EV / hardware a fault (repeatable)")
    p.add_argument("--count", type=int, default=None,
                   help="stop after N lines (default: run until Ctrl-C; 10 with --emulate)")
    p.add_argument("--interval-ms", type=int, default=500, help="time between lines (default 500)")
    offer = p.add_mutually_exclusive_group()
    offer.add_argument("--amps", type=float, default=None, help="offer this current (PWM duty)")
    offer.add_argument("--digital", action="store_true", help="5 %% duty (ISO 15118 high-level communication)")
    p.add_argument("--ventilation", action="store_true", help="state D is allowed (ventilation available)")
    g = p.add_argument_group("hardware")
    g.add_argument("--adc", choices=("ads1115", "iio", "burst"), default=None,
                   help="CP ADC: ads1115 (peak detectors), iio (Linux ADC) or burst (emulated fast ADC)")
    g.add_argument("--pwm-chip", type=int, default=0)
    g.add_argument("--pwm-channel", type=int, default=0)
    g.add_argument("--bus", type=int, default=1, help="I2C bus of the ADS1115 (default 1)")
    g.add_argument("--address", type=lambda s: int(s, 0), default=0x48, help="ADS1115 address (default 0x48)")
    g.add_argument("--channel", type=int, default=0, help="ADC channel of the CP (positive peak)")
    g.add_argument("--low-channel", type=int, default=1, help="ADS1115 channel of the negative peak")
    g.add_argument("--pp-channel", type=int, default=None, help="ADC channel of the PP divider")
    g.add_argument("--iio-device", type=int, default=0)
    g.add_argument("--samples", type=int, default=250, help="burst samples per reading (iio/burst)")
    g.add_argument("--adc-at-low-mv", type=int, default=250, help="ADC mV at CP -12 V (divider)")
    g.add_argument("--adc-at-high-mv", type=int, default=3250, help="ADC mV at CP +12 V (divider)")
    return p


def _emulated(args):
    from drivers.hal.clock import FakeClock
    from drivers.sim.rig import PilotRig
    clock = FakeClock()
    kind = args.adc or "burst"
    if kind not in ("burst", "ads1115"):
        raise UsageError("with --emulate, --adc is burst or ads1115")
    rig = PilotRig(clock, adc=kind, cable_ohms=30 if "pp-short" in args.emulate_fault else 220)
    spec = rig.pilot_spec(ventilation=args.ventilation, samples=args.samples)
    return clock, spec, rig.pp_spec(), rig


def _apply_faults(rig, faults):
    ev = rig.ev
    if "no-ev" not in faults:
        ev.plug()
    if "diode-short" in faults:
        ev.set_diode("shorted")
    if "diode-missing" in faults:
        ev.set_diode("missing")
    if "diode-open" in faults:
        ev.set_diode("open")
    if "cp-short" in faults:
        ev.short_cp(80)
    if "ventilation" in faults:
        ev.ventilation = True
    if "adc-fail" in faults:
        if rig.adc_kind == "burst":
            rig.adc.fail = True
        else:
            rig.i2c.set_absent(0x48)


def _option_board(args):
    """A board (docs/boards.md) with the pilot and PP blocks the hardware options describe."""
    kind = args.adc or "ads1115"
    pilot = {"driver": "pilot", "pwm": {"chip": args.pwm_chip, "channel": args.pwm_channel},
             "divider": {"adc_at_low_mv": args.adc_at_low_mv, "adc_at_high_mv": args.adc_at_high_mv}}
    if kind == "ads1115":
        def adc(channel):
            return {"type": "ads1115", "bus": "i2c", "address": args.address, "channel": channel}
        pilot.update({"mode": "peak", "adc_high": adc(args.channel), "adc_low": adc(args.low_channel)})
    elif kind == "iio":
        def adc(channel):
            return {"type": "adc", "device": args.iio_device, "channel": channel}
        pilot.update({"mode": "burst", "adc": adc(args.channel), "samples": args.samples})
    else:
        raise UsageError("on real hardware --adc is ads1115 or iio")
    connector = {"id": 1, "pilot": pilot}
    if args.pp_channel is not None:
        connector["pp"] = {"driver": "proximity", "adc": adc(args.pp_channel)}
    return {"name": "pilot-watch options", "hal": "linux", "buses": {"i2c": {"type": "i2c", "bus": args.bus}},
            "connectors": [connector]}


def _real(args, board):
    from drivers.devices import Devices
    from drivers.hal.select import hal_for
    if board is None:
        board = _option_board(args)
        args.connector = 1
    blocks = connector_blocks(board, args.connector, ("pilot", "pp"))
    if "pilot" not in blocks:
        raise UsageError("connector %d of %s has no pilot block" % (args.connector, board["name"]))
    pilot = dict(blocks["pilot"])
    if args.ventilation:
        pilot["ventilation"] = True
    devices = Devices(board, hal_for(board))
    cp = devices.build(pilot)
    pp = devices.build(blocks["pp"]) if "pp" in blocks else None
    return devices.clock, cp, pp, None


def _fmt_mv(mv):
    if mv is None:
        return "   ?   "
    return "%+6.2f V" % (mv / 1000.0)


def _fmt_duty(duty):
    if duty is None:
        return "steady +12 V (no offer)"
    if duty == 0:
        return "steady -12 V (state F)"
    ma = duty_to_ma(duty)
    text = "%5.1f %%" % (duty / 10.0)
    if duty == 50:
        return text + " (digital communication)"
    if ma is None:
        return text
    return text + " (%.1f A)" % (ma / 1000.0)


def _fmt_pp(reading):
    if reading is None:
        return ""
    if reading["status"] == "ok":
        return "  PP %d A (%d ohm)" % (reading["amps"], reading["ohms"])
    if reading["status"] == "no_cable":
        return "  PP no cable"
    if reading["ohms"] is None:
        return "  PP ERROR (no reading)"
    return "  PP ERROR (%d ohm)" % reading["ohms"]


def main(argv=None):
    con = Console()
    out = con.line
    args, code = parse_connector_options(_parser(), argv, con)
    if args is None:
        return code
    count = args.count
    if count is not None and count < 1 or args.interval_ms < POLL_MS:
        out("pilot-watch: --count must be >= 1 and --interval-ms >= %d" % POLL_MS)
        return 2
    try:
        board = connector_board(args)
        if args.emulate and count is None:
            count = 10              # an emulated run ends by itself
        if args.emulate:
            clock, spec, pp_spec, rig = _emulated(args)
            cp = pilot_mod.build(spec)
            pp = proximity.build(pp_spec) if pp_spec is not None else None
        else:
            clock, cp, pp, rig = _real(args, board)
    except UsageError as exc:
        out("pilot-watch: %s" % exc)
        return 2
    except (OSError, ValueError) as exc:
        out("pilot-watch: cannot open the hardware: %s" % exc)
        out("VERDICT: FAIL (hardware not accessible)")
        return 1

    if args.digital:
        cp.set_digital()
    elif args.amps is not None:
        cp.set_current(args.amps)
    out("pilot-watch: %s, CP output %s" % ("emulated EV" if rig is not None else "hardware",
                                           _fmt_duty(cp.duty)))
    faults = []
    start = clock.ticks_ms()
    line = 0
    try:
        while count is None or line < count:
            if rig is not None and line == 1:
                _apply_faults(rig, args.emulate_fault)
            due = clock.ticks_add(clock.ticks_ms(), args.interval_ms)
            while True:
                events = cp.poll(clock.ticks_ms())
                if pp is not None:
                    events += pp.poll(clock.ticks_ms())
                for e in events:
                    if e["type"] == "pilot_fault" or e["type"] == "pp" and e["status"] == "error":
                        faults.append("%s %s" % (e.get("fault", "pp"), e["error_code"]))
                        out("  ! %s: %s (%s)" % (e["type"], e["info"], e["error_code"]))
                    elif e["type"] == "pilot_fault_cleared":
                        out("  fault cleared: %s" % e["fault"])
                if clock.ticks_diff(due, clock.ticks_ms()) <= 0:
                    break
                clock.sleep_ms(POLL_MS)
            st = cp.status()
            reading = pp.value if pp is not None else None
            out("%8.3f s  state %-10s CP %s / %s  duty %s%s" % (
                clock.ticks_diff(clock.ticks_ms(), start) / 1000.0, st["state"] or "?",
                _fmt_mv(st["mv"]), _fmt_mv(st["low_mv"]), _fmt_duty(st["duty"]), _fmt_pp(reading)))
            line += 1
    except KeyboardInterrupt:
        out("stopped")
    finally:
        try:
            cp.set_current(None)
        except OSError:
            pass
    seen = []
    for f in faults:
        if f not in seen:
            seen.append(f)
    return con.findings(seen, "no pilot fault seen")


if __name__ == "__main__":
    sys.exit(main())
