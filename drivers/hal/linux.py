"""Linux (CPython) HAL backend: pyserial, smbus2, RPi.GPIO / rpi-lgpio or gpiod v2, sysfs PWM, IIO ADC.

Classes keep the HAL contract of drivers/hal (see docs/hardware.md "HAL"):
* `Serial(port, baudrate, ...)`: pyserial underneath, `read(n, timeout_ms)` returns b'' on timeout; optional RS-485
  direction pin (`de_pin`, a DigitalOut) held for one character time after the last byte, or the kernel's RS-485
  mode (`rs485_kernel=True`).
* `I2C(bus)`: smbus2 `i2c_rdwr` so 16-bit register addresses work; `scan()` probes like i2cdetect.
* `DigitalOut` / `DigitalIn`: `gpio_backend` "rpi-gpio" (module RPi.GPIO; also "rpi", "RPi.GPIO"), "rpi-lgpio"
  (the rpi-lgpio shim on a Pi 5, which provides the same module) or "gpiod" (libgpiod v2 Python bindings). Polarity
  is handled here, not by the GPIO library.
* `PwmOut(chip, channel, freq)`: /sys/class/pwm; None = 100 % (steady high), 0 = steady low.
* `SoftPwmOut(pin, freq)`: the GPIO library's software PWM on any pin (RPi.GPIO / rpi-lgpio), for watchdog lines.
* `AnalogIn(device, channel)`: an IIO ADC (`in_voltageN_raw` x `in_voltage[N]_scale` = mV).

* `LinuxHal(board, clock)`: the same classes opened from board-file specs (docs/boards.md), for
  drivers/devices.py.

Every OS or library error becomes `BusError`. Third-party modules are imported lazily so this file imports on a
laptop without them.
"""

import os
import time

from drivers.hal.errors import BusError
from drivers.hal.common import (I2C_SCAN_FIRST, I2C_SCAN_LAST, char_bits, char_time_us, check_permille, duty_ns,
                                reg_bytes)


def _bus_error(exc, what):
    if isinstance(exc, BusError):
        return exc
    return BusError(getattr(exc, "errno", None) or 5, "%s: %s" % (what, exc))


# --------------------------------------------------------------------------------------------------------------
# Serial
# --------------------------------------------------------------------------------------------------------------

class Serial:
    """A UART through pyserial (`/dev/serial0`, `/dev/ttyUSB0`, a pty, ...)."""

    def __init__(self, port, baudrate=9600, bytesize=8, parity="N", stopbits=1, de_pin=None, rs485_kernel=False,
                 serial_module=None):
        if serial_module is None:
            try:
                import serial as serial_module
            except ImportError as exc:
                raise BusError(2, "pyserial is not installed: %s" % exc)
        self.port = port
        self.baudrate = baudrate
        self._de = de_pin
        self._char_us = char_time_us(baudrate, char_bits(bytesize, parity, stopbits))
        self._timeout = None
        try:
            self._ser = serial_module.Serial(port, baudrate=baudrate, bytesize=bytesize, parity=parity,
                                             stopbits=stopbits, timeout=0)
            self._timeout = 0
            if rs485_kernel:
                import serial.rs485
                self._ser.rs485_mode = serial.rs485.RS485Settings()
        except Exception as exc:
            raise _bus_error(exc, "cannot open %s" % port)
        if self._de is not None:
            self._de.set(False)

    def _set_timeout(self, timeout_ms):
        t = max(0, timeout_ms) / 1000
        if t != self._timeout:
            self._ser.timeout = t
            self._timeout = t

    def write(self, data):
        try:
            if self._de is not None:
                self._de.set(True)
            n = self._ser.write(bytes(data))
            if self._de is not None:
                self.flush_tx()
            return n
        except Exception as exc:
            raise _bus_error(exc, "write to %s" % self.port)

    def read(self, n, timeout_ms=0):
        try:
            self._set_timeout(timeout_ms)
            return bytes(self._ser.read(n))
        except Exception as exc:
            raise _bus_error(exc, "read from %s" % self.port)

    def available(self):
        try:
            return self._ser.in_waiting
        except Exception as exc:
            raise _bus_error(exc, "status of %s" % self.port)

    def flush_tx(self):
        try:
            self._ser.flush()
        except Exception as exc:
            raise _bus_error(exc, "flush %s" % self.port)
        if self._de is not None:
            # tcdrain returns when the UART FIFO is empty on most adapters, not always after the stop bit
            time.sleep(self._char_us / 1000000)
            self._de.set(False)

    def close(self):
        try:
            self._ser.close()
        except Exception:
            pass


# --------------------------------------------------------------------------------------------------------------
# I2C
# --------------------------------------------------------------------------------------------------------------

