"""The station's hardware object: a board's devices turned into the core's hardware events and commands.

`build_hardware(board, hal, clock, store=None)` builds every device of the board file through drivers/devices.py
and returns a `StationHardware`, the object the runtime holds (docs/hardware.md "Board files and the hardware
object"):

* `poll(now_ms) -> [event, ...]`: runs the queued commands, then polls the safety devices of every connector (RCD,
  contactor, pilot, PP, cable lock: cheap, every call) and at most one slow device (the RFID reader every 250 ms,
  each meter every second: serial round trips). The first call measures the pilot and PP three times 25 ms apart,
  so it already reports the filtered states. Scheduling follows `clock`; `now_ms` is accepted for the seam.
* `apply(cmd)`: queues a command; the next `poll` carries it out, so the runtime may call `apply` from its loop
  while `poll` runs in a thread (`blocking` is the HAL's: true for serial ports and real ADCs).
* `state() -> dict`: JSON-able snapshot for GET /state and the web page.

Commands: {"cmd": "contactor", "connector": n, "on": bool}, {"cmd": "lock", "connector": n, "locked": bool},
{"cmd": "pilot", "connector": n, "amps": a} (a > 0: PWM offer, 0: steady +12 V, -1: state F),
{"cmd": "current_limit", ...} (as "pilot" where there is one), {"cmd": "reset", "connector": n} (clears latched
contactor, RCD and lock faults once the hardware allows it: a technician's or the core's reset policy).

Events: pilot (on change), pp (cable rating, None without a cable), meter (every second, integer Wh, values with
the per-phase keys plus "Current.Import" (largest phase), "Voltage" (mean) and "Current.Offered"), contactor_state,
lock_state (also once at start when the lock has feedback), lock_failed (with the position asked for), tag, and
fault / fault_cleared by source, per hardware.md §6: reader dead -> connector 0 ReaderFailure; meter lost for 3
samples in a row -> PowerMeterFailure; welded or not closing -> PowerSwitchFailure (spurious feedback OtherError);
RCD trip or failed self-test -> GroundFailure; pilot diode -> EVCommunicationError, E / F / out of range ->
OtherError; PP resistor out of range -> OtherError (source "pp"). A device that cannot even be opened at start
(a missing serial adapter) is reported the same way instead of stopping the station.

RCD self-test (an `rcd` block with a `test_out`; drivers/safety/selftest.py): at the first poll, then every
`selftest_hours` (24; 0 = at start only) while the connector's contactor is open, and before every closing with
`selftest_before_close`. A close asked for before the first test has passed (or while one runs) is held and
carried out when it passes; after a failed test it is refused. A failed test is a fault (source "rcd",
GroundFailure, "RCD self-test failed") until a later test passes; a `reset` command starts that test.
Watchdog (a `watchdog` block, drivers/safety/watchdog.py): polled first on every poll (its lease), toggling from
before the coil closes until after it opened; on CPython with a blocking HAL `build_hardware` starts the keeper
thread that stops a free-running line when poll() stops coming; `close()` stops it. Its output failing is a fault
(source "watchdog", OtherError).

Each meter's energy state (offset and last raw register, drivers/meter/energy.py) is kept in "meter_energy.json"
through the storage port (`read`, `write_atomic`): at once when the offset changes, else at most every minute,
so a restart continues a monotonic register.
"""

import json

ENERGY_DOC = "meter_energy.json"
READER_INTERVAL_MS = 250
METER_INTERVAL_MS = 1000
METER_FAILURES = 3
ENERGY_SAVE_MS = 60000
PRIME_ROUNDS = 3        # the pilot and PP filters accept a state after two agreeing samples
PRIME_GAP_MS = 25       # longer than the pilot's 20 ms between measurements
BUILD_FAULTS = {"meter": "PowerMeterFailure", "contactor": "PowerSwitchFailure", "rcd": "GroundFailure",
                "pilot": "OtherError", "pp": "OtherError", "reader": "ReaderFailure", "watchdog": "OtherError"}
FAST_KINDS = ("watchdog", "rcd", "contactor", "pp", "pilot", "lock")   # the watchdog first: it renews its lease
SELFTEST_FAULTS = ("selftest", "stuck")
SELFTEST_INFO = "RCD self-test failed"
LOCK_ASKED = {"lock_failed": True, "unlock_failed": False, "unexpected_unlock": True, "unexpected_lock": False}


def _fault(cid, source, code, info):
    return {"type": "fault", "connector": cid, "error_code": code, "info": info, "source": source}


