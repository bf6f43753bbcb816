"""A tiny logger for both targets (MicroPython has no `logging`).

The runtime installs a sink; the core only calls `log.info(...)` and friends.
"""

DEBUG = 10
INFO = 20
WARNING = 30
ERROR = 40
_NAMES = {DEBUG: "DEBUG", INFO: "INFO", WARNING: "WARN", ERROR: "ERROR"}


def _default_sink(level, name, text):
    print(_NAMES.get(level, str(level)) + " " + name + ": " + text)


class Logger:
    sink = _default_sink
    level = INFO

    def __init__(self, name):
        self.name = name

    def log(self, level, text):
        if level >= Logger.level:
            Logger.sink(level, self.name, text)

    def debug(self, text):
        self.log(DEBUG, text)

    def info(self, text):
        self.log(INFO, text)

    def warning(self, text):
        self.log(WARNING, text)

    def error(self, text):
        self.log(ERROR, text)


def set_sink(fn, level=INFO):
    Logger.sink = fn
    Logger.level = level


def get(name):
    return Logger(name)
