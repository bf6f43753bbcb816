"""WebSocket pings per WebSocketPingInterval: a CSMS that stops answering pings is dropped and re-dialled
(the "stays connected for ever after a WAN change" complaint, anchors.md §9.3), without a new BootNotification."""

import asyncio
import json
import os
import time

from websockets.asyncio.server import serve

from controller.runtime.child_station import StationProcess, free_port
from tests.station_process import run


def test_pong_timeout_drops_and_reconnects(tmp_path):
    async def body():
        connections = []
        boots = []
        peers = []

        async def handler(ws):
            connections.append(time.monotonic())
            peers.append(ws)
            async for text in ws:
                frame = json.loads(text)
                if frame[0] != 2:
                    continue
                if frame[2] == "BootNotification":
                    boots.append(frame)
                    reply = {"status": "Accepted", "currentTime": "2026-11-22T00:00:00Z", "interval": 300}
                else:
                    reply = {}
                await ws.send(json.dumps([3, frame[1], reply]))
                if len(connections) == 1 and frame[2] == "StatusNotification" and frame[3]["connectorId"] == 2:
                    ws.transport.pause_reading()      # a dead peer: our pings go unanswered

        port = free_port()
        async with serve(handler, "127.0.0.1", port, subprotocols=["ocpp1.6"]):
            station = StationProcess(tmp_path, "ws://127.0.0.1:%d/ocpp" % port)
            os.makedirs(station.settings["data_dir"], exist_ok=True)
            with open(os.path.join(station.settings["data_dir"], "config.json"), "w") as f:
                json.dump({"WebSocketPingInterval": 1}, f)
            await station.start()
            try:
                loop = asyncio.get_running_loop()
                end = loop.time() + 12
                while len(connections) < 2 and loop.time() < end:
                    await asyncio.sleep(0.1)
                assert len(connections) >= 2, "the station never gave up on the dead peer:\n" + station.log_text()
                assert 5 <= connections[1] - connections[0] <= 10, connections
                assert "no pong" in station.log_text()
                assert len(boots) == 1, "a reconnect, not a reboot"
            finally:
                await station.stop()
                for ws in peers:
                    ws.transport.abort()
    run(body())