class _Port:
    """One connector's devices and what the station last told or heard from them."""

    def __init__(self, hw, spec, devices, energy):
        self.hw = hw
        self.id = spec["id"]
        self.phases = spec.get("phases", 1)
        self.fixed = spec.get("cable") == "fixed"
        self.blocks = spec
        self.offered = 0
        self.pilot_state = None
        self.pp_amps = None
        self.lock_asked = None
        self.meter_fails = 0
        self.meter_error = None
        self.energy_wh = None
        self.values = {}
        self.next_meter = hw.clock.ticks_ms()
        self.power = False          # the last contactor command
        self.switched_on = False    # what the contactor (or its echo) was last switched to
        self.close_held = False     # a close waiting for the RCD self-test
        self.selftest = None
        self.dev = {}
        for kind in ("watchdog", "rcd", "contactor", "pilot", "pp", "lock", "meter"):
            block = spec.get(kind)
            if isinstance(block, dict):
                extra = None
                if kind == "meter" and isinstance(energy, dict):
                    extra = {"energy_offset_wh": energy.get("offset_wh", 0),
                             "energy_last_raw_wh": energy.get("last_raw_wh")}
                self.dev[kind] = hw.open(devices, block, extra, self.id, kind)
        rcd = self.dev.get("rcd")
        if rcd is not None and rcd.test_out is not None:
            from drivers.safety.selftest import HOUR_MS, SelfTestSchedule
            self.selftest = SelfTestSchedule(hw.clock, spec["rcd"].get("selftest_hours", 24) * HOUR_MS,
                                             spec["rcd"].get("selftest_before_close") is True)

    def has(self, kind):
        return self.dev.get(kind) is not None

    # ---- commands --------------------------------------------------------------------------------------------
    def command(self, kind, cmd, now, out):
        if kind == "contactor":
            on = cmd.get("on") is True
            self.power = on
            self.close_held = False
            if not on or self.may_close(now):
                self.switch(on, now, out)
        elif kind in ("pilot", "current_limit"):
            amps = cmd.get("amps", 0)
            self.offered = amps
            if self.has("pilot"):
                self.dev["pilot"].set_current(amps if amps > 0 else (None if amps == 0 else 0), now)
        elif kind == "lock":
            locked = cmd.get("locked") is True
            self.lock_asked = locked
            if self.has("lock"):
                if locked:
                    self.dev["lock"].lock(now)
                else:
                    self.dev["lock"].unlock(now)
            elif "lock" in self.dev:
                out.append({"type": "lock_failed", "connector": self.id, "locked": locked})
            elif not self.fixed:
                out.append({"type": "lock_state", "connector": self.id, "locked": locked})
        elif kind == "reset":
            self.reset(now, out)

    def switch(self, on, now, out):
        """The contactor on or off; a watchdog line toggles from before the coil closes until after it opened."""
        watchdog = self.dev.get("watchdog")
        if on and watchdog is not None:
            watchdog.set(True, now)
        if self.has("contactor"):
            self.dev["contactor"].set(on, now)
        elif "contactor" not in self.dev:
            out.append({"type": "contactor_state", "connector": self.id, "on": on})
        if not on and watchdog is not None:
            watchdog.set(False, now)
        self.switched_on = on

    def power_on(self):
        """The contactor is, or is about to be, closed (commanded, confirmed, or a delayed close pending)."""
        k = self.dev.get("contactor")
        if k is not None:
            return k.commanded or k.closed or k.pending_close
        return self.switched_on

    # ---- RCD self-test (hardware.md §4.3, §6 row 13) --------------------------------------------------------
    def may_close(self, now):
        """True when a close may go ahead now; else it is held for a self-test (started here) or refused after a
        failed one."""
        sched = self.selftest
        if sched is None or self.power_on():
            return True
        rcd = self.dev["rcd"]
        allowed = sched.close_allowed()
        if not rcd.testing:
            if allowed is True:
                return True
            if allowed is False or not self.start_selftest(now):
                return False
        self.close_held = True
        return False

    def start_selftest(self, now):
        return self.hw.guard(self.dev["rcd"].self_test, self.id, "rcd", now) is True

    def selftest_due(self, now):
        sched = self.selftest
        rcd = self.dev.get("rcd")
        if sched is None or rcd is None or rcd.testing or self.power or self.power_on():
            return
        if rcd.fault not in ("trip", "io") and sched.due(now):
            self.start_selftest(now)

    def selftest_done(self, ok, out):
        now = self.hw.clock.ticks_ms()
        self.selftest.finished(ok, now)
        if self.close_held:
            self.close_held = False
            if ok and self.power:
                self.switch(True, now, out)

    def reset(self, now, out):
        contactor = self.dev.get("contactor")
        if contactor is not None and contactor.fault is not None:
            contactor.reset(now)
            self.hw.clear(self.id, "contactor", out)
        if self.has("lock"):
            self.dev["lock"].reset()
        rcd = self.dev.get("rcd")
        if rcd is None:
            return
        if rcd.fault in SELFTEST_FAULTS and self.selftest is not None:
            if not rcd.testing and not self.power_on():
                self.start_selftest(now)        # a failed self-test clears only by a passing one
        elif rcd.reset_out is None or not self.power_on():
            rcd.reset()                         # a latching RCD ignores its reset while the relay is on

    # ---- polling ---------------------------------------------------------------------------------------------
    def poll_fast(self, now, out):
        hw = self.hw
        for kind in FAST_KINDS:
            dev = self.dev.get(kind)
            if dev is not None:
                for event in hw.guard(dev.poll, self.id, kind, now) or ():
                    self.translate(kind, event, out)
        self.selftest_due(now)

    def translate(self, kind, e, out):
        cid = self.id
        t = e.get("type")
        if t == "pilot":
            self.pilot_state = e["state"]
            out.append({"type": "pilot", "connector": cid, "state": e["state"]})
        elif t == "pp":
            amps = None
            if e["status"] == "ok":
                amps = e["amps_1ph"] if self.phases == 1 else e["amps"]
            self.pp_amps = amps
            out.append({"type": "pp", "connector": cid, "amps": amps})
            if e["status"] == "error":
                self.hw.fault(cid, "pp", e["error_code"], e.get("info"), out)
            else:
                self.hw.clear(cid, "pp", out)
        elif t == "contactor":
            out.append({"type": "contactor_state", "connector": cid, "on": e["on"]})
        elif t == "lock":
            out.append({"type": "lock_state", "connector": cid, "locked": e["locked"]})
        elif t == "lock_fault":
            asked = LOCK_ASKED.get(e["fault"], self.lock_asked is not False)
            out.append({"type": "lock_failed", "connector": cid, "locked": asked, "info": e.get("info")})
        elif t in ("pilot_fault", "contactor_fault", "rcd_fault", "watchdog_fault"):
            info = e.get("info")
            if t == "rcd_fault" and e.get("fault") in SELFTEST_FAULTS:
                info = SELFTEST_INFO
            self.hw.fault(cid, kind, e["error_code"], info, out)
        elif t in ("pilot_fault_cleared", "rcd_reset", "watchdog_ok"):
            self.hw.clear(cid, kind, out)
        elif t == "rcd_selftest" and self.selftest is not None:
            self.selftest_done(e["ok"], out)

    def meter_result(self, r, out):
        if not r["ok"]:
            self.meter_fails += 1
            self.meter_error = r["info"]
            if self.meter_fails >= METER_FAILURES:
                self.hw.fault(self.id, "meter", r["error_code"], r["info"], out)
            return
        self.meter_fails = 0
        self.meter_error = None
        self.hw.clear(self.id, "meter", out)
        self.energy_wh = r["energy_wh"]
        self.values = self.summary(r["values"])
        out.append({"type": "meter", "connector": self.id, "energy_wh": r["energy_wh"], "values": self.values})

    def summary(self, values):
        """The driver's values plus the phase-less keys a MeterValue without phases needs."""
        out = {}
        for key in values:
            out[key] = values[key]
        for base, how in (("Current.Import", max), ("Voltage", None)):
            phases = [values[k] for k in (base + ".L1", base + ".L2", base + ".L3") if k in values]
            if base not in out and phases:
                out[base] = how(phases) if how is not None else round(sum(phases) / len(phases), 1)
        out["Current.Offered"] = self.offered if self.offered > 0 else 0
        return out

    def state(self):
        s = {"id": self.id, "offered_amps": self.offered, "pilot_state": self.pilot_state, "pp_amps": self.pp_amps,
             "energy_wh": self.energy_wh, "values": self.values, "meter_error": self.meter_error,
             "faults": self.hw.faults_of(self.id)}
        if self.has("pilot"):
            s["pilot"] = self.dev["pilot"].status()
        if self.has("contactor"):
            k = self.dev["contactor"]
            s["contactor"] = {"on": k.closed, "commanded": k.commanded, "fault": k.fault, "closings": k.closings}
        if self.has("lock"):
            lk = self.dev["lock"]
            s["lock"] = {"locked": lk.locked, "busy": lk.busy, "fault": lk.fault}
        if self.has("rcd"):
            s["rcd"] = {"tripped": self.dev["rcd"].tripped, "fault": self.dev["rcd"].fault}
            if self.selftest is not None:
                sched = self.selftest
                s["rcd"]["self_test"] = {"running": self.dev["rcd"].testing, "last_ok": sched.last_ok,
                                         "runs": sched.runs, "next_in_ms": sched.next_in_ms(self.hw.clock.ticks_ms()),
                                         "close_held": self.close_held}
        if self.has("watchdog"):
            wd = self.dev["watchdog"]
            s["watchdog"] = {"output": wd.output, "running": wd.running, "expiries": wd.expiries, "fault": wd.fault}
        return s


