"""The one exception type every HAL backend raises on a bus NACK, timeout or I/O failure."""


class BusError(OSError):
    """A serial port, I2C bus or pin could not be used (NACK, device absent, port gone, I/O error)."""
