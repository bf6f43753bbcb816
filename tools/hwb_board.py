"""Board-file access shared by tools/relay_test.py and tools/pilot_watch.py.

Reads a board with boards.load() and returns one connector's device specs
("pilot", "pp", "contactor", "lock", "rcd"). Pins in a spec are BCM numbers, either
a plain integer or {"pin": 17, "active_low": true}.
"""


class UsageError(Exception):
    pass


def connector_devices(path, connector_id=1):
    """(hal, gpio_backend, {device name: spec dict}) for one connector of a board file."""
    from boards import BoardError, load
    try:
        board = load(path)
    except BoardError as exc:
        raise UsageError(str(exc))
    for c in board["connectors"]:
        if c.get("id") == connector_id:
            devices = {}
            for name in ("pilot", "pp", "contactor", "lock", "rcd"):
                if isinstance(c.get(name), dict):
                    devices[name] = c[name]
            return board.get("hal"), board.get("gpio_backend"), devices
    raise UsageError("%s has no connector %d" % (path, connector_id))


def pin_number(value):
    """(pin, active_low) from a board pin value (int or {"pin", "active_low"}); (None, False) if absent."""
    if value is None:
        return None, False
    if isinstance(value, dict):
        return value.get("pin"), value.get("active_low") is True
    return value, False
