"""In-process HAL backend: buses and pins wired to device emulators, with fault injection.

* `EmulatedSerial(device, clock=None)`: `device.receive(data)` gets what the driver writes, `device.pending()`
  returns the bytes the device has to send now. Faults: drop replies, corrupt a byte, noise before a reply,
  port absent (BusError, like an unplugged USB adapter).
* `EmulatedI2C(clock=None)`: `.attach(addr, device)`; the device sees raw bytes (`write(data)`, `read(n)`), so
  register-pointer semantics are its own. Faults: device absent, NACK the next transfers, corrupt a read.
* `EmulatedPin`, `EmulatedPwm`, `EmulatedAdc(source_fn)`: a pin usable as DigitalOut or DigitalIn, a PWM output
  and an ADC channel. Test code and emulators drive and observe them.

* `EmulatedHal(board, clock)`: board-file specs resolved to the objects above, by bus name and pin name or number,
  for drivers/devices.py. A rig registers its emulators' buses and pins first (`add_bus`, `add_pin`,
  `add_pwm`, `add_adc`); anything not registered is created unwired (a serial line nobody answers, an
  empty I2C bus, a pin reading inactive) and can be looked up afterwards.

A "reply" is one non-empty chunk taken from `device.pending()`; faults apply to whole replies.
Without a clock, `read()` never waits; with one, it waits through `clock.sleep_ms` in `poll_step_ms` steps so
devices whose output depends on time can produce bytes during the wait.
"""

from drivers.hal.errors import BusError
from drivers.hal.common import check_permille, pin_spec, reg_bytes

_LOG_MAX = 32


def _log(lst, item):
    lst.append(item)
    if len(lst) > _LOG_MAX:
        lst.pop(0)


class _Faults:
    """Queue of pending faults, each with a remaining count (None = forever)."""

    def __init__(self):
        self._items = []

    def add(self, kind, count, params):
        self._items.append([kind, count, params])

    def take(self, kind):
        """Consume one occurrence of `kind`; return its params, or None when no such fault is pending."""
        for item in self._items:
            if item[0] == kind:
                if item[1] is not None:
                    item[1] -= 1
                    if item[1] <= 0:
                        self._items.remove(item)
                return item[2]
        return None

    def clear(self):
        self._items = []


def _corrupt(data, params):
    if not data:
        return data
    index = params.get("index")
    if index is None:
        index = len(data) // 2
    if index < 0:
        index += len(data)
    index = max(0, min(len(data) - 1, index))
    out = bytearray(data)
    out[index] ^= params.get("xor", 0xFF)
    return bytes(out)


class EmulatedSerial:
    """A serial port whose other end is an emulated device."""

    def __init__(self, device, clock=None, poll_step_ms=5):
        self.device = device
        self.clock = clock
        self.poll_step_ms = poll_step_ms
        self.absent = False
        self.tx_log = []
        self.rx_log = []
        self._rx = b""
        self._faults = _Faults()
        self._closed = False

    # -- fault injection -------------------------------------------------------------------------------------
    def drop_replies(self, count=1):
        """Discard the next `count` replies (None = all) as if the device had not answered."""
        self._faults.add("drop", count, {})

    def corrupt_reply(self, count=1, index=None, xor=0xFF):
        """Flip bits of one byte (default: the middle one) in each of the next `count` replies."""
        self._faults.add("corrupt", count, {"index": index, "xor": xor})

    def noise_before_reply(self, data=b"\x13\x37\xff", count=1):
        """Put `data` on the line before each of the next `count` replies."""
        self._faults.add("noise", count, {"data": bytes(data)})

    def set_absent(self, absent=True):
        """Make every operation raise BusError, like a USB-serial adapter that was unplugged."""
        self.absent = absent

    def clear_faults(self):
        self._faults.clear()
        self.absent = False

    # -- HAL serial API --------------------------------------------------------------------------------------
    def _check(self):
        if self._closed:
            raise BusError(9, "serial port closed")
        if self.absent:
            raise BusError(5, "serial port absent")

    def _pull(self):
        chunk = self.device.pending()
        if not chunk:
            return
        chunk = bytes(chunk)
        if self._faults.take("drop") is not None:
            return
        params = self._faults.take("corrupt")
        if params is not None:
            chunk = _corrupt(chunk, params)
        params = self._faults.take("noise")
        if params is not None:
            chunk = params["data"] + chunk
        _log(self.rx_log, chunk)
        self._rx += chunk

    def write(self, data):
        self._check()
        data = bytes(data)
        _log(self.tx_log, data)
        self.device.receive(data)
        self._pull()
        return len(data)

    def read(self, n, timeout_ms=0):
        self._check()
        self._pull()
        if self.clock is not None and timeout_ms > 0 and len(self._rx) < n:
            start = self.clock.ticks_ms()
            while len(self._rx) < n:
                left = timeout_ms - self.clock.ticks_diff(self.clock.ticks_ms(), start)
                if left <= 0:
                    break
                self.clock.sleep_ms(min(self.poll_step_ms, left))
                self._pull()
        out = self._rx[:n]
        self._rx = self._rx[n:]
        return out

    def available(self):
        self._check()
        self._pull()
        return len(self._rx)

    def flush_tx(self):
        self._check()

    def close(self):
        self._closed = True


