"""desktop-sim on the real drivers: the board's devices as wire-level emulators behind the emulated HAL.

`DesktopRig(board, store, now=0)` reads the board file (boards/desktop-sim.json), puts an emulator behind every
device block - an EV on each pilot PWM, read back through an ADS1115 (or a fast ADC) via the board divider; the
PP resistor of the cable; contactor, cable lock and RCD modules on their pins; an SDM630 / SDM120 / ABB B23 per
meter block on its RS-485 line; a PN532 (or RDM6300) on the reader's serial line - and builds the station's real
drivers on them with drivers/station_hardware.py. It is itself the runtime's hardware object (`poll`, `apply`,
`state`, and `blocking`: false unless a frozen poll is pending) and offers the methods the control API
(controller/runtime/sim_api.py) calls:

    plug(cid, ev_max_amps=None), unplug(cid, side="both"), suspend(cid, suspended), present_tag(id_tag, cid=None),
    inject_fault(cid, error_code, info=None), clear_fault(cid), set_lock_fails(cid, fails), warn_power_loss(),
    set_unlock_fails(cid, fails), freeze_poll(seconds)

and faults that come out of the real drivers: weld(cid), jam_lock(cid, direction="both"), rcd_trip(cid),
meter_offline(cid, offline=True), reader_dead(dead=True), ev_diode(cid, "shorted"|"missing"|"open"|"ok"),
cp_short(cid, ohms=80). `clear_fault(cid)` repairs every emulator of that connector (0: the reader), clears an
injected fault and resets the drivers' latches.

Tags: an id of 8, 14 or 20 hex digits is held on the PN532 as a card UID until the driver has read it (10 hex
digits on an RDM6300); any other text is passed straight through as a tag event, since no card carries it.
`inject_fault` passes its errorCode through as a fault with source "sim" (nothing in the emulators stands for an
arbitrary errorCode).

Time: two FakeClocks move with the runtime's `now`. The drivers and the emulators they time against (ADS1115,
relays, RCD) run on `clock`, which the drivers' own waits also advance, so a timeout costs no real time; that clock
keeps up with `now`, and after long waits put it ahead (a meter timing out), it runs at half speed until `now`
catches up. The EV and the meters' energy run on `world`, which is exactly `now`, so energy is power times real
time. The world - EV plugged, cable in the socket, EV limits, lock position, meter registers - is kept in
"sim_world.json" through the storage port, at once when something is plugged or changed and at most every second for
energy, so a restart or a SIGKILL finds the EV where it was.
"""

import json
import time

from drivers.hal.clock import FakeClock
from drivers.hal.emulated import EmulatedAdc, EmulatedHal, EmulatedI2C, EmulatedPwm, EmulatedSerial
from drivers.pilot.divider import Divider
from drivers.sim.ev import EV
from drivers.sim.relays import ContactorEmulator, LockEmulator, RcdEmulator
from drivers.station_hardware import build_hardware

DOC = "sim_world.json"
SAVE_ENERGY_MS = 1000
CABLE_OHMS = 220            # a 32 A cable
CARD_DIGITS = {"pn532": (8, 14, 20), "rdm6300": (10,)}


def _hex(text):
    for ch in text:
        if ch not in "0123456789abcdefABCDEF":
            return False
    return True


