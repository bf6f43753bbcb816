"""MicroPython suite for the HAL, RFID and meter drivers (helper HW-A's area).

Plain Python, no pytest: runs the pure-logic drivers against the emulated HAL and the wire-level emulators with the
hardware.md §7 vectors, on the suite contract of tests/micropython/suite.py (`PASS name` / `FAIL name: reason`, a
HEAP line, `N passed, M failed`, exit status 1 on a failure; 2 for an unknown group). Runs from the project root:
    python tests/micropython/drivers_hwa_suite.py [group ...]
    node tools/micropython/run.mjs tests/micropython/drivers_hwa_suite.py [group ...]
Groups: hal, rfid, modbus, meters (default: all). Each group imports only the modules it needs, so one group runs
with the least loaded.
"""

import suite  # first: sets sys.path and the heap baseline

import sys

eq = suite.eq
ok = suite.true
raises = suite.raises


def h(text):
    text = text.replace(" ", "")
    return bytes([int(text[i:i + 2], 16) for i in range(0, len(text), 2)])


def poll_events(reader, clock, n, step_ms):
    from drivers.sim.timeline import poll_reader
    return poll_reader(clock, reader, n, step_ms)


# -- HAL ---------------------------------------------------------------------------------------------------------

class _Echo:
    def __init__(self):
        self.out = b""

    def receive(self, data):
        self.out += data

    def pending(self):
        out = self.out
        self.out = b""
        return out


def t_serial_timeout():
    from drivers.hal.clock import FakeClock
    from drivers.hal.emulated import EmulatedSerial
    from drivers.hal.errors import BusError
    c = FakeClock()
    s = EmulatedSerial(_Echo(), c)
    eq(s.read(3, 40), b"")
    eq(c.ticks_ms(), 40)
    s.write(b"ab")
    eq(s.read(5, 10), b"ab")
    s.set_absent(True)
    raises(BusError, s.write, b"x")


def t_i2c_absent():
    from drivers.hal.emulated import EmulatedI2C
    from drivers.hal.errors import BusError
    bus = EmulatedI2C()
    raises(BusError, bus.read_reg, 0x40, 0, 2)
    raises(OSError, bus.write, 0x41, b"\x00")


def t_duty_u16():
    from drivers.hal.common import duty_u16
    eq(duty_u16(100), 6554)
    eq(duty_u16(None), 65535)
    eq(duty_u16(0), 0)


# -- RFID --------------------------------------------------------------------------------------------------------

def t_idtag():
    from drivers.rfid import idtag
    eq(idtag.from_uid(h("DE AD BE EF")), "DEADBEEF")
    eq(idtag.from_uid(h("04 A2 24 B2 C2 5C 80")), "04A224B2C25C80")
    ok(idtag.equals("deadbeef", "DEADBEEF"))
    raises(ValueError, idtag.from_uid, bytes(11))
    eq(idtag.from_em4100(h("14008EC793"), "dec10"), "0009357203")


def t_pn532_frames():
    from drivers.rfid import pn532_frame as pf
    eq(pf.build_frame(h("D4 02")), h("00 00 FF 02 FE D4 02 2A 00"))
    eq(pf.build_frame(h("D4 14 01 14 01")), h("00 00 FF 05 FB D4 14 01 14 01 02 00"))
    eq(pf.build_frame(h("D4 4A 01 00")), h("00 00 FF 04 FC D4 4A 01 00 E1 00"))
    eq(pf.WAKEUP, b"\x55\x55" + b"\x00" * 15)


def _parse(data):
    from drivers.rfid import pn532_frame as pf
    p = pf.FrameParser()
    p.feed(data)
    out = []
    while True:
        item = p.next()
        if item is None:
            return out
        out.append(item)


def t_pn532_parse():
    from drivers.rfid import idtag
    from drivers.rfid import pn532_frame as pf
    eq(_parse(h("00 00 FF 00 FF 00"))[0][0], pf.ACK)
    eq(_parse(h("00 00 FF 01 FF 7F 81 00"))[0][0], pf.ERROR)
    item = _parse(h("00 00 FF 06 FA D5 03 32 01 06 07 E8 00"))[0]
    eq(pf.parse_firmware(item[2][1:]), {"ic": 0x32, "ver": 1, "rev": 6, "support": 7})
    item = _parse(h("00 00 FF 0C F4 D5 4B 01 01 00 04 08 04 DE AD BE EF 96 00"))[0]
    t = pf.parse_passive_target(item[2][1:])
    eq((t["uid"], t["sel_res"], t["sens_res"]), (h("DEADBEEF"), 0x08, 0x0004))
    item = _parse(h("00 00 00 FF 0F F1 D5 4B 01 01 00 44 00 07 04 A2 24 B2 C2 5C 80 79 00"))[0]
    eq(idtag.from_uid(pf.parse_passive_target(item[2][1:])["uid"]), "04A224B2C25C80")
    items = _parse(h("13 37 00 FF 05 00") + h("00 00 FF 02 FE D5 15 16 00"))
    eq([i[0] for i in items], [pf.DATA])


