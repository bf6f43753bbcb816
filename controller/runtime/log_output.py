"""How the CPython runtime writes its log to stdout: one line per event, in one of three forms.

    text      "15:50:49.123 INFO  runtime  connected to ws://..."   (a terminal)
    journal   "<6>runtime: connected to ws://..."                   (stdout is journald's stream: JOURNAL_STREAM)
    json      {"ts": "2026-12-07T15:50:49.123Z", "level": "info", "logger": "runtime", "msg": "..."}

`choose(requested, env, stream)` picks the form: `--log-format json` always gives json; otherwise the journal
form when JOURNAL_STREAM names the device and inode of stdout (systemd sets it for a service whose stdout is the
journal; a redirected stdout keeps the text form), else text. journald stamps each line itself and reads the
`<N>` prefix as the syslog priority (3 err, 4 warning, 6 info, 7 debug), so `journalctl -p warning` filters.
A message never spans lines: a newline inside one is written as `\\n`.
"""

import json
import os
import sys
import time

from controller import log

FORMATS = ("text", "json")
PRIORITY = {log.DEBUG: 7, log.INFO: 6, log.WARNING: 4, log.ERROR: 3}
LEVEL_NAMES = {log.DEBUG: "debug", log.INFO: "info", log.WARNING: "warning", log.ERROR: "error"}
LEVELS = {"debug": log.DEBUG, "info": log.INFO, "warning": log.WARNING, "error": log.ERROR}


def stream_is_journal(env, stream):
    """True if JOURNAL_STREAM ("device:inode") is the file behind `stream`."""
    value = env.get("JOURNAL_STREAM", "")
    dev, _, ino = value.partition(":")
    if not dev.isdigit() or not ino.isdigit():
        return False
    try:
        st = os.fstat(stream.fileno())
    except (OSError, AttributeError, ValueError):
        return False
    return st.st_dev == int(dev) and st.st_ino == int(ino)


def choose(requested, env, stream):
    if requested == "json":
        return "json"
    return "journal" if stream_is_journal(env, stream) else "text"


def one_line(text):
    return text.replace("\r", "\\r").replace("\n", "\\n")


def format_line(form, level, name, text, t):
    if form == "json":
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int(t * 1000 % 1000)
        return json.dumps({"ts": stamp, "level": LEVEL_NAMES.get(level, str(level)), "logger": name, "msg": text},
                          ensure_ascii=False)
    if form == "journal":
        return "<" + str(PRIORITY.get(level, 6)) + ">" + name + ": " + one_line(text)
    stamp = time.strftime("%H:%M:%S", time.localtime(t)) + ".%03d" % int(t * 1000 % 1000)
    return stamp + " " + log._NAMES.get(level, "?").ljust(5) + " " + name.ljust(8) + " " + one_line(text)


def install(level_name="info", requested="text", env=None, stream=None):
    """Route the core's logger to `stream` (stdout) in the chosen form; returns the form."""
    stream = sys.stdout if stream is None else stream
    form = choose(requested, os.environ if env is None else env, stream)

    def sink(level, name, text):
        stream.write(format_line(form, level, name, text, time.time()) + "\n")
        stream.flush()

    log.set_sink(sink, LEVELS[level_name])
    return form
