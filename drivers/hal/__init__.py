"""Hardware abstraction layer: serial, I2C, digital I/O, PWM, ADC and clocks for Linux, MicroPython and emulation.

Backends: `drivers.hal.linux` (CPython only), `drivers.hal.micropython` (machine.*), `drivers.hal.emulated`
(in-process buses for tests and the simulator). Pure helpers shared by the backends live in `drivers.hal.common`.
"""