def _pn532_rig():
    from drivers.hal.clock import FakeClock
    from drivers.hal.emulated import EmulatedSerial
    from drivers.rfid.pn532 import PN532
    from drivers.sim.pn532_emulator import PN532Emulator
    c = FakeClock()
    emu = PN532Emulator()
    return c, emu, PN532(EmulatedSerial(emu, c), c)


def t_pn532_driver():
    c, emu, reader = _pn532_rig()
    eq(reader.poll()["type"], "reader_ok")
    eq(emu.passive_retries, 0x10)
    emu.present_card("DEADBEEF")
    eq(reader.poll(), {"type": "tag", "id_tag": "DEADBEEF", "atqa": 4, "sak": 8})
    eq(reader.poll(), None)
    emu.garbage()
    emu.bad_checksum(1)
    emu.present_card("04A224B2C25C80")
    eq(reader.poll()["id_tag"], "04A224B2C25C80")


def t_pn532_dead_and_back():
    c, emu, reader = _pn532_rig()
    reader.poll()
    emu.go_dead()
    eq([e["type"] for e in poll_events(reader, c, 4, 250)], ["reader_fault"])
    emu.revive()
    eq([e["type"] for e in poll_events(reader, c, 4, 250)], ["reader_ok"])


def t_rdm6300_vectors():
    from drivers.rfid import rdm6300
    eq(rdm6300.decode_frame(b"14008EC793CE"), h("14008EC793"))
    raises(ValueError, rdm6300.decode_frame, b"14008EC793CF")
    eq(rdm6300.decode_frame(b"14008EC793CE\r\n"), h("14008EC793"))


def t_rdm6300_driver():
    from drivers.hal.clock import FakeClock
    from drivers.hal.emulated import EmulatedSerial
    from drivers.rfid import rdm6300
    from drivers.sim.rdm6300_emulator import Rdm6300Emulator
    c = FakeClock()
    emu = Rdm6300Emulator(c, interval_ms=200)
    reader = rdm6300.Rdm6300(EmulatedSerial(emu, c), c)
    emu.bad_checksum(1)
    emu.present_card("14008EC793")
    eq(poll_events(reader, c, 4, 200), [{"type": "tag", "id_tag": "14008EC793"}])
    eq(reader.stats["checksum_errors"], 1)


# -- Modbus ------------------------------------------------------------------------------------------------------

def t_modbus_crc_vectors():
    from drivers.meter import modbus_rtu as mb
    eq(mb.crc16(b"123456789"), 0x4B37)
    eq(mb.with_crc(h("01 03 00 00 00 0A")), h("01 03 00 00 00 0A C5 CD"))
    eq(mb.with_crc(h("01 04 00 00 00 02")), h("01 04 00 00 00 02 71 CB"))
    eq(mb.with_crc(h("01 04 00 48 00 02")), h("01 04 00 48 00 02 F1 DD"))
    eq(mb.with_crc(h("01 03 5B 00 00 02")), h("01 03 5B 00 00 02 D7 2F"))


def t_modbus_parse_vectors():
    from drivers.meter import decode
    from drivers.meter import modbus_rtu as mb
    data = mb.parse_response(h("01 04 04 43 66 33 33 5A FA"), 1, 4, 2)
    ok(abs(decode.f32(data) - 230.2) < 0.001, "230.2 V")
    data = mb.parse_response(h("01 04 04 44 9A 52 25 33 E0"), 1, 4, 2)
    eq(decode.f32_scaled_int(data, 1000), 1234567)
    data = mb.parse_response(h("01 03 08 00 00 00 00 00 01 E2 40 8D 47"), 1, 3, 4)
    eq(decode.integer(data, "u64") * 10, 1234560)
    data = mb.parse_response(h("01 03 04 FF FF FF FF FB A7"), 1, 3, 2)
    eq(decode.integer(data, "u32"), None)
    try:
        mb.parse_response(h("01 84 02 C2 C1"), 1, 4, 2)
        raise AssertionError("no exception")
    except mb.ModbusException as exc:
        eq((exc.fc, exc.code), (4, 2))
    raises(mb.ModbusCrcError, mb.parse_response, h("01 04 04 43 66 33 33 5A FB"), 1, 4, 2)


