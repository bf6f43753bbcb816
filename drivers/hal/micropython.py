"""MicroPython HAL backend (ESP32, RP2040/RP2350): machine.UART / I2C / Pin / PWM / ADC behind the HAL contract.

Differences hidden here (hardware.md §5.1):
* `UART.read()` returns None when nothing arrived: `Serial.read()` returns b'' and waits up to `timeout_ms`.
* RS-485: the DE pin is raised before writing and released one character time after `UART.flush()`, because
  on rp2 `flush()` can return while the last byte is still shifting out.
* `PwmOut`: duty_u16 = round(permille * 65535 / 1000); steady high/low drive the pin as a plain output instead of
  relying on what `PWM.deinit()` leaves behind.
* `I2C.read_reg(..., reg_bits=16)` uses `readfrom_mem(addrsize=16)`; OSError becomes BusError.
* `AnalogIn.read_mv()`: `read_uv()` (calibrated, ESP32) when available, else `read_u16() * vref_mv // 65535`.
"""

import machine

from drivers.hal.errors import BusError
from drivers.hal.clock import SystemClock
from drivers.hal.common import char_bits, char_time_us, check_permille, duty_u16, pin_spec

_PARITY = {None: None, "N": None, "E": 0, "O": 1, 0: 0, 1: 1}


def _bus_error(exc, what):
    if isinstance(exc, BusError):
        return exc
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 5
    return BusError(code, "%s: %s" % (what, exc))


def _pin(p):
    return p if not isinstance(p, int) else machine.Pin(p)


class Serial:
    """A machine.UART; `de_pin` (a DigitalOut) switches an RS-485 transceiver to transmit while writing."""

    def __init__(self, uart_id, baudrate=9600, tx=None, rx=None, bits=8, parity=None, stop=1, de_pin=None,
                 rxbuf=512, clock=None):
        kw = {"baudrate": baudrate, "bits": bits, "parity": _PARITY[parity], "stop": stop, "timeout": 0,
              "rxbuf": rxbuf}
        if tx is not None:
            kw["tx"] = _pin(tx)
        if rx is not None:
            kw["rx"] = _pin(rx)
        try:
            self._uart = machine.UART(uart_id, **kw)
        except (OSError, ValueError) as exc:
            raise _bus_error(exc, "UART %s" % uart_id)
        self._clock = clock or SystemClock()
        self._de = de_pin
        # whole milliseconds, rounded up, because the HAL clock has millisecond resolution
        self._char_ms = (char_time_us(baudrate, char_bits(bits, parity, stop)) + 999) // 1000
        if self._de is not None:
            self._de.set(False)

    def write(self, data):
        try:
            if self._de is not None:
                self._de.set(True)
            n = self._uart.write(bytes(data))
            if self._de is not None:
                self.flush_tx()
            return n
        except OSError as exc:
            raise _bus_error(exc, "UART write")

    def read(self, n, timeout_ms=0):
        clock = self._clock
        start = clock.ticks_ms()
        out = b""
        while True:
            try:
                if self._uart.any():
                    chunk = self._uart.read(n - len(out))
                    if chunk:
                        out += chunk
            except OSError as exc:
                raise _bus_error(exc, "UART read")
            if len(out) >= n or clock.ticks_diff(clock.ticks_ms(), start) >= timeout_ms:
                return out
            clock.sleep_ms(1)

    def available(self):
        return self._uart.any()

    def flush_tx(self):
        try:
            self._uart.flush()
        except OSError as exc:
            raise _bus_error(exc, "UART flush")
        if self._de is not None:
            self._clock.sleep_ms(self._char_ms)
            self._de.set(False)

    def close(self):
        try:
            self._uart.deinit()
        except (OSError, AttributeError):
            pass


class I2C:
    """machine.I2C (or SoftI2C with soft=True) on the given pins."""

    def __init__(self, bus_id=0, scl=None, sda=None, freq=100000, soft=False):
        kw = {"freq": freq}
        if scl is not None:
            kw["scl"] = _pin(scl)
        if sda is not None:
            kw["sda"] = _pin(sda)
        try:
            if soft:
                self._i2c = machine.SoftI2C(**kw)
            else:
                self._i2c = machine.I2C(bus_id, **kw)
        except (OSError, ValueError) as exc:
            raise _bus_error(exc, "I2C %s" % bus_id)

    def write(self, addr, data):
        data = bytes(data)
        try:
            acks = self._i2c.writeto(addr, data)
        except OSError as exc:
            raise _bus_error(exc, "I2C write to 0x%02X" % addr)
        # writeto returns the number of ACKed bytes; a NACKed data byte does not raise
        if isinstance(acks, int) and acks < len(data):
            raise BusError(5, "I2C NACK from 0x%02X after %d bytes" % (addr, acks))

    def read(self, addr, n):
        try:
            return bytes(self._i2c.readfrom(addr, n))
        except OSError as exc:
            raise _bus_error(exc, "I2C read from 0x%02X" % addr)

    def read_reg(self, addr, reg, n, reg_bits=8):
        try:
            return bytes(self._i2c.readfrom_mem(addr, reg, n, addrsize=reg_bits))
        except OSError as exc:
            raise _bus_error(exc, "I2C read 0x%02X reg 0x%X" % (addr, reg))

    def write_reg(self, addr, reg, data, reg_bits=8):
        try:
            self._i2c.writeto_mem(addr, reg, bytes(data), addrsize=reg_bits)
        except OSError as exc:
            raise _bus_error(exc, "I2C write 0x%02X reg 0x%X" % (addr, reg))

    def scan(self):
        try:
            return list(self._i2c.scan())
        except OSError as exc:
            raise _bus_error(exc, "I2C scan")


