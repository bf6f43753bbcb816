"""Start-up of the MicroPython runtime: settings, board, network, storage, hardware, watchdog, the loop.

On a board, main.py on the flash holds `from controller.runtime.micropython.main import run; run()`. On the unix
port (tests, bench):

    micropython -m controller.runtime.micropython.main --config settings.json [--hardware-link HOST:PORT]
                [--heap-report]

`--hardware-link` takes the hardware from another process over runtime/micropython/hw_link.py (the tests keep
the emulators on CPython); `--heap-report` collects garbage at every loop step and prints `HEAP import=<bytes>`
once and `HEAP peak=<bytes>` whenever the live heap reaches a new high.
"""

import gc
import sys

START = gc.mem_alloc() if hasattr(gc, "mem_alloc") else 0

import asyncio  # noqa: E402

import boards  # noqa: E402
from controller import heap as heap_mod  # noqa: E402
from controller import log  # noqa: E402
from controller.runtime.micropython.loop import Runtime  # noqa: E402
from controller.runtime.micropython.net import Network  # noqa: E402
from controller.storage import FileStorage  # noqa: E402

USAGE = ("usage: micropython -m controller.runtime.micropython.main --config settings.json "
         "[--hardware-link HOST:PORT] [--heap-report]")
LEVELS = {"debug": log.DEBUG, "info": log.INFO, "warning": log.WARNING, "error": log.ERROR}
WDT_TIMEOUT_MS = 8000


class HeapReport:
    def __init__(self):
        self.peak = 0

    def __call__(self, label):
        gc.collect()
        live = gc.mem_alloc() - START
        if label == "import":
            print("HEAP import=" + str(live))
        elif live > self.peak:
            self.peak = live
            print("HEAP peak=" + str(live))


def _sink(level, name, text):
    print(log._NAMES.get(level, "?") + " " + name + " " + text)


def _hardware(board, store, link):
    if link is not None:
        from controller.runtime.micropython.hw_link import HardwareLink
        host, port = link.rsplit(":", 1)
        return HardwareLink(host, int(port))
    if board["hal"] == "emulated":
        from drivers.sim.desktop_rig import DesktopRig
        return DesktopRig(board, store, 0)
    from drivers.hal.select import hal_for
    from drivers.station_hardware import build_hardware
    return build_hardware(board, hal_for(board), store=store)


def _watchdog(board):
    if board["hal"] != "micropython":
        return None
    try:
        import machine
        return machine.WDT(timeout=WDT_TIMEOUT_MS)
    except (ImportError, AttributeError):
        return None


def run(config="settings.json", hardware_link=None, heap_report=False):
    heap = HeapReport() if heap_report else None
    from controller import settings as settings_mod
    try:
        settings = settings_mod.load(config)
        board = boards.load(settings["board"])
    except (settings_mod.SettingsError, boards.BoardError) as e:
        print("station: cannot start: " + str(e))
        return 2
    finally:
        # the settings loader and the board's device checker (7 KB of tables) are needed once
        heap_mod.unload("controller.settings", "boards.devices_check", "drivers.devices")
        del settings_mod
    for text_only in ("description", "notes"):    # free text for people, not used on the board
        board.pop(text_only, None)
    log.set_sink(_sink, LEVELS[settings["log_level"]])
    store = FileStorage(settings["data_dir"])
    runtime = Runtime(settings, board, store, network=Network(board, settings.get("wifi")), heap=heap)
    runtime.attach_hardware(_hardware(board, store, hardware_link))
    runtime.wdt = _watchdog(board)
    if heap is not None:
        heap("import")
    kind = asyncio.run(runtime.run())
    if kind is not None:
        runtime.log.warning(kind + " reset: restarting")
        try:
            import machine
            machine.reset()
        except (ImportError, AttributeError):
            return 3            # the unix port: the caller restarts the process
    return 0


def _cli(argv):
    config, link, report = "settings.json", None, False
    i = 0
    while i < len(argv):
        if argv[i] == "--config":
            config = argv[i + 1]
            i += 1
        elif argv[i] == "--hardware-link":
            link = argv[i + 1]
            i += 1
        elif argv[i] == "--heap-report":
            report = True
        elif argv[i] in ("-h", "--help"):
            print(USAGE)
            return 0
        i += 1
    return run(config, link, report)


if __name__ == "__main__":
    sys.exit(_cli(sys.argv[1:]))
