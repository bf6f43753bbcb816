"""`stationctl install-service`: make this machine boot into the station as a systemd service.

    stationctl install-service [--settings FILE] [--user station] [--watchdog-s 30] [--enable] [--dry-run]
                               [--root DIR]

What it does, each step printed as it goes (with `--dry-run`, printed and not done):
  1. the service user (`useradd --system`, in the dialout/gpio/i2c/spi groups this system has), unless it exists;
  2. /etc/station (0750, root:station) and the settings file /etc/station/station.json (0640, root:station):
     copied from --settings with its data_dir set to the data folder, or kept if already there, or a starter
     file to edit (its charge_point_id and csms_url are null: the service will not start until they are set);
  3. the data folder /var/lib/station (0700, station:station);
  4. the unit /etc/systemd/system/station.service (0644) from the template shipped in the package
     (controller/runtime/systemd/station.service): Type=notify, WatchdogSec, Restart=on-failure;
  5. `systemctl daemon-reload`, and with --enable `systemctl enable --now station.service`.

`--root DIR` installs under DIR instead of / (the paths written into the unit and the settings stay the target
system's); it creates no user and calls no systemctl, so a test or an image build can run it without root.
"""

import argparse
import grp
import json
import os
import pwd
import subprocess
import sys

UNIT_NAME = "station.service"
UNIT_DIR = "/etc/systemd/system"
SETTINGS_DIR = "/etc/station"
SETTINGS_FILE = "/etc/station/station.json"
DATA_DIR = "/var/lib/station"
HARDWARE_GROUPS = ("dialout", "gpio", "i2c", "spi")
TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "systemd", UNIT_NAME)
# null fields: the service refuses to start (exit 2, the field named in the journal) until they are filled in
STARTER = {"charge_point_id": None, "csms_url": None, "board": "raspberry-pi"}


class InstallError(Exception):
    pass


def default_exec():
    """The command that runs stationctl with this interpreter (the console script beside it if there is one)."""
    script = os.path.join(os.path.dirname(sys.executable), "stationctl")
    if os.path.isfile(script) and os.access(script, os.X_OK):
        return script
    return sys.executable + " -m controller.runtime.cli"


def render_unit(user, exec_cmd, watchdog_s, settings_path=SETTINGS_FILE, data_dir=DATA_DIR):
    with open(TEMPLATE) as f:
        text = f.read()
    for key, value in (("@USER@", user), ("@EXEC@", exec_cmd), ("@WATCHDOG_S@", str(watchdog_s)),
                       ("@SETTINGS@", settings_path), ("@DATA_DIR@", data_dir)):
        text = text.replace(key, value)
    return text


def settings_text(source, data_dir=DATA_DIR):
    """The settings to install: `source` (checked, data_dir pointed at the data folder) or the starter file."""
    from controller import settings as settings_mod
    if source is None:
        data = dict(STARTER, data_dir=data_dir)
        return json.dumps(data, indent=2) + "\n", "a starter file: set charge_point_id and csms_url in it (they are null)"
    try:
        with open(source) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise InstallError(source + ": cannot be read as JSON (" + str(e) + "). Fix: give a settings file "
                           "(docs/configuration.md)")
    if not isinstance(data, dict):
        raise InstallError(source + ": the file must hold a JSON object. Fix: start from docs/configuration.md")
    note = "copied from " + source
    if data.get("data_dir") not in (None, data_dir):
        note += " (data_dir " + str(data["data_dir"]) + " -> " + data_dir + ")"
    data["data_dir"] = data_dir
    try:
        settings_mod.check(data, source)
    except settings_mod.SettingsError as e:
        raise InstallError(str(e))
    return json.dumps(data, indent=2) + "\n", note


