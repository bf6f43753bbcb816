"""Tests on the real MicroPython 1.27 unix-port interpreter over real sockets (docs/micropython.md)."""
