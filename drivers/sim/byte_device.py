"""Base of the device emulators that answer on a byte stream (EmulatedSerial, a pty bridge, the desktop simulator):
the bytes the device has to send, drained by pending(), and one-shot faults armed for a number of uses."""


class ByteDevice:
    def __init__(self):
        self._out = b""
        self._faults = {}

    def pending(self):
        """The bytes the device has to send now; the wire takes them all."""
        out = self._out
        self._out = b""
        return out

    def _add(self, kind, count, data=None):
        """Arm fault `kind` for its next `count` uses, with `data` (replaces the same fault armed before)."""
        self._faults[kind] = [count, data]

    def _take(self, kind):
        """Use fault `kind` once: its data (True when it has none), or None when it is not armed."""
        f = self._faults.get(kind)
        if not f:
            return None
        f[0] -= 1
        if f[0] <= 0:
            del self._faults[kind]
        return f[1] if f[1] is not None else True