class StationHardware:
    def __init__(self, board, devices, clock, store=None):
        self.board = board
        self.clock = clock
        self.store = store
        self.blocking = getattr(devices.hal, "blocking", False) is True
        self.reader_connector = None
        self._queue = []
        self._out = []
        self._faults = {}          # (connector, source) -> (error_code, info)
        self._saved = None
        self._saved_at = None
        self._primed = False
        saved = self._load_energy()
        reader = board.get("reader")
        self.reader = None
        if isinstance(reader, dict):
            self.reader_connector = reader.get("connector")
            self.reader = self.open(devices, reader, None, 0, "reader")
        self.next_reader = clock.ticks_ms()
        self.ports = []
        for spec in board["connectors"]:
            self.ports.append(_Port(self, spec, devices, saved.get(str(spec["id"]))))
        for port in self.ports:
            lock = port.dev.get("lock")
            if lock is not None and lock.locked is not None:
                self._out.append({"type": "lock_state", "connector": port.id, "locked": lock.locked})
        self.watchdogs = [p.dev["watchdog"] for p in self.ports if p.has("watchdog")]
        self.keeper = None

    # ---- building --------------------------------------------------------------------------------------------
    def open(self, devices, block, extra, cid, kind):
        """The driver for `block`, or None when its hardware cannot be opened (reported as a fault)."""
        try:
            return devices.build(block, extra)
        except OSError as exc:
            if kind == "lock":
                self._out.append({"type": "lock_failed", "connector": cid, "locked": True,
                                  "info": "cable lock cannot be opened: " + str(exc)})
            else:
                self.fault(cid, kind, BUILD_FAULTS[kind], kind + " cannot be opened: " + str(exc), self._out)
            return None

    # ---- faults ----------------------------------------------------------------------------------------------
    def fault(self, cid, source, code, info, out):
        key = (cid, source)
        if self._faults.get(key) == (code, info):
            return
        self._faults[key] = (code, info)
        out.append(_fault(cid, source, code, info))

    def clear(self, cid, source, out):
        if self._faults.pop((cid, source), None) is not None:
            out.append({"type": "fault_cleared", "connector": cid, "source": source})

    def faults_of(self, cid):
        out = {}
        for key in self._faults:
            if key[0] == cid:
                out[key[1]] = self._faults[key][0]
        return out

    def guard(self, fn, cid, source, *args):
        """A driver call that must not take the hardware loop down: an exception becomes an OtherError fault."""
        try:
            return fn(*args)
        except Exception as exc:  # noqa: BLE001 - drivers promise not to raise; this is the last line
            self.fault(cid, source, "OtherError", "driver error: " + repr(exc), self._out)
            return None

    # ---- the seam --------------------------------------------------------------------------------------------
    def port(self, cid):
        for p in self.ports:
            if p.id == cid:
                return p
        return None

    def apply(self, cmd):
        self._queue.append(cmd)

    def _run_commands(self, out):
        while self._queue:
            cmd = self._queue.pop(0)
            port = self.port(cmd.get("connector"))
            if port is not None:
                port.command(cmd.get("cmd"), cmd, self.clock.ticks_ms(), out)

    def poll(self, now_ms=None):
        out = self._out
        self._out = []
        self._run_commands(out)
        if not self._primed:
            # the first poll waits for the filtered pilot and PP states, so that after a restart the core knows at
            # once whether an EV is plugged in (hardware.md §6 row 21)
            self._primed = True
            for _ in range(PRIME_ROUNDS - 1):
                for port in self.ports:
                    port.poll_fast(self.clock.ticks_ms(), out)
                self.clock.sleep_ms(PRIME_GAP_MS)
        for port in self.ports:
            port.poll_fast(self.clock.ticks_ms(), out)
            self._run_commands(out)
        self._poll_slow(out)
        self._save_energy()
        out.extend(self._out)
        self._out = []
        return out

    def _poll_slow(self, out):
        """The most overdue of the reader and the meters, if any is due: one serial exchange per poll at most."""
        now = self.clock.ticks_ms()
        diff = self.clock.ticks_diff
        choice = None
        late = -1
        if self.reader is not None and diff(now, self.next_reader) > late:
            choice, late = self, diff(now, self.next_reader)
        for port in self.ports:
            if port.has("meter") and diff(now, port.next_meter) > late:
                choice, late = port, diff(now, port.next_meter)
        if choice is self:
            self._poll_reader(now, out)
        elif choice is not None:
            port = choice
            port.next_meter = self.clock.ticks_add(now, METER_INTERVAL_MS)
            result = self.guard(port.dev["meter"].read, port.id, "meter")
            if result:
                port.meter_result(result, out)

    def _poll_reader(self, now, out):
        self.next_reader = self.clock.ticks_add(now, READER_INTERVAL_MS)
        event = self.guard(self.reader.poll, 0, "reader")
        if not event:
            return
        t = event.get("type")
        if t == "tag":
            tag = {"type": "tag", "id_tag": event["id_tag"]}
            if self.reader_connector is not None:
                tag["connector"] = self.reader_connector
            out.append(tag)
        elif t == "reader_fault":
            self.fault(0, "reader", event["error_code"], event.get("info"), out)
        elif t == "reader_ok":
            self.clear(0, "reader", out)

    def state(self):
        return {"connectors": [p.state() for p in self.ports], "faults": self.faults_of(0),
                "reader": None if self.reader is None else {"ok": not getattr(self.reader, "faulted", False),
                                                             "error": getattr(self.reader, "last_error", None)}}

    def start_keeper(self):
        """CPython: a thread stops free-running watchdog lines when poll() stops coming (watchdog_keeper_cpython)."""
        if self.keeper is None and any(wd.free_running for wd in self.watchdogs):
            from drivers.safety.watchdog_keeper_cpython import Keeper
            self.keeper = Keeper(self.watchdogs).start()
        return self.keeper

    def close(self):
        """Stop the keeper and leave every watchdog line at its safe level."""
        if self.keeper is not None:
            self.keeper.stop()
            self.keeper = None
        for wd in self.watchdogs:
            wd.stop()

    def unlock_on_power_loss(self):
        """For the runtime's power-fail handler: one blocking unlock pulse per cable lock. True if all unlocked."""
        ok = True
        for port in self.ports:
            if port.has("lock") and not port.dev["lock"].unlock_on_power_loss():
                ok = False
        return ok

    # ---- energy persistence ----------------------------------------------------------------------------------
    def _load_energy(self):
        raw = self.store.read(ENERGY_DOC) if self.store is not None else None
        if raw is None:
            return {}
        try:
            doc = json.loads(raw)
        except ValueError:
            return {}
        self._saved = doc if isinstance(doc, dict) else {}
        return self._saved

    def _save_energy(self):
        if self.store is None:
            return
        doc = {}
        for port in self.ports:
            meter = port.dev.get("meter")
            if meter is not None:
                doc[str(port.id)] = meter.energy_state()
        if doc == self._saved:
            return
        now = self.clock.ticks_ms()
        urgent = self._saved is None or self._saved_at is None
        for key in doc:
            old = self._saved.get(key) if self._saved is not None else None
            if not isinstance(old, dict) or old.get("offset_wh") != doc[key]["offset_wh"] or \
                    old.get("last_raw_wh") is None:
                urgent = True
        if urgent or self.clock.ticks_diff(now, self._saved_at) >= ENERGY_SAVE_MS:
            self.store.write_atomic(ENERGY_DOC, json.dumps(doc).encode())
            self._saved = doc
            self._saved_at = now


def build_hardware(board, hal, clock=None, store=None):
    """The hardware object for `board` on `hal` (drivers/hal/select.py); `store` keeps the meters' energy state."""
    import sys
    from drivers.devices import Devices
    if clock is None:
        clock = hal.clock
    hw = StationHardware(board, Devices(board, hal, clock), clock, store)
    if hw.blocking and sys.implementation.name != "micropython":
        hw.start_keeper()      # on MicroPython a free-running watchdog line comes with wdt_ms (boards/devices_check)
    return hw
