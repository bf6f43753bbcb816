# Two entry points, each doing all its own set-up on a fresh machine:
#   make demo   - the station on simulated hardware, with a bench CSMS and a simulated EV
#   make test   - every test, CPython and MicroPython
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MPY_STAMP := tools/micropython/node_modules/.installed
SYSTEM_STAMP := $(VENV)/.system-packages

.PHONY: demo test setup setup-micropython micropython-unix bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# compat mode: a plain path entry instead of an import hook, which costs every process 20 ms at start
	$(BIN)/pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	touch $(STAMP)

$(MPY_STAMP): tools/micropython/package.json tools/micropython/package-lock.json
	cd tools/micropython && npm ci --no-audit --no-fund --silent
	touch $(MPY_STAMP)

setup: $(STAMP)

# Debian packages some tests need (CI runs as root): headless Chromium for the dashboard's browser test, and gcc's
# 32-bit support for the MicroPython interpreter built with an ESP32's object sizes (the 96k heap test). Where they
# cannot be installed, those tests are skipped and say why.
$(SYSTEM_STAMP): $(STAMP)
	@need=""; \
	command -v chromium >/dev/null 2>&1 || need="$$need chromium"; \
	echo 'int main(void){return 0;}' | gcc -m32 -x c - -o /dev/null 2>/dev/null || need="$$need gcc-multilib"; \
	if [ -n "$$need" ]; then \
		echo "installing Debian packages:$$need"; \
		(apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$need) || \
			echo "warning: could not install$$need; the tests that need them are skipped"; \
	fi
	touch $(SYSTEM_STAMP)

setup-micropython: $(MPY_STAMP)

# the MicroPython 1.27 unix port (plain and with the board code frozen), cached in tools/micropython-unix/
micropython-unix:
	bash tools/micropython_unix.sh

demo: $(STAMP)
	$(BIN)/stationctl demo

test: $(STAMP) $(MPY_STAMP) $(SYSTEM_STAMP) micropython-unix
	$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) tools/micropython/node_modules tools/micropython-unix
