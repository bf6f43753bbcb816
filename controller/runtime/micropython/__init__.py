"""The MicroPython runtime: the station core on `asyncio`, `socket`, `machine` and `network` (docs/micropython.md).

    ws.py       a small RFC 6455 WebSocket client over asyncio streams (also runs on CPython, where it is tested)
    sha1.py     SHA-1 for the opening handshake on ports whose hashlib lacks it (the unix build without TLS)
    ticks.py    monotonic milliseconds from time.ticks_ms, unwrapped
    net.py      Wi-Fi station / Ethernet bring-up from the board file, with back-off
    loop.py     the main loop: connection, frames, hardware polling, the core's timers, the watchdog
    hw_link.py  the hardware seam over a TCP line (the unix-port tests keep the emulators on CPython)
    main.py     start-up: settings, board, storage, hardware, run
"""
