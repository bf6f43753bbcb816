"""MicroPython suite for the board factory and the station's hardware object (helper HW-INT's area).

Builds the hardware object with drivers/station_hardware.py on the emulated HAL, wired to the wire-level emulators,
and drives it through the hardware seam (poll / apply), on the suite contract of tests/micropython/suite.py. Each
check imports only what it needs (driver modules are loaded by the boards that use them). Runs from the project
root:
    python tests/micropython/drivers_int_suite.py [group ...]
    node tools/micropython/run.mjs tests/micropython/drivers_int_suite.py [group ...]
Groups: boards, relays, pilot, meter, reader, rig (default: all).
"""

import suite  # first: sets sys.path and the heap baseline

import sys

RATING = {"amps": 32, "phases": 3, "volts": 230}
eq = suite.eq


def of(events, kind):
    return [e for e in events if e["type"] == kind]


class Bench:
    """An emulated board: `hal` for the rig side, `hw` the hardware object, `run(ms)` polls in simulated time."""

    def __init__(self, connector, buses=None, reader=None):
        from drivers.hal.clock import FakeClock
        from drivers.hal.emulated import EmulatedHal
        self.clock = FakeClock(1000)
        self.hal = EmulatedHal(None, self.clock)
        self.board = {"name": "suite", "hal": "emulated", "rating": RATING, "buses": buses or {},
                      "connectors": [connector]}
        if reader is not None:
            self.board["reader"] = reader
        self.hw = None

    def build(self, store=None):
        from drivers.station_hardware import build_hardware
        self.hw = build_hardware(self.board, self.hal, self.clock, store)
        return self.hw

    def run(self, ms, step=50):
        events = []
        for _ in range(ms // step):
            self.clock.advance(step)
            events += self.hw.poll()
        return events


# ---- boards ------------------------------------------------------------------------------------------------------

def t_shipped_boards_load():
    import boards
    from drivers.hal.select import hal_for
    for name in ("desktop-sim", "raspberry-pi", "esp32-s3"):
        eq(boards.load(name)["name"], name)
    eq(type(hal_for(boards.load("desktop-sim"))).__name__, "EmulatedHal")


def t_board_error_names_field():
    import boards
    board = {"name": "x", "hal": "micropython", "rating": RATING, "buses": {},
             "connectors": [{"id": 1, "cable": "fixed", "max_amps": 16,
                             "meter": {"driver": "sdm630", "bus": "rs485"}}]}
    try:
        boards.check(board, "x.json")
    except boards.BoardError as exc:
        eq(str(exc).startswith("x.json: field 'connectors[0].meter.bus': must name a bus"), True)
        return
    raise AssertionError("no BoardError")


# ---- relays --------------------------------------------------------------------------------------------------------

def _relay_bench():
    from drivers.sim.relays import ContactorEmulator, LockEmulator, RcdEmulator
    b = Bench({"id": 1, "cable": "socket", "max_amps": 32,
               "contactor": {"driver": "contactor", "coil": 1, "feedback": 2},
               "lock": {"driver": "lock", "lock_out": 3, "unlock_out": 4, "feedback": 5},
               "rcd": {"driver": "rcd", "input": 6}})
    b.k = ContactorEmulator(b.clock)
    b.lock = LockEmulator(b.clock)
    b.rcd = RcdEmulator(b.clock)
    for pin, emu in ((1, b.k.coil), (2, b.k.feedback), (3, b.lock.lock_out), (4, b.lock.unlock_out),
                     (5, b.lock.feedback), (6, b.rcd.fault_out)):
        b.hal.add_pin(pin, emu)
    b.build()
    return b


def t_relays_commands_and_faults():
    b = _relay_bench()
    eq(of(b.run(100), "lock_state"), [{"type": "lock_state", "connector": 1, "locked": False}])
    b.hw.apply({"cmd": "contactor", "connector": 1, "on": True})
    eq(of(b.run(300), "contactor_state"), [{"type": "contactor_state", "connector": 1, "on": True}])
    b.k.welded = True
    b.hw.apply({"cmd": "contactor", "connector": 1, "on": False})
    faults = of(b.run(400), "fault")
    eq([(f["source"], f["error_code"]) for f in faults], [("contactor", "PowerSwitchFailure")])
    b.rcd.leak(dc_ma=10)
    eq([f["error_code"] for f in of(b.run(200), "fault")], ["GroundFailure"])
    b.lock.jam("lock")
    b.hw.apply({"cmd": "lock", "connector": 1, "locked": True})
    failed = of(b.run(5000, 100), "lock_failed")
    eq([(e["connector"], e["locked"]) for e in failed], [(1, True)])


# ---- pilot ---------------------------------------------------------------------------------------------------------

def _pilot_bench():
    from drivers.hal.emulated import EmulatedI2C, EmulatedPwm
    from drivers.pilot.divider import Divider
    from drivers.sim.ads1115_emulator import ADS1115Emulator
    from drivers.sim.ev import EV
    adc = {"type": "ads1115", "bus": "i2c", "address": 72}
    b = Bench({"id": 1, "cable": "fixed", "max_amps": 32,
               "pilot": {"driver": "pilot", "pwm": "cp", "mode": "peak", "adc_high": {"type": "ads1115", "bus": "i2c",
                                                                                     "channel": 0},
                         "adc_low": {"type": "ads1115", "bus": "i2c", "channel": 1}}},
              {"i2c": {"type": "i2c"}})
    pwm = b.hal.add_pwm("cp", EmulatedPwm(clock=b.clock, initial=None))
    b.ev = EV(pwm, b.clock)
    to_adc = Divider().to_adc
    ev = b.ev
    i2c = b.hal.add_bus("i2c", EmulatedI2C(b.clock))
    i2c.attach(adc["address"], ADS1115Emulator({0: lambda: to_adc(ev.high_mv()), 1: lambda: to_adc(ev.low_mv())},
                                               b.clock))
    b.pwm = pwm
    b.build()
    return b


def t_pilot_plug_offer_and_diode():
    b = _pilot_bench()
    eq([e["state"] for e in of(b.run(200), "pilot")], ["A"])
    b.ev.plug()
    eq([e["state"] for e in of(b.run(200), "pilot")], ["B"])
    b.hw.apply({"cmd": "pilot", "connector": 1, "amps": 16})
    eq([e["state"] for e in of(b.run(800), "pilot")], ["C"])
    eq(b.pwm.duty(), 267)
    b.ev.set_diode("shorted")
    faults = of(b.run(200), "fault")
    eq([(f["source"], f["error_code"]) for f in faults], [("pilot", "EVCommunicationError")])


# ---- meter ---------------------------------------------------------------------------------------------------------

def _meter_bench(store, register):
    from drivers.hal.emulated import EmulatedSerial
    from drivers.sim.modbus_meter_emulator import ModbusMeterEmulator
    b = Bench({"id": 1, "cable": "fixed", "max_amps": 32,
               "meter": {"driver": "sdm630", "bus": "rs485", "timeout_ms": 50, "retries": 0}},
              {"rs485": {"type": "serial", "baud": 9600}})
    b.meter = ModbusMeterEmulator("sdm630", 1, b.clock, current=10.0, energy_wh=register)
    b.hal.add_bus("rs485", EmulatedSerial(b.meter, b.clock))
    b.build(store)
    return b


def t_meter_loads():
    from controller import storage  # noqa: F401
    from drivers.meter import sdm  # noqa: F401
    from drivers.sim import modbus_meter_emulator  # noqa: F401
    from drivers import station_hardware  # noqa: F401


METER = {}


def t_meter_energy_and_persistence():
    import json
    from controller.storage import MemoryStorage
    store = MemoryStorage()
    b = _meter_bench(store, 5000)
    meters = of(b.run(3000, 500), "meter")
    start = meters[0]["energy_wh"]
    eq(5000 <= start <= 5002, True)
    eq(type(meters[-1]["energy_wh"]) is int and meters[-1]["energy_wh"] > start, True)
    eq(json.loads(store.read("meter_energy.json"))["1"]["last_raw_wh"], start)   # the first state at once
    METER["store"] = store
    METER["start"] = start


def t_meter_replaced_during_a_restart():
    again = _meter_bench(METER["store"], 0)
    first = of(again.run(1000, 500), "meter")[0]["energy_wh"]
    eq(first >= METER["start"], True)
    METER["bench"] = again


def t_meter_lost():
    again = METER["bench"]
    again.meter.set_lost(True)
    faults = of(again.run(4000, 500), "fault")
    eq([(f["source"], f["error_code"]) for f in faults], [("meter", "PowerMeterFailure")])
    METER.clear()


# ---- reader --------------------------------------------------------------------------------------------------------

def t_reader_tag_and_dead_reader():
    from drivers.hal.emulated import EmulatedSerial
    from drivers.sim.pn532_emulator import PN532Emulator
    b = Bench({"id": 1, "cable": "fixed", "max_amps": 32}, {"rfid": {"type": "serial"}},
              {"driver": "pn532", "bus": "rfid", "connector": 1})
    reader = PN532Emulator()
    b.hal.add_bus("rfid", EmulatedSerial(reader, b.clock))
    b.build()
    b.run(300)
    reader.present_card("04A1B2C3")
    eq(of(b.run(500), "tag"), [{"type": "tag", "id_tag": "04A1B2C3", "connector": 1}])
    reader.go_dead()
    faults = of(b.run(2000), "fault")
    eq([(f["connector"], f["error_code"]) for f in faults], [(0, "ReaderFailure")])


# ---- the desktop rig -------------------------------------------------------------------------------------------------

# Compiling every module the rig needs in one check would make more garbage than the heap holds at once (the
# port collects only between checks), so the rig's imports come in three checks of their own.

def t_rig_loads_pilot_side():
    from drivers.pilot import ads1115, classify, pilot  # noqa: F401
    from drivers.sim import ads1115_emulator, ev  # noqa: F401


def t_rig_loads_meter_side():
    from drivers.meter import sdm  # noqa: F401
    from drivers.sim import modbus_meter_emulator, multidrop  # noqa: F401


def t_rig_loads_reader_and_relays():
    from drivers.relays import contactor  # noqa: F401
    from drivers.rfid import pn532  # noqa: F401
    from drivers.sim import pn532_emulator, relays  # noqa: F401


RIG = {}


def t_rig_builds():
    from controller.storage import MemoryStorage
    from drivers.sim.desktop_rig import DesktopRig
    board = {"name": "rig", "hal": "emulated", "rating": RATING,
             "buses": {"rfid": {"type": "serial"}, "rs485": {"type": "serial"}, "i2c": {"type": "i2c"}},
             "reader": {"driver": "pn532", "bus": "rfid", "repeat_ms": 0},
             "connectors": [{"id": 1, "cable": "fixed", "max_amps": 32, "phases": 3,
                             "meter": {"driver": "sdm630", "bus": "rs485"},
                             "pilot": {"driver": "pilot", "pwm": "cp1", "mode": "peak",
                                       "adc_high": {"type": "ads1115", "bus": "i2c", "channel": 0},
                                       "adc_low": {"type": "ads1115", "bus": "i2c", "channel": 1}},
                             "contactor": {"driver": "contactor", "coil": "k1", "feedback": "k1.aux"}}]}
    RIG["rig"] = DesktopRig(board, MemoryStorage(), now=0)
    RIG["now"] = 0


def _rig_run(ms):
    rig = RIG["rig"]
    for _ in range(ms // 100):
        RIG["now"] += 100
        RIG["events"] += rig.poll(RIG["now"])


def t_rig_plug_offer_and_tag():
    # each step a check of its own: the port collects the polls' garbage between checks only
    RIG["events"] = []
    _rig_run(200)
    rig = RIG["rig"]
    rig.plug(1)
    rig.present_tag("DEADBEEF", 1)
    rig.apply({"cmd": "pilot", "connector": 1, "amps": 32})
    RIG["events"] = []


def t_rig_ev_answers():
    _rig_run(500)


def t_rig_ev_in_c_and_tag_read():
    _rig_run(500)
    events = RIG["events"]
    eq([e["state"] for e in of(events, "pilot")], ["B", "C"])
    eq(of(events, "tag"), [{"type": "tag", "id_tag": "DEADBEEF", "connector": 1}])


def t_rig_contactor():
    RIG["events"] = []
    RIG["rig"].apply({"cmd": "contactor", "connector": 1, "on": True})
    _rig_run(300)
    eq(of(RIG["events"], "contactor_state")[0]["on"], True)
    RIG.clear()                                            # let the next checks have its memory


GROUPS = {
    "boards": [("shipped_boards_load", t_shipped_boards_load), ("board_error_names_field", t_board_error_names_field)],
    "relays": [("relays_commands_and_faults", t_relays_commands_and_faults)],
    "pilot": [("pilot_plug_offer_and_diode", t_pilot_plug_offer_and_diode)],
    "meter": [("meter_loads", t_meter_loads), ("meter_energy_and_persistence", t_meter_energy_and_persistence),
              ("meter_replaced_during_a_restart", t_meter_replaced_during_a_restart), ("meter_lost", t_meter_lost)],
    "reader": [("reader_tag_and_dead_reader", t_reader_tag_and_dead_reader)],
    "rig": [("rig_loads_pilot_side", t_rig_loads_pilot_side), ("rig_loads_meter_side", t_rig_loads_meter_side),
            ("rig_loads_reader_and_relays", t_rig_loads_reader_and_relays), ("rig_builds", t_rig_builds),
            ("rig_plug_offer_and_tag", t_rig_plug_offer_and_tag), ("rig_ev_answers", t_rig_ev_answers),
            ("rig_ev_in_c_and_tag_read", t_rig_ev_in_c_and_tag_read), ("rig_contactor", t_rig_contactor)],
}
ORDER = ("rig", "relays", "pilot", "meter", "reader", "boards")   # see test_station_hardware_micropython.py


def main(argv):
    for group in argv or ORDER:
        for name, fn in GROUPS[group]:
            suite.check(name, fn)
    suite.finish()


suite.imported()
main(sys.argv[1:])