def scan_uses_read(addr):
    """i2cdetect's rule: probe EEPROM-like ranges with a read byte, everything else with a quick write."""
    return 0x30 <= addr <= 0x37 or 0x50 <= addr <= 0x5F


class I2C:
    """An I2C bus through smbus2 (`/dev/i2c-<bus>`)."""

    def __init__(self, bus=1, smbus_module=None):
        if smbus_module is None:
            try:
                import smbus2 as smbus_module
            except ImportError as exc:
                raise BusError(2, "smbus2 is not installed: %s" % exc)
        self._m = smbus_module
        self.bus_number = bus
        try:
            self._bus = smbus_module.SMBus(bus)
        except Exception as exc:
            raise _bus_error(exc, "cannot open /dev/i2c-%s" % bus)

    def write(self, addr, data):
        try:
            self._bus.i2c_rdwr(self._m.i2c_msg.write(addr, bytes(data)))
        except Exception as exc:
            raise _bus_error(exc, "I2C write to 0x%02X" % addr)

    def read(self, addr, n):
        msg = self._m.i2c_msg.read(addr, n)
        try:
            self._bus.i2c_rdwr(msg)
        except Exception as exc:
            raise _bus_error(exc, "I2C read from 0x%02X" % addr)
        return bytes(msg)

    def read_reg(self, addr, reg, n, reg_bits=8):
        wr = self._m.i2c_msg.write(addr, reg_bytes(reg, reg_bits))
        rd = self._m.i2c_msg.read(addr, n)
        try:
            self._bus.i2c_rdwr(wr, rd)
        except Exception as exc:
            raise _bus_error(exc, "I2C read 0x%02X reg 0x%X" % (addr, reg))
        return bytes(rd)

    def write_reg(self, addr, reg, data, reg_bits=8):
        self.write(addr, reg_bytes(reg, reg_bits) + bytes(data))

    def scan(self):
        found = []
        for addr in range(I2C_SCAN_FIRST, I2C_SCAN_LAST + 1):
            try:
                if scan_uses_read(addr):
                    self._bus.read_byte(addr)
                else:
                    self._bus.write_quick(addr)
            except OSError:
                continue
            found.append(addr)
        return found

    def close(self):
        try:
            self._bus.close()
        except Exception:
            pass


# --------------------------------------------------------------------------------------------------------------
# GPIO
# --------------------------------------------------------------------------------------------------------------

def _rpi_module(module):
    """`module` (a stand-in in tests), else RPi.GPIO (rpi-lgpio installs the same module)."""
    if module is None:
        try:
            import RPi.GPIO as module
        except ImportError as exc:
            raise BusError(2, "RPi.GPIO (or rpi-lgpio) is not installed: %s" % exc)
    return module


class _RpiLine:
    """One BCM-numbered pin through RPi.GPIO (or rpi-lgpio, which provides the same module)."""

    def __init__(self, pin, output, level, pull, module):
        module = _rpi_module(module)
        self._g = module
        self.pin = pin
        self._flag = False
        module.setwarnings(False)
        module.setmode(module.BCM)
        if output:
            module.setup(pin, module.OUT, initial=module.HIGH if level else module.LOW)
        else:
            pud = {"up": module.PUD_UP, "down": module.PUD_DOWN}.get(pull, module.PUD_OFF)
            module.setup(pin, module.IN, pull_up_down=pud)
            try:
                module.add_event_detect(pin, module.BOTH, callback=self._edge)
            except Exception:
                pass     # edge detection is optional: get() still works

    def _edge(self, _channel):
        self._flag = True

    def set_level(self, level):
        self._g.output(self.pin, self._g.HIGH if level else self._g.LOW)

    def get_level(self):
        return bool(self._g.input(self.pin))

    def take_edge(self):
        f = self._flag
        self._flag = False
        return f


class _GpiodLine:
    """One line offset on a gpiochip through the libgpiod v2 Python bindings."""

    def __init__(self, pin, output, level, pull, module, chip):
        if module is None:
            try:
                import gpiod as module
            except ImportError as exc:
                raise BusError(2, "gpiod (libgpiod v2 bindings) is not installed: %s" % exc)
        from gpiod.line import Bias, Direction, Edge, Value
        self._v = Value
        self.pin = pin
        if output:
            settings = module.LineSettings(direction=Direction.OUTPUT,
                                           output_value=Value.ACTIVE if level else Value.INACTIVE)
        else:
            bias = {"up": Bias.PULL_UP, "down": Bias.PULL_DOWN}.get(pull, Bias.DISABLED)
            settings = module.LineSettings(direction=Direction.INPUT, bias=bias, edge_detection=Edge.BOTH)
        self._req = module.request_lines(chip, consumer="station-controller", config={pin: settings})

    def set_level(self, level):
        self._req.set_value(self.pin, self._v.ACTIVE if level else self._v.INACTIVE)

    def get_level(self):
        return self._req.get_value(self.pin) == self._v.ACTIVE

    def take_edge(self):
        got = False
        while self._req.wait_edge_events(0):
            self._req.read_edge_events()
            got = True
        return got


