"""Smart Charging profile: SetChargingProfile, GetCompositeSchedule, ClearChargingProfile (OCPP 1.6 §3.13, §5.16,
§5.7, §5.5), the chargingProfile of RemoteStartTransaction, and the limit each connector really offers.

The schedule maths is in controller/smart/ (profile.py: one profile; composite.py: stacking and purposes). This
module keeps the installed profiles, checks each against the purpose and connector rules and the board's limits
(anything impossible is Rejected with nothing changed), and persists them as one document written atomically
before SetChargingProfile is answered Accepted (a write that fails is Rejected, the old profiles kept).

A TxProfile belongs to its transaction and ends with it; a restart ends every transaction, so TxProfiles are not
kept across one. The profile of a RemoteStartTransaction is held for the connector until the transaction starts
(then it is that transaction's TxProfile) or the remote start lapses.

The physical loop: before each status derivation (`settle`) the limit in amps of every connector at the present
time is worked out and handed to the energy feature (`Energy.set_limit`), which turns it into the pilot's offer.
It is worked out again when a profile is set or cleared, a transaction starts or ends, the wall clock is set, and
at the next moment a period, schedule or validity boundary falls (the feature's deadline; nothing polls).

Board block (all optional): "smart_charging": {"supported": true, "max_stack_level": 10, "max_periods": 10,
"max_profiles": 20, "units": ["A", "W"]}. Without support the actions are NotSupported and the profile is not
listed.
"""

from controller import clock
from controller import config
from controller import storage
from controller.feature import Feature
from controller.smart import composite as comp
from controller.smart import profile as pf

DOC = "charging_profiles.json"
ACCEPTED = "Accepted"
REJECTED = "Rejected"
UNIT_NAMES = {"A": "Current", "W": "Power"}
MAX_COMPOSITE_S = 7 * 86400     # a longer GetCompositeSchedule is answered for its first week
SAVE_RETRY_MS = 30000


def capabilities(board):
    caps = board.get("smart_charging") or {}
    return {"supported": caps.get("supported", True) is not False,
            "max_stack_level": caps.get("max_stack_level", 10), "max_periods": caps.get("max_periods", 10),
            "max_profiles": caps.get("max_profiles", 20), "units": caps.get("units", ["A", "W"])}


