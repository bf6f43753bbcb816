"""Charging-session scenarios on CPython and MicroPython: authorization, transactions, meter values, the journal,
offline queueing and power cuts, the Local Authorization List, Remote Trigger and reservations. Run from the project
root:

    python tests/micropython/tx_suite.py
    node tools/micropython/run.mjs tests/micropython/tx_suite.py
"""

import suite  # first: sets sys.path and the heap baseline

from controller import log
from tests.micropython import reservation_scenarios
from tests.micropython import tx_scenarios
from tests.micropython import lal_trigger_scenarios
from tests.micropython import profiles_together_scenarios
from tests.micropython import firmware_scenarios
from tests.micropython import power_cut_scenarios
from tests.micropython import security_scenarios
from tests.micropython import logs_scenarios
from tests.micropython import signed_firmware_scenarios
from tests.micropython import security_event_scenarios
from tests.micropython import certificate_scenarios

log.set_sink(lambda level, name, text: None, log.ERROR)   # the traffic log is noise here
suite.imported()

for scenario in tx_scenarios.SCENARIOS:
    suite.check(scenario.__name__, scenario)
for scenario in lal_trigger_scenarios.SCENARIOS:
    suite.check(scenario.__name__, scenario)
for scenario in reservation_scenarios.SCENARIOS:
    suite.check(scenario.__name__, scenario)
for scenario in profiles_together_scenarios.SCENARIOS:
    suite.check(scenario.__name__, scenario)
for scenario in firmware_scenarios.SCENARIOS:
    suite.check(scenario.__name__, scenario)
for scenario in security_scenarios.SCENARIOS:
    suite.check(scenario.__name__, scenario)
for scenario in logs_scenarios.SCENARIOS:
    suite.check(scenario.__name__, scenario)
for scenario in signed_firmware_scenarios.SCENARIOS:
    suite.check(scenario.__name__, scenario)
for scenario in security_event_scenarios.SCENARIOS:
    suite.check(scenario.__name__, scenario)
for scenario in certificate_scenarios.SCENARIOS:
    suite.check(scenario.__name__, scenario)

for scenario in power_cut_scenarios.SCENARIOS:
    suite.check(scenario.__name__, scenario)

suite.finish()