RPI_BACKENDS = ("rpi-gpio", "rpi-lgpio", "rpi", "RPi.GPIO")
GPIO_BACKENDS = ("rpi-gpio", "rpi-lgpio", "gpiod")


def _open_line(pin, output, level, pull, gpio_backend, chip, gpio_module):
    try:
        if gpio_backend in RPI_BACKENDS:
            return _RpiLine(pin, output, level, pull, gpio_module)
        if gpio_backend == "gpiod":
            return _GpiodLine(pin, output, level, pull, gpio_module, chip)
    except BusError:
        raise
    except Exception as exc:
        raise _bus_error(exc, "GPIO %s" % pin)
    raise ValueError("gpio_backend must be one of " + ", ".join(GPIO_BACKENDS))


class DigitalOut:
    """A GPIO output; `set(True)` drives the active level (low when active_low). Starts at `initial`."""

    def __init__(self, pin, active_low=False, initial=False, gpio_backend="rpi", chip="/dev/gpiochip0",
                 gpio_module=None):
        self.active_low = active_low
        self._active = bool(initial)
        self._line = _open_line(pin, True, self._active != active_low, None, gpio_backend, chip, gpio_module)

    def set(self, active):
        active = bool(active)
        try:
            self._line.set_level(active != self.active_low)
        except Exception as exc:
            raise _bus_error(exc, "GPIO write")
        self._active = active

    def get(self):
        return self._active


class DigitalIn:
    """A GPIO input; `get()` is True when the pin is at its active level; `changed()` reports edges."""

    def __init__(self, pin, active_low=False, pull=None, gpio_backend="rpi", chip="/dev/gpiochip0",
                 gpio_module=None):
        self.active_low = active_low
        self._line = _open_line(pin, False, False, pull, gpio_backend, chip, gpio_module)

    def get(self):
        try:
            return self._line.get_level() != self.active_low
        except Exception as exc:
            raise _bus_error(exc, "GPIO read")

    def changed(self):
        try:
            return self._line.take_edge()
        except Exception as exc:
            raise _bus_error(exc, "GPIO edge read")


# --------------------------------------------------------------------------------------------------------------
# PWM and ADC through sysfs
# --------------------------------------------------------------------------------------------------------------

def _write_text(path, text):
    with open(path, "w") as f:
        f.write(text)


def _read_text(path):
    with open(path) as f:
        return f.read().strip()


class PwmOut:
    """A hardware PWM channel through /sys/class/pwm/pwmchip<chip>/pwm<channel>.

    Steady states are produced as 0 % / 100 % duty with the channel enabled, so the pin is always driven.
    Pi 1-4 with `dtoverlay=pwm-2chan`: chip 0, channels 0/1 = GPIO18/19; Pi 5: chip 2, channels 2/3 = GPIO18/19.
    """

    def __init__(self, chip=0, channel=0, freq=1000, initial=0, sysfs_root="/sys/class/pwm", export_wait_ms=100):
        self.period_ns = 1000000000 // freq
        base = "%s/pwmchip%d" % (sysfs_root, chip)
        self._dir = "%s/pwm%d" % (base, channel)
        try:
            if not os.path.isdir(self._dir):
                _write_text(base + "/export", str(channel))
                waited = 0
                while not os.path.isdir(self._dir) and waited < export_wait_ms:
                    time.sleep(0.01)
                    waited += 10
            _write_text(self._dir + "/enable", "0")
            # duty must not exceed the period at any moment: zero it before changing the period
            _write_text(self._dir + "/duty_cycle", "0")
            _write_text(self._dir + "/period", str(self.period_ns))
        except OSError as exc:
            raise _bus_error(exc, "PWM %s" % self._dir)
        self._duty = 0
        self.set_duty(initial)
        try:
            _write_text(self._dir + "/enable", "1")
        except OSError as exc:
            raise _bus_error(exc, "PWM enable")

    def set_duty(self, permille):
        permille = check_permille(permille)
        try:
            _write_text(self._dir + "/duty_cycle", str(duty_ns(permille, self.period_ns)))
        except OSError as exc:
            raise _bus_error(exc, "PWM duty")
        self._duty = permille

    def duty(self):
        return self._duty