class DigitalOut:
    """A Pin output; `set(True)` drives the active level. The pin starts at `initial`."""

    def __init__(self, pin, active_low=False, initial=False):
        self.active_low = active_low
        self._active = bool(initial)
        self._pin = machine.Pin(pin, machine.Pin.OUT, value=1 if (self._active != active_low) else 0)

    def set(self, active):
        active = bool(active)
        self._pin.value(1 if (active != self.active_low) else 0)
        self._active = active

    def get(self):
        return self._active


class DigitalIn:
    """A Pin input; `changed()` reports whether an edge IRQ fired since the last call (the IRQ only sets a flag)."""

    def __init__(self, pin, active_low=False, pull=None, irq=True):
        pulls = {"up": machine.Pin.PULL_UP, "down": machine.Pin.PULL_DOWN}
        self.active_low = active_low
        self._flag = False
        if pull in pulls:
            self._pin = machine.Pin(pin, machine.Pin.IN, pulls[pull])
        else:
            self._pin = machine.Pin(pin, machine.Pin.IN)
        if irq:
            self._pin.irq(handler=self._edge, trigger=machine.Pin.IRQ_RISING | machine.Pin.IRQ_FALLING)

    def _edge(self, _pin):
        self._flag = True

    def get(self):
        return bool(self._pin.value()) != self.active_low

    def changed(self):
        f = self._flag
        self._flag = False
        return f


class PwmOut:
    """machine.PWM on a pin: None = steady high, 0 = steady low, 1..999 permille = PWM at `freq`."""

    def __init__(self, pin, freq=1000, initial=0):
        self._pin_id = pin
        self.freq = freq
        self._pwm = None
        self._duty = -1
        self.set_duty(initial)

    def _steady(self, level):
        if self._pwm is not None:
            self._pwm.deinit()
            self._pwm = None
        machine.Pin(self._pin_id, machine.Pin.OUT, value=level)

    def set_duty(self, permille):
        permille = check_permille(permille)
        if permille is None:
            self._steady(1)
        elif permille == 0:
            self._steady(0)
        elif self._pwm is None:
            self._pwm = machine.PWM(machine.Pin(self._pin_id), freq=self.freq, duty_u16=duty_u16(permille))
        else:
            self._pwm.duty_u16(duty_u16(permille))
        self._duty = permille

    def duty(self):
        return self._duty


class AnalogIn:
    """machine.ADC on a pin; `atten` is passed through on ESP32 (e.g. machine.ADC.ATTN_11DB)."""

    def __init__(self, pin, atten=None, vref_mv=3300):
        if atten is not None:
            self._adc = machine.ADC(machine.Pin(pin), atten=atten)
        else:
            self._adc = machine.ADC(machine.Pin(pin))
        self.vref_mv = vref_mv
        self._uv = hasattr(self._adc, "read_uv")

    def read_mv(self):
        try:
            if self._uv:
                return self._adc.read_uv() // 1000
            return self._adc.read_u16() * self.vref_mv // 65535
        except OSError as exc:
            raise _bus_error(exc, "ADC read")


class MicroPythonHal:
    """Opens the classes above from board-file specs (docs/boards.md "Buses, pins and devices").

    Serial bus: {"uart", "tx", "rx", "baud", "parity", "bits", "stop", "de_pin", "rxbuf"}; I2C bus: {"bus", "scl",
    "sda", "freq", "soft"}; pins: GPIO numbers, plain or {"pin", "active_low", "pull"}; PWM: a pin or {"pin",
    "freq"}; ADC: {"pin", "atten" ("0dB", "2_5dB", "6dB", "11dB"), "vref_mv"}.
    """

    blocking = True     # UART waits and ADC bursts block; there is no thread to hand them to on a board

    def __init__(self, board=None, clock=None):
        self.clock = clock if clock is not None else SystemClock()

    def serial(self, name, spec):
        de = spec.get("de_pin")
        return Serial(spec["uart"], spec.get("baud", 9600), spec.get("tx"), spec.get("rx"), spec.get("bits", 8),
                      spec.get("parity"), spec.get("stop", 1), None if de is None else self.output(de),
                      spec.get("rxbuf", 512), self.clock)

    def i2c(self, name, spec):
        return I2C(spec.get("bus", 0), spec.get("scl"), spec.get("sda"), spec.get("freq", 100000),
                   spec.get("soft") is True)

    def output(self, value, initial=False):
        pin, active_low, _ = pin_spec(value)
        return DigitalOut(pin, active_low, initial)

    def input(self, value):
        pin, active_low, pull = pin_spec(value)
        return DigitalIn(pin, active_low, pull)

    def pwm(self, spec, initial=None):
        if isinstance(spec, dict):
            return PwmOut(spec["pin"], spec.get("freq", 1000), initial)
        return PwmOut(spec, 1000, initial)

    def pin_pwm(self, value, freq):
        """PWM at `freq` on a plain pin, starting low (watchdog lines)."""
        return PwmOut(pin_spec(value)[0], freq, 0)

    def wdt(self, timeout_ms):
        """The hardware watchdog (machine.WDT): started here, fed with feed(), never stopped."""
        return machine.WDT(timeout=timeout_ms)

    def adc(self, spec):
        atten = spec.get("atten")
        if atten is not None:
            atten = getattr(machine.ADC, "ATTN_" + atten.upper(), None)
        return AnalogIn(spec["pin"], atten, spec.get("vref_mv", 3300))