class Installer:
    def __init__(self, root="/", user="station", dry_run=False, out=None):
        self.root = root
        self.user = user
        self.dry_run = dry_run
        self.out = out or sys.stdout
        self.system = os.path.abspath(root) == "/"

    def path(self, target):
        return os.path.join(self.root, target.lstrip("/"))

    def say(self, text):
        self.out.write(("would " if self.dry_run else "") + text + "\n")
        self.out.flush()

    def ids(self):
        """(uid, gid) of the service user and root's, when this install may chown (as root, on the system)."""
        if not self.system or os.geteuid() != 0:
            return None
        try:
            entry = pwd.getpwnam(self.user)
        except KeyError:
            raise InstallError("user " + self.user + " does not exist. Fix: create it (" +
                               " ".join(self.user_command()) + ") and run install-service again")
        return entry.pw_uid, entry.pw_gid

    def user_command(self):
        groups = [g for g in HARDWARE_GROUPS if _group_exists(g)]
        cmd = ["useradd", "--system", "--user-group", "--home-dir", DATA_DIR, "--no-create-home",
               "--shell", "/usr/sbin/nologin"]
        if groups:
            cmd += ["--groups", ",".join(groups)]
        return cmd + [self.user]

    def ensure_user(self):
        cmd = self.user_command()
        if _user_exists(self.user):
            self.out.write("user " + self.user + " exists; kept\n")
            return
        if not self.system or os.geteuid() != 0:
            self.out.write("not creating the service user here (" + ("--root given" if not self.system else
                           "not root") + "); on the target, run: " + " ".join(cmd) + "\n")
            return
        self.say("create the service user: " + " ".join(cmd))
        if not self.dry_run:
            subprocess.run(cmd, check=True)

    def make_dir(self, target, mode, owner_is_user):
        path = self.path(target)
        self.say("create " + path + " (" + oct(mode)[2:].rjust(4, "0") + ")")
        if self.dry_run:
            return
        os.makedirs(path, exist_ok=True)
        os.chmod(path, mode)
        self._chown(path, owner_is_user)

    def write_file(self, target, text, mode, owner_is_user=False, keep=False):
        path = self.path(target)
        if keep and os.path.exists(path):
            self.out.write("keep " + path + " (already there; pass --settings to replace it)\n")
            return False
        self.say("write " + path + " (" + oct(mode)[2:].rjust(4, "0") + ")")
        if self.dry_run:
            return True
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        tmp = path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        self._chown(tmp, owner_is_user)
        os.replace(tmp, path)
        return True

    def _chown(self, path, owner_is_user):
        ids = self.ids()
        if ids is None:
            return
        uid, gid = ids
        # settings: root owns them and the service's group reads them; the data folder is the service's own
        os.chown(path, uid if owner_is_user else 0, gid)

    def systemctl(self, *args):
        cmd = ["systemctl"] + list(args)
        if not self.system:
            self.out.write("on the target, run: " + " ".join(cmd) + "\n")
            return
        self.say("run: " + " ".join(cmd))
        if not self.dry_run:
            subprocess.run(cmd, check=True)

    def install(self, settings_source=None, watchdog_s=30, exec_cmd=None, enable=False):
        unit = render_unit(self.user, exec_cmd or default_exec(), watchdog_s)
        text, note = settings_text(settings_source)
        self.ensure_user()
        self.make_dir(SETTINGS_DIR, 0o750, owner_is_user=False)
        if self.write_file(SETTINGS_FILE, text, 0o640, keep=settings_source is None):
            self.out.write("  settings: " + note + "\n")
        self.make_dir(DATA_DIR, 0o700, owner_is_user=True)
        self.write_file(UNIT_DIR + "/" + UNIT_NAME, unit, 0o644)
        if self.dry_run:
            self.out.write("---- " + UNIT_NAME + " ----\n" + unit + "----\n")
        self.systemctl("daemon-reload")
        if enable:
            self.systemctl("enable", "--now", UNIT_NAME)
        else:
            self.out.write("next: check " + SETTINGS_FILE + ", then: systemctl enable --now " + UNIT_NAME +
                           "; follow it with: journalctl -u station -f (docs/deploy-raspberry-pi.md)\n")
        return unit


def _user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def build_parser():
    p = argparse.ArgumentParser(prog="stationctl install-service",
                                description="Install the station as a systemd service: the service user, "
                                "/etc/station (settings, 0640), /var/lib/station (data, 0700) and the unit "
                                "(Type=notify, WatchdogSec, Restart=on-failure). See docs/deploy-raspberry-pi.md.")
    p.add_argument("--settings", metavar="FILE", help="settings file to install as " + SETTINGS_FILE +
                   " (checked first; its data_dir becomes " + DATA_DIR + "). Without it an existing file is kept, "
                   "or a starter file is written")
    p.add_argument("--user", default="station", help="the service user (default: station)")
    p.add_argument("--watchdog-s", type=int, default=30, help="WatchdogSec: systemd restarts the station when the "
                   "event loop or the hardware poll makes no progress this long (default 30)")
    p.add_argument("--exec", dest="exec_cmd", metavar="CMD", help="command that runs stationctl (default: "
                   + "the stationctl beside this Python)")
    p.add_argument("--enable", action="store_true", help="also run systemctl enable --now station.service")
    p.add_argument("--dry-run", action="store_true", help="print what would be done and the unit; change nothing")
    p.add_argument("--root", default="/", metavar="DIR", help="install under DIR instead of / (an image being "
                   "built, a test); creates no user and runs no systemctl")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.watchdog_s < 2:
        sys.stderr.write("stationctl install-service: --watchdog-s must be at least 2 seconds\n")
        return 2
    installer = Installer(args.root, args.user, args.dry_run)
    if installer.system and os.geteuid() != 0 and not args.dry_run:
        sys.stderr.write("stationctl install-service: writing to /etc and /var/lib needs root. Fix: run it with "
                         "sudo, or try --dry-run first\n")
        return 2
    try:
        installer.install(args.settings, args.watchdog_s, args.exec_cmd, args.enable)
    except InstallError as e:
        sys.stderr.write("stationctl install-service: " + str(e) + "\n")
        return 2
    except (OSError, subprocess.CalledProcessError) as e:
        sys.stderr.write("stationctl install-service: " + str(e) + "\n")
        return 1
    return 0
