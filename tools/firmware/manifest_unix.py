# The unix-port build the tests run (tools/micropython_unix.sh): asyncio, the board code, and the wire-level
# emulators of drivers/sim/ so that the desktop-sim board runs on the interpreter too.
include("$(MPY_DIR)/extmod/asyncio")

import os
import sys

sys.path.insert(0, os.getcwd())  # the manifest runs with this folder as its working directory
import board_files

board_files.freeze(module, with_sim=True)
