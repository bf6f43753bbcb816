"""Runtimes: the only code that does I/O. `cpython` drives the core with asyncio and websockets on a Linux board
or a laptop; a MicroPython runtime will do the same with `asyncio` and `machine`."""
