"""Pure helpers shared by the HAL backends: character times, I2C register addresses, PWM duty conversions."""

I2C_SCAN_FIRST = 0x08     # 0x00-0x07 and 0x78-0x7F are reserved addresses
I2C_SCAN_LAST = 0x77


def char_time_us(baudrate, bits_per_char=10):
    """Time on the wire of one character (start + data + parity + stop bits), rounded up to whole microseconds."""
    return (bits_per_char * 1000000 + baudrate - 1) // baudrate


def char_bits(bits=8, parity=None, stop=1):
    """Bits per character on the wire; parity None or "N" means no parity bit ("E", "O", 0, 1 add one)."""
    has_parity = parity not in (None, "N", "n")
    return 1 + bits + (1 if has_parity else 0) + stop


def reg_bytes(reg, reg_bits=8):
    """Register address as sent on the I2C bus, most significant byte first."""
    if reg_bits == 8:
        if not 0 <= reg <= 0xFF:
            raise ValueError("8-bit register out of range")
        return bytes([reg])
    if reg_bits == 16:
        if not 0 <= reg <= 0xFFFF:
            raise ValueError("16-bit register out of range")
        return bytes([reg >> 8, reg & 0xFF])
    raise ValueError("reg_bits must be 8 or 16")


def check_permille(permille):
    """Validate a PWM duty: None (steady high), 0 (steady low) or 1..999; 1000 is accepted as steady high."""
    if permille is None:
        return None
    if permille is True or permille is False or not isinstance(permille, int):
        raise ValueError("duty must be None or an integer permille")
    if permille == 1000:
        return None
    if not 0 <= permille <= 999:
        raise ValueError("duty out of range 0..999 permille")
    return permille


def duty_u16(permille):
    """MicroPython `PWM.duty_u16` value for a duty in permille (None = 100 %)."""
    if permille is None:
        return 65535
    return (permille * 65535 * 2 + 1000) // 2000


def duty_ns(permille, period_ns):
    """Linux sysfs `duty_cycle` in ns for a duty in permille (None = 100 %)."""
    if permille is None:
        return period_ns
    return (permille * period_ns * 2 + 1000) // 2000


def pin_spec(value):
    """(pin, active_low, pull) from a board-file pin: a number (or a name on emulated boards), or a dict
    {"pin": 17, "active_low": true, "pull": "up"}."""
    if isinstance(value, dict):
        return value.get("pin"), value.get("active_low") is True, value.get("pull")
    return value, False, None
