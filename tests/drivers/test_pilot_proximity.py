"""PP resistor coding (hardware.md §3.8, §7 vectors with a 1 kOhm pull-up to 3.3 V) and the PP poller."""

import pytest

from drivers.hal.emulated import EmulatedAdc
from drivers.pilot import proximity
from drivers.pilot.proximity import decode, decode_ohms, ohms


@pytest.mark.parametrize("mv,amps,amps_1ph,status", [
    (300, 63, 70, "ok"), (595, 32, 32, "ok"), (1336, 20, 20, "ok"), (1980, 13, 13, "ok"),
    (2900, 0, 0, "no_cable"), (3300, 0, 0, "no_cable"), (100, None, None, "error"), (0, None, None, "error"),
])
def test_section7_vectors(mv, amps, amps_1ph, status):
    r = decode(mv)
    assert (r["amps"], r["amps_1ph"], r["status"]) == (amps, amps_1ph, status)


def test_ohms_from_voltage():
    assert ohms(300) == 100
    assert ohms(595) == 220
    assert ohms(1336) == 680
    assert ohms(1980) == 1500
    assert ohms(3300) is None
    assert ohms(1650) == 1000


@pytest.mark.parametrize("rc,amps", [
    (74, None), (75, 63), (149, 63), (150, 32), (329, 32), (330, 20), (999, 20), (1000, 13), (2200, 13),
    (2201, 0),
])
def test_band_edges(rc, amps):
    assert decode_ohms(rc)["amps"] == amps


def test_other_divider():
    # 2.7 kOhm pull-up to 5 V: 220 ohm -> 5000*220/2920 = 377 mV
    assert decode(377, pullup_ohm=2700, vref_mv=5000)["amps"] == 32


def test_poller_reports_changes_after_two_readings():
    level = [3300]
    pp = proximity.build({"adc": EmulatedAdc(lambda: level[0])})
    assert pp.poll() == []
    events = pp.poll()
    assert len(events) == 1 and events[0]["status"] == "no_cable"
    level[0] = 595
    assert pp.poll() == []
    events = pp.poll()
    assert events[0]["amps"] == 32 and events[0]["ohms"] == 220 and events[0]["mv"] == 595
    assert pp.poll() == []
    level[0] = 50
    pp.poll()
    events = pp.poll()
    assert events[0]["status"] == "error" and events[0]["error_code"] == "OtherError"


def test_poller_adc_failure_is_an_error_value():
    adc = EmulatedAdc(lambda: 595)
    pp = proximity.Proximity(adc)
    adc.fail = True
    pp.poll()
    events = pp.poll()
    assert events[0]["status"] == "error" and "PP ADC" in events[0]["info"]
