"""Pilot-driven connector scenarios (IEC 61851 timing, hardware.md §3.6-3.7 and §6) for the sans-I/O core."""

from tests.micropython.core_harness import BOARD, Bench, expect


PILOT_BOARD = {"name": "pilot-test", "hal": "emulated", "rating": BOARD["rating"], "measurands": BOARD["measurands"],
               "connectors": [{"id": 1, "cable": "socket", "max_amps": 32, "phases": 3, "pilot": {"driver": "x"}},
                              {"id": 2, "cable": "fixed", "max_amps": 16, "phases": 1, "pilot": {"driver": "x"}}]}


def pilot(b, connector, state):
    b.event({"type": "pilot", "connector": connector, "state": state})


def commands(b, kind):
    return [c for c in b.hardware() if c["cmd"] == kind]


def started(connector=1):
    b = Bench(board=PILOT_BOARD)
    b.connect()
    b.meter(connector, 1000)
    b.event({"type": "pp", "connector": 1, "amps": 32})
    pilot(b, connector, "B")
    expect(b.station.connectors[connector].status == "Preparing", "state B is a plugged EV")
    b.tag("TAG1", connector)
    expect(b.sent("StartTransaction"), "started")
    return b


def pilot_b_to_c_closes_contactor():
    b = started()
    cmds = b.hardware()
    expect({"cmd": "pilot", "connector": 1, "amps": 32} in cmds, "PWM offering 32 A: " + repr(cmds))
    expect(not [c for c in cmds if c["cmd"] == "contactor" and c["on"]], "no contactor before the EV asks")
    pilot(b, 1, "C")
    expect(commands(b, "contactor") == [{"cmd": "contactor", "connector": 1, "on": True}], "closed on C")
    expect(b.station.connectors[1].status == "Charging", "Charging")


def pilot_c_to_b_opens_at_once():
    b = started()
    pilot(b, 1, "C")
    b.hardware()
    pilot(b, 1, "B")
    expect(commands(b, "contactor") == [{"cmd": "contactor", "connector": 1, "on": False}], "opened on C->B")
    expect(b.station.connectors[1].status == "SuspendedEV", "the EV paused")
    pilot(b, 1, "C")
    expect(commands(b, "contactor") == [{"cmd": "contactor", "connector": 1, "on": True}], "closed again")


def pilot_stop_waits_for_the_ev_then_forces():
    b = started()
    pilot(b, 1, "C")
    b.hardware()
    b.tag("TAG1")
    cmds = b.hardware()
    expect({"cmd": "pilot", "connector": 1, "amps": 0} in cmds, "PWM withdrawn first")
    expect(not [c for c in cmds if c["cmd"] == "contactor"], "contactor still closed while the EV is in C")
    b.advance(5900)
    expect(not commands(b, "contactor"), "not before 6 s")
    b.advance(200)
    expect(commands(b, "contactor") == [{"cmd": "contactor", "connector": 1, "on": False}], "forced open at 6 s")


def pilot_stop_opens_when_ev_leaves_c():
    b = started()
    pilot(b, 1, "C")
    b.tag("TAG1")
    b.hardware()
    pilot(b, 1, "B")
    expect(commands(b, "contactor") == [{"cmd": "contactor", "connector": 1, "on": False}], "opened on B")


def pilot_duty_changes_at_most_every_5_s():
    b = started()
    pilot(b, 1, "C")
    b.hardware()
    b.station.feature["energy"].set_limit(1, 16, b.now)
    b.flush()
    expect(not commands(b, "pilot"), "held: the duty changed less than 5 s ago")
    b.advance(5000)
    expect(commands(b, "pilot") == [{"cmd": "pilot", "connector": 1, "amps": 16}], "applied after 5 s")


def pilot_offer_is_the_least_limit():
    b = Bench(board=PILOT_BOARD)
    b.connect()
    b.event({"type": "pp", "connector": 1, "amps": 20})
    pilot(b, 1, "B")
    b.tag("TAG1", 1)
    expect({"cmd": "pilot", "connector": 1, "amps": 20} in b.hardware(), "the cable's 20 A rating wins")
    b2 = Bench(board=PILOT_BOARD)
    b2.connect()
    pilot(b2, 2, "B")
    b2.tag("TAG1", 2)
    expect({"cmd": "pilot", "connector": 2, "amps": 16} in b2.hardware(), "the connector's 16 A rating")


def pilot_a_is_an_ev_disconnect():
    b = started()
    pilot(b, 1, "C")
    pilot(b, 1, "B")
    pilot(b, 1, "A")
    stop = b.sent("StopTransaction")
    expect(stop and stop[0]["reason"] == "EVDisconnected", repr(stop))
    expect(b.station.connectors[1].status == "Finishing", "the cable is still in the socket (PP)")


def pilot_fault_opens_and_faults():
    b = started()
    pilot(b, 1, "C")
    b.hardware()
    b.event({"type": "fault", "connector": 1, "error_code": "EVCommunicationError", "source": "pilot",
             "info": "diode"})
    cmds = b.hardware()
    expect({"cmd": "contactor", "connector": 1, "on": False} in cmds, "contactor opened at once")
    expect({"cmd": "pilot", "connector": 1, "amps": 0} in cmds, "offer withdrawn: steady +12 V")
    expect(b.station.connectors[1].status == "Faulted", "Faulted")
    b.event({"type": "fault", "connector": 1, "error_code": "GroundFailure", "source": "rcd"})
    b.event({"type": "fault_cleared", "connector": 1, "source": "pilot"})
    expect(b.station.connectors[1].status == "Faulted" and
           b.station.connectors[1].error_code()[0] == "GroundFailure", "still faulted by the RCD")
    b.event({"type": "fault_cleared", "connector": 1, "source": "rcd"})
    expect(b.station.connectors[1].status != "Faulted", "cleared")


def pilot_over_current():
    b = started()
    pilot(b, 1, "C")
    for _ in range(8):
        b.event({"type": "ev_current", "connector": 1, "amps_ma": 40000})
        b.advance(1000)
    sn = [p for a, p in b.calls if a == "StatusNotification" and p["connectorId"] == 1][-1]
    expect(sn["status"] == "Faulted" and sn["errorCode"] == "OverCurrentFailure", repr(sn))
    expect(b.sent("StopTransaction"), "the transaction ended")


def pilot_within_tolerance_is_fine():
    b = started()
    pilot(b, 1, "C")
    for _ in range(10):
        b.event({"type": "ev_current", "connector": 1, "amps_ma": 35000})   # (32 + 0.5) * 1.1 = 35.75 A
        b.advance(1000)
    expect(b.station.connectors[1].status == "Charging", "within the tolerance")


SCENARIOS = [pilot_b_to_c_closes_contactor, pilot_c_to_b_opens_at_once, pilot_stop_waits_for_the_ev_then_forces,
             pilot_stop_opens_when_ev_leaves_c, pilot_duty_changes_at_most_every_5_s, pilot_offer_is_the_least_limit,
             pilot_a_is_an_ev_disconnect, pilot_fault_opens_and_faults, pilot_over_current,
             pilot_within_tolerance_is_fine]
