"""The board's optional smart_charging block: the seed values reach the configuration keys, and a wrong block is
refused with a message naming the file, the field and the fix."""

import pytest

import boards
from tests.boards.refusal import assert_board_refused
from tests.micropython.core_harness import BOARD, Bench


def keys(board):
    b = Bench(board=board)
    b.connect()
    got = b.csms_call("GetConfiguration", {"key": ["ChargeProfileMaxStackLevel", "ChargingScheduleMaxPeriods",
                                                   "MaxChargingProfilesInstalled",
                                                   "ChargingScheduleAllowedChargingRateUnit"]})
    return dict((k["key"], k["value"]) for k in got[1]["configurationKey"])


def test_seed_values_by_default_and_per_board():
    assert keys(BOARD) == {"ChargeProfileMaxStackLevel": "10", "ChargingScheduleMaxPeriods": "10",
                           "MaxChargingProfilesInstalled": "20", "ChargingScheduleAllowedChargingRateUnit": "Current,Power"}
    dc = dict(BOARD, smart_charging={"max_stack_level": 3, "max_periods": 300, "max_profiles": 5, "units": ["A"]})
    assert keys(dc) == {"ChargeProfileMaxStackLevel": "3", "ChargingScheduleMaxPeriods": "300",
                        "MaxChargingProfilesInstalled": "5", "ChargingScheduleAllowedChargingRateUnit": "Current"}


@pytest.mark.parametrize("block,field", [
    ([], "smart_charging"),
    ({"units": ["kW"]}, "smart_charging.units"),
    ({"units": []}, "smart_charging.units"),
    ({"max_periods": 0}, "smart_charging.max_periods"),
    ({"max_stack_level": "10"}, "smart_charging.max_stack_level"),
    ({"supported": "yes"}, "smart_charging.supported"),
    ({"stack": 3}, "smart_charging.stack"),
])
def test_bad_block_names_file_field_and_fix(tmp_path, block, field):
    assert_board_refused(tmp_path, "smart_charging", block, field)


def test_shipped_boards_still_load():
    for name in ("desktop-sim", "raspberry-pi", "esp32-s3"):
        boards.load(name)
