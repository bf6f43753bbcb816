"""The HAL object for a board: `hal_for(board, clock=None)` imports only the backend the board's "hal" names.

"linux" -> drivers.hal.linux.LinuxHal (CPython: pyserial, smbus2, RPi.GPIO / rpi-lgpio / gpiod, sysfs PWM, IIO),
"micropython" -> drivers.hal.micropython.MicroPythonHal (machine.*), "emulated" -> drivers.hal.emulated.EmulatedHal
(in-process buses and pins a rig wires to emulators). Every HAL object has `clock`, `blocking`, `serial(name, spec)`,
`i2c(name, spec)`, `output(pin, initial=False)`, `input(pin)`, `pwm(spec, initial=None)` and `adc(spec)`.
"""


def hal_for(board, clock=None):
    kind = board.get("hal")
    if kind == "linux":
        from drivers.hal.linux import LinuxHal as Hal
    elif kind == "micropython":
        from drivers.hal.micropython import MicroPythonHal as Hal
    elif kind == "emulated":
        from drivers.hal.emulated import EmulatedHal as Hal
    else:
        raise ValueError("unknown hal %r: use linux, micropython or emulated" % (kind,))
    return Hal(board, clock)
