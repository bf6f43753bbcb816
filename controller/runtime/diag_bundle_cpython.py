"""The diagnostics bundle (CPython): a tar.gz a technician or the CSMS (GetDiagnostics) gets from a station.

    logs/station.log     the log lines stamped within [start, stop] (logfile_cpython), oldest first
    configuration.json   the OCPP configuration as stored, secrets removed (AuthorizationKey and any key that
                         names a password, secret or private key)
    settings.json        the station settings, without the Basic-auth key, the dashboard's password hash or the
                         TLS key path
    journal.json         the journal's state: records by kind, open transactions, messages waiting, its size
    board.json           the board the station runs on
    state.json           the runtime's snapshot when the station is running (connectors, registration...), and the
                         firmware slots' state

`build(...)` writes it as a stream to `out_path`; `stationctl diag-bundle` calls it on a stopped or running
station's data folder. `security_log(...)` writes GetLog(SecurityLog)'s file: the security log's lines in a window.
"""

import io
import json
import os
import tarfile
import time

from controller import journal
from controller.features.security_events import in_window
from controller.runtime import logfile_cpython

SECRET_WORDS = ("authorizationkey", "password", "secret", "privatekey")
REDACTED = "<removed>"


def _is_secret(name):
    low = name.lower().replace("_", "")
    return any(word in low for word in SECRET_WORDS)


def redact_config(doc):
    if not isinstance(doc, dict):
        return {}
    out = {}
    for key in doc:
        out[key] = REDACTED if _is_secret(key) else doc[key]
    return out


def redact_settings(settings):
    out = json.loads(json.dumps(settings))
    if out.get("authorization_key") is not None:
        out["authorization_key"] = REDACTED
    if isinstance(out.get("dashboard"), dict) and out["dashboard"].get("password_hash"):
        out["dashboard"]["password_hash"] = REDACTED
    if isinstance(out.get("tls"), dict) and "client_key" in out["tls"]:
        out["tls"]["client_key"] = REDACTED
    return out


def _load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def journal_state(data_dir):
    try:
        with open(os.path.join(data_dir, journal.NAME), "rb") as f:
            raw = f.read()
    except OSError:
        return {"present": False}
    records, clean = journal.parse(raw)
    kinds = {}
    answered = set()
    for r in records:
        kinds[r.get("k")] = kinds.get(r.get("k"), 0) + 1
        if r.get("k") in ("a", "d"):
            answered.add(r.get("i"))
    waiting = [r.get("a") for r in records if r.get("k") == "m" and r.get("i") not in answered]
    return {"present": True, "bytes": len(raw), "clean": clean, "records": kinds, "waiting": waiting[-50:],
            "waiting_count": len(waiting)}


def _add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def _as_json(doc):
    return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode()


def build(data_dir, settings, board, out_path, start_epoch=None, stop_epoch=None, snapshot=None):
    """Write the bundle to `out_path` (via a .part file, renamed when complete); returns its size."""
    partial = out_path + ".part"
    with tarfile.open(partial, "w:gz") as tar:
        log_part = partial + ".log"
        with open(log_part, "w") as f:
            for line in logfile_cpython.lines_between(data_dir, start_epoch, stop_epoch):
                f.write(line)
        tar.add(log_part, "logs/station.log")
        os.remove(log_part)
        _add(tar, "configuration.json", _as_json(redact_config(_load(os.path.join(data_dir, "config.json")))))
        _add(tar, "settings.json", _as_json(redact_settings(settings)))
        _add(tar, "journal.json", _as_json(journal_state(data_dir)))
        _add(tar, "board.json", _as_json(board))
        state = {"snapshot": snapshot, "firmware_slots": _load(os.path.join(data_dir, "firmware", "state.json")),
                 "window": {"start": start_epoch, "stop": stop_epoch}}
        _add(tar, "state.json", _as_json(state))
    os.replace(partial, out_path)
    return os.path.getsize(out_path)


def security_log(data_dir, names, out_path, start_epoch=None, stop_epoch=None):
    """Write the lines of the security log files `names` (oldest first) stamped within [start, stop] to
    `out_path` (via a .part file); returns how many lines."""
    partial = out_path + ".part"
    count = 0
    with open(partial, "w") as out:
        for name in names:
            try:
                f = open(os.path.join(data_dir, name), errors="replace")
            except FileNotFoundError:
                continue            # rotated away since the request
            with f:
                for line in f:
                    if in_window(line, start_epoch, stop_epoch):
                        out.write(line)
                        count += 1
    os.replace(partial, out_path)
    return count


def main(argv=None):
    import argparse
    import sys

    import boards
    from controller import clock
    from controller import settings as settings_mod

    parser = argparse.ArgumentParser(prog="stationctl diag-bundle", description="Make the diagnostics bundle a "
                                     "GetDiagnostics would upload (logs in a window, configuration without "
                                     "secrets, journal state, board) from a station's data folder.")
    parser.add_argument("--config", required=True, help="the station's settings file (it names the data folder)")
    parser.add_argument("-o", "--output", required=True, help="the .tar.gz file to write")
    parser.add_argument("--since", help="only log lines from this time on (ISO 8601, e.g. 2026-12-07T10:00:00Z)")
    parser.add_argument("--until", help="only log lines up to this time (ISO 8601)")
    args = parser.parse_args(argv)
    window = []
    for flag, text in (("--since", args.since), ("--until", args.until)):
        value = clock.parse_iso(text) if text is not None else None
        if text is not None and value is None:
            sys.stderr.write("stationctl diag-bundle: " + flag + " " + repr(text) + " is not an ISO 8601 time "
                             "(e.g. 2026-12-07T10:00:00Z)\n")
            return 2
        window.append(value)
    try:
        settings = settings_mod.load(args.config)
        board = boards.load(settings["board"])
    except (settings_mod.SettingsError, boards.BoardError) as e:
        sys.stderr.write("stationctl diag-bundle: " + str(e) + "\n")
        return 2
    print("bundling " + settings["data_dir"])
    size = build(settings["data_dir"], settings, board, args.output, window[0], window[1])
    print("wrote " + args.output + " (" + str(size) + " bytes)")
    return 0
