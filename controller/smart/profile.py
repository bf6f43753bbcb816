"""One charging profile: is it sound, and which period of it applies at a given time (OCPP 1.6 §3.13, §7.8).

`problem(p, limits)` names what makes a schema-valid profile impossible, or returns None. `compile_profile(p)` turns the
OCPP dict into a tuple that the composite evaluates fast; every time in it is epoch ms:

    (id, purpose, stack, kind, start, recur, dur, valid_from, valid_to, unit, periods, min_rate)

`periods` is a list of (offset ms, limit in tenths of the unit, numberPhases or None); `dur` is None for an
open-ended schedule; `recur` is the recurrence in ms (0 unless Recurring). Limits are kept as integer tenths
(the schema's multipleOf 0.1), so no float accumulates error.

Where the schedule starts: Absolute at startSchedule; Relative at the transaction's start (for a connector
without one, at the time asked about, as if a transaction started then); Recurring at startSchedule plus a
whole number of days or weeks, in both directions, so a daily profile whose startSchedule is tomorrow 08:00
applies today at 08:00. A Recurring schedule runs for at most one recurrence; periods beyond it never run. A
Relative profile's startSchedule, if a CSMS sends one, is ignored. A profile is in force within
[validFrom, validTo) only; a period that starts after the schedule's duration never runs.
"""

from controller import clock

DAY_MS = 86400000
WEEK_MS = 7 * DAY_MS
TX_PROFILE = "TxProfile"
TX_DEFAULT = "TxDefaultProfile"
CP_MAX = "ChargePointMaxProfile"

# compiled tuple fields
ID, PURPOSE, STACK, KIND, START, RECUR, DUR, VFROM, VTO, UNIT, PERIODS, MIN_RATE = range(12)


def tenths(value):
    """A schema number (multipleOf 0.1) as integer tenths; the float is rounded, not truncated (0.3 * 10)."""
    return int(value * 10 + (0.5 if value >= 0 else -0.5))


def problem(p, max_stack=None, max_periods=None, units=("A", "W")):
    """Why the csChargingProfiles `p` cannot be installed, or None. `units` are the allowed chargingRateUnits."""
    s = p["chargingSchedule"]
    periods = s["chargingSchedulePeriod"]
    kind = p["chargingProfileKind"]
    if p["stackLevel"] < 0:
        return "stackLevel is negative"
    if max_stack is not None and p["stackLevel"] > max_stack:
        return "stackLevel above ChargeProfileMaxStackLevel (" + str(max_stack) + ")"
    if not periods:
        return "no chargingSchedulePeriod"
    if max_periods is not None and len(periods) > max_periods:
        return str(len(periods)) + " periods, above ChargingScheduleMaxPeriods (" + str(max_periods) + ")"
    if s["chargingRateUnit"] not in units:
        return "chargingRateUnit " + s["chargingRateUnit"] + " not in ChargingScheduleAllowedChargingRateUnit"
    if periods[0]["startPeriod"] != 0:
        return "the first period does not start at 0"
    last = -1
    for q in periods:
        if q["startPeriod"] <= last:
            return "periods are not in ascending startPeriod order"
        last = q["startPeriod"]
        if q["limit"] < 0:
            return "a negative limit"
        if "numberPhases" in q and q["numberPhases"] not in (1, 2, 3):
            return "numberPhases must be 1, 2 or 3"
    if s.get("minChargingRate", 0) < 0:
        return "a negative minChargingRate"
    if "duration" in s and s["duration"] <= 0:
        return "duration is not positive"
    for field in ("validFrom", "validTo"):
        if field in p and clock.parse_iso(p[field]) is None:
            return field + " is not a date-time"
    if "validFrom" in p and "validTo" in p and clock.parse_iso(p["validTo"]) <= clock.parse_iso(p["validFrom"]):
        return "validTo is not after validFrom"
    if "startSchedule" in s and clock.parse_iso(s["startSchedule"]) is None:
        return "startSchedule is not a date-time"
    if kind == "Recurring":
        if "startSchedule" not in s:
            return "a Recurring profile without startSchedule"
        if p.get("recurrencyKind") not in ("Daily", "Weekly"):
            return "a Recurring profile without recurrencyKind"
    return None


def compile_profile(p):
    s = p["chargingSchedule"]
    kind = p["chargingProfileKind"]
    recur = 0
    if kind == "Recurring":
        recur = DAY_MS if p.get("recurrencyKind") == "Daily" else WEEK_MS
    dur = s["duration"] * 1000 if "duration" in s else None
    if recur and (dur is None or dur > recur):
        dur = recur
    periods = [(q["startPeriod"] * 1000, tenths(q["limit"]), q.get("numberPhases")) for q in s["chargingSchedulePeriod"]]
    return (p["chargingProfileId"], p["chargingProfilePurpose"], p["stackLevel"], kind,
            clock.parse_iso(s["startSchedule"]) if "startSchedule" in s else None, recur, dur,
            clock.parse_iso(p["validFrom"]) if "validFrom" in p else None,
            clock.parse_iso(p["validTo"]) if "validTo" in p else None,
            s["chargingRateUnit"], periods,
            tenths(s["minChargingRate"]) if "minChargingRate" in s else None)


def _origin(cp, t, tx_start):
    if cp[KIND] == "Relative":
        return tx_start
    start = cp[START]
    if cp[RECUR]:
        return start + ((t - start) // cp[RECUR]) * cp[RECUR]
    return start


def active(cp, t, tx_start):
    """The period (offset, limit tenths, phases) of compiled profile `cp` in force at epoch ms `t`, or None.
    `tx_start`: when the transaction started (Relative profiles)."""
    bound = cp[VFROM]
    if bound is not None and t < bound:
        return None
    bound = cp[VTO]
    if bound is not None and t >= bound:
        return None
    origin = _origin(cp, t, tx_start)
    if origin is None:
        return None
    off = t - origin
    dur = cp[DUR]
    if off < 0 or (dur is not None and off >= dur):
        return None
    found = None
    for q in cp[PERIODS]:
        if q[0] > off:
            break
        found = q
    return found


def boundaries(cp, t0, t1, tx_start, out):
    """Append to `out` every time in (t0, t1) at which what `cp` says may change."""
    for t in (cp[VFROM], cp[VTO]):
        if t is not None and t0 < t < t1:
            out.append(t)
    if cp[KIND] == "Relative":
        origins = [tx_start] if tx_start is not None else []
    elif cp[RECUR]:
        first = _origin(cp, t0, None)
        origins = []
        while first < t1:
            origins.append(first)
            first += cp[RECUR]
    else:
        origins = [cp[START]]
    for origin in origins:
        if origin >= t1:
            continue
        for q in cp[PERIODS]:
            t = origin + q[0]
            if cp[DUR] is not None and q[0] >= cp[DUR]:
                break
            if t0 < t < t1:
                out.append(t)
        if cp[DUR] is not None and t0 < origin + cp[DUR] < t1:
            out.append(origin + cp[DUR])
