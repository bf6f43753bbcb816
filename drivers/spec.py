"""Reading a board-file device block (a "spec", docs/boards.md) in the drivers' `build(spec, hal)` functions."""

from drivers.hal.clock import clock_from


def options(spec, keys):
    """{key: spec[key]} for those of `keys` the spec sets, so the driver's own defaults stand for the rest."""
    kw = {}
    for key in keys:
        if key in spec:
            kw[key] = spec[key]
    return kw


def on_bus(cls, spec, hal, keys):
    """`cls(spec["bus"], clock, **options)`: a driver on the spec's serial port or I2C bus, with the clock
    clock_from() picks and the optional settings `keys` the spec gives."""
    return cls(spec["bus"], clock_from(spec, hal), **options(spec, keys))
