"""Polled drivers on a bench in simulated time: the loops of the tests and suites that step a FakeClock."""


def run(clock, devices, ms, step=10):
    """Advance `clock` `step` ms at a time for `ms` ms, polling every device after each step; returns their events
    in order."""
    events = []
    for _ in range(ms // step):
        clock.advance(step)
        for d in devices:
            events += d.poll(clock.ticks_ms())
    return events


def poll_reader(clock, reader, n, step_ms):
    """Poll an RFID reader (one event or None per poll) `n` times, advancing `clock` `step_ms` ms after each poll;
    returns the events in order."""
    events = []
    for _ in range(n):
        ev = reader.poll()
        if ev is not None:
            events.append(ev)
        clock.advance(step_ms)
    return events