class EmulatedI2C:
    """An I2C bus with emulated devices attached at 7-bit addresses."""

    def __init__(self, clock=None):
        self.clock = clock
        self._devices = {}
        self._absent = {}
        self._faults = {}
        self.log = []

    def attach(self, addr, device):
        self._devices[addr] = device
        self._faults[addr] = _Faults()
        return device

    def detach(self, addr):
        self._devices.pop(addr, None)

    def device(self, addr):
        return self._devices.get(addr)

    def set_absent(self, addr, absent=True):
        """An absent device NACKs its address: every transfer to it raises BusError."""
        self._absent[addr] = absent

    def nack_next(self, addr, count=1):
        """NACK the next `count` transfers to `addr`."""
        self._faults_for(addr).add("nack", count, {})

    def corrupt_next_read(self, addr, count=1, index=0, xor=0xFF):
        """Flip bits in the data of the next `count` reads from `addr`."""
        self._faults_for(addr).add("corrupt", count, {"index": index, "xor": xor})

    def _faults_for(self, addr):
        if addr not in self._faults:
            self._faults[addr] = _Faults()
        return self._faults[addr]

    def _dev(self, addr):
        dev = self._devices.get(addr)
        if dev is None or self._absent.get(addr):
            raise BusError(19, "no I2C device answers at 0x%02X" % addr)
        if self._faults_for(addr).take("nack") is not None:
            raise BusError(5, "I2C NACK from 0x%02X" % addr)
        return dev

    def _read(self, dev, addr, n):
        data = bytes(dev.read(n))
        if len(data) != n:
            raise BusError(5, "I2C short read from 0x%02X" % addr)
        params = self._faults_for(addr).take("corrupt")
        if params is not None:
            data = _corrupt(data, params)
        return data

    def write(self, addr, data):
        dev = self._dev(addr)
        _log(self.log, ("w", addr, bytes(data)))
        dev.write(bytes(data))

    def read(self, addr, n):
        dev = self._dev(addr)
        data = self._read(dev, addr, n)
        _log(self.log, ("r", addr, data))
        return data

    def read_reg(self, addr, reg, n, reg_bits=8):
        dev = self._dev(addr)
        dev.write(reg_bytes(reg, reg_bits))
        data = self._read(dev, addr, n)
        _log(self.log, ("rr", addr, reg, data))
        return data

    def write_reg(self, addr, reg, data, reg_bits=8):
        dev = self._dev(addr)
        _log(self.log, ("wr", addr, reg, bytes(data)))
        dev.write(reg_bytes(reg, reg_bits) + bytes(data))

    def scan(self):
        return sorted(a for a in self._devices if not self._absent.get(a))


class _Watched:
    """What EmulatedPin and EmulatedPwm share: each change is recorded in `history` as (ms, value) when a clock
    is given, and reported to the functions registered with `watch`."""

    def __init__(self, clock, name):
        self.clock = clock
        self.name = name
        self._watchers = []
        self.history = []

    def _changed_to(self, value):
        if self.clock is not None:
            _log(self.history, (self.clock.ticks_ms(), value))
        for fn in self._watchers:
            fn(self)

    def watch(self, fn):
        self._watchers.append(fn)


