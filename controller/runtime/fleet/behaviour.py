"""Behaviour profiles: when each fleet station's EV arrives, presents its tag, and leaves.

- idle: no EV ever comes; the station boots, reports its status and sends heartbeats.
- commuters: arrivals are a Poisson process per station (`rate` sessions per station per hour); the EV stays
  for a log-normal time around `stay_s` and wants 5-40 kWh; it stops with its tag, then unplugs.
- churn: one short session after another (`stay_s` seconds each, 1 s apart), to load the transaction path.

Each profile schedules only the next action of each station on the event loop: no per-station polling.
"""

import math

PROFILES = ("idle", "commuters", "churn")


class Behaviour:
    def __init__(self, name, rate_per_hour=1.0, stay_s=7200.0):
        if name not in PROFILES:
            raise ValueError("unknown behaviour " + repr(name) + "; choose one of " + ", ".join(PROFILES))
        self.name = name
        self.rate = rate_per_hour
        self.stay_s = stay_s

    def attach(self, station, loop):
        if self.name == "idle":
            return
        first = station.rng.uniform(1.0, 3.0) if self.name == "churn" else self._gap(station)
        loop.call_later(first, self._arrive, station, loop)

    def _gap(self, station):
        return station.rng.expovariate(self.rate / 3600.0) if self.rate > 0 else 1e9

    def _stay(self, station):
        if self.name == "churn":
            return self.stay_s
        return max(60.0, station.rng.lognormvariate(math.log(self.stay_s), 0.5))

    def _arrive(self, station, loop):
        if station.closing:
            return
        if station.busy() or not station.core.online:
            loop.call_later(self._gap(station) if self.name == "commuters" else 1.0, self._arrive, station, loop)
            return
        need_wh = 1000 * station.rng.randint(5, 40)
        station.plug(need_wh)
        tag = "TAG-" + station.cp_id
        loop.call_later(station.rng.uniform(0.5, 2.0), self._present, station, tag)
        loop.call_later(self._stay(station), self._leave, station, loop, tag)

    def _present(self, station, tag):
        if not station.closing:
            station.tag(tag)

    def _leave(self, station, loop, tag):
        if station.closing:
            return
        if station.core.connectors[1].transaction is not None:
            station.tag(tag)
        loop.call_later(1.0, self._unplug, station, loop)

    def _unplug(self, station, loop):
        if station.closing:
            return
        station.unplug()
        nxt = 1.0 if self.name == "churn" else self._gap(station)
        loop.call_later(nxt, self._arrive, station, loop)
