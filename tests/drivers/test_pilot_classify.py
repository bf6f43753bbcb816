"""CP state classification (hardware.md §3.2 bands, hysteresis), diode and short rules (§3.5), the filter."""

import pytest

from drivers.pilot.classify import (A, B, C, D, DIODE, E, F, PILOT_FAULT, SHORT, VENTILATION, Classifier, check,
                                    classify)


@pytest.mark.parametrize("mv,prev,state", [
    (12000, A, A), (10500, A, A), (10500, B, B), (7500, B, B), (7500, C, C), (4500, C, C), (4500, D, D),
    (3000, None, D), (0, None, E), (-1500, E, E), (-1500, F, PILOT_FAULT), (-12000, None, F), (-10500, F, F),
    (-10500, A, PILOT_FAULT), (13500, None, PILOT_FAULT), (-5000, None, PILOT_FAULT),
])
def test_section32_vectors(mv, prev, state):
    assert classify(mv, prev) == state


@pytest.mark.parametrize("mv,prev,state", [
    # every band edge, from both sides
    (13000, None, A), (13001, None, PILOT_FAULT), (11000, None, A), (10999, None, B), (10999, A, A),
    (10000, A, A), (10000, None, B), (9999, A, B), (8000, C, B), (7999, A, B), (7999, B, B), (7999, None, C),
    (7999, D, C), (7000, B, B), (7000, C, C), (6999, B, C), (5000, D, C), (4999, A, C), (4999, B, C),
    (4999, C, C), (4999, D, D), (4999, None, D), (4000, C, C), (3999, C, D), (2000, E, D), (1999, D, E),
    (-1000, None, E), (-1001, D, E), (-1001, A, E), (-1001, None, PILOT_FAULT), (-2000, E, E),
    (-2001, E, PILOT_FAULT), (-10000, F, PILOT_FAULT), (-10001, F, F), (-10001, None, PILOT_FAULT),
    (-11000, F, F), (-11001, None, F), (-13000, None, F), (-13001, F, PILOT_FAULT),
])
def test_band_edges_and_hysteresis(mv, prev, state):
    assert classify(mv, prev) == state


def test_hysteresis_band_keeps_state_when_sweeping():
    # slowly falling from A through the A/B gap: stays A until the B band proper
    prev = A
    seen = []
    for mv in range(12000, 7900, -100):
        prev = classify(mv, prev)
        seen.append((mv, prev))
    assert [mv for mv, s in seen if s == B][0] == 9900
    # rising from C through the B/C gap: stays C until 8000
    prev = C
    for mv in range(6000, 9100, 100):
        prev = classify(mv, prev)
        if mv < 8000:
            assert prev == C
    assert prev == B


@pytest.mark.parametrize("high,low,duty,state,fault", [
    (9000, -8900, 267, B, DIODE),          # §3.5 vector: |100| <= 1200
    (9000, -12000, 267, B, None),          # healthy diode
    (1000, -5000, None, E, SHORT),         # duty 100 %, V+ < 2 V, V- > -10 V
    (1000, -5000, 1000, E, SHORT),
    (8790, -8790, 267, B, DIODE),          # §3.1 model: B with shorted diode
    (5620, -5620, 533, C, DIODE),
    (890, -890, 267, E, SHORT),            # 80 ohm CP-PE short while PWM
    (12000, -12000, 267, A, None),         # state A: no diode expected
    (12000, 12000, None, A, None),
    (-12000, -12000, 0, F, None),          # driving F
    (0, 0, 0, E, SHORT),                   # F commanded but CP at 0 V
    (8980, 8980, None, B, None),           # B1: no PWM, no diode test possible
    (2930, -12000, 267, D, None),          # D is allowed by default in check()
])
def test_section35_rules(high, low, duty, state, fault):
    assert check(high, low, duty, state) == fault


def test_ventilation_rule():
    assert check(2930, -12000, 267, D, ventilation=False) == VENTILATION
    assert check(2930, -12000, 267, D, ventilation=True) is None
    assert check(2930, -5000, 267, D, ventilation=False) is None


def test_filter_needs_two_agreeing_samples():
    c = Classifier()
    assert c.update(12000, -12000, None) == (None, None)
    assert c.update(12000, -12000, None) == (A, None)
    assert c.update(8980, -12000, None)[0] == A          # one B sample is not enough
    assert c.update(12000, -12000, None)[0] == A          # A-B-A outlier filtered
    assert c.update(8980, -12000, None)[0] == A
    assert c.update(8980, -12000, None)[0] == B


def test_filter_uses_accepted_state_for_hysteresis():
    c = Classifier()
    c.update(12000, 12000, None)
    c.update(12000, 12000, None)
    assert c.update(10500, 10500, None)[0] == A            # gap: stays A
    assert c.update(10500, 10500, None)[0] == A


def test_diode_fault_latched_until_state_a():
    c = Classifier()
    for _ in range(2):
        c.update(8980, -12000, 267)
    assert c.state == B and c.diode_seen
    assert c.update(8790, -8790, 267) == (B, None)          # one sample is not enough
    assert c.update(8790, -8790, 267) == (B, DIODE)
    # the diode "recovers" (e.g. a contact bounce): still latched
    assert c.update(8980, -12000, 267) == (B, DIODE)
    assert c.update(5990, -12000, 267)[1] == DIODE
    c.update(12000, -12000, 267)
    assert c.update(12000, -12000, 267) == (A, None)
    assert not c.diode_latched and not c.diode_seen


def test_diode_seen_needs_pwm():
    c = Classifier()
    for _ in range(2):
        c.update(8980, 8980, None)
    assert c.state == B and not c.diode_seen
    c.update(8980, -12000, 267)
    assert c.diode_seen


def test_single_fault_sample_is_filtered():
    c = Classifier()
    for _ in range(2):
        c.update(8980, -12000, 267)
    assert c.update(8790, -8790, 267) == (B, None)
    assert c.update(8980, -12000, 267) == (B, None)
    assert not c.diode_latched