def t_energy_counter():
    from drivers.meter.energy import EnergyCounter
    e = EnergyCounter(offset_wh=0)
    eq(e.update(100)[0], 100)
    eq(e.update(10)[0], 100)
    eq(e.update(30)[0], 120)
    raises(ValueError, e.update, -5)


# -- meters ------------------------------------------------------------------------------------------------------

def _meter(model, **kw):
    from drivers.hal.clock import FakeClock
    from drivers.hal.emulated import EmulatedSerial
    from drivers.sim.modbus_meter_emulator import ModbusMeterEmulator
    if model == "abb_b23":
        from drivers.meter import abb_b23 as mod
    else:
        from drivers.meter import sdm as mod
    c = FakeClock()
    emu = ModbusMeterEmulator(model, 1, c, **kw)
    return c, emu, mod.build({"driver": model, "bus": EmulatedSerial(emu, c), "clock": c})


def t_sdm630():
    c, emu, m = _meter("sdm630", energy_wh=1234567, current=16.0)
    r = m.read()
    eq((r["ok"], r["energy_wh"]), (True, 1234567))
    eq(r["values"]["Current.Import.L3"], 16.0)
    eq(r["values"]["Power.Active.Import"], 11040)
    c.advance(3600000)
    eq(m.read()["energy_wh"], 1234567 + 11040)


def t_sdm120_reset_monotonic():
    c, emu, m = _meter("sdm120", energy_wh=500000, current=10.0)
    eq(m.read()["energy_wh"], 500000)
    emu.reset_energy(0)
    r = m.read()
    eq((r["energy_wh"], m.offset_wh), (500000, 500000))


def t_abb_b23():
    c, emu, m = _meter("abb_b23", energy_wh=1234560, current=16.0)
    r = m.read()
    eq((r["ok"], r["energy_wh"]), (True, 1234560))
    eq(r["values"]["Voltage.L1"], 230.0)
    emu.set_energy_unavailable(True)
    eq(m.read()["ok"], False)


def t_meter_lost():
    c, emu, m = _meter("sdm120", energy_wh=1000)
    emu.set_lost(True)
    r = m.read()
    eq((r["ok"], r["error_code"]), (False, "PowerMeterFailure"))
    emu.set_lost(False)
    emu.inject_crc_error(1)
    eq(m.read()["ok"], True)


def t_ina226():
    from drivers.hal.clock import FakeClock
    from drivers.hal.emulated import EmulatedI2C
    from drivers.meter import ina226
    from drivers.sim.ina226_emulator import INA226Emulator
    eq(ina226.calibration(2000, 20000), 4194)
    eq(ina226.calibration(100000, 800), 2097)
    c = FakeClock()
    bus = EmulatedI2C(c)
    bus.attach(0x40, INA226Emulator(shunt_ohms=0.002, bus_volts=24.0, current_a=10.0))
    m = ina226.INA226(bus, c, shunt_ohms=0.002, max_current_a=20)
    r = m.read()
    ok(r["ok"], "read ok")
    ok(abs(r["values"]["Current.Import"] - 10.0) < 0.01, "current")
    for _ in range(4):
        c.advance(900000)
        r = m.read()
    ok(239 <= r["energy_wh"] <= 240, "energy %r" % r["energy_wh"])
    bus.set_absent(0x40)
    eq(m.read()["ok"], False)


GROUPS = [
    ("hal", [("serial_timeout", t_serial_timeout), ("i2c_absent", t_i2c_absent), ("duty_u16", t_duty_u16)]),
    ("rfid", [("idtag", t_idtag), ("pn532_frames", t_pn532_frames), ("pn532_parse", t_pn532_parse),
              ("pn532_driver", t_pn532_driver), ("pn532_dead_and_back", t_pn532_dead_and_back),
              ("rdm6300_vectors", t_rdm6300_vectors), ("rdm6300_driver", t_rdm6300_driver)]),
    ("modbus", [("crc_vectors", t_modbus_crc_vectors), ("parse_vectors", t_modbus_parse_vectors),
                ("energy_counter", t_energy_counter)]),
    ("meters", [("sdm630", t_sdm630), ("sdm120_reset_monotonic", t_sdm120_reset_monotonic),
                ("abb_b23", t_abb_b23), ("lost", t_meter_lost), ("ina226", t_ina226)]),
]


def main(argv):
    wanted = argv or [g for g, _ in GROUPS]
    known = [g for g, _ in GROUPS]
    for name in wanted:
        if name not in known:
            print("unknown group %s (groups: %s)" % (name, ", ".join(known)))
            sys.exit(2)
    for group, tests in GROUPS:
        if group in wanted:
            for name, fn in tests:
                suite.check(group + "." + name, fn)
    suite.finish()


suite.imported()
main(sys.argv[1:])