class EmulatedPin(_Watched):
    """A GPIO usable as DigitalOut (`set`/`get`) or DigitalIn (`get`, driven with `drive`/`drive_level`).

    `active` is the logical state; `level` is the electrical level (differs when active_low). Every change is
    recorded in `history` as (ms, active) when a clock is given, and reported to functions registered with `watch`.
    """

    def __init__(self, active_low=False, initial=False, clock=None, name=None):
        _Watched.__init__(self, clock, name)
        self.active_low = active_low
        self._active = bool(initial)
        self._changed = False

    def _change(self, active):
        active = bool(active)
        if active == self._active:
            return
        self._active = active
        self._changed = True
        self._changed_to(active)

    # DigitalOut / DigitalIn API
    def set(self, active):
        self._change(active)

    def get(self):
        return self._active

    def changed(self):
        """True once after each change since the previous call (the flag an edge IRQ would set)."""
        c = self._changed
        self._changed = False
        return c

    # test / emulator side
    @property
    def level(self):
        return self._active != self.active_low

    def drive(self, active):
        self._change(active)

    def drive_level(self, level):
        self._change(bool(level) != self.active_low)


class EmulatedPwm(_Watched):
    """A PWM output: `set_duty(permille)` with None = steady high, 0 = steady low, 1..999 = PWM at `freq`."""

    def __init__(self, freq=1000, clock=None, name=None, initial=0):
        _Watched.__init__(self, clock, name)
        self.freq = freq
        self._duty = check_permille(initial)

    def set_duty(self, permille):
        permille = check_permille(permille)
        if permille == self._duty:
            return
        self._duty = permille
        self._changed_to(permille)

    def duty(self):
        return self._duty


class EmulatedAdc:
    """An ADC channel whose millivolts come from `source_fn()` (e.g. an EV emulator's pilot voltage)."""

    def __init__(self, source_fn, clock=None, name=None):
        self.source_fn = source_fn
        self.clock = clock
        self.name = name
        self.fail = False

    def read_mv(self):
        if self.fail:
            raise BusError(5, "ADC read failed")
        return int(round(self.source_fn()))


class _Silent:
    """The far end of a serial line with nothing connected."""

    def receive(self, data):
        pass

    def pending(self):
        return b""


def _key(spec):
    return spec.get("pin") if isinstance(spec, dict) else spec


class EmulatedHal:
    blocking = False    # everything answers at once, in simulated time

    def __init__(self, board=None, clock=None):
        if clock is None:
            from drivers.hal.clock import FakeClock
            clock = FakeClock()
        self.clock = clock
        self.buses = {}
        self.pins = {}
        self.pwms = {}
        self.adcs = {}

    # -- registration (rig side) -----------------------------------------------------------------------------
    def add_bus(self, name, bus):
        """Register an EmulatedSerial or EmulatedI2C under its board-file bus name; returns it."""
        return _put(self.buses, name, bus)

    def add_pin(self, name, pin):
        return _put(self.pins, name, pin)

    def add_pwm(self, name, pwm):
        return _put(self.pwms, name, pwm)

    def add_adc(self, name, adc):
        return _put(self.adcs, name, adc)

    # -- the HAL side (drivers/devices.py) ---------------------------------------------------------------------
    def serial(self, name, spec):
        return _get(self.buses, name, lambda: EmulatedSerial(_Silent(), self.clock))

    def i2c(self, name, spec):
        return _get(self.buses, name, lambda: EmulatedI2C(self.clock))

    def output(self, value, initial=False):
        name = pin_spec(value)[0]
        return _get(self.pins, name, lambda: EmulatedPin(initial=initial, clock=self.clock, name=str(name)))

    def input(self, value):
        return self.output(value)

    def pwm(self, spec, initial=None):
        name = _key(spec)
        return _get(self.pwms, name, lambda: EmulatedPwm(clock=self.clock, name=str(name), initial=initial))

    def adc(self, spec):
        name = _key(spec)
        return _get(self.adcs, name, lambda: EmulatedAdc(lambda: 0, self.clock, name=str(name)))


def _put(table, name, obj):
    table[name] = obj
    return obj


def _get(table, name, make):
    if name not in table:
        table[name] = make()
    return table[name]
