"""boards/raspberry-pi.json's RCD self-test and watchdog line through the hardware object (build_hardware), on the
emulated HAL with the emulated EVSE Pi HAT on the BCM pins (drivers/sim/pi_hat_gfi.py), in simulated time: the
self-test runs at start-up before any close, every 24 h while the contactor is open, and before every closing; a
dead GFI is the GroundFailure fault until a later test passes; the watchdog line toggles only while the contactor
is on, and a hung station loses the relay (hardware.md §4.3, §4.4, §6 rows 12, 13, 26)."""

import json

import boards
from controller.storage import MemoryStorage
from drivers.hal.clock import FakeClock
from drivers.hal.emulated import EmulatedAdc
from drivers.safety.selftest import HOUR_MS
from drivers.safety.watchdog_keeper_cpython import Keeper
from drivers.sim.desktop_rig import DesktopRig
from drivers.sim.pi_hat_gfi import PiHatGfi, PiHatHal
from drivers.station_hardware import build_hardware

FAILED = {"type": "fault", "connector": 1, "error_code": "GroundFailure", "info": "RCD self-test failed",
          "source": "rcd"}
ON = {"type": "contactor_state", "connector": 1, "on": True}


def pi_board(**rcd):
    """The shipped Pi board on the emulated HAL: no reader or meter, the pilot's ADC an emulated input."""
    board = boards.load("raspberry-pi")
    board["hal"] = "emulated"
    del board["gpio_backend"], board["reader"], board["connectors"][0]["meter"]
    board["connectors"][0]["pilot"]["adc"] = {"type": "adc", "pin": "cp"}
    board["connectors"][0]["rcd"].update(rcd)
    return boards.check(board)