class SoftPwmOut:
    """PWM on any BCM pin from RPi.GPIO's (or rpi-lgpio's) own timing thread; same API as PwmOut.

    It jitters, so it is not for the control pilot. It is for watchdog lines: the thread ends with the process,
    where a sysfs PWM channel would go on toggling after the station died.
    """

    def __init__(self, pin, freq=1000, module=None):
        module = _rpi_module(module)
        self._g = module
        self.pin = pin
        self.freq = freq
        self._running = False
        self._duty = 0
        try:
            module.setwarnings(False)
            module.setmode(module.BCM)
            module.setup(pin, module.OUT, initial=module.LOW)
            self._pwm = module.PWM(pin, freq)
        except Exception as exc:
            raise _bus_error(exc, "software PWM on GPIO %s" % pin)

    def set_duty(self, permille):
        permille = check_permille(permille)
        try:
            if permille is None or permille == 0:
                if self._running:
                    self._pwm.stop()
                    self._running = False
                self._g.output(self.pin, self._g.HIGH if permille is None else self._g.LOW)
            elif self._running:
                self._pwm.ChangeDutyCycle(permille / 10)
            else:
                self._pwm.start(permille / 10)
                self._running = True
        except Exception as exc:
            raise _bus_error(exc, "software PWM on GPIO %s" % self.pin)
        self._duty = permille

    def duty(self):
        return self._duty


class AnalogIn:
    """An IIO ADC channel: millivolts = in_voltage<ch>_raw x scale (the IIO ABI gives scale in mV per LSB)."""

    def __init__(self, device=0, channel=0, iio_root="/sys/bus/iio/devices", scale_mv=None):
        base = "%s/iio:device%d" % (iio_root, device)
        self._raw = "%s/in_voltage%d_raw" % (base, channel)
        if scale_mv is None:
            for name in ("in_voltage%d_scale" % channel, "in_voltage_scale"):
                path = base + "/" + name
                if os.path.exists(path):
                    scale_mv = float(_read_text(path))
                    break
            else:
                scale_mv = 1.0
        self.scale_mv = scale_mv

    def read_mv(self):
        try:
            raw = int(_read_text(self._raw))
        except (OSError, ValueError) as exc:
            raise _bus_error(exc, "ADC read")
        return int(round(raw * self.scale_mv))


# --------------------------------------------------------------------------------------------------------------
# Board-file specs -> HAL objects
# --------------------------------------------------------------------------------------------------------------

class LinuxHal:
    """Opens the classes above from board-file specs (docs/boards.md "Buses, pins and devices").

    Serial bus: {"port", "baud", "parity", "bits", "stop", "de_pin", "rs485_kernel"}; I2C bus: {"bus": 1};
    pins: BCM numbers (or line offsets on `gpio_chip` with gpiod), plain or {"pin", "active_low", "pull"};
    PWM: {"chip", "channel", "freq"}; ADC: an IIO channel {"device", "channel"}.
    """

    blocking = True     # serial timeouts and ADC conversions block the caller: the runtime polls in a thread

    def __init__(self, board=None, clock=None, pwm_root="/sys/class/pwm", iio_root="/sys/bus/iio/devices",
                 gpio_module=None):
        from drivers.hal.clock import SystemClock
        from drivers.hal.common import pin_spec
        board = board or {}
        self.clock = clock if clock is not None else SystemClock()
        self.gpio_backend = board.get("gpio_backend", "rpi-gpio")
        self.chip = board.get("gpio_chip", "/dev/gpiochip0")
        self.pwm_root = pwm_root
        self.iio_root = iio_root
        self.gpio_module = gpio_module      # a stand-in for RPi.GPIO / gpiod in tests
        self._pin_spec = pin_spec

    def serial(self, name, spec):
        de = spec.get("de_pin")
        return Serial(spec["port"], spec.get("baud", 9600), spec.get("bits", 8), spec.get("parity", "N"),
                      spec.get("stop", 1), None if de is None else self.output(de),
                      spec.get("rs485_kernel") is True)

    def i2c(self, name, spec):
        return I2C(spec.get("bus", 1))

    def output(self, value, initial=False):
        pin, active_low, _ = self._pin_spec(value)
        return DigitalOut(pin, active_low, initial, self.gpio_backend, self.chip, self.gpio_module)

    def input(self, value):
        pin, active_low, pull = self._pin_spec(value)
        return DigitalIn(pin, active_low, pull, self.gpio_backend, self.chip, self.gpio_module)

    def pwm(self, spec, initial=None):
        return PwmOut(spec.get("chip", 0), spec.get("channel", 0), spec.get("freq", 1000), initial, self.pwm_root)

    def pin_pwm(self, value, freq):
        """Software PWM on a GPIO pin (starting low), or None where the GPIO library has none (gpiod)."""
        if self.gpio_backend not in RPI_BACKENDS:
            return None
        module = _rpi_module(self.gpio_module)
        if getattr(module, "PWM", None) is None:
            return None
        return SoftPwmOut(self._pin_spec(value)[0], freq, module)

    def adc(self, spec):
        return AnalogIn(spec.get("device", 0), spec.get("channel", 0), self.iio_root)
