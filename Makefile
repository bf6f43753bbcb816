# Two entry points, each doing all its own set-up on a fresh machine:
#   make demo   - the station on simulated hardware, with a bench CSMS and a simulated EV
#   make test   - every test, CPython and MicroPython
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MPY_STAMP := tools/micropython/node_modules/.installed
BROWSER_STAMP := $(VENV)/.browser

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

# headless Chromium for the dashboard's browser test (Debian's package; CI runs as root)
$(BROWSER_STAMP): $(STAMP)
	command -v chromium >/dev/null 2>&1 || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) || \
		echo "warning: could not install chromium; the dashboard's browser test is skipped outside CI"
	touch $(BROWSER_STAMP)

setup-micropython: $(MPY_STAMP)

# the MicroPython 1.27 unix port (plain and with the board code frozen), cached in tools/micropython-unix/
micropython-unix:
	bash tools/micropython_unix.sh

demo: $(STAMP)
	$(BIN)/stationctl demo

test: $(STAMP) $(MPY_STAMP) $(BROWSER_STAMP) micropython-unix
	$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) tools/micropython/node_modules tools/micropython-unix