class Pi:
    def __init__(self, board=None, pin_pwm=True, test_works=True):
        self.clock = FakeClock(1000)
        self.hat = PiHatGfi(self.clock, test_works=test_works)
        self.hal = PiHatHal(self.hat, self.clock, pin_pwm)
        self.hal.add_adc("cp", EmulatedAdc(lambda: 3250))            # +12 V: nothing plugged
        self.hw = build_hardware(board or pi_board(), self.hal, self.clock)
        self.bursts = []                                              # start of each GFI test burst
        self.relay = []                                               # (ms, on) of the relay command
        self._last_rise = None
        self.hat.test_in.watch(self._test_edge)
        self.hat.relay_in.watch(lambda p: self.relay.append((self.clock.ticks_ms(), p.get())))

    def _test_edge(self, pin):
        now = self.clock.ticks_ms()
        if pin.get():
            if self._last_rise is None or now - self._last_rise > 100:
                self.bursts.append(now)
            self._last_rise = now

    def run(self, ms, step=100):
        events = []
        for _ in range(ms // step):
            self.clock.advance(step)
            events += self.hw.poll()
        return events

    def contactor(self, on):
        self.hw.apply({"cmd": "contactor", "connector": 1, "on": on})

    def self_test(self):
        return self.hw.state()["connectors"][0]["rcd"]["self_test"]


def of(events, kind):
    return [e for e in events if e["type"] == kind]


def test_the_start_up_self_test_runs_before_the_first_close():
    pi = Pi()
    pi.contactor(True)                                # asked for before the very first poll
    events = pi.run(1000)
    assert of(events, "fault") == [] and of(events, "contactor_state") == [ON]
    assert len(pi.bursts) == 1 and pi.bursts[0] < pi.relay[0][0]      # the test came first
    assert pi.self_test()["last_ok"] is True and pi.self_test()["runs"] == 1
    assert pi.hat.resets == 1 and not pi.hat.tripped and pi.hat.power_on


def test_the_watchdog_line_toggles_only_while_the_contactor_is_on():
    pi = Pi(board=pi_board(selftest_before_close=False))
    pwm = pi.hat.watchdog_pwm
    pi.run(1000)
    assert pwm.duty() == 0 and pi.relay == []
    pi.contactor(True)
    events = pi.run(5000)
    assert of(events, "contactor_state") == [ON] and of(events, "fault") == []
    assert pwm.duty() == 500 and pwm.freq == 1000                      # 1 kHz square wave (HAT: 100 Hz-100 kHz)
    started = [t for t, d in pwm.history if d == 500][0]
    assert started <= pi.relay[0][0]                                   # running before the relay closed
    assert pi.hat.power_on and not pi.hat.tripped                      # polled every 100 ms, as the runtime does
    pi.contactor(False)
    pi.run(500)
    stopped = [t for t, d in pwm.history if d == 0][-1]
    assert pwm.duty() == 0 and pi.relay[-1] == (stopped, False)        # the relay opened, then the line stopped
    assert not pi.hat.tripped
    assert pi.hw.state()["connectors"][0]["watchdog"] == {"output": "pwm", "running": False, "expiries": 0,
                                                          "fault": None}


def test_a_polled_watchdog_line_keeps_the_relay_only_if_polled_fast_enough():
    pi = Pi(board=pi_board(selftest_before_close=False), pin_pwm=False)
    edges = []
    pi.hat.watchdog_pin.watch(lambda p: edges.append(pi.clock.ticks_ms()))
    pi.run(1000)
    assert edges == []
    pi.contactor(True)
    pi.run(2000, step=2)                              # 250 Hz from polls every 2 ms
    assert pi.hat.power_on and not pi.hat.tripped
    assert len(edges) >= 900
    pi.contactor(False)
    pi.run(100, step=2)
    mark = len(edges)
    pi.run(500, step=2)
    assert len(edges) == mark and pi.hat.watchdog_pin.get() is False
    pi.contactor(True)                                # closes 10 s after the last closing (relay wear)
    pi.run(10000, step=100)                           # the runtime's 100 ms polls toggle at 5 Hz: the HAT gives up
    assert pi.hat.tripped and pi.hat.cause == "watchdog"


def test_a_station_that_stops_polling_loses_the_relay_and_reports_the_gfi():
    pi = Pi(board=pi_board(selftest_before_close=False))
    keeper = Keeper(pi.hw.watchdogs)                  # what build_hardware starts on a Pi (blocking HAL)
    pi.contactor(True)
    pi.run(2000)
    assert pi.hat.power_on
    for _ in range(30):                               # the station hangs for 3 s; the keeper runs every 100 ms
        pi.clock.advance(100)
        keeper.check()
    assert pi.hat.watchdog_pwm.duty() == 0 and pi.hat.tripped and not pi.hat.power_on
    events = pi.run(200)                              # it comes back
    assert ("rcd", "GroundFailure", "residual current detected") in \
        [(e["source"], e["error_code"], e["info"]) for e in of(events, "fault")]
    assert pi.hw.state()["connectors"][0]["watchdog"]["expiries"] == 1


def test_a_dead_gfi_is_the_ground_failure_and_no_close_until_a_test_passes():
    pi = Pi(test_works=False)
    pi.contactor(True)
    events = pi.run(2000)
    assert of(events, "fault") == [FAILED]
    assert of(events, "contactor_state") == [] and pi.relay == [] and pi.hat.watchdog_pwm.history == []
    pi.contactor(True)                                # asked again: refused while the failure stands
    assert of(pi.run(1000), "contactor_state") == [] and len(pi.bursts) == 1
    pi.hat.test_works = True                          # repaired; a technician's reset runs the test again
    pi.hw.apply({"cmd": "reset", "connector": 1})
    events = pi.run(1000)
    assert of(events, "fault_cleared") == [{"type": "fault_cleared", "connector": 1, "source": "rcd"}]
    assert len(pi.bursts) == 2 and pi.self_test()["last_ok"] is True
    pi.contactor(True)
    assert of(pi.run(1000), "contactor_state") == [ON]


def test_a_failure_clears_on_the_next_periodic_test():
    pi = Pi(board=pi_board(selftest_before_close=False), test_works=False)
    assert of(pi.run(1000), "fault") == [FAILED]
    pi.hat.test_works = True
    events = pi.run(24 * HOUR_MS - 3600000, step=HOUR_MS)
    events += pi.run(3600000 - 2000, step=1000)
    assert of(events, "fault_cleared") == [] and len(pi.bursts) == 1
    events = pi.run(2000)
    assert of(events, "fault_cleared") == [{"type": "fault_cleared", "connector": 1, "source": "rcd"}]
    assert len(pi.bursts) == 2


def test_the_periodic_self_test_waits_while_the_contactor_is_closed():
    pi = Pi(board=pi_board(selftest_before_close=False))
    pi.run(1000)
    pi.contactor(True)
    pi.run(1000)
    assert pi.hat.power_on and len(pi.bursts) == 1
    events = pi.run(30 * HOUR_MS, step=HOUR_MS // 4)  # a long session: due after 24 h, but the contactor is on
    assert len(pi.bursts) == 1 and of(events, "fault") == [] and pi.hat.power_on
    assert pi.self_test()["next_in_ms"] == 0
    pi.contactor(False)
    pi.run(1000)
    assert len(pi.bursts) == 2 and pi.self_test()["runs"] == 2
    assert 24 * HOUR_MS - 2000 <= pi.self_test()["next_in_ms"] <= 24 * HOUR_MS


def test_selftest_hours_sets_the_period():
    pi = Pi(board=pi_board(selftest_before_close=False, selftest_hours=2))
    pi.run(1000)
    pi.clock.advance(2 * HOUR_MS - 2000)
    pi.run(500)
    assert len(pi.bursts) == 1
    pi.run(1000)
    assert len(pi.bursts) == 2


def test_the_pi_board_tests_the_gfi_before_every_closing():
    pi = Pi()
    pi.run(1000)
    for session in range(3):
        pi.contactor(True)
        events = pi.run(1000)
        assert of(events, "contactor_state") == [ON]
        assert len(pi.bursts) == 2 + session and pi.bursts[-1] < pi.relay[-1][0]
        pi.contactor(False)
        pi.run(11000, step=500)                       # the contactor closes at most every 10 s
    assert of(pi.run(1000), "fault") == [] and pi.self_test()["runs"] == 4


def test_a_close_asked_during_a_test_waits_for_it_and_an_open_cancels_it():
    pi = Pi()
    pi.run(1000)
    pi.contactor(True)
    pi.hw.poll()                                      # the burst ran; waiting 100 ms for the reset
    assert pi.self_test()["running"] is True and pi.self_test()["close_held"] is True and pi.relay == []
    pi.contactor(False)
    events = pi.run(1000)
    assert of(events, "contactor_state") == [] and pi.relay == [] and pi.self_test()["last_ok"] is True


def test_the_gfi_reset_is_not_pulsed_while_the_relay_is_on():
    pi = Pi(board=pi_board(selftest_before_close=False))
    pi.contactor(True)
    pi.run(1000)
    pi.hat.leak(dc_ma=10)
    events = pi.run(200)
    assert ("rcd", "GroundFailure") in [(e["source"], e["error_code"]) for e in of(events, "fault")]
    pi.hat.leak()
    resets = pi.hat.resets
    pi.hw.apply({"cmd": "reset", "connector": 1})     # the core has not opened the contactor yet
    pi.run(200)
    assert pi.hat.resets == resets and pi.hat.tripped
    pi.contactor(False)
    pi.run(200)
    pi.hw.apply({"cmd": "reset", "connector": 1})
    events = pi.run(200)
    assert pi.hat.resets == resets + 1 and not pi.hat.tripped
    assert {"type": "fault_cleared", "connector": 1, "source": "rcd"} in events


def test_state_is_json():
    pi = Pi()
    pi.run(1000)
    state = json.loads(json.dumps(pi.hw.state()))
    assert state["connectors"][0]["rcd"]["self_test"]["last_ok"] is True


def test_the_desktop_sim_rcds_pass_their_steady_self_test_at_start():
    rig = DesktopRig(boards.load("desktop-sim"), MemoryStorage(), now=5000)
    tested = []
    for cid in (1, 2):
        rig.station(cid).rcd.test_in.watch(lambda p, cid=cid: tested.append((cid, p.get())))
    rig.apply({"cmd": "contactor", "connector": 1, "on": True})
    events = []
    for step in range(10):
        events += rig.poll(5000 + 50 * (step + 1))
    assert sorted(tested) == [(1, False), (1, True), (2, False), (2, True)]
    assert of(events, "fault") == [] and of(events, "contactor_state") == [ON]
    for c in rig.state()["devices"]["connectors"]:
        assert c["rcd"]["self_test"]["last_ok"] is True
