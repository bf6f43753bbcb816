"""The firmware's version, in one place: `stationctl --version`, the package metadata (pyproject.toml reads it)
and the firmwareVersion of every BootNotification. A plain constant, so MicroPython imports it too.
"""

VERSION = "0.1.0"
