"""`stationctl`: run the station, run the demo, run the bench CSMS, and the technicians' tools.

    stationctl run --config FILE        connect to a CSMS as configured (docs/configuration.md)
    stationctl demo                     bench CSMS + station on simulated hardware + a scripted EV session
    stationctl csms ...                 the bench CSMS on its own (docs/bench-csms.md)
    stationctl fleet --csms URL --count N ...   many simulated stations for CSMS load tests (docs/fleet.md)
    stationctl dashboard-password       the password hash for a dashboard served beyond loopback (docs/dashboard.md)
    stationctl firmware-pack SRC --version V -o IMAGE   build a firmware image (docs/firmware.md)
    stationctl diag-bundle --config FILE -o OUT         the diagnostics bundle of a station (docs/firmware.md)
    stationctl install-service [--dry-run] ...   the systemd service (docs/deploy-raspberry-pi.md)
    stationctl --version                the firmware version (also the BootNotification's firmwareVersion)
    stationctl rfid-scan|meter-read|relay-test|pilot-watch|bus-scan ...   technician tools (docs/hardware.md)
"""

import argparse
import asyncio
import importlib
import os
import signal
import sys

from controller.version import VERSION

TOOLS = {
    "rfid-scan": "tools.rfid_scan",
    "meter-read": "tools.meter_read",
    "relay-test": "tools.relay_test",
    "pilot-watch": "tools.pilot_watch",
    "bus-scan": "tools.bus_scan",
}


def cmd_run(args):
    import boards
    from controller import settings as settings_mod

    try:
        settings = settings_mod.load(args.config)
        board = boards.load(settings["board"])
        if settings["sim_time_scale"] != 1 and board["hal"] != "emulated":
            raise settings_mod.SettingsError(args.config + ": field 'sim_time_scale': speeds up simulated time, "
                                             "but board " + board["name"] + " drives real hardware. Fix: remove "
                                             "it (or set it to 1)")
    except (settings_mod.SettingsError, boards.BoardError) as e:
        sys.stderr.write("stationctl: cannot start: " + str(e) + "\n")
        return 2
    from controller.runtime import log_output
    log_output.install(settings["log_level"], args.log_format)
    from controller.runtime import logfile_cpython
    logfile_cpython.tee(settings["data_dir"])
    if args.sim_api_port is not None:
        settings["sim_api_port"] = args.sim_api_port
    restart = [sys.executable, "-m", "controller.runtime.cli"] + sys.argv[1:]
    try:
        asyncio.run(_run(settings, board, restart))
    except KeyboardInterrupt:
        pass
    return 0


def build_hardware_for(board, store, now):
    """The hardware object of a board: the desktop rig on emulators, or the real drivers on a Linux board."""
    if board["hal"] == "emulated":
        from drivers.sim.desktop_rig import DesktopRig
        return DesktopRig(board, store, now)
    if board["hal"] != "linux":
        raise RuntimeError("board " + board["name"] + " needs the MicroPython runtime (hal '" + board["hal"] +
                           "'); on CPython use a linux or emulated board")
    from drivers.hal.select import hal_for
    from drivers.station_hardware import build_hardware
    return build_hardware(board, hal_for(board), store=store)


async def _run(settings, board, restart_argv):
    from controller.runtime.cpython import StationRuntime, now_ms, set_time_scale
    from controller.storage import FileStorage

    set_time_scale(settings["sim_time_scale"])

    os.makedirs(settings["data_dir"], exist_ok=True)
    runtime = StationRuntime(settings, board, None, restart_argv)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, runtime.stopped.set)
    station = asyncio.ensure_future(runtime.run())
    api = None
    dashboard = None
    try:
        # The hardware is built once the BootNotification is on its way (or after 1 s without a CSMS): the
        # registration does not wait for it, and hardware events that come earlier wait in the core.
        try:
            await asyncio.wait_for(runtime.first_frame_sent.wait(), 1.0)
        except asyncio.TimeoutError:
            pass
        hardware = build_hardware_for(board, FileStorage(settings["data_dir"]), now_ms())
        runtime.attach_hardware(hardware)
        if board["hal"] == "emulated":
            from controller.runtime.sim_api import ControlApi
            api = ControlApi(runtime, hardware, port=settings["sim_api_port"])
            port = await api.start()
            with open(os.path.join(settings["data_dir"], "control_api.port"), "w") as f:
                f.write(str(port))
            runtime.log.info("control API on http://127.0.0.1:" + str(port) + " (docs/control-api.md)")
        if settings["dashboard"]["enabled"]:
            from controller.runtime.dashboard import Dashboard
            dashboard = Dashboard(runtime, board, settings, api)
            port = await dashboard.start()
            with open(os.path.join(settings["data_dir"], "dashboard.port"), "w") as f:
                f.write(str(port))
            runtime.log.info("dashboard on " + dashboard.url() + " (docs/dashboard.md)")
        await station
    except Exception as e:
        runtime.log.error("cannot drive the hardware: " + repr(e))
        runtime.stopped.set()
        await station
    finally:
        if dashboard is not None:
            await dashboard.stop()
        if api is not None:
            await api.stop()
        close = getattr(runtime.hardware, "close", None)
        if close is not None:
            close()          # outputs to their safe levels, the watchdog line stopped


