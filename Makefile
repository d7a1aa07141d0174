# Two commands matter: `make run` (demo store on http://127.0.0.1:5000) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := shop
PYTEST_ARGS ?= -n 2

.PHONY: run test install install-dev db demo lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Build or update the database schema, and fill it with the demo store and a year of its
## past sales once (about 30 s the first time).
db: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --if-empty --history

## Serve the demo store on http://127.0.0.1:5000 and run its chores (a job worker beside
## the web server: mail, unpaid orders, backorders, the morning reports)
run: db
	$(BIN)/flask serve --host 127.0.0.1 --port 5000

## Lint, check the import graph (lint-imports), then the whole test suite (SQLite; PostgreSQL too when TEST_DATABASE_URL is set)
test: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/pytest $(PYTEST_ARGS)

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install-dev
	$(BIN)/python -m bench.catalogue

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
