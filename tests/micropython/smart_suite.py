"""Smart charging on CPython and MicroPython: the composite schedule's golden vectors and the smart-charging
scenarios of the station core. Run from the project root:

    python tests/micropython/smart_suite.py
    node tools/micropython/run.mjs tests/micropython/smart_suite.py
"""

import suite  # first: sets sys.path and the heap baseline

from controller import log
from tests.micropython import smart_scenarios
from tests.micropython import smart_vectors

log.set_sink(lambda level, name, text: None, log.ERROR)
suite.imported()


def vector_check(v):
    def run():
        why = smart_vectors.check(v)
        if why is not None:
            raise AssertionError(why)
    return run


for v in smart_vectors.VECTORS:
    suite.check("vector_" + v["name"], vector_check(v))

for scenario in smart_scenarios.SCENARIOS:
    suite.check(scenario.__name__, scenario)

suite.finish()