class SmartCharging(Feature):
    NAME = "smart_charging"
    PROFILE = "SmartCharging"

    def __init__(self, station):
        Feature.__init__(self, station)
        caps = capabilities(station.board)
        self.supported = caps["supported"]
        if self.supported:
            self.KEYS = (
                config.Key("ChargeProfileMaxStackLevel", config.INT, caps["max_stack_level"], access="R",
                           persist=False),
                config.Key("ChargingScheduleAllowedChargingRateUnit", config.CSL,
                           [UNIT_NAMES[u] for u in caps["units"]], access="R", persist=False),
                config.Key("ChargingScheduleMaxPeriods", config.INT, caps["max_periods"], access="R", persist=False),
                config.Key("MaxChargingProfilesInstalled", config.INT, caps["max_profiles"], access="R",
                           persist=False),
                config.Key("ConnectorSwitch3to1PhaseSupported", config.BOOL, False, access="R", persist=False),
            )
        else:
            self.PROFILE = None
        self.site = comp.Site(station.board)
        self.entries = []        # {"c": connectorId, "p": csChargingProfiles, "tx": ref or None, "held": bool, "cp"}
        self.inst = None         # comp.Installed of `entries`, rebuilt after a change
        self.seen = None         # what the limits were last worked out for (transactions, wall clock)
        self.dirty = True
        self.due = None          # now_ms of the next boundary
        self.applied = {}        # connector id -> amps handed to the energy feature
        self.save_due = None     # a failed write is tried again then

    def actions(self):
        if not self.supported:
            return {}
        return {"SetChargingProfile": self.set_charging_profile, "GetCompositeSchedule": self.get_composite_schedule,
                "ClearChargingProfile": self.clear_charging_profile}

    # ---- persistence ----------------------------------------------------------------------------------------
    def start(self, now):
        if not self.supported:
            return
        doc = storage.load_doc(self.st.store, DOC, [])
        doc = doc if isinstance(doc, list) else []
        for e in doc:
            try:
                p = e["p"]
                if p["chargingProfilePurpose"] == pf.TX_PROFILE or self.st.connector(e["c"]) is None:
                    continue             # its transaction did not survive the restart
                why = self._problem(p)
                if why is not None:
                    self.st.log.warning("charging profile " + str(p["chargingProfileId"]) + " dropped: " + why)
                    continue
                self.entries.append(self._entry(e["c"], p, None, False))
            except (KeyError, TypeError, ValueError, AttributeError):
                self.st.log.warning("an unreadable charging profile in " + DOC + " was dropped")
        if len(self.entries) != len(doc):
            self._changed(self._save(), now)     # what was dropped leaves the disk too, so both agree
        self.inst = None          # the status feature may have settled before this start
        self.dirty = True

    def _save(self):
        doc = [{"c": e["c"], "p": e["p"], "tx": e["tx"]} for e in self.entries if not e["held"]]
        ok = storage.try_save_doc(self.st.store, DOC, doc)
        if not ok:
            self.st.log.error("charging profiles not written (storage fault)")
        return ok

    def _changed(self, saved, now):
        """After a change that is already in force: try again later if it did not reach the disk."""
        self.save_due = None if saved else now + SAVE_RETRY_MS
        self.inst = None
        self.dirty = True

    # ---- checks ---------------------------------------------------------------------------------------------
    def units(self):
        names = self.st.config.get("ChargingScheduleAllowedChargingRateUnit")
        return [u for u in UNIT_NAMES if UNIT_NAMES[u] in names]

    def _problem(self, p):
        return pf.problem(p, self.st.config.get("ChargeProfileMaxStackLevel"),
                          self.st.config.get("ChargingScheduleMaxPeriods"), self.units())

    def _entry(self, cid, p, tx_ref, held):
        return {"c": cid, "p": p, "tx": tx_ref, "held": held, "cp": pf.compile_profile(p)}

    def _stamped(self, p, now):
        """A copy of `p`; an Absolute profile without startSchedule starts when it is received."""
        s = dict(p["chargingSchedule"])
        if p["chargingProfileKind"] == "Absolute" and "startSchedule" not in s:
            s["startSchedule"] = clock.format_iso(self.st.clock.epoch_ms(now) // 1000 * 1000, False)
        out = dict(p)
        out["chargingSchedule"] = s
        return out

    def install(self, cid, p, tx_ref, held, now):
        """Install `p` on connector `cid` (replacing by id, or by purpose and stackLevel on the connector):
        (status, reason)."""
        why = self._problem(p)
        if why is not None:
            return REJECTED, why
        p = self._stamped(p, now)
        pid = p["chargingProfileId"]
        purpose = p["chargingProfilePurpose"]
        keep = [e for e in self.entries if e["p"]["chargingProfileId"] != pid and not (
            e["c"] == cid and e["p"]["chargingProfilePurpose"] == purpose and e["p"]["stackLevel"] == p["stackLevel"])]
        if len(keep) >= self.st.config.get("MaxChargingProfilesInstalled"):
            return REJECTED, "MaxChargingProfilesInstalled reached"
        old = self.entries
        self.entries = keep + [self._entry(cid, p, tx_ref, held)]
        if not held and not self._save():
            self.entries = old
            return REJECTED, "could not be stored"
        self._changed(True, now)
        return ACCEPTED, ""

    # ---- CSMS requests --------------------------------------------------------------------------------------
    def set_charging_profile(self, payload, now):
        cid = payload["connectorId"]
        p = payload["csChargingProfiles"]
        status, why = self._set(cid, p, now)
        self.st.log.info("SetChargingProfile " + str(p["chargingProfileId"]) + " (" + p["chargingProfilePurpose"] +
                         ", stack " + str(p["stackLevel"]) + ") on connector " + str(cid) + ": " + status +
                         (" (" + why + ")" if why else ""))
        return {"status": status}

    def _set(self, cid, p, now):
        c = self.st.connector(cid)
        purpose = p["chargingProfilePurpose"]
        if c is None:
            return REJECTED, "no such connector"
        if purpose == pf.CP_MAX and cid != 0:
            return REJECTED, "a ChargePointMaxProfile belongs on connector 0"
        tx_ref = None
        if purpose == pf.TX_PROFILE:
            if cid == 0 or c.transaction is None:
                return REJECTED, "a TxProfile needs a connector with a running transaction"
            known = self.st.feature["outbox"].journal.transaction_id(c.transaction.ref)
            if "transactionId" in p and p["transactionId"] != known:
                return REJECTED, "transactionId " + str(p["transactionId"]) + " is not the running one"
            tx_ref = c.transaction.ref
        return self.install(cid, p, tx_ref, False, now)

    def get_composite_schedule(self, payload, now):
        cid = payload["connectorId"]
        duration = payload["duration"]
        unit = payload.get("chargingRateUnit") or ("A" if "A" in self.units() else "W")
        if self.st.connector(cid) is None or duration < 0:
            return {"status": REJECTED}
        duration = min(duration, MAX_COMPOSITE_S)
        t0 = self.st.clock.epoch_ms(now) // 1000 * 1000
        inst, starts, busy = self._view(t0)
        periods, min_rate = comp.composite(inst, self.site, cid, t0, duration, unit, starts, busy)
        schedule = {"duration": duration, "chargingRateUnit": unit,
                    "chargingSchedulePeriod": [_period(q) for q in periods]}
        if min_rate is not None:
            schedule["minChargingRate"] = min_rate / 10
        return {"status": ACCEPTED, "connectorId": cid, "scheduleStart": clock.format_iso(t0, False),
                "chargingSchedule": schedule}

    def clear_charging_profile(self, payload, now):
        if "id" in payload:
            gone = [e for e in self.entries if e["p"]["chargingProfileId"] == payload["id"]]
        else:
            gone = [e for e in self.entries if
                    payload.get("connectorId", e["c"]) == e["c"] and
                    payload.get("chargingProfilePurpose", e["p"]["chargingProfilePurpose"]) ==
                    e["p"]["chargingProfilePurpose"] and
                    payload.get("stackLevel", e["p"]["stackLevel"]) == e["p"]["stackLevel"]]
        if not gone:
            return {"status": "Unknown"}
        self.entries = [e for e in self.entries if e not in gone]
        self._changed(self._save(), now)
        self.st.log.info("ClearChargingProfile: " + ", ".join(str(e["p"]["chargingProfileId"]) for e in gone) +
                         " removed")
        return {"status": ACCEPTED}

    # ---- RemoteStartTransaction ----------------------------------------------------------------------------
    def remote_problem(self, p):
        """Why the chargingProfile of a RemoteStartTransaction cannot be used, or None."""
        if p["chargingProfilePurpose"] != pf.TX_PROFILE:
            return "its purpose is not TxProfile"
        if "transactionId" in p:
            return "it carries a transactionId"
        return self._problem(p)

    def hold(self, c, p, now):
        """The remote start on `c` is accepted: its profile waits there for the transaction. Returns a status."""
        status, why = self.install(c.id, p, None, True, now)
        if why:
            self.st.log.info("RemoteStartTransaction profile on connector " + str(c.id) + ": " + why)
        return status

    # ---- following the transactions, and the limits --------------------------------------------------------
    def _view(self, t):
        if self.inst is None:
            self.inst = comp.Installed([(e["c"], e["cp"]) for e in self.entries])
        busy = []
        starts = {}
        for c in self.st.connectors[1:]:
            if c.transaction is not None:
                busy.append(c.id)
                starts[c.id] = c.transaction.start_ms
            else:
                starts[c.id] = t
        return self.inst, starts, busy

    def _follow(self, now):
        """Bind held profiles to the transactions that started, drop the TxProfiles of ended ones."""
        keep = []
        changed = False
        for e in self.entries:
            c = self.st.connectors[e["c"]]
            ref = c.transaction.ref if c.transaction is not None else None
            if e["held"]:
                if ref is not None:
                    e["held"] = False
                    e["tx"] = ref
                    changed = True
                elif c.pending is None:
                    self.st.log.info("the remote start on connector " + str(c.id) + " lapsed; its profile is "
                                     "dropped")
                    self.inst = None
                    continue
            elif e["tx"] is not None and e["tx"] != ref:
                self.st.log.info("TxProfile " + str(e["p"]["chargingProfileId"]) + " ended with its transaction")
                changed = True
                continue
            keep.append(e)
        self.entries = keep
        if changed:
            self._changed(self._save(), now)

    def settle(self, now):
        if not self.supported:
            return
        seen = [self.st.clock.offset]
        for c in self.st.connectors[1:]:
            seen.append(c.transaction.ref if c.transaction is not None else None)
            seen.append(c.pending is not None)
        if seen != self.seen:
            self.seen = seen
            self._follow(now)
            self.dirty = True
        if self.save_due is not None and now >= self.save_due:
            self.save_due = None if self._save() else now + SAVE_RETRY_MS
        if self.dirty or (self.due is not None and now >= self.due):
            self.dirty = False
            self._apply(now)

    def _apply(self, now):
        t = self.st.clock.epoch_ms(now)
        inst, starts, busy = self._view(t)
        energy = self.st.feature["energy"]
        nxt = None
        for c in self.st.connectors[1:]:
            amps = None
            if not inst.empty():
                amps = comp.limit_at(inst, self.site, c.id, t, "A", starts, busy)[0] / 10
                due = comp.next_change(inst, c.id, t, starts, busy)
                if due is None:
                    due = t + pf.WEEK_MS
                nxt = due if nxt is None or due < nxt else nxt
            if self.applied.get(c.id) != amps:
                self.applied[c.id] = amps
                self.st.log.info("connector " + str(c.id) + " smart-charging limit " +
                                 ("none" if amps is None else str(amps) + " A"))
                energy.set_limit(c.id, amps, now)
        self.due = None if nxt is None else nxt - self.st.clock.offset

    def deadline(self):
        best = self.due
        if self.save_due is not None and (best is None or self.save_due < best):
            best = self.save_due
        return best


def _period(q):
    out = {"startPeriod": q[0], "limit": q[1] / 10}
    if q[2] != 3:
        out["numberPhases"] = q[2]
    return out
