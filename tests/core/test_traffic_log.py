"""The traffic log: one readable line per OCPP frame, with the direction, the action and, for answers to our own
CALLs, the round-trip time."""

from controller import log
from tests.micropython.core_harness import Bench


def test_one_line_per_frame_with_direction_action_and_latency():
    lines = []
    log.set_sink(lambda level, name, text: lines.append((name, text)), log.INFO)
    try:
        b = Bench()
        b.answers["BootNotification"] = None
        b.connect()
        b.advance(42)
        b.reply_held({"status": "Accepted", "currentTime": "2026-11-22T00:00:00Z", "interval": 60})
        b.send_raw('[2,"m1","GetConfiguration",{"key":["HeartbeatInterval"]}]')
        b.send_raw('[2,"m2","Nope",{}]')
    finally:
        log.set_sink(log._default_sink, log.INFO)
    traffic = [text for name, text in lines if name == "ocpp"]
    assert traffic[0].startswith("-> CALL BootNotification #") and '"chargePointVendor"' in traffic[0]
    assert traffic[1].startswith("<- CALLRESULT BootNotification #") and "(42 ms)" in traffic[1]
    assert any(t.startswith("<- CALL GetConfiguration #m1") for t in traffic)
    assert any(t.startswith("-> CALLRESULT GetConfiguration #m1") and "HeartbeatInterval" in t for t in traffic)
    assert any(t.startswith("-> CALLERROR Nope #m2") and "NotImplemented" in t for t in traffic)
    frames = len(b.frames) + len(b.calls) + 2   # what it sent, the answers to its CALLs, the CSMS's two CALLs
    assert len(traffic) == frames, "one line per frame: %d lines for %d frames" % (len(traffic), frames)
