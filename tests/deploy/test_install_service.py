"""`stationctl install-service` into a temporary root, for real: files, modes, the unit systemd would read, the
settings the station would load; --dry-run changes nothing; bad settings are refused naming the file and field."""

import configparser
import json
import os
import shutil
import stat
import subprocess
import sys

import pytest

from controller import settings as settings_mod
from controller.runtime.child_station import ROOT


def stationctl(*args):
    return subprocess.run([sys.executable, "-m", "controller.runtime.cli"] + list(args), cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def unit_sections(text):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string(text)
    return parser


def test_install_into_a_root_writes_the_unit_settings_and_folders_with_their_modes(tmp_path):
    source = tmp_path / "site.json"
    source.write_text(json.dumps({"charge_point_id": "CP042", "csms_url": "ws://csms.example:9000/ocpp",
                                  "board": "raspberry-pi", "data_dir": "var/station"}))
    root = tmp_path / "root"
    out = stationctl("install-service", "--root", str(root), "--settings", str(source), "--watchdog-s", "20")
    assert out.returncode == 0, out.stderr
    assert "useradd --system" in out.stdout and "station" in out.stdout, "the user command is printed"
    assert "on the target, run: systemctl daemon-reload" in out.stdout

    unit_path = root / "etc/systemd/system/station.service"
    assert mode(unit_path) == 0o644
    assert mode(root / "etc/station") == 0o750
    assert mode(root / "etc/station/station.json") == 0o640
    assert mode(root / "var/lib/station") == 0o700

    unit = unit_sections(unit_path.read_text())
    service = unit["Service"]
    assert service["Type"] == "notify"
    assert service["WatchdogSec"] == "20"
    assert service["Restart"] == "on-failure"
    assert service["User"] == "station" and service["Group"] == "station"
    assert service["ExecStart"].endswith(" run --config /etc/station/station.json"), "target paths, not the root's"
    assert service["WorkingDirectory"] == "/var/lib/station"
    assert unit["Install"]["WantedBy"] == "multi-user.target"

    installed = settings_mod.load(str(root / "etc/station/station.json"))
    assert installed["charge_point_id"] == "CP042"
    assert installed["data_dir"] == "/var/lib/station"
    assert "data_dir var/station -> /var/lib/station" in out.stdout


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_reads_the_unit_without_complaint(tmp_path):
    root = tmp_path / "root"
    assert stationctl("install-service", "--root", str(root)).returncode == 0
    unit_path = str(root / "etc/systemd/system/station.service")
    check = subprocess.run(["systemd-analyze", "verify", unit_path], capture_output=True, text=True, timeout=60)
    complaints = [line for line in (check.stdout + check.stderr).splitlines() if unit_path in line]
    assert complaints == [], complaints


def test_dry_run_prints_the_unit_and_changes_nothing(tmp_path):
    root = tmp_path / "root"
    out = stationctl("install-service", "--root", str(root), "--dry-run")
    assert out.returncode == 0, out.stderr
    assert not root.exists()
    assert "would write " + str(root / "etc/systemd/system/station.service") + " (0644)" in out.stdout
    assert "would create " + str(root / "var/lib/station") + " (0700)" in out.stdout
    assert "Type=notify" in out.stdout and "WatchdogSec=30" in out.stdout


def test_the_starter_settings_keep_the_service_from_starting_until_filled_in(tmp_path):
    root = tmp_path / "root"
    assert stationctl("install-service", "--root", str(root)).returncode == 0
    path = str(root / "etc/station/station.json")
    with pytest.raises(settings_mod.SettingsError) as e:
        settings_mod.load(path)
    assert "charge_point_id" in str(e.value)
    run = stationctl("run", "--config", path)
    assert run.returncode == 2, "exit 2: the unit's RestartPreventExitStatus"
    # a second install keeps the edited file
    with open(path, "w") as f:
        f.write('{"charge_point_id": "CP7", "csms_url": "ws://h:9000/ocpp"}')
    again = stationctl("install-service", "--root", str(root))
    assert again.returncode == 0 and "keep " + path in again.stdout
    assert settings_mod.load(path)["charge_point_id"] == "CP7"


def test_bad_settings_are_refused_naming_the_file_and_the_field(tmp_path):
    source = tmp_path / "site.json"
    source.write_text(json.dumps({"charge_point_id": "CP1", "csms_url": "http://wrong"}))
    root = tmp_path / "root"
    out = stationctl("install-service", "--root", str(root), "--settings", str(source))
    assert out.returncode == 2
    assert str(source) in out.stderr and "csms_url" in out.stderr and "Fix:" in out.stderr
    assert not root.exists(), "nothing installed from a bad file"


def test_help_names_every_option():
    out = stationctl("install-service", "--help")
    assert out.returncode == 0
    for option in ("--dry-run", "--root", "--settings", "--user", "--watchdog-s", "--enable"):
        assert option in out.stdout
    assert "install-service" in stationctl("--help").stdout


def test_the_unit_template_ships_as_package_data():
    with open(os.path.join(ROOT, "pyproject.toml")) as f:
        text = f.read()
    assert '"systemd/*"' in text
    assert os.path.isfile(os.path.join(ROOT, "controller/runtime/systemd/station.service"))
