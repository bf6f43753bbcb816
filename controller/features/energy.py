"""Energy delivery: what current to offer on the control pilot and when the contactor may close (IEC 61851).

The transactions feature decides *whether* a connector may deliver energy; this module decides *how*, with the
timing rules of hardware.md §3.6:
- the offer is the least of the connector's rating, the cable's PP rating (sockets) and the limit set by
  `set_limit` (the smart-charging seam); below 6 A nothing can be offered;
- the contactor closes only while the EV asks for energy (state C) under a PWM offer, and opens at once when the
  EV pauses (C -> B) or a fault appears;
- at a normal stop the PWM goes first; an EV that stays in C for 6 s after that is cut off anyway;
- the PWM duty changes at most every 5 s (switching the offer on or off is not rate-limited);
- an EV drawing more than (offer + 0.5 A) x 1.1 for 7 s is an OverCurrentFailure.
Boards without a pilot (the plain simulator) get a current limit and a contactor that follows the decision.
Pilot states also tell when an EV is plugged (B, C, D) or gone (A).
"""

from controller.feature import Feature

DUTY_HOLD_MS = 5000
STAY_IN_C_MS = 6000
OVERCURRENT_MS = 7000
MIN_AMPS = 6


PILOT_MEANING = {"A": "no EV", "B": "EV connected", "C": "EV asks for energy", "D": "EV asks, with ventilation",
                 "E": "pilot shorted", "F": "EVSE not available"}


class PilotState:
    def __init__(self, spec):
        self.has_pilot = "pilot" in spec
        self.socket = spec.get("cable") != "fixed"
        self.max_amps = spec.get("max_amps", 32)
        self.cp = "A"
        self.pp_amps = None
        self.offered = 0
        self.duty_at = None
        self.pending = None          # (amps, due_ms): a duty change waiting for the 5 s hold
        self.contactor = None        # last commanded
        self.limit = None            # the smart-charging limit, amps
        self.stop_since = None       # PWM removed while the EV was still in C
        self.over_since = None
        self.b_since = None


