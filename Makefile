# Proofwork: `make run` sets everything up and serves the app; `make test` sets up and runs the tests.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test install migrate seed lint format check-deploy check-ledger clean bench fuzz

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

VAR_DIRS := var/celery/queue var/celery/processed var/celery/control var/media var/private

$(VAR_DIRS):
	mkdir -p $@

migrate: install | $(VAR_DIRS)
	DEBUG=1 $(BIN)/python manage.py migrate --noinput

# One process: pending migrations (if any), then the demo data (a few queries when it is there).
seed: install | $(VAR_DIRS)
	DEBUG=1 $(BIN)/python manage.py seed_demo --migrate

# Every money invariant over the whole ledger of the database DATABASE_URL names (the local SQLite
# file by default); prints each violation and fails on any. CI runs it on a freshly seeded demo.
check-ledger: install | $(VAR_DIRS)
	DEBUG=1 $(BIN)/python manage.py check_ledger

# scripts/run.sh migrates and seeds in the same process that prints the demo logins.
run: install | $(VAR_DIRS)
	PORT=$(PORT) BIN=$(BIN) bash scripts/run.sh

# The many-thread money races run after the rest, in one process: beside other tests they could
# need more PostgreSQL connections than the server allows. Exit code 5 means none were selected.
# The faults suite comes last, in one process too: it starts a PostgreSQL and a Redis of its own,
# stops and restarts them under a live gunicorn and a worker (tests/reliability/, docs/reliability.md).
test: install
	$(BIN)/python -m pytest -m "not races and not faults" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m races -n 0 $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(BIN)/python -m pytest -m faults -n 0 $(PYTEST_ARGS) || [ $$? -eq 5 ]

# The load benchmark (bench/README.md): seeds proofwork_bench on the local PostgreSQL if needed,
# serves it with production settings under gunicorn and drives it with wrk. BENCH_ARGS passes options.
bench: install
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Schemathesis against the API served by gunicorn on a database of its own (scripts/api_fuzz.py):
# every operation as a client, a freelancer and an outsider. FUZZ_ARGS passes options.
fuzz: install
	$(BIN)/python scripts/api_fuzz.py $(FUZZ_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check-deploy: install
	set -a; . ./.env.production.example; set +a; $(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf var/celery staticfiles .pytest_cache
