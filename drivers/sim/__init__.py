"""Wire-level device emulators used by tests, tools (--emulate) and the desktop simulator."""
