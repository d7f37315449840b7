# tacase: `make run` starts the app with demo data; `make test` runs ruff and the whole suite.
# Both set everything up on a machine that has only Python 3.11.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: run test install install-test node-tools lint db demo clean help translations system-packages openapi

help:
	@echo "make run    set up, migrate, load demo data, start the app on http://$(HOST):$(PORT)"
	@echo "make test   set up with the test extras, run ruff and the whole test suite"
	@echo "            (PostgreSQL too when TACASE_TEST_DATABASE_URL is set)"
	@echo "make system-packages   Pango and fonts for the reports' PDF (apt-get as root, else the command)"
	@echo "make openapi  record the API's examples again and refresh the document's copy in tests/api"

# What WeasyPrint needs to make the reports' PDF (Pango) and the fonts for every State's name (Latin,
# Cyrillic, Arabic: DejaVu; Chinese: WenQuanYi Micro Hei). Installed when missing and run as root;
# otherwise the one command to run is printed, and the rest works (only the PDF needs them).
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-wqy-microhei

system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing for the reports' PDF:$$missing"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; } \
	    || echo "WARNING: could not install$$missing; the reports' PDF will not be made"; \
	else \
	  echo "WARNING: the reports' PDF needs$$missing; install them with:"; \
	  echo "  sudo apt-get install$$missing"; \
	fi

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "tacase needs Python 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Test tools from npm (axe-core, which the browser tests inject into the pages), as package-lock.json
# pins them. Without npm the accessibility checks skip, saying why.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else \
	  echo "WARNING: npm is missing: the browser tests' accessibility checks (axe-core) will be skipped"; \
	fi

node-tools: node_modules/.installed

db: install
	TACASE_CONFIG=$${TACASE_CONFIG:-development} $(BIN)/tacase db upgrade
	TACASE_CONFIG=$${TACASE_CONFIG:-development} $(BIN)/tacase calls sync

demo: db
	TACASE_CONFIG=$${TACASE_CONFIG:-development} $(BIN)/tacase demo --print-accounts
	@# the audit chain's head signed, so that the Board's audit page has a checkpoint to show
	@TACASE_CONFIG=$${TACASE_CONFIG:-development} $(BIN)/tacase audit checkpoint || \
	  echo "NOTE: no signed checkpoint (see TACASE_AUDIT_SIGNING_KEY in the README)"

# The web app and one scheduler (reminders, overdue flags, mail to instance/mail.log); Ctrl-C stops both.
run: system-packages demo
	@export TACASE_CONFIG=$${TACASE_CONFIG:-development}; \
	$(BIN)/tacase scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(BIN)/tacase run --host $(HOST) --port $(PORT) --welcome

lint: install-test
	$(BIN)/ruff check .

test: system-packages lint node-tools
	@if [ -z "$$TACASE_TEST_DATABASE_URL" ]; then \
	  echo "NOTE: TACASE_TEST_DATABASE_URL is not set: the PostgreSQL tests will not run, only SQLite."; \
	else \
	  echo "PostgreSQL tests: on (TACASE_TEST_DATABASE_URL is set)"; \
	fi
	$(BIN)/pytest $(PYTEST_ARGS)

# After changing the API on purpose: record its examples from the demo data again
# (tacase/web/api/examples.json) and refresh the copy the tests compare with (tests/api/openapi.json).
openapi: install-test
	$(BIN)/python -m tests.api.openapi_examples

# After changing a text of the web pages: extract, merge into the catalogs, translate the new entries
# in tacase/translations/*/LC_MESSAGES/messages.po, run again to compile (the .mo files are committed).
translations: install-test
	$(BIN)/pybabel extract -F tacase/translations/babel.cfg -k _l -k N_ --no-location --omit-header \
	  -o tacase/translations/messages.pot .
	$(BIN)/pybabel update -i tacase/translations/messages.pot -d tacase/translations --width 110
	$(BIN)/pybabel compile -d tacase/translations --statistics

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .hypothesis test-output
