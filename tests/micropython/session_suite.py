"""One full charging session on the interpreter's own file system, step by step, for the heap figure: boot,
start, sampled meter values, going offline, stopping offline, a power cut, the restart from the journal and the
replay. Each step (down to a single meter sample) is a check, so the heap figure is the live heap between small
steps (this WebAssembly port only collects garbage between checks) and the peak is the session's, above the heap
after import.

    node tools/micropython/run.mjs tests/micropython/session_suite.py
"""

import suite  # first: sets sys.path and the heap baseline

from controller import log
from controller.storage import FileStorage
from tests.micropython.core_harness import Bench, expect

log.set_sink(lambda level, name, text: None, log.ERROR)
suite.imported()

STATE = {}


def boot():
    store = FileStorage(suite.scratch_dir() + "/data")
    b = Bench(store=store)
    b.connect()
    b.station.receive('[2,"c1","ChangeConfiguration",{"key":"MeterValueSampleInterval","value":"10"}]', b.now)
    b.flush()
    b.meter(1, 1000)
    STATE["store"] = store
    STATE["bench"] = b
    expect(b.station.registration == "accepted", "registered")


def start():
    b = STATE["bench"]
    b.plug(1)
    b.tag("04A1B2C3", 1)
    expect(b.station.connectors[1].status == "Charging", "charging")


def sample_interval():
    b = STATE["bench"]
    b.meter(1, b.station.feature["metering"].register(b.station.connectors[1]) + 50)
    b.advance(10000)


def charged_online():
    expect(len(STATE["bench"].sent("MeterValues")) == 6, "six samples")


def go_offline():
    STATE["bench"].disconnect()


def queued_offline():
    expect(len(STATE["bench"].station.feature["outbox"].journal.pending) == 30, "thirty samples queued")


def stop_offline():
    b = STATE["bench"]
    b.tag("04A1B2C3")
    b.unplug(1)
    expect(len(b.station.feature["outbox"].journal.pending) == 31, "and the Stop")


def power_cut_and_restart():
    b = STATE["bench"]
    b.calls = []
    b.frames = []
    b.restart()
    # 31 messages, and the StartupOfTheDevice security event of this start (journaled, critical)
    expect(len(b.station.feature["outbox"].journal.pending) == 32, "the journal survived the cut")


def replay():
    b = STATE["bench"]
    b.connect()
    actions = [a for a, p in b.calls if a in ("MeterValues", "StopTransaction")]
    expect(actions == ["MeterValues"] * 30 + ["StopTransaction"], "replayed in order: " + repr(actions[-3:]))
    expect(not b.station.feature["outbox"].journal.pending, "queue empty")


STEPS = [boot, start] + [sample_interval] * 6 + [charged_online, go_offline] + [sample_interval] * 30 + \
    [queued_offline, stop_offline, power_cut_and_restart, replay]
for number in range(len(STEPS)):
    suite.check("session_%02d_%s" % (number, STEPS[number].__name__), STEPS[number])

suite.finish()
