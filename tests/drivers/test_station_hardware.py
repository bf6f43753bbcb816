"""build_hardware on the desktop-sim rig: the real drivers against the wire-level emulators, through the hardware seam
(poll / apply / state), in simulated time."""

import json

import pytest

import boards
from controller.storage import MemoryStorage
from drivers.sim.desktop_rig import DesktopRig
from drivers.station_hardware import ENERGY_DOC

START = 5000


class Bench:
    def __init__(self, store=None, board=None):
        self.store = store if store is not None else MemoryStorage()
        self.board = board or boards.load("desktop-sim")
        self.now = START
        self.rig = DesktopRig(self.board, self.store, now=self.now)

    def run(self, ms, step=50):
        events = []
        for _ in range(ms // step):
            self.now += step
            events += self.rig.poll(self.now)
        return events

    def apply(self, cmd, connector=1, **fields):
        cmd = {"cmd": cmd, "connector": connector}
        cmd.update(fields)
        self.rig.apply(cmd)

    def charge(self, connector=1, amps=32):
        self.rig.plug(connector)
        self.apply("pilot", connector, amps=amps)
        events = self.run(1500)
        assert pilot_states(events, connector)[-1] == "C"
        self.apply("contactor", connector, on=True)
        events += self.run(500)
        return events


def of(events, kind, connector=None):
    return [e for e in events if e["type"] == kind and (connector is None or e.get("connector") == connector)]


def pilot_states(events, connector):
    return [e["state"] for e in of(events, "pilot", connector)]


@pytest.fixture
def bench():
    b = Bench()
    b.start = b.run(500)
    return b


def test_start_reports_pilot_a_and_no_cable(bench):
    assert pilot_states(bench.start, 1) == ["A"] and pilot_states(bench.start, 2) == ["A"]
    assert [e["amps"] for e in of(bench.start, "pp", 1)] == [None]
    assert of(bench.start, "pp", 2) == []                      # a fixed cable has no PP block
    assert of(bench.start, "lock_state", 1) == [{"type": "lock_state", "connector": 1, "locked": False}]
    assert of(bench.start, "fault") == []


def test_plug_gives_pp_then_pilot_b(bench):
    bench.rig.plug(1)
    events = bench.run(500)
    assert pilot_states(events, 1) == ["B"]
    assert [e["amps"] for e in of(events, "pp", 1)] == [32]
    assert events.index(of(events, "pp", 1)[0]) < events.index(of(events, "pilot", 1)[0])
    bench.rig.plug(2)
    assert pilot_states(bench.run(500), 2) == ["B"]


def test_pilot_offer_drives_the_pwm_and_the_ev_answers_with_c(bench):
    pwm = bench.rig.hal.pwms["cp1"]
    bench.rig.plug(1)
    bench.run(300)
    bench.apply("pilot", amps=16)
    assert pwm.duty() is None                                  # commands run in the next poll
    events = bench.run(1000)
    assert pwm.duty() == 267                                   # 16 A = 26.7 %
    assert pilot_states(events, 1) == ["C"]
    assert bench.rig.state()["connectors"][0]["ev_state"] == "C"
    bench.apply("pilot", amps=0)                               # no offer: steady +12 V, the EV opens S2
    events = bench.run(1000)
    assert pwm.duty() is None and pilot_states(events, 1) == ["B"]
    bench.apply("pilot", amps=-1)                              # state F: steady -12 V
    events = bench.run(300)
    assert pwm.duty() == 0 and pilot_states(events, 1) == ["F"] and of(events, "fault") == []


def test_current_limit_is_the_pilot_offer_on_a_pilot_board(bench):
    bench.apply("current_limit", 2, amps=10)
    bench.run(100)
    assert bench.rig.hal.pwms["cp2"].duty() == 167


def test_contactor_command_gives_contactor_state(bench):
    emu = bench.rig.station(1).contactor
    bench.apply("contactor", on=True)
    events = bench.run(400)
    assert of(events, "contactor_state", 1) == [{"type": "contactor_state", "connector": 1, "on": True}]
    assert emu.closed and emu.coil.get()
    bench.apply("contactor", on=False)
    assert of(bench.run(400), "contactor_state", 1) == [{"type": "contactor_state", "connector": 1, "on": False}]
    assert not emu.closed


def test_lock_command_moves_the_lock_and_reports_it(bench):
    bench.apply("lock", locked=True)
    events = bench.run(1500)
    assert of(events, "lock_state", 1) == [{"type": "lock_state", "connector": 1, "locked": True}]
    assert bench.rig.station(1).lock.locked
    bench.apply("lock", 2, locked=True)                        # fixed cable: nothing to lock, nothing said
    assert of(bench.run(1500), "lock_state") == []


def test_energy_flows_into_the_sdm630_and_back_as_integer_wh(bench):
    bench.charge(1, amps=32)
    events = bench.run(60000, step=100)
    meters = of(events, "meter", 1)
    assert 55 <= len(meters) <= 62                            # one sample a second
    energies = [m["energy_wh"] for m in meters]
    assert all(type(e) is int for e in energies)
    assert energies == sorted(energies)
    # 31.98 A (the EV decodes 53.3 %) on three phases at 230 V for a minute: 367.7 Wh
    assert 350 <= energies[-1] - energies[0] <= 375
    last = meters[-1]["values"]
    assert last["Energy.Active.Import.Register"] == energies[-1]
    assert abs(last["Current.Import"] - 31.98) < 0.05 and abs(last["Current.Import.L3"] - 31.98) < 0.05
    assert last["Current.Offered"] == 32 and last["Voltage"] == 230.0
    assert abs(last["Power.Active.Import"] - 22066) < 30
    emu = bench.rig.station(1).meter
    assert emu.requests >= 5 * len(meters)                     # every sample came over Modbus RTU
    assert abs(emu.energy_wh - energies[-1]) <= 7
    idle = of(events, "meter", 2)
    assert idle[-1]["energy_wh"] == 0 and idle[-1]["values"]["Current.Import"] == 0.0


def test_tag_goes_through_the_pn532(bench):
    reader = bench.rig.reader
    bench.rig.present_tag("04a1b2c3", 1)
    events = bench.run(500)
    assert of(events, "tag") == [{"type": "tag", "id_tag": "04A1B2C3", "connector": 1}]
    assert 0x4A in reader.commands and reader.card is None     # InListPassiveTarget read it; the card left
    bench.rig.present_tag("04A1B2C3")                          # the same card again is a second presentation
    bench.rig.present_tag("04A224B2C25C80")
    events = bench.run(1000)
    assert [e["id_tag"] for e in of(events, "tag")] == ["04A1B2C3", "04A224B2C25C80"]
    assert "connector" not in of(events, "tag")[0]


def test_a_tag_no_card_can_carry_passes_straight_through(bench):
    commands = len(bench.rig.reader.commands)
    bench.rig.present_tag("TAG1", 2)
    events = bench.rig.poll(bench.now)
    assert of(events, "tag") == [{"type": "tag", "id_tag": "TAG1", "connector": 2}]
    assert len(bench.rig.reader.commands) - commands <= 1


def _weld(bench):
    bench.apply("contactor", on=True)
    bench.run(300)
    bench.rig.weld(1)
    bench.apply("contactor", on=False)


FAULTS = [
    ("weld", 1, "contactor", "PowerSwitchFailure", _weld),
    ("rcd", 2, "rcd", "GroundFailure", lambda b: b.rig.rcd_trip(2)),
    ("meter", 2, "meter", "PowerMeterFailure", lambda b: b.rig.meter_offline(2)),
    ("reader", 0, "reader", "ReaderFailure", lambda b: b.rig.reader_dead()),
    ("diode", 1, "pilot", "EVCommunicationError", lambda b: (b.rig.plug(1), b.rig.ev_diode(1, "shorted"),
                                                             b.apply("pilot", amps=16))),
    ("cp_short", 1, "pilot", "OtherError", lambda b: (b.rig.plug(1), b.rig.cp_short(1))),
]


@pytest.mark.parametrize("name,cid,source,code,cause", FAULTS, ids=[f[0] for f in FAULTS])
def test_every_fault_source_gives_its_fault_and_clears(bench, name, cid, source, code, cause):
    cause(bench)
    events = bench.run(6000)
    faults = of(events, "fault", cid)
    assert [(f["source"], f["error_code"]) for f in faults] == [(source, code)], events
    assert faults[0]["info"]
    bench.rig.clear_fault(cid)
    if name == "diode":
        bench.run(1000)
        assert of(bench.run(1000), "fault_cleared") == []     # latched while the EV stays plugged (IEC 61851)
        bench.rig.unplug(1)
    events = bench.run(4000)
    assert of(events, "fault_cleared", cid) == [{"type": "fault_cleared", "connector": cid, "source": source}]
    assert of(events, "fault") == []


def test_a_still_welded_contactor_is_found_again_after_a_reset(bench):
    _weld(bench)
    bench.run(500)
    bench.apply("reset")
    events = bench.run(500)
    assert [e["type"] for e in events if e["type"].startswith("fault")] == ["fault_cleared", "fault"]
    assert of(events, "fault", 1)[0]["error_code"] == "PowerSwitchFailure"


def test_jammed_lock_gives_lock_failed_with_the_asked_position(bench):
    bench.rig.jam_lock(1)
    bench.apply("lock", locked=True)
    events = bench.run(6000)
    assert [(e["locked"], e["type"]) for e in events if e["type"].startswith("lock")] == [(True, "lock_failed")]
    bench.rig.set_lock_fails(1, False)
    bench.apply("lock", locked=True)
    assert of(bench.run(1500), "lock_state", 1)[0]["locked"] is True


def test_injected_fault_passes_through_with_source_sim(bench):
    bench.rig.inject_fault(1, "HighTemperature", "test")
    events = bench.run(100)
    assert of(events, "fault") == [{"type": "fault", "connector": 1, "error_code": "HighTemperature",
                                    "info": "test", "source": "sim"}]
    assert bench.rig.state()["faults"] == {"1": "HighTemperature"}
    bench.rig.clear_fault(1)
    assert of(bench.run(100), "fault_cleared") == [{"type": "fault_cleared", "connector": 1, "source": "sim"}]


def test_unplug_side_ev_leaves_the_cable_in_the_socket(bench):
    bench.rig.plug(1)
    bench.run(500)
    bench.rig.unplug(1, side="ev")
    events = bench.run(500)
    assert pilot_states(events, 1) == ["A"] and of(events, "pp") == []
    bench.rig.unplug(1)
    assert [e["amps"] for e in of(bench.run(500), "pp", 1)] == [None]


def test_suspended_ev_leaves_c(bench):
    bench.charge(1, amps=16)
    bench.rig.suspend(1, True)
    assert pilot_states(bench.run(1000), 1) == ["B"]
    bench.rig.suspend(1, False)
    assert pilot_states(bench.run(1000), 1) == ["C"]


def test_meter_energy_state_and_world_survive_a_rebuild():
    store = MemoryStorage()
    b = Bench(store)
    b.charge(1, amps=32)
    events = b.run(30000, step=100)
    assert json.loads(store.read(ENERGY_DOC))["1"] == {"offset_wh": 0, "last_raw_wh": 0}   # at most every minute
    events = b.run(31000, step=100)
    reported = of(events, "meter", 1)[-1]["energy_wh"]
    saved = json.loads(store.read(ENERGY_DOC))
    assert saved["1"]["offset_wh"] == 0 and reported - 40 <= saved["1"]["last_raw_wh"] <= reported
    assert json.loads(store.read("sim_world.json"))["1"]["plugged"] is True

    again = Bench(store)                                       # a restart on the same data directory
    assert again.rig.hardware.port(1).dev["meter"].energy_state() == saved["1"]
    events = again.run(1500)
    assert pilot_states(events, 1) == ["B"]                    # the EV is still plugged in
    assert of(events, "meter", 1)[0]["energy_wh"] >= reported - 5
    again.rig.station(1).meter.reset_energy(0)                 # the meter was replaced
    events = again.run(2000)
    after = [m["energy_wh"] for m in of(events, "meter", 1)]
    assert min(after) >= reported - 5                          # the register does not go back
    offset = json.loads(store.read(ENERGY_DOC))["1"]["offset_wh"]
    assert offset >= reported - 5                              # and the new offset is on disk at once


def test_state_is_json_and_keeps_the_simworld_keys(bench):
    bench.charge(1, amps=16)
    bench.run(1000)                                            # the EV follows a new offer within a second
    state = json.loads(json.dumps(bench.rig.state()))
    c1 = state["connectors"][0]
    for key in ("plugged", "cable_in", "ev_suspended", "contactor", "locked", "lock_fails", "offered_amps", "amps",
                "energy_wh", "fixed_cable"):
        assert key in c1
    assert c1["contactor"] is True and c1["offered_amps"] == 16 and c1["amps"] == 16.0
    dev = state["devices"]["connectors"][0]
    assert dev["pilot"]["state"] == "C" and dev["pilot"]["duty"] == 267 and dev["contactor"]["on"] is True


def test_commands_for_unknown_connectors_are_ignored(bench):
    bench.rig.apply({"cmd": "contactor", "connector": 9, "on": True})
    bench.rig.apply({"cmd": "warp", "connector": 1})
    assert bench.run(200) is not None


def test_hardware_that_cannot_be_opened_is_a_fault_not_a_crash(tmp_path):
    from drivers.hal.select import hal_for
    from drivers.station_hardware import build_hardware
    board = {"name": "pi", "hal": "linux", "rating": {"amps": 16, "phases": 1, "volts": 230},
             "buses": {"uart": {"type": "serial", "port": str(tmp_path / "ttyNONE")},
                       "rs485": {"type": "serial", "port": str(tmp_path / "ttyUSB9")}},
             "reader": {"driver": "pn532", "bus": "uart"},
             "connectors": [{"id": 1, "cable": "fixed", "max_amps": 16,
                             "meter": {"driver": "sdm120", "bus": "rs485"}}]}
    boards.check(board)
    hw = build_hardware(board, hal_for(board))
    assert hw.blocking is True
    events = hw.poll(0)
    got = sorted((e["connector"], e["source"], e["error_code"]) for e in of(events, "fault"))
    assert got == [(0, "reader", "ReaderFailure"), (1, "meter", "PowerMeterFailure")]
    hw.apply({"cmd": "contactor", "connector": 1, "on": True})   # a board without a contactor block: echoed
    assert of(hw.poll(0), "contactor_state") == [{"type": "contactor_state", "connector": 1, "on": True}]
