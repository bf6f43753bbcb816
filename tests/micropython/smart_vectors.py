"""Golden vectors for the composite schedule (controller/smart/composite.py), one table, each expected value
worked out by hand (the arithmetic is in the comment above it). They run under pytest (tests/core/
test_smart_vectors.py) and on MicroPython (smart_suite.py).

T0 is 2026-11-18T00:00:00Z (a midnight). A profile's `start` and the request's `at` are seconds from T0; the
expected periods are (startPeriod s from the request, limit[, numberPhases when not 3]). The OCTT cases start
their profiles x = 5 s before the request, as the OCTT does. Boards: "3ph" is 32 A / 3 phases / 230 V with two
32 A three-phase connectors (1 A on all phases = 690 W); "1ph" is 32 A / 1 phase / 230 V with connector 1 at
32 A and connector 2 at 16 A, both single-phase (1 A = 230 W).
"""

from controller import clock
from controller.smart import composite as comp
from controller.smart import profile as pf

T0 = 1794960000000
H = 3600
D = 86400

BOARDS = {
    "3ph": {"rating": {"amps": 32, "phases": 3, "volts": 230},
            "connectors": [{"id": 1, "max_amps": 32, "phases": 3}, {"id": 2, "max_amps": 32, "phases": 3}]},
    "1ph": {"rating": {"amps": 32, "phases": 1, "volts": 230},
            "connectors": [{"id": 1, "max_amps": 32, "phases": 1}, {"id": 2, "max_amps": 16, "phases": 1}]},
}

TXD = pf.TX_DEFAULT
TX = pf.TX_PROFILE
CPM = pf.CP_MAX


def P(c, pid, purpose, stack, periods, dur=None, start=-5, kind="Absolute", unit="A", recur=None, vf=None,
      vt=None, rate=None):
    """(connectorId, csChargingProfiles). periods: [(startPeriod, limit)] or [(startPeriod, limit, phases)]."""
    sched = {"chargingRateUnit": unit, "chargingSchedulePeriod": []}
    for q in periods:
        period = {"startPeriod": q[0], "limit": q[1]}
        if len(q) > 2:
            period["numberPhases"] = q[2]
        sched["chargingSchedulePeriod"].append(period)
    if dur is not None:
        sched["duration"] = dur
    if kind != "Relative":
        sched["startSchedule"] = clock.format_iso(T0 + start * 1000, False)
    if rate is not None:
        sched["minChargingRate"] = rate
    p = {"chargingProfileId": pid, "stackLevel": stack, "chargingProfilePurpose": purpose,
         "chargingProfileKind": "Recurring" if recur else kind, "chargingSchedule": sched}
    if recur:
        p["recurrencyKind"] = recur
    if vf is not None:
        p["validFrom"] = clock.format_iso(T0 + vf * 1000)
    if vt is not None:
        p["validTo"] = clock.format_iso(T0 + vt * 1000)
    return (c, p)


def V(name, profiles, ask, want, board="3ph", busy=None, rate=None):
    """ask: (connectorId, at s, duration s, unit); busy: {connectorId: transaction start s}."""
    return {"name": name, "profiles": profiles, "ask": ask, "want": want, "board": board, "busy": busy or {},
            "rate": rate}


TC_066 = [P(0, 1, CPM, 0, [(0, 10)], 86400),
          P(1, 2, TXD, 0, [(0, 6), (60, 10), (120, 8), (180, 15), (260, 8)], 300),
          P(1, 3, TX, 0, [(0, 8), (50, 11), (140, 16), (200, 6), (240, 12)], 260)]
TC_067 = [P(1, 1, TXD, 1, [(0, 6), (60, 8), (200, 10)], 400), P(1, 2, TXD, 0, [(0, 7), (100, 9)], 400),
          P(0, 3, CPM, 0, [(0, 11), (200, 12)], 86400)]
TWO_TX = [P(1, 1, TX, 0, [(0, 10)]), P(2, 2, TX, 0, [(0, 12)])]

