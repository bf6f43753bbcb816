"""INA226 emulator at the I2C byte level: a register pointer, 16-bit registers MSB first, calibration maths.

The first byte of a write sets the register pointer; two more bytes write that register. Reads return the register
at the pointer. Shunt, bus, current and power registers follow the datasheet from the settable bus voltage and
current through a shunt of `shunt_ohms`; current and power stay 0 until the calibration register is set.
Writing bit 15 of the config register resets the chip (calibration lost); `power_cycle()` does the same.
"""

REG_CONFIG, REG_SHUNT, REG_BUS, REG_POWER, REG_CURRENT, REG_CAL, REG_MASK, REG_ALERT = range(8)
REG_MANUFACTURER = 0xFE
REG_DIE = 0xFF


class INA226Emulator:
    def __init__(self, shunt_ohms=0.002, bus_volts=12.0, current_a=0.0):
        self.shunt_ohms = shunt_ohms
        self.bus_volts = bus_volts
        self.current_a = current_a
        self.writes = []
        self.power_cycle()

    def power_cycle(self):
        self.regs = {REG_CONFIG: 0x4127, REG_CAL: 0, REG_MASK: 0, REG_ALERT: 0,
                     REG_MANUFACTURER: 0x5449, REG_DIE: 0x2260}
        self._ptr = 0

    def set(self, bus_volts=None, current_a=None):
        if bus_volts is not None:
            self.bus_volts = bus_volts
        if current_a is not None:
            self.current_a = current_a

    def _measure(self, reg):
        shunt = int(round(self.current_a * self.shunt_ohms / 2.5e-6))
        shunt = max(-32768, min(32767, shunt))
        bus = max(0, min(0x7FFF, int(round(self.bus_volts / 1.25e-3))))
        cal = self.regs[REG_CAL]
        current = int(shunt * cal / 2048)
        if reg == REG_SHUNT:
            return shunt & 0xFFFF
        if reg == REG_BUS:
            return bus
        if reg == REG_CURRENT:
            return current & 0xFFFF
        return min(0xFFFF, abs(current) * bus // 20000)

    def write(self, data):
        data = bytes(data)
        if not data:
            return
        self._ptr = data[0]
        if len(data) >= 3:
            value = (data[1] << 8) | data[2]
            self.writes.append((self._ptr, value))
            if self._ptr == REG_CONFIG and value & 0x8000:
                self.power_cycle()
            elif self._ptr in (REG_CONFIG, REG_CAL, REG_MASK, REG_ALERT):
                self.regs[self._ptr] = value & (0x7FFF if self._ptr == REG_CAL else 0xFFFF)

    def read(self, n):
        if self._ptr in (REG_SHUNT, REG_BUS, REG_POWER, REG_CURRENT):
            v = self._measure(self._ptr)
        else:
            v = self.regs.get(self._ptr, 0)
        out = bytes([v >> 8, v & 0xFF])
        return (out * ((n + 1) // 2))[:n]
