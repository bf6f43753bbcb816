"""The composite schedule: what limit applies to a connector (or the whole station) at each moment.

The rules (docs/smart-charging.md has a worked example):
- within a purpose the profile with the highest stackLevel that is in force wins; when it ends (duration, validTo)
  the next lower one that is in force takes over;
- the transaction's level is its TxProfile when it has one (for the whole transaction, even after the TxProfile's
  schedule has ended: TC_066), else the connector's TxDefaultProfile, else the one set on connector 0;
- the connector's limit is the least of that level, its share of the ChargePointMaxProfile (divided evenly among
  the connectors with a transaction, counting the connector asked about), and the connector's own rating;
- connector 0 is the station's total: the busy connectors' limits added up, capped by the ChargePointMaxProfile
  and the station's rating (with none busy: that cap alone); the ChargePointMaxProfile is looked up once per
  instant for all of them, and the ratings are converted once per unit (Site.rating);
- A and W convert with the period's numberPhases (3 when absent), never more than the connector has, and the
  board's voltage: A = W / (V x phases). Values are integer tenths, rounded down when converted, so a limit
  never grows by rounding.

`Installed(entries)` groups (connectorId, compiled profile) pairs; `Site(board)` holds the ratings. Times are
epoch ms; `starts` maps a connector to its transaction's start (Relative profiles), and `busy` lists the
connectors with a transaction.
"""

from controller.smart import profile as pf

UNIT = pf.UNIT
MIN_RATE = pf.MIN_RATE
_active = pf.active


class Site:
    def __init__(self, board):
        rating = board["rating"]
        self.volts = int(rating.get("volts", 230))
        self.station_amps = rating["amps"]
        self.station_phases = rating.get("phases", 3)
        self.amps = {0: self.station_amps}
        self.phases = {0: self.station_phases}
        for spec in board["connectors"]:
            self.amps[spec["id"]] = spec.get("max_amps", self.station_amps)
            self.phases[spec["id"]] = spec.get("phases", self.station_phases)
        self._ratings = {}

    def rating(self, cid, want):
        """(connector `cid`'s rating in tenths of `want`, its phases); 0 is the station. Worked out once."""
        key = (cid, want)
        got = self._ratings.get(key)
        if got is None:
            ph = self.phases[cid]
            got = convert(self.amps[cid] * 10, "A", ph, want, self.volts, ph)
            self._ratings[key] = got
        return got


class Installed:
    def __init__(self, entries):
        self.tx = {}
        self.default = {}
        self.cpmax = []
        for cid, cp in entries:
            if cp[pf.PURPOSE] == pf.CP_MAX:
                self.cpmax.append(cp)
            else:
                group = self.tx if cp[pf.PURPOSE] == pf.TX_PROFILE else self.default
                group.setdefault(cid, []).append(cp)
        for group in (self.tx, self.default):
            for cid in group:
                group[cid] = _by_stack(group[cid])
        self.cpmax = _by_stack(self.cpmax)

    def empty(self):
        return not (self.tx or self.default or self.cpmax)


def _by_stack(cps):
    return sorted(cps, key=lambda cp: -cp[pf.STACK])


def _first(cps, t, tx_start):
    for cp in cps:
        q = _active(cp, t, tx_start)
        if q is not None:
            return cp, q
    return None


def convert(value, unit, phases, want, volts, max_phases):
    """(`value` tenths of `unit` as tenths of `want`, the phases used)."""
    used = phases or 3
    if used > max_phases:
        used = max_phases
    if unit == want:
        return value, used
    if want == "A":
        return value // (volts * used), used
    return value * volts * used, used


def _tx_level(inst, cid, t, tx_start):
    if inst.tx.get(cid):
        return _first(inst.tx[cid], t, tx_start)
    return _first(inst.default.get(cid, ()), t, tx_start) or _first(inst.default.get(0, ()), t, tx_start)


def limit_at(inst, site, cid, t, want, starts, busy):
    """(limit tenths of `want`, phases, minChargingRate tenths or None) for connector `cid` > 0 at `t`."""
    return _limit(inst, site, cid, t, want, starts, busy, _first(inst.cpmax, t, t))


