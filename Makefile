# Footprints: two commands do all the set-up on a fresh machine.
#   make run    create the virtual environment, install, start the app
#   make test   create/refresh the environment, run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
# This machine only (ADDRESS=0.0.0.0 shares the app on your network); see the README.
ADDRESS ?= 127.0.0.1

.PHONY: run test bench venv chromium axe status bundle clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

# Headless Chromium renders PNG/PDF board exports and drives the browser tests.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core fonts-noto-color-emoji >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core fonts-noto-color-emoji >/dev/null; fi; }

# axe-core (npm) for the accessibility audit in the browser tests, pinned in tests/package-lock.json.
AXE := tests/node_modules/axe-core/axe.min.js
$(AXE): tests/package.json tests/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; fi; }
	npm ci --prefix tests --no-audit --no-fund --loglevel=error
	touch $@

axe: $(AXE)

run: venv chromium
	$(PY) -m ui.serve --server.headless true --server.address $(ADDRESS) --server.port $(PORT) --browser.gatherUsageStats false

test: venv chromium axe
	$(PY) -m pytest -q

bench: venv
	$(PY) bench/run_all.py

status: venv
	$(PY) -m boundaries status

# Rebuild the embedded London bundle (data/) from the original files (the data mirror).
bundle: venv
	$(PY) -m boundaries bundle

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
