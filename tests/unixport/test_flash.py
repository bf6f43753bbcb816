"""`stationctl flash`: the dry run's listing (code compiled with mpy-cross, the board, the settings, main.py, with
sizes and sha256), the staged files importing and loading their settings and board on the real MicroPython unix
port, and the messages for a missing mpremote, a bad board and bad settings."""

import hashlib
import json
import os
import subprocess
import sys

from tests.unixport import interpreters

ROOT = interpreters.ROOT


def stationctl(*args, path=None):
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = path
    return subprocess.run([sys.executable, "-m", "controller.runtime.cli", "flash"] + list(args), cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=300)


def write_settings(tmp_path, **extra):
    data = {"charge_point_id": "CP7", "csms_url": "ws://192.0.2.10:9000/ocpp", "board": "esp32-s3",
            "wifi": {"ssid": "depot", "password": "not-a-secret"}}
    data.update(extra)
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(data))
    return str(path)


def listing(stdout):
    """{remote path: (size, sha256)} from the dry run's lines."""
    out = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 5 and parts[2] == "B" and parts[3] == "sha256":
            out[parts[0]] = (int(parts[1]), parts[4])
    return out


def test_flash_dry_run_lists_code_board_settings_and_main(tmp_path):
    stage = tmp_path / "stage"
    proc = stationctl("--board", "esp32-s3", "--port", "/dev/ttyUSB0", "--settings", write_settings(tmp_path),
                      "--dry-run", "--stage", str(stage), path="/usr/bin:/bin")   # no mpremote on this PATH
    assert proc.returncode == 0, proc.stderr
    files = listing(proc.stdout)
    for needed in ("main.py", "settings.json", "boards/esp32-s3.json", "boards/__init__.mpy", "controller/station.mpy",
                   "controller/runtime/micropython/ws.mpy", "controller/features/transactions.mpy",
                   "drivers/devices.mpy"):
        assert needed in files, needed + " missing from:\n" + proc.stdout
    for never in ("controller/runtime/cpython.mpy", "controller/runtime/cli.mpy", "drivers/hal/linux.mpy",
                  "boards/desktop-sim.json", "controller/station.py"):
        assert never not in files, never
    assert not [p for p in files if p.startswith("drivers/sim/")]
    assert list(files)[-1] == "main.py"            # written last
    board = (open(os.path.join(ROOT, "boards", "esp32-s3.json"), "rb").read())
    assert files["boards/esp32-s3.json"] == (len(board), hashlib.sha256(board).hexdigest())
    for remote, (size, digest) in files.items():
        data = (stage / remote).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (size, digest), remote
    settings = json.loads((stage / "settings.json").read_text())
    assert settings["board"] == "boards/esp32-s3.json" and settings["charge_point_id"] == "CP7"
    assert "would write %d files" % len(files) in proc.stdout


def test_flash_staged_files_load_on_the_unix_port(tmp_path):
    stage = tmp_path / "stage"
    proc = stationctl("--board", "esp32-s3", "--port", "/dev/ttyUSB0", "--settings", write_settings(tmp_path),
                      "--dry-run", "--stage", str(stage))
    assert proc.returncode == 0, proc.stderr
    probe = ("import boards\nfrom controller import settings\nimport controller.runtime.micropython.main\n"
             "s = settings.load('settings.json')\nb = boards.load(s['board'])\n"
             "print('OK', b['name'], s['charge_point_id'], s['wifi']['ssid'])\n")
    env = dict(os.environ, MICROPYPATH=".:" + os.path.join(interpreters.build_dir(), "lib"))
    run = subprocess.run(interpreters.micropython() + ["-c", probe], cwd=str(stage), env=env, capture_output=True,
                         text=True, timeout=60)
    assert run.stdout.strip().splitlines()[-1:] == ["OK esp32-s3 CP7 depot"], run.stdout + run.stderr


def test_flash_code_frozen_copies_only_board_settings_main(tmp_path):
    proc = stationctl("--board", "esp32-s3", "--port", "/dev/ttyUSB0", "--settings", write_settings(tmp_path),
                      "--dry-run", "--code-frozen")
    assert proc.returncode == 0, proc.stderr
    assert sorted(listing(proc.stdout)) == ["boards/esp32-s3.json", "main.py", "settings.json"]


def test_flash_without_mpremote_says_how_to_get_it(tmp_path):
    proc = stationctl("--board", "esp32-s3", "--port", "/dev/ttyUSB0", "--settings", write_settings(tmp_path),
                      "--mpremote", str(tmp_path / "no-such-mpremote"))
    assert proc.returncode == 2
    assert "mpremote not found" in proc.stderr and "pip install mpremote" in proc.stderr and "--dry-run" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_flash_bad_board_and_bad_settings_name_the_file(tmp_path):
    proc = stationctl("--board", "no-such-board", "--port", "/dev/ttyUSB0", "--dry-run")
    assert proc.returncode == 2 and "no-such-board.json" in proc.stderr and "Fix:" in proc.stderr
    bad = write_settings(tmp_path, wifi={"ssid": ""})
    proc = stationctl("--board", "esp32-s3", "--port", "/dev/ttyUSB0", "--settings", bad, "--dry-run")
    assert proc.returncode == 2 and "settings.json" in proc.stderr and "wifi.ssid" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_flash_help():
    proc = stationctl("--help")
    assert proc.returncode == 0 and "--dry-run" in proc.stdout and "--port" in proc.stdout
