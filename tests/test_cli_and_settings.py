"""`stationctl` commands and the settings file: --help everywhere, and a bad settings or board file stops the
start with a message naming the file, the field and the fix."""

import json
import os
import subprocess
import sys

import pytest

from controller import settings
from controller.runtime import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOOD = {"charge_point_id": "CP1", "csms_url": "ws://127.0.0.1:9/ocpp"}


def write(tmp_path, doc, name="site.json"):
    path = os.path.join(str(tmp_path), name)
    with open(path, "w") as f:
        f.write(doc if isinstance(doc, str) else json.dumps(doc))
    return path


@pytest.mark.parametrize("change,field,words", [
    ({"security_profile": 4}, "security_profile", "0, 1, 2 or 3"),
    ({"security_profile": 2}, "csms_url", "needs TLS"),
    ({"csms_url": "http://x/ocpp"}, "csms_url", "ws://"),
    ({"security_profile": 1}, "authorization_key", "required"),
    ({"authorization_key": "abc"}, "authorization_key", "32 to 40 hex digits"),
    ({"charge_point_id": ""}, "charge_point_id", "1 to 48"),
    ({"chargepoint_id": "x"}, "chargepoint_id", "not a known setting"),
    ({"identity": {"vendor": "x" * 21}}, "identity.vendor", "1 to 20"),
    ({"log_level": "loud"}, "log_level", "one of"),
    ({"reconnect": {"min_s": 0}}, "reconnect.min_s", "positive"),
    ({"tls": {"ca": "x"}}, "tls.ca", "not a known TLS setting"),
    ({"firmware": {"accept_unsigned": "no"}}, "firmware.accept_unsigned", "true or false"),
    ({"sim_time_scale": 0.5}, "sim_time_scale", "1 to 100"),
    ({"sim_time_scale": True}, "sim_time_scale", "1 to 100"),
])
def test_bad_settings_name_the_file_field_and_fix(tmp_path, change, field, words):
    doc = dict(GOOD)
    doc.update(change)
    path = write(tmp_path, doc)
    with pytest.raises(settings.SettingsError) as err:
        settings.load(path)
    text = str(err.value)
    assert text.startswith(path + ": field '" + field + "'") and words in text and "Fix:" in text, text


def test_unreadable_and_malformed_settings(tmp_path):
    with pytest.raises(settings.SettingsError) as err:
        settings.load(os.path.join(str(tmp_path), "missing.json"))
    assert "cannot be read" in str(err.value) and "Fix:" in str(err.value)
    with pytest.raises(settings.SettingsError) as err:
        settings.load(write(tmp_path, "{not json"))
    assert "not valid JSON" in str(err.value)


def test_good_settings_get_defaults(tmp_path):
    loaded = settings.load(write(tmp_path, GOOD))
    assert loaded["board"] == "desktop-sim" and loaded["identity"]["serial"] == "CP1"
    assert loaded["security_profile"] == 0 and loaded["reconnect"] == {"min_s": 1, "max_s": 60}


def test_run_with_a_bad_file_exits_2_with_the_message(tmp_path):
    path = write(tmp_path, dict(GOOD, board="no-such-board"))
    proc = subprocess.run([sys.executable, "-m", "controller.runtime.cli", "run", "--config", path], cwd=ROOT,
                          capture_output=True, text=True, timeout=30, env=dict(os.environ, PYTHONPATH=ROOT))
    assert proc.returncode == 2
    assert "cannot start" in proc.stderr and "no-such-board" in proc.stderr and "Fix:" in proc.stderr


def test_sim_time_scale_only_on_the_simulator(tmp_path):
    path = write(tmp_path, dict(GOOD, board="raspberry-pi", sim_time_scale=20))
    proc = subprocess.run([sys.executable, "-m", "controller.runtime.cli", "run", "--config", path], cwd=ROOT,
                          capture_output=True, text=True, timeout=30, env=dict(os.environ, PYTHONPATH=ROOT))
    assert proc.returncode == 2
    assert path + ": field 'sim_time_scale'" in proc.stderr and "real hardware" in proc.stderr, proc.stderr


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["demo", "--help"], ["csms", "--help"],
                                  ["rfid-scan", "--help"], ["meter-read", "--help"], ["relay-test", "--help"],
                                  ["pilot-watch", "--help"], ["bus-scan", "--help"]])
def test_every_command_has_help(argv, capsys):
    try:
        code = cli.main(argv)
    except SystemExit as done:      # argparse's own --help exits; the tools' main() returns 0 instead
        code = done.code
    assert code == 0
    assert "usage:" in capsys.readouterr().out


def test_tools_run_through_stationctl(capsys):
    assert cli.main(["meter-read", "--board", "desktop-sim", "--emulate"]) == 0
    assert "VERDICT: PASS" in capsys.readouterr().out