class _Station:
    """The emulated hardware of one connector and the EV plugged into it."""

    def __init__(self, rig, spec, saved):
        self.id = spec["id"]
        self.fixed = spec.get("cable") == "fixed"
        self.phases = spec.get("phases", 1)
        self.cable_in = saved.get("cable_in") is True
        self.lock_fails = False
        self.meter = None
        self.contactor = None
        self.lock = None
        self.rcd = None
        self._amps = None
        clock = rig.clock
        hal = rig.hal
        pilot = spec.get("pilot")
        if not isinstance(pilot, dict):
            raise ValueError("desktop rig: connector %d needs a pilot block" % self.id)
        block = spec.get("contactor")
        if isinstance(block, dict):
            self.contactor = ContactorEmulator(clock, feedback_type=block.get("feedback_type", "no"))
            hal.add_pin(block["coil"], self.contactor.coil)
            if block.get("feedback") is not None:
                hal.add_pin(block["feedback"], self.contactor.feedback)
        power = self.contactor_closed
        self.ev = EV(hal.add_pwm(pilot["pwm"], EmulatedPwm(clock=clock, name="cp%d" % self.id, initial=None)),
                     rig.world, max_amps=saved.get("ev_max_amps", 32), power_fn=power, cable_ohms=CABLE_OHMS)
        if saved.get("plugged") is True:
            self.ev.plug()
            self.ev.suspended = saved.get("ev_suspended") is True
        to_adc = Divider.from_spec(pilot.get("divider")).to_adc
        ev = self.ev
        if pilot.get("mode", "burst") == "peak":
            rig.analog(pilot["adc_high"], lambda: to_adc(ev.high_mv()))
            rig.analog(pilot["adc_low"], lambda: to_adc(ev.low_mv()))
        else:
            rig.analog(pilot["adc"], lambda: to_adc(ev.sample_mv()))
        block = spec.get("pp")
        if isinstance(block, dict):
            pullup = block.get("pullup_ohm", 1000)
            vref = block.get("vref_mv", 3300)
            rig.analog(block["adc"], lambda: vref * CABLE_OHMS // (CABLE_OHMS + pullup) if self.cable_in else vref)
        block = spec.get("lock")
        if isinstance(block, dict):
            self.lock = LockEmulator(clock, locked=saved.get("locked") is True)
            hal.add_pin(block["lock_out"], self.lock.lock_out)
            hal.add_pin(block["unlock_out"], self.lock.unlock_out)
            if block.get("feedback") is not None:
                hal.add_pin(block["feedback"], self.lock.feedback)
        block = spec.get("rcd")
        if isinstance(block, dict):
            self.rcd = RcdEmulator(clock)
            hal.add_pin(block["input"], self.rcd.fault_out)
            if block.get("test_out") is not None:
                hal.add_pin(block["test_out"], self.rcd.test_in)
        block = spec.get("meter")
        if isinstance(block, dict):
            from drivers.sim.modbus_meter_emulator import ModbusMeterEmulator
            self.meter = ModbusMeterEmulator(block["driver"], block.get("address", 1), rig.world,
                                             voltage=rig.board["rating"]["volts"],
                                             energy_wh=saved.get("energy_wh", 0))
            rig.line(block["bus"]).add(self.meter)

    def contactor_closed(self):
        return self.contactor.closed if self.contactor is not None else True

    def feed_meter(self):
        """The EV's current through the meter, on the connector's phases."""
        amps = self.ev.current_ma() / 1000
        if self.meter is not None and amps != self._amps:
            self._amps = amps
            per = [amps] * self.phases
            self.meter.set_current(per + [0.0] * (self.meter.phases - len(per)))

    def to_doc(self):
        ev = self.ev
        return {"plugged": ev.plugged, "cable_in": self.cable_in, "ev_max_amps": ev.max_ma // 1000,
                "ev_suspended": ev.suspended, "locked": self.lock.locked if self.lock is not None else False,
                "energy_wh": self.meter.energy_wh if self.meter is not None else 0}

    def repair(self):
        ev = self.ev
        ev.set_diode("ok")
        ev.short_cp(None)
        if self.contactor is not None:
            self.contactor.repair()
        if self.lock is not None:
            self.lock.jam("both", 0)
            self.lock_fails = False
        if self.rcd is not None:
            self.rcd.leak(0, 0)
        if self.meter is not None:
            self.meter.set_lost(False)


class DesktopRig:
    def __init__(self, board, store, now=0):
        self.board = board
        self._freeze_s = 0          # the control API's frozen poll: the next poll hangs this long
        self.store = store
        self.clock = FakeClock(now)
        self.world = FakeClock(now)
        self._now = now
        self.hal = EmulatedHal(board, self.clock)
        self._lines = {}
        self._adcs = {}
        self._extra = []
        self._cards = []
        self._injected = {}
        self._unlock_fails = {}     # connector id -> True: its next unlock fails (the control API's unlock fault)
        self._saved = None
        self._saved_at = None
        raw = store.read(DOC) if store is not None else None
        try:
            saved = json.loads(raw) if raw is not None else {}
        except ValueError:
            saved = {}
        if not isinstance(saved, dict):
            saved = {}
        self.reader_driver = None
        self.reader = None
        reader = board.get("reader")
        if isinstance(reader, dict):
            self.reader_driver = reader.get("driver")
            if self.reader_driver == "pn532":
                from drivers.sim.pn532_emulator import PN532Emulator
                self.reader = PN532Emulator()
            else:
                from drivers.sim.rdm6300_emulator import Rdm6300Emulator
                self.reader = Rdm6300Emulator(self.clock)
            self.hal.add_bus(reader["bus"], EmulatedSerial(self.reader, self.clock))
        self.stations = []
        for spec in board["connectors"]:
            doc = saved.get(str(spec["id"]))
            self.stations.append(_Station(self, spec, doc if isinstance(doc, dict) else {}))
        self.hardware = build_hardware(board, self.hal, self.clock, store)

    # ---- wiring ------------------------------------------------------------------------------------------------
    def line(self, name):
        """The RS-485 line `name`: every Modbus meter emulator on it hears every request."""
        if name not in self._lines:
            from drivers.sim.multidrop import MultiDrop
            self._lines[name] = MultiDrop()
            self.hal.add_bus(name, EmulatedSerial(self._lines[name], self.clock))
        return self._lines[name]

    def analog(self, spec, source_mv):
        """Make the analog input `spec` of the board read `source_mv()` (mV at the ADC pin)."""
        if spec.get("type") != "ads1115":
            self.hal.add_adc(spec.get("pin"), EmulatedAdc(source_mv, self.clock))
            return
        key = (spec["bus"], spec.get("address", 0x48))
        chip = self._adcs.get(key)
        if chip is None:
            from drivers.sim.ads1115_emulator import ADS1115Emulator
            i2c = self.hal.buses.get(spec["bus"])
            if i2c is None:
                i2c = self.hal.add_bus(spec["bus"], EmulatedI2C(self.clock))
            chip = i2c.attach(key[1], ADS1115Emulator({}, self.clock))
            self._adcs[key] = chip
        chip.inputs[spec.get("channel", 0)] = source_mv

    def station(self, cid):
        for s in self.stations:
            if s.id == cid:
                return s
        raise ValueError("no connector " + str(cid) + " on this board")

    # ---- control API --------------------------------------------------------------------------------
    def plug(self, cid, ev_max_amps=None):
        s = self.station(cid)
        if ev_max_amps is not None:
            s.ev.max_ma = int(ev_max_amps * 1000)
        if not s.ev.plugged:
            s.ev.plug()
            s.cable_in = True
        self._save()

    def unplug(self, cid, side="both"):
        """Unplug the EV; on a socket, side "ev" leaves the cable in the station's socket."""
        s = self.station(cid)
        if side not in ("both", "ev"):
            raise ValueError('side must be "both" or "ev"')
        s.ev.unplug()
        s.ev.suspended = False
        if side == "both" or s.fixed:
            s.cable_in = False
        self._save()

    def suspend(self, cid, suspended):
        s = self.station(cid)
        if suspended:
            s.ev.suspend()
        else:
            s.ev.resume()
        self._save()

    def present_tag(self, id_tag, cid=None):
        if self.reader is not None and _hex(id_tag) and len(id_tag) in CARD_DIGITS.get(self.reader_driver, ()):
            self._cards.append((id_tag.upper(), cid))
            return
        event = {"type": "tag", "id_tag": id_tag}
        if cid is not None:
            event["connector"] = cid
        self._extra.append(event)

    def inject_fault(self, cid, error_code, info=None):
        if cid != 0:
            self.station(cid)
        self._injected[cid] = (error_code, info)
        self._extra.append({"type": "fault", "connector": cid, "error_code": error_code, "info": info,
                            "source": "sim"})

    def clear_fault(self, cid):
        if self._injected.pop(cid, None) is not None:
            self._extra.append({"type": "fault_cleared", "connector": cid, "source": "sim"})
        if cid == 0:
            self.reader_dead(False)
            return
        self.station(cid).repair()
        self.hardware.apply({"cmd": "reset", "connector": cid})

    def set_lock_fails(self, cid, fails):
        s = self.station(cid)
        if s.lock is not None:
            s.lock.jam("both", None if fails else 0)
        s.lock_fails = bool(fails)

    def set_unlock_fails(self, cid, fails):
        """The next unlock command for `cid` fails as a stuck lock's would (UnlockConnector answers UnlockFailed),
        whether or not the pin was out; the lock stays where it is."""
        s = self.station(cid)
        if s.fixed:
            raise ValueError("connector %d has a fixed cable: there is no lock to fail" % cid)
        self._unlock_fails[cid] = bool(fails)

    def warn_power_loss(self):
        self._extra.append({"type": "power_loss"})

    # ---- faults that the real drivers find -----------------------------------------------------------------------
    def weld(self, cid):
        """The contactor's contacts weld: now if closed, else at its next closing."""
        k = self.station(cid).contactor
        if k.closed:
            k.welded = True
        else:
            k.weld()

    def jam_lock(self, cid, direction="both"):
        self.station(cid).lock.jam(direction)

    def rcd_trip(self, cid, dc_ma=10):
        self.station(cid).rcd.leak(dc_ma=dc_ma)

    def meter_offline(self, cid, offline=True):
        self.station(cid).meter.set_lost(offline)

    def reader_dead(self, dead=True):
        if self.reader_driver == "pn532":
            if dead:
                self.reader.go_dead()
            elif self.reader.dead:
                self.reader.revive()
        else:
            self.hal.buses[self.board["reader"]["bus"]].set_absent(dead)

    def ev_diode(self, cid, diode="shorted"):
        self.station(cid).ev.set_diode(diode)

    def cp_short(self, cid, ohms=80):
        self.station(cid).ev.short_cp(ohms)

    # ---- the hardware seam -----------------------------------------------------------------------------------------
    @property
    def blocking(self):
        # the emulators answer at once, so the runtime polls on its loop; a frozen poll goes to the runtime's poll
        # thread, as a board's blocking HAL does, so the event loop keeps running while the poll hangs
        return self._freeze_s > 0

    def freeze_poll(self, seconds):
        """The next poll hangs for `seconds` inside the driver call, then returns nothing (a driver stuck)."""
        self._freeze_s = seconds

    def apply(self, cmd):
        cid = cmd.get("connector")
        if cmd.get("cmd") == "lock" and cmd.get("locked") is False and self._unlock_fails.get(cid):
            self._unlock_fails[cid] = False
            self._extra.append({"type": "lock_failed", "connector": cid, "locked": False,
                                "info": "unlock fault injected"})
            return
        self.hardware.apply(cmd)

    def poll(self, now=None):
        if self._freeze_s > 0:
            seconds = self._freeze_s
            self._freeze_s = 0
            time.sleep(seconds)
            return []
        if now is not None and now > self._now:
            # the drivers' clock keeps up with `now`; when their waits put it ahead, it still runs at half speed
            step = max(now - self.clock.ticks_ms(), (now - self._now) // 2)
            if step > 0:
                self.clock.advance(step)
            self.world.advance(now - self._now)
            self._now = now
        for s in self.stations:
            s.feed_meter()
        card = self._cards[0] if self._cards else None
        if card is not None and self.reader.card is None:
            self.reader.present_card(card[0])
        events = self._extra
        self._extra = []
        for event in self.hardware.poll(now):
            if card is not None and event.get("type") == "tag" and event["id_tag"].upper() == card[0]:
                self.reader.remove_card()
                self._cards.pop(0)
                if card[1] is not None:
                    event["connector"] = card[1]
                card = None
            events.append(event)
        for s in self.stations:
            s.feed_meter()
        self._save(energy_only=True)
        return events

    def _save(self, energy_only=False):
        if self.store is None:
            return
        doc = {}
        for s in self.stations:
            doc[str(s.id)] = s.to_doc()
        if doc == self._saved:
            return
        now = self.clock.ticks_ms()
        if energy_only and self._saved is not None and self._saved_at is not None and \
                self._same_but_energy(doc) and self.clock.ticks_diff(now, self._saved_at) < SAVE_ENERGY_MS:
            return
        self.store.write_atomic(DOC, json.dumps(doc).encode())
        self._saved = doc
        self._saved_at = now

    def _same_but_energy(self, doc):
        for key in doc:
            old = self._saved.get(key)
            if old is None:
                return False
            for field in doc[key]:
                if field != "energy_wh" and doc[key][field] != old.get(field):
                    return False
        return True

    def state(self):
        hw = self.hardware.state()
        out = []
        for s, port in zip(self.stations, hw["connectors"]):
            ev = s.ev
            out.append({"id": s.id, "plugged": ev.plugged, "cable_in": s.cable_in, "ev_suspended": ev.suspended,
                        "ev_state": ev.state(), "contactor": s.contactor_closed(),
                        "locked": s.lock.locked if s.lock is not None else False, "lock_fails": s.lock_fails,
                        "offered_amps": port["offered_amps"], "amps": round(ev.current_ma() / 1000, 1),
                        "energy_wh": s.meter.energy_wh if s.meter is not None else 0, "fixed_cable": s.fixed})
        faults = {}
        for cid in self._injected:
            faults[str(cid)] = self._injected[cid][0]
        return {"connectors": out, "faults": faults, "devices": hw}
