"""Fleet mode (`stationctl fleet`): many independent simulated stations in one CPython process, for CSMS load
tests. Each station is the real sans-I/O core with its own journal; they share one asyncio event loop and wake
only when their core, their EV or their WebSocket has something to do (docs/fleet.md).
"""