VECTORS = [
    # ---- the OCTT cases ----------------------------------------------------------------------------------------
    # profile [-5, 95): 6 A; from 95 s nothing: the connector's 32 A
    V("tc_056_txdefault_amps", [P(1, 1, TXD, 0, [(0, 6)], 100)], (1, 0, 100, "A"), [(0, 6), (95, 32)]),
    # 6000 W; after it 32 A x 230 V x 3 = 22080 W
    V("tc_056_txdefault_watts", [P(1, 1, TXD, 0, [(0, 6000)], 100, unit="W")], (1, 0, 100, "W"),
      [(0, 6000), (95, 22080)]),
    # a TxProfile of the running transaction: 6 A until -5 + 100 = 95 s
    V("tc_057_txprofile", [P(1, 1, TX, 0, [(0, 6)], 100)], (1, 0, 100, "A"), [(0, 6), (95, 32)], busy={1: -10}),
    # TxDefault applies to a transaction already running: 10 A throughout
    V("tc_082_txdefault_running_tx", [P(1, 1, TXD, 0, [(0, 10)], 300)], (1, 0, 200, "A"), [(0, 10)],
      busy={1: -10}),
    # min(CPMax 10, Tx): 0-45 min(10,8)=8; 45 min(10,11)=10; 135 min(10,16)=10 (merged); 195 6; 235 min(10,12)=10;
    # 255 Tx ends, TxDefault stays ignored: CPMax 10 (merged)
    V("tc_066_three_purposes", TC_066, (1, 0, 400, "A"), [(0, 8), (45, 10), (195, 6), (235, 10)], busy={1: -10}),
    # stack 1 wins: 0 min(6,11)=6; 55 min(8,11)=8; 195 min(10,12)=10
    V("tc_067_before_clearing", TC_067, (1, 0, 350, "A"), [(0, 6), (55, 8), (195, 10)]),
    # stack 1 cleared: 0 min(7,11)=7; 95 min(9,11)=9; 195 min(9,12)=9 (merged)
    V("tc_067_1_stack_1_cleared", TC_067[1:], (1, 0, 350, "A"), [(0, 7), (95, 9)]),
    # TxDefault cleared: CPMax alone, 11 then 12 from 200 - 5 = 195
    V("tc_067_2_txdefault_cleared", TC_067[2:], (1, 0, 350, "A"), [(0, 11), (195, 12)]),
    # nothing installed: the connector's local limit, 32 A
    V("tc_067_3_all_cleared", [], (1, 0, 350, "A"), [(0, 32)]),
    # stack 1 (150 s) over stack 0: 0 7; 95 9; 145 stack 1 ends, stack 0 at 150 s is 8; 195 10
    V("tc_072_stacking", [P(1, 1, TXD, 0, [(0, 6), (100, 8), (200, 10)], 400), P(1, 2, TXD, 1, [(0, 7), (100, 9)], 150)],
      (1, 0, 350, "A"), [(0, 7), (95, 9), (145, 8), (195, 10)]),
    # RemoteStart profile (Relative) of a transaction started 10 s ago: 10 A to 30 - 10 = 20 s, 14 A to 60 - 10 = 50
    V("tc_059_remote_start_relative", [P(1, 1, TX, 0, [(0, 10), (30, 14)], 60, kind="Relative")], (1, 0, 100, "A"),
      [(0, 10), (20, 14), (50, 32)], busy={1: -10}),
    # ---- purposes and stacks -----------------------------------------------------------------------------------
    # connector 1's own TxDefault (0..100 s) overrides connector 0's 16 A, which takes over after it
    V("txdefault_connector_overrides_zero", [P(0, 1, TXD, 0, [(0, 16)]), P(1, 2, TXD, 0, [(0, 10)], 100, start=0)],
      (1, 0, 200, "A"), [(0, 10), (100, 16)]),
    # connector 2 only has connector 0's TxDefault
    V("txdefault_zero_for_other_connector", [P(0, 1, TXD, 0, [(0, 16)]), P(1, 2, TXD, 0, [(0, 10)], 100, start=0)],
      (2, 0, 200, "A"), [(0, 16)]),
    # with a TxProfile (20 A for 60 s from 0) TxDefault 6 A never applies: 20, then 32 from 60 s
    V("x_sc_09_tx_ignores_txdefault", [P(1, 1, TXD, 0, [(0, 6)]), P(1, 2, TX, 0, [(0, 20)], 60, start=0)],
      (1, 0, 120, "A"), [(0, 20), (60, 32)], busy={1: -10}),
    # stack 1 valid from 60 s: 16 A, then 8 A
    V("x_sc_09_valid_from_future", [P(1, 1, TXD, 0, [(0, 16)]), P(1, 2, TXD, 1, [(0, 8)], vf=60)], (1, 0, 120, "A"),
      [(0, 16), (60, 8)]),
    # stack 1 valid to 30 s: 8 A, then stack 0's 16 A
    V("x_sc_09_valid_to", [P(1, 1, TXD, 0, [(0, 16)]), P(1, 2, TXD, 1, [(0, 8)], vt=30)], (1, 0, 120, "A"),
      [(0, 8), (30, 16)]),
    # stack 2 in [20, 40), stack 1 in [0, 60), stack 0 always: 8, 6, 8, 16
    V("x_sc_09_overlapping_validity", [P(1, 1, TXD, 0, [(0, 16)]), P(1, 2, TXD, 1, [(0, 8)], vf=0, vt=60),
                                       P(1, 3, TXD, 2, [(0, 6)], vf=20, vt=40)],
      (1, 0, 100, "A"), [(0, 8), (20, 6), (40, 8), (60, 16)]),
    # min(CPMax 12, TxDefault 20) = 12
    V("cpmax_below_txdefault", [P(0, 1, CPM, 0, [(0, 12)]), P(1, 2, TXD, 0, [(0, 20)])], (1, 0, 60, "A"), [(0, 12)]),
    # CPMax stack 1 (10 A, 50 s from 0) over stack 0 (20 A): 10, then 20
    V("cpmax_stacking", [P(0, 1, CPM, 0, [(0, 20)]), P(0, 2, CPM, 1, [(0, 10)], 50, start=0)], (1, 0, 100, "A"),
      [(0, 10), (50, 20)]),
    # 40 A asked of a 32 A connector: 32
    V("local_limit_caps_profile", [P(1, 1, TXD, 0, [(0, 40)])], (1, 0, 60, "A"), [(0, 32)]),
    # a 0 A limit stays 0
    V("zero_limit", [P(1, 1, TXD, 0, [(0, 0)])], (1, 0, 60, "A"), [(0, 0)]),
    # Absolute profile in the future, [100, 150): 32, 10, 32
    V("absolute_in_the_future", [P(1, 1, TXD, 0, [(0, 10)], 50, start=100)], (1, 0, 200, "A"),
      [(0, 32), (100, 10), (150, 32)]),
    # a profile that ended at -200 + 100 = -100: 32
    V("absolute_already_over", [P(1, 1, TXD, 0, [(0, 10)], 100, start=-200)], (1, 0, 200, "A"), [(0, 32)]),
    # ---- Recurring ---------------------------------------------------------------------------------------------
    # daily from 22:00 (start -2 h), 16 A, 8 A from 00:00 (7200 s in), 8 h long (to 06:00); asked at 23:00 for 10 h:
    # 0 16; 3600 (00:00) 8; 25200 (06:00 = 7 h after 23:00) 32
    V("x_sc_08_daily_across_midnight", [P(1, 1, TXD, 0, [(0, 16), (7200, 8)], 8 * H, start=-2 * H, recur="Daily")],
      (1, -H, 10 * H, "A"), [(0, 16), (3600, 8), (25200, 32)]),
    # daily 08:00-09:00 at 10 A, startSchedule tomorrow 08:00; asked today at 07:00 for 3 h: 32, 10 at 3600, 32
    V("x_sc_08_daily_start_tomorrow", [P(1, 1, TXD, 0, [(0, 10)], H, start=D + 8 * H, recur="Daily")],
      (1, 7 * H, 3 * H, "A"), [(0, 32), (3600, 10), (7200, 32)]),
    # daily from 00:00: 10 A, 20 A from 12:00; asked at 11:00 for 26 h: 10; 3600 (12:00) 20; 46800 (00:00, 13 h
    # later) 10; 90000 (12:00 the next day, 25 h later) 20
    V("x_sc_08_daily_whole_day", [P(1, 1, TXD, 0, [(0, 10), (43200, 20)], start=0, recur="Daily")],
      (1, 11 * H, 26 * H, "A"), [(0, 10), (3600, 20), (46800, 10), (90000, 20)]),
    # weekly from T0 - 7 d + 1 h: 8 A the first day, 16 A after; at T0 it is 6 d 23 h in: 16; 3600 new week 8;
    # 3600 + 86400 = 90000: 16
    V("x_sc_08_weekly_across_week", [P(1, 1, TXD, 0, [(0, 8), (86400, 16)], start=-7 * D + H, recur="Weekly")],
      (1, 0, 2 * D, "A"), [(0, 16), (3600, 8), (90000, 16)]),
    # a weekly period at 700000 s is beyond the week (604800 s) and never runs: 8 throughout
    V("x_sc_08_weekly_period_beyond_week", [P(1, 1, TXD, 0, [(0, 8), (700000, 4)], start=0, recur="Weekly")],
      (1, 6 * D, 2 * D, "A"), [(0, 8)]),
    # daily with duration 100000 s: clipped to the day, the 5 A period at 90000 s never runs; 10 throughout
    V("x_sc_08_daily_duration_clipped", [P(1, 1, TXD, 0, [(0, 10), (90000, 5)], 100000, start=0, recur="Daily")],
      (1, 23 * H, 2 * H, "A"), [(0, 10)]),
    # daily stack 1 (6 A 10:00-11:00) over absolute stack 0 (16 A); asked 09:30 for 2 h: 16; 1800 6; 5400 16
    V("x_sc_08_recurring_falls_back", [P(1, 1, TXD, 0, [(0, 16)], start=-D),
                                       P(1, 2, TXD, 1, [(0, 6)], H, start=10 * H, recur="Daily")],
      (1, 34200, 2 * H, "A"), [(0, 16), (1800, 6), (5400, 16)]),
    # ---- Relative ----------------------------------------------------------------------------------------------
    # transaction 90 s old, periods 0/60/120 s, 180 s long: at 90 s 10; +30 (120) 6; +90 (180) 32
    V("x_sc_08_relative_mid_period", [P(1, 1, TX, 0, [(0, 16), (60, 10), (120, 6)], 180, kind="Relative")],
      (1, 0, 200, "A"), [(0, 10), (30, 6), (90, 32)], busy={1: -90}),
    # idle connector: a Relative TxDefault starts at the request: 12, 8 at 100
    V("x_sc_08_relative_idle", [P(1, 1, TXD, 0, [(0, 12), (100, 8)], kind="Relative")], (1, 0, 200, "A"),
      [(0, 12), (100, 8)]),
    # busy since -40: the 100 s period is 60 s away
    V("x_sc_08_relative_busy", [P(1, 1, TXD, 0, [(0, 12), (100, 8)], kind="Relative")], (1, 0, 200, "A"),
      [(0, 12), (60, 8)], busy={1: -40}),
    # ---- units and phases (X-SC-10) ----------------------------------------------------------------------------
    # 11000 W / (230 x 3) = 15.94 -> 15.9 (rounded down)
    V("x_sc_10_watts_3ph_as_amps", [P(1, 1, TXD, 0, [(0, 11000)], unit="W")], (1, 0, 60, "A"), [(0, 15.9)]),
    # 10000 W / 690 = 14.49 -> 14.4, never 14.5
    V("x_sc_10_watts_round_down", [P(1, 1, TXD, 0, [(0, 10000)], unit="W")], (1, 0, 60, "A"), [(0, 14.4)]),
    # single-phase board: numberPhases 3 (default) but 1 used: 3680 W / 230 = 16.0 A on 1 phase
    V("x_sc_10_watts_1ph_board_as_amps", [P(1, 1, TXD, 0, [(0, 3680)], unit="W")], (1, 0, 60, "A"), [(0, 16, 1)],
      board="1ph"),
    # 16 A x 230 x 3 = 11040 W
    V("x_sc_10_amps_3ph_as_watts", [P(1, 1, TXD, 0, [(0, 16)])], (1, 0, 60, "W"), [(0, 11040)]),
    # single phase: 16 A x 230 = 3680 W
    V("x_sc_10_amps_1ph_board_as_watts", [P(1, 1, TXD, 0, [(0, 16)])], (1, 0, 60, "W"), [(0, 3680, 1)],
      board="1ph"),
    # numberPhases 1 on a three-phase connector: 16 A x 230 x 1 = 3680 W on 1 phase
    V("x_sc_10_one_phase_period_as_watts", [P(1, 1, TXD, 0, [(0, 16, 1)])], (1, 0, 60, "W"), [(0, 3680, 1)]),
    # 4600 W on 1 phase: 4600 / 230 = 20.0 A on 1 phase
    V("x_sc_10_one_phase_watts_as_amps", [P(1, 1, TXD, 0, [(0, 4600, 1)], unit="W")], (1, 0, 60, "A"),
      [(0, 20, 1)]),
    # 6900 W = 10 A (3ph) against CPMax 12 A: 10 A
    V("x_sc_10_mixed_units_in_amps", [P(0, 1, CPM, 0, [(0, 12)]), P(1, 2, TXD, 0, [(0, 6900)], unit="W")],
      (1, 0, 60, "A"), [(0, 10)]),
    # the same in W: min(6900, 12 x 690 = 8280) = 6900
    V("x_sc_10_mixed_units_in_watts", [P(0, 1, CPM, 0, [(0, 12)]), P(1, 2, TXD, 0, [(0, 6900)], unit="W")],
      (1, 0, 60, "W"), [(0, 6900)]),
    # the second connector of the 1ph board is rated 16 A: 20 A asked -> 16, in W 16 x 230 = 3680
    V("x_sc_10_local_limit_1ph_watts", [P(0, 1, TXD, 0, [(0, 20)])], (2, 0, 60, "W"), [(0, 3680, 1)], board="1ph"),
    # minChargingRate 6 A is reported; in W 6 x 690 = 4140
    V("min_charging_rate_amps", [P(1, 1, TXD, 0, [(0, 10)], rate=6)], (1, 0, 60, "A"), [(0, 10)], rate=6),
    V("min_charging_rate_watts", [P(1, 1, TXD, 0, [(0, 10)], rate=6)], (1, 0, 60, "W"), [(0, 6900)], rate=4140),
    # ---- connector 0 and shares (X-SC-06) ----------------------------------------------------------------------
    # idle station: min(CPMax 20, rating 32) = 20
    V("x_sc_06_zero_idle_cpmax", [P(0, 1, CPM, 0, [(0, 20)])], (0, 0, 60, "A"), [(0, 20)]),
    # nothing installed: the station's rating, 32 A
    V("x_sc_06_zero_no_profiles", [], (0, 0, 60, "A"), [(0, 32)]),
    # two busy connectors, TxProfiles 10 and 12, no CPMax: 10 + 12 = 22
    V("x_sc_06_zero_two_busy", TWO_TX, (0, 0, 60, "A"), [(0, 22)], busy={1: -10, 2: -20}),
    # CPMax 16 shared by 2 busy: 8 each, min(10, 8) + min(12, 8) = 16
    V("x_sc_06_zero_two_busy_cpmax", TWO_TX + [P(0, 3, CPM, 0, [(0, 16)])], (0, 0, 60, "A"), [(0, 16)],
      busy={1: -10, 2: -20}),
    # connector 1's share of that CPMax: min(10, 16 / 2 = 8) = 8
    V("cpmax_share_two_busy", TWO_TX + [P(0, 3, CPM, 0, [(0, 16)])], (1, 0, 60, "A"), [(0, 8)],
      busy={1: -10, 2: -20}),
    # an idle connector counts itself: CPMax 20 / (1 busy + itself) = 10
    V("cpmax_share_idle_connector", [P(0, 1, CPM, 0, [(0, 20)])], (2, 0, 60, "A"), [(0, 10)], busy={1: -10}),
    # in W: (10 + 12) x 690 = 15180
    V("x_sc_06_zero_two_busy_watts", TWO_TX, (0, 0, 60, "W"), [(0, 15180)], busy={1: -10, 2: -20}),
    # connector 1 rises to 16 A at 60 - 5 = 55 s: 10 + 12 = 22, then 16 + 12 = 28
    V("x_sc_06_zero_two_busy_schedule", [P(1, 1, TX, 0, [(0, 10), (60, 16)]), P(2, 2, TX, 0, [(0, 12)])],
      (0, 0, 120, "A"), [(0, 22), (55, 28)], busy={1: -10, 2: -20}),
    # the 1ph station rating (32 A) caps 32 + 16 = 48 of two busy connectors without profiles: 32 A on 1 phase
    V("x_sc_06_zero_rating_caps_1ph", [], (0, 0, 60, "A"), [(0, 32, 1)], board="1ph", busy={1: -10, 2: -10}),
]


