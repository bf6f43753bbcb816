# Freeze the station's board code into a MicroPython firmware (ESP32 port and others), e.g.
#   make -C ports/esp32 BOARD=ESP32_GENERIC_S3 FROZEN_MANIFEST=$PWD/tools/firmware/manifest.py
# The port's own manifest (asyncio and the rest) comes first; then controller/, drivers/ and boards/ as listed by
# tools/firmware/board_files.py (the emulators of drivers/sim/ stay out). See docs/micropython.md.
include("$(PORT_DIR)/boards/manifest.py")

import os
import sys

sys.path.insert(0, os.getcwd())  # the manifest runs with this folder as its working directory
import board_files

board_files.freeze(module, with_sim=False)
