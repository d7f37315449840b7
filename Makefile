# tacase: `make run` starts the app with demo data; `make test` runs ruff and the whole suite.
# Both set everything up on a machine that has only Python 3.11.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: run test install install-test lint db demo clean help translations openapi

help:
	@echo "make run    set up, migrate, load demo data, start the app on http://$(HOST):$(PORT)"
	@echo "make test   set up with the test extras, run ruff and the whole test suite"
	@echo "            (PostgreSQL too when TACASE_TEST_DATABASE_URL is set)"
	@echo "make openapi  record the API's examples again and refresh the document's copy in tests/api"

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

db: install
	TACASE_CONFIG=$${TACASE_CONFIG:-development} $(BIN)/tacase db upgrade

demo: db
	TACASE_CONFIG=$${TACASE_CONFIG:-development} $(BIN)/tacase demo --print-accounts

# The web app and one scheduler (reminders, overdue flags, mail to instance/mail.log); Ctrl-C stops both.
run: demo
	@echo "tacase on http://$(HOST):$(PORT), API docs at http://$(HOST):$(PORT)/api/v1/docs  (Ctrl-C stops it)"
	@export TACASE_CONFIG=$${TACASE_CONFIG:-development}; \
	$(BIN)/tacase scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(BIN)/tacase run --host $(HOST) --port $(PORT)

lint: install-test
	$(BIN)/ruff check .

test: lint
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
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-output
