"""The energy register as reported to OCPP: integer Wh that never decreases (hardware.md §6 rows 6-8).

reported = raw + offset. When the raw register drops (meter reset or replaced, a software register restarting at
boot), offset grows by the drop, so the reported value continues from where it was and session energy neither goes
negative nor double-counts. The caller persists `offset_wh` and `last_raw_wh` and passes them back at construction.
Negative values are rejected; with `max_power_w` set, a rise faster than that power allows is rejected up to
`max_rejects` times in a row (then accepted as the new truth).

`CountedMeter` is the base of the meter drivers that keep their register in an EnergyCounter `self.energy`: it
gives them the persisted figures (`offset_wh`, `last_raw_wh`, `energy_state()`).
"""


class EnergyCounter:
    def __init__(self, offset_wh=0, last_raw_wh=None, max_power_w=None, clock=None, max_rejects=3):
        self.offset_wh = int(offset_wh)
        self.last_raw_wh = None if last_raw_wh is None else int(last_raw_wh)
        self.max_power_w = max_power_w
        self.clock = clock
        self.max_rejects = max_rejects
        self.drops = 0
        self._last_ms = None
        self._rejects = 0

    @property
    def reported_wh(self):
        return None if self.last_raw_wh is None else self.last_raw_wh + self.offset_wh

    def state(self):
        """What to persist: {"offset_wh": int, "last_raw_wh": int or None}."""
        return {"offset_wh": self.offset_wh, "last_raw_wh": self.last_raw_wh}

    def update(self, raw_wh):
        """Take a raw register reading (int Wh); returns (reported_wh, notice or None). Raises ValueError."""
        if raw_wh is True or raw_wh is False or not isinstance(raw_wh, int):
            raise ValueError("energy must be an integer Wh")
        if raw_wh < 0:
            raise ValueError("negative energy register %d Wh" % raw_wh)
        now = self.clock.ticks_ms() if self.clock is not None else None
        notice = None
        last = self.last_raw_wh
        if last is not None and raw_wh > last and self._implausible(raw_wh - last, now):
            self._rejects += 1
            if self._rejects <= self.max_rejects:
                raise ValueError("implausible energy jump of %d Wh" % (raw_wh - last))
        self._rejects = 0
        if last is not None and raw_wh < last:
            self.offset_wh += last - raw_wh
            self.drops += 1
            notice = "energy register dropped from %d to %d Wh; offset now %d Wh" % (last, raw_wh, self.offset_wh)
        self.last_raw_wh = raw_wh
        self._last_ms = now
        return raw_wh + self.offset_wh, notice

    def _implausible(self, delta_wh, now):
        if self.max_power_w is None or now is None or self._last_ms is None:
            return False
        dt = self.clock.ticks_diff(now, self._last_ms)
        # one float32 step of slack plus the energy max_power_w delivers in dt
        allowed = self.max_power_w * dt // 3600000 + 10
        return delta_wh > allowed


class CountedMeter:
    """Base of a meter whose Energy.Active.Import.Register goes through the EnergyCounter `self.energy`."""

    @property
    def offset_wh(self):
        return self.energy.offset_wh

    @property
    def last_raw_wh(self):
        return self.energy.last_raw_wh

    def energy_state(self):
        return self.energy.state()
