"""What a station start loads: `cryptography` (about 10 MiB of RSS and 80 ms) only once a certificate, a CSR or a
signed firmware needs it, through the runtime's LazyCryptoPort and the signing module's own imports."""

import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import sys
import controller.runtime.cpython as runtime
from controller.runtime import files_cpython, firmware_signing_cpython
print("at start:", "cryptography" in sys.modules)
port = runtime.LazyCryptoPort()
print("port made:", "cryptography" in sys.modules)
port.inspect
print("first use:", "cryptography" in sys.modules)
"""


def test_cryptography_is_loaded_at_first_use_not_at_start():
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:3] == ["at start: False", "port made: False", "first use: True"], proc.stdout
