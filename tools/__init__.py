"""Technicians' tools (also `stationctl <tool>`), the schema generator and the MicroPython harness."""