def cmd_demo(args):
    from controller.runtime import demo
    return demo.main(args)


def cmd_csms(argv):
    from bench_csms import __main__ as csms_main
    return csms_main.main(argv)


def cmd_fleet(argv):
    from controller.runtime.fleet import runner
    return runner.main(argv)


def cmd_dashboard_password(argv):
    from controller.runtime import dashboard_auth
    return dashboard_auth.main(argv)


def cmd_firmware_pack(argv):
    from controller.runtime import firmware_pack
    return firmware_pack.main(argv)


def cmd_diag_bundle(argv):
    from controller.runtime import diag_bundle_cpython
    return diag_bundle_cpython.main(argv)


def cmd_tool(name, argv):
    module = importlib.import_module(TOOLS[name])
    return module.main(argv)


def demo_scenarios():
    from controller.runtime import demo
    return demo.SCENARIOS


def build_parser():
    parser = argparse.ArgumentParser(prog="stationctl", description="Station Controller: OCPP 1.6-J charging "
                                     "station firmware. See README.md.")
    parser.add_argument("--version", action="version", version="stationctl " + VERSION,
                        help="print the firmware version (the BootNotification's firmwareVersion) and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="run the station with a settings file")
    run.add_argument("--config", required=True, help="settings file (JSON, see docs/configuration.md)")
    run.add_argument("--log-format", choices=("text", "json"), default="text",
                     help="text (the default; with syslog priority prefixes when stdout is the systemd journal) or "
                     "json, one object per line for log shippers")
    run.add_argument("--sim-api-port", type=int, default=None,
                     help="control API port for the desktop-sim board (0 = pick a free one)")
    demo = sub.add_parser("demo", help="bench CSMS + simulated station + a scripted charging session")
    demo.add_argument("--keep", action="store_true", help="keep the demo's data directory and print its path")
    demo.add_argument("--quiet-station", action="store_true", help="hide the station's own log lines")
    demo.add_argument("--dashboard-port", type=int, default=8080,
                      help="port of the station's dashboard (default 8080; a free one if it is busy)")
    demo.add_argument("--scenario", default="session", choices=sorted(demo_scenarios()),
                      help="what to show: session (a charging session, the default), reservation (ReserveNow, an "
                      "expiry, a start that carries the reservationId)")
    sub.add_parser("csms", help="run the bench CSMS on its own (pass --help after it for its options)",
                   add_help=False)
    sub.add_parser("fleet", help="many simulated stations for CSMS load tests (pass --help after it)",
                   add_help=False)
    sub.add_parser("dashboard-password", help="make the password hash for a dashboard served beyond loopback "
                   "(pass --help after it)", add_help=False)
    sub.add_parser("firmware-pack", help="build a firmware image from a source tree (pass --help after it)",
                   add_help=False)
    sub.add_parser("diag-bundle", help="make a diagnostics bundle from a station's data folder (pass --help "
                   "after it)", add_help=False)
    sub.add_parser("install-service", help="install the station as a systemd service: user, /etc/station, "
                   "/var/lib/station, the unit (pass --help after it; --dry-run shows it all)", add_help=False)
    for name in TOOLS:
        sub.add_parser(name, help="technician tool (pass --help after it for its options)", add_help=False)
    return parser


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "csms":
        return cmd_csms(argv[1:])
    if argv and argv[0] == "fleet":
        return cmd_fleet(argv[1:])
    if argv and argv[0] == "dashboard-password":
        return cmd_dashboard_password(argv[1:])
    if argv and argv[0] == "firmware-pack":
        return cmd_firmware_pack(argv[1:])
    if argv and argv[0] == "diag-bundle":
        return cmd_diag_bundle(argv[1:])
    if argv and argv[0] in TOOLS:
        return cmd_tool(argv[0], argv[1:])
    if argv and argv[0] == "install-service":
        from controller.runtime import install_service
        return install_service.main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "run":
        return cmd_run(args)
    if args.command == "demo":
        return cmd_demo(args)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
