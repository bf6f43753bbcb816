"""The core's scenario suite on CPython and MicroPython: registration, configuration, availability, bad frames,
and the pilot-driven connector logic. Run from the project root:

    python tests/micropython/core_suite.py
    node tools/micropython/run.mjs tests/micropython/core_suite.py
"""

import suite  # first: sets sys.path and the heap baseline

from controller import log
from tests.micropython import core_scenarios, pilot_scenarios

log.set_sink(lambda level, name, text: None, log.ERROR)   # the traffic log is noise here
suite.imported()

for scenario in core_scenarios.SCENARIOS + pilot_scenarios.SCENARIOS:
    suite.check(scenario.__name__, scenario)

suite.finish()