def compute(v):
    """The composite `v` asks for: ([(startPeriod, limit tenths, phases)], minChargingRate tenths or None)."""
    board = BOARDS[v["board"]]
    site = comp.Site(board)
    inst = comp.Installed([(c, pf.compile_profile(p)) for c, p in v["profiles"]])
    cid, at, duration, unit = v["ask"]
    t0 = T0 + at * 1000
    starts = {}
    busy = []
    for spec in board["connectors"]:
        if spec["id"] in v["busy"]:
            busy.append(spec["id"])
            starts[spec["id"]] = T0 + v["busy"][spec["id"]] * 1000
        else:
            starts[spec["id"]] = t0
    return comp.composite(inst, site, cid, t0, duration, unit, starts, busy)


def expected(v):
    phases = 1 if v["board"] == "1ph" else 3
    out = []
    for q in v["want"]:
        out.append((q[0], pf.tenths(q[1]), q[2] if len(q) > 2 else phases))
    return out


def check(v):
    """None when vector `v` holds, else what differs."""
    for c, p in v["profiles"]:
        why = pf.problem(p)
        if why is not None:
            return "profile " + str(p["chargingProfileId"]) + " is not sound: " + why
    periods, rate = compute(v)
    want = expected(v)
    if periods != want:
        return "periods " + repr(periods) + " != " + repr(want)
    want_rate = pf.tenths(v["rate"]) if v["rate"] is not None else None
    if rate != want_rate:
        return "minChargingRate " + repr(rate) + " != " + repr(want_rate)
    return None
