"""Connect a device emulator to a real pseudo-terminal (CPython on Linux/macOS only).

`PtyBridge(device)` opens a pty pair; `port` is the slave's name, which pyserial (drivers.hal.linux.Serial) opens
like any serial port, while the bridge moves bytes between the master side and the emulator
(`device.receive(data)` / `device.pending()`). Use `pump()` from a single-threaded loop, or `start()` to pump from a
background thread until `close()`. Lets the desktop simulator and the tests run the real Linux serial backend.
"""

import os
import select
import threading
import tty


class PtyBridge:
    def __init__(self, device, lock=None):
        self.device = device
        self.lock = lock or threading.Lock()     # held while the emulator is used, for tests that poke it
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        self._thread = None
        self._stop = False

    def pump(self, timeout_s=0.0):
        """Move whatever is waiting in both directions; returns the number of bytes moved."""
        moved = 0
        ready, _, _ = select.select([self.master], [], [], timeout_s)
        with self.lock:
            if ready:
                try:
                    data = os.read(self.master, 4096)
                except OSError:
                    data = b""
                if data:
                    self.device.receive(data)
                    moved += len(data)
            out = self.device.pending()
        if out:
            os.write(self.master, out)
            moved += len(out)
        return moved

    def start(self, interval_s=0.002):
        def run():
            while not self._stop:
                self.pump(interval_s)
        self._thread = threading.Thread(target=run, name="pty-bridge", daemon=True)
        self._thread.start()
        return self

    def close(self):
        self._stop = True
        if self._thread is not None:
            self._thread.join(1.0)
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