class Energy(Feature):
    NAME = "energy"

    def __init__(self, station):
        Feature.__init__(self, station)
        self.pilots = [None] + [PilotState(spec) for spec in station.board["connectors"]]

    # ---- the seam for smart charging -----------------------------------------------------------------------
    def set_limit(self, cid, amps, now):
        """The smart-charging limit in amps (None: no limit). Below 6 A nothing is offered and a transaction
        shows SuspendedEVSE (connector.limited) until the limit rises again."""
        s = self.pilots[cid]
        s.limit = amps
        c = self.st.connectors[cid]
        c.limited = amps is not None and amps < MIN_AMPS
        self.refresh(c, now)

    def allowed(self, c):
        return (c.transaction is not None and not c.evse_suspended and c.fault is None and not c.lock_fault and
                self.st.zero.fault is None)

    def offer_for(self, c):
        s = self.pilots[c.id]
        if not self.allowed(c):
            return 0
        amps = s.max_amps
        if s.socket and s.pp_amps is not None:
            amps = min(amps, s.pp_amps)
        if s.limit is not None:
            amps = min(amps, s.limit)
        return int(amps) if amps >= MIN_AMPS else 0

    # ---- decisions -------------------------------------------------------------------------------------------
    def refresh(self, c, now):
        s = self.pilots[c.id]
        offer = self.offer_for(c)
        if not s.has_pilot:
            on = offer > 0 and c.plugged
            self._command(c, s, "current_limit", offer if on else 0)
            self._switch(c, s, on)
            return
        faulted = c.fault is not None or self.st.zero.fault is not None
        # A fault withdraws the offer (steady +12 V) rather than signalling state F: at +12 V the pilot still
        # shows the EV leaving (state A), which is what clears the latched pilot faults (hardware.md §6 row 16).
        if offer != s.offered:
            if offer > 0 and s.offered > 0 and s.duty_at is not None and now - s.duty_at < DUTY_HOLD_MS:
                s.pending = (offer, s.duty_at + DUTY_HOLD_MS)
            else:
                s.pending = None
                s.offered = offer
                s.duty_at = now
                self.st.log.info("connector " + str(c.id) + " pilot " + (
                    "offers " + str(offer) + " A" if offer > 0 else "steady +12 V (no offer)" if offer == 0 else
                    "at -12 V (state F)"))
                self.st.emit(("hw", {"cmd": "pilot", "connector": c.id, "amps": offer}))
        want = s.offered > 0 and s.cp == "C" and self.allowed(c)
        if want:
            s.stop_since = None
            self._switch(c, s, True)
        elif s.contactor:
            if not faulted and s.cp == "C" and c.transaction is None:
                if s.stop_since is None:
                    s.stop_since = now
                if now - s.stop_since < STAY_IN_C_MS:
                    return
                self.st.log.warning("EV on connector " + str(c.id) + " stayed in state C for 6 s after the "
                                    "offer was withdrawn; opening the contactor")
            s.stop_since = None
            self._switch(c, s, False)

    def _command(self, c, s, cmd, amps):
        if s.offered != amps:
            s.offered = amps
            self.st.emit(("hw", {"cmd": cmd, "connector": c.id, "amps": amps}))

    def _switch(self, c, s, on):
        if s.contactor != on:
            s.contactor = on
            self.st.log.info("connector " + str(c.id) + " contactor " + ("closed" if on else "opened"))
            self.st.emit(("hw", {"cmd": "contactor", "connector": c.id, "on": on}))

    # ---- events ----------------------------------------------------------------------------------------------
    def on_event(self, event, now):
        kind = event.get("type")
        c = self.st.connector(event.get("connector"))
        if kind in ("fault", "fault_cleared") and c is not None and c.id == 0:
            for other in self.st.connectors[1:]:
                self.refresh(other, now)
            return
        if c is None or c.id == 0:
            return
        s = self.pilots[c.id]
        if kind == "pilot":
            self._pilot(c, s, event.get("state"), now)
        elif kind == "pp":
            s.pp_amps = event.get("amps")
            self.refresh(c, now)
        elif kind == "ev_current":
            self._current(c, s, event.get("amps_ma"), now)
        elif kind == "meter":
            values = event.get("values") or {}
            amps = None
            for key in ("Current.Import", "Current.Import.L1", "Current.Import.L2", "Current.Import.L3"):
                value = values.get(key)
                if isinstance(value, (int, float)) and value is not True and value is not False:
                    amps = value if amps is None else max(amps, value)
            if amps is not None:
                self._current(c, s, int(amps * 1000), now)
        elif kind in ("fault", "fault_cleared", "plug", "unplug", "lock_state", "lock_failed"):
            self.refresh(c, now)

    def _pilot(self, c, s, state, now):
        if state not in ("A", "B", "C", "D", "E", "F"):
            return
        old = s.cp
        s.cp = state
        if old != state:
            self.st.log.info("connector " + str(c.id) + " pilot " + old + " -> " + state + " (" +
                             PILOT_MEANING.get(state, "") + ")")
        if state == "A" and old != "A":
            side = "ev" if (s.socket and s.pp_amps is not None) else "both"
            self.st.event({"type": "unplug", "connector": c.id, "side": side}, now)
        elif state in ("B", "C", "D") and old in ("A", "E", "F") and not c.plugged:
            self.st.event({"type": "plug", "connector": c.id}, now)
        if c.transaction is not None:
            if state == "B" and old == "C" and s.offered > 0:
                c.ev_suspended = True       # the EV paused; leaving C because the offer went is not a pause
            elif state == "C":
                c.ev_suspended = False
        s.b_since = now if state == "B" else None
        self.refresh(c, now)

    def _current(self, c, s, amps_ma, now):
        if not isinstance(amps_ma, int) or amps_ma is True or amps_ma is False or s.offered <= 0:
            s.over_since = None
            return
        limit_ma = (s.offered * 1000 + 500) * 11 // 10
        if amps_ma <= limit_ma:
            s.over_since = None
            return
        if s.over_since is None:
            s.over_since = now
        elif now - s.over_since >= OVERCURRENT_MS:
            s.over_since = None
            self.st.event({"type": "fault", "connector": c.id, "error_code": "OverCurrentFailure", "source":
                           "overcurrent", "info": "EV drew " + str(amps_ma) + " mA on a " + str(s.offered) +
                           " A offer"}, now)

    # ---- time ------------------------------------------------------------------------------------------------
    def tick(self, now):
        for c in self.st.connectors[1:]:
            s = self.pilots[c.id]
            if s.pending is not None and now >= s.pending[1]:
                s.pending = None
                s.duty_at = None
                self.refresh(c, now)
            elif s.stop_since is not None and now - s.stop_since >= STAY_IN_C_MS:
                self.refresh(c, now)
            if c.transaction is not None and s.cp == "B" and s.b_since is not None and s.offered > 0 and \
                    now - s.b_since >= 10000 and not c.ev_suspended:
                c.ev_suspended = True       # offered current for 10 s and the EV never asked: it is not charging

    def deadline(self):
        best = None
        for c in self.st.connectors[1:]:
            s = self.pilots[c.id]
            for due in ((s.pending[1] if s.pending else None),
                        (s.stop_since + STAY_IN_C_MS if s.stop_since is not None else None),
                        (s.b_since + 10000 if c.transaction is not None and s.b_since is not None and
                         not c.ev_suspended and s.offered > 0 else None)):
                if due is not None and (best is None or due < best):
                    best = due
        return best