def _limit(inst, site, cid, t, want, starts, busy, hit_max):
    """limit_at, with the ChargePointMaxProfile's period at `t` (`_first(inst.cpmax, t, t)`) already found: the
    station total asks for every busy connector at the same instant."""
    ph = site.phases[cid]
    best = site.rating(cid, want)
    min_rate = None
    hit = _tx_level(inst, cid, t, starts.get(cid, t))
    if hit is not None:
        cp, q = hit
        got = convert(q[1], cp[UNIT], q[2], want, site.volts, ph)
        if got[0] < best[0]:
            best = got
        if cp[MIN_RATE] is not None:
            min_rate = convert(cp[MIN_RATE], cp[UNIT], q[2], want, site.volts, ph)[0]
    if hit_max is not None:
        cp, q = hit_max
        share = len(busy) + (0 if cid in busy else 1)
        got = convert(q[1], cp[UNIT], q[2], want, site.volts, ph)
        if got[0] // share < best[0]:
            best = (got[0] // share, got[1])
    return best[0], best[1], min_rate


def station_at(inst, site, t, want, starts, busy, memo):
    """(limit tenths, phases, None) for connector 0, the station's total, at `t`. `memo` (composite's) holds for each
    busy connector [the times in the window at which its own limit may change, its last limit]: a busy connector's
    limit is worked out again only at those times, since in between it cannot change."""
    ph = site.phases[0]
    cap = site.rating(0, want)[0]
    hit = _first(inst.cpmax, t, t)
    if hit is not None:
        cp, q = hit
        got = convert(q[1], cp[UNIT], q[2], want, site.volts, ph)[0]
        if got < cap:
            cap = got
    if busy:
        total = 0
        for cid in busy:
            own = memo[cid]
            if own[1] is None or t in own[0]:
                own[1] = _limit(inst, site, cid, t, want, starts, busy, hit)[0]
            total += own[1]
        if total < cap:
            cap = total
    return cap, ph, None


def _relevant(inst, cid, starts, busy):
    """(compiled profile, its transaction start) for every profile that can shape connector `cid`."""
    cids = list(busy) if cid == 0 else [cid]
    out = [(cp, None) for cp in inst.cpmax]
    for c in cids:
        start = starts.get(c)
        for cp in inst.tx.get(c, []) + inst.default.get(c, []) + inst.default.get(0, []):
            out.append((cp, start))
    return out


def boundaries(inst, cid, t0, t1, starts, busy):
    out = []
    for cp, start in _relevant(inst, cid, starts, busy):
        pf.boundaries(cp, t0, t1, start if start is not None else t0, out)
    return out


def composite(inst, site, cid, t0, duration_s, want, starts, busy):
    """([(startPeriod s, limit tenths, phases)], minChargingRate tenths or None) over [t0, t0 + duration).
    `starts` must give every connector concerned a start (the request time for an idle one)."""
    t1 = t0 + duration_s * 1000
    times = [t0] + sorted(boundaries(inst, cid, t0, t1, starts, busy))
    memo = {}
    if cid == 0:
        for c in busy:
            memo[c] = [set(boundaries(inst, c, t0, t1, starts, busy)), None]
    periods = []
    min_rate = None
    last_t = None
    for t in times:
        if t == last_t:
            continue
        last_t = t
        if cid == 0:
            value, phases, rate = station_at(inst, site, t, want, starts, busy, memo)
        else:
            value, phases, rate = limit_at(inst, site, cid, t, want, starts, busy)
        if rate is not None and (min_rate is None or rate > min_rate):
            min_rate = rate
        offset = (t - t0) // 1000
        if periods and periods[-1][0] == offset:
            periods.pop()
        if periods and periods[-1][1] == value and periods[-1][2] == phases:
            continue
        periods.append((offset, value, phases))
    return periods, min_rate


def next_change(inst, cid, t, starts, busy, horizon_ms=pf.WEEK_MS):
    """The first time after `t` at which connector `cid`'s limit may change, or None within the horizon."""
    found = boundaries(inst, cid, t, t + horizon_ms, starts, busy)
    return min(found) if found else None
