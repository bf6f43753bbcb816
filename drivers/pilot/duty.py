"""Control-pilot duty cycle <-> current (IEC 61851-1 Annex A, hardware.md §3.3).

EVSE side: `amps_to_duty(amps)` gives the PWM duty in integer permille, or None for
"no offer" (steady +12 V, 100 %). The exact duty is kept as a fraction so the
MicroPython `duty_u16` value and the Linux sysfs `duty_cycle` in ns can be computed
without first rounding to permille (`duty_u16_for(16) == 17476`, `high_ns_for(32) == 533333`).

EV side: `decode_duty(permille)` says what an EV reads from a duty cycle.

Everything is integer arithmetic on milliamps; amps may be given as int or float.
"""

HLC_PERMILLE = 50        # 5 %: digital communication (ISO 15118 / DIN 70121) required
PERIOD_NS = 1000000      # 1 kHz pilot

# decode_duty() modes
AMPS = "amps"
HLC = "hlc"
NONE = "none"            # 100 % / steady: no current offered (B1/C1/D1)
FAULT = "fault"          # < 3 %: the EV sees E/F
INVALID = "invalid"      # a duty the standard gives no meaning to


def div_round(num, den):
    """num/den rounded half away from zero, integers only."""
    if den < 0:
        num, den = -num, -den
    if num >= 0:
        return (2 * num + den) // (2 * den)
    return -((-2 * num + den) // (2 * den))


def to_ma(amps):
    """Amps (int or float) -> integer milliamps."""
    if amps is True or amps is False:
        raise TypeError("amps must be a number")
    if isinstance(amps, int):
        return amps * 1000
    return int(round(amps * 1000))


def duty_fraction_ma(ma):
    """Exact duty for a current in mA as (numerator, denominator), or None = 100 %.

    6 A <= I <= 51 A: d = I / 0.6 %; 51 A < I <= 80 A: d = I / 2.5 + 64 %.
    EVerest's edge rules: < 5.9 A none; 5.9..6.1 A 10 %; 51 < I < 52.5 A clamp to
    51 A (85 %); 80..80.1 A 97 %; > 80.1 A none.
    """
    if ma < 5900:
        return None
    if ma <= 6100:
        return (1, 10)
    if ma <= 51000:
        return (ma, 60000)
    if ma < 52500:
        return (51000, 60000)
    if ma <= 80000:
        return (ma + 160000, 250000)
    if ma <= 80100:
        return (97, 100)
    return None


def amps_to_duty(amps):
    """Current offer -> duty in integer permille, or None for no offer (100 %)."""
    frac = duty_fraction_ma(to_ma(amps))
    if frac is None:
        return None
    return div_round(1000 * frac[0], frac[1])


def duty_u16_for(amps):
    """MicroPython PWM.duty_u16 value for a current, from the exact duty."""
    frac = duty_fraction_ma(to_ma(amps))
    if frac is None:
        return 65535
    return div_round(65535 * frac[0], frac[1])


def high_ns_for(amps, period_ns=PERIOD_NS):
    """High time in ns for a current (Linux sysfs duty_cycle), from the exact duty."""
    frac = duty_fraction_ma(to_ma(amps))
    if frac is None:
        return period_ns
    return div_round(period_ns * frac[0], frac[1])


def permille_to_u16(permille):
    """Permille -> duty_u16, as the MicroPython HAL does (None = 65535, steady high)."""
    if permille is None:
        return 65535
    return div_round(permille * 65535, 1000)


def permille_to_ns(permille, period_ns=PERIOD_NS):
    """Permille -> high time in ns (None = whole period)."""
    if permille is None:
        return period_ns
    return div_round(permille * period_ns, 1000)


def decode_duty(permille):
    """EV-side reading of a duty cycle (Fluke FEV300 table, hardware.md §3.3).

    Returns (mode, ma): ("amps", milliamps), ("hlc", 0), ("none", 0) for 100 % or
    steady, ("fault", 0) below 3 %, ("invalid", 0) for the undefined gaps.
    """
    if permille is None or permille >= 1000:
        return (NONE, 0)
    if permille < 30:
        return (FAULT, 0)
    if 45 <= permille <= 55:
        return (HLC, 0)
    if permille < 80:
        return (INVALID, 0)
    if permille < 100:
        return (AMPS, 6000)
    if permille <= 850:
        return (AMPS, permille * 60)
    if permille <= 960:
        return (AMPS, (permille - 640) * 250)
    if permille <= 970:
        return (AMPS, 80000)
    return (INVALID, 0)


def duty_to_ma(permille):
    """Current in mA an EV may draw at this duty, or None when no current is offered."""
    mode, ma = decode_duty(permille)
    if mode == AMPS:
        return ma
    return None
