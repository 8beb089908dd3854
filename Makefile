# Osaamispassi: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.dev-installed-stamp

# Pinned JSON-LD contexts are read from CONTEXTS_DIR when set; beside a checkout of the
# project's shared/ folder that is the default. Without it they are fetched once from their
# canonical URLs, checked against their pinned SHA-256 and cached under var/contexts.
CONTEXTS_DIR ?= $(wildcard $(CURDIR)/../shared/standards/contexts)
SCHEMAS_DIR ?= $(wildcard $(CURDIR)/../shared/standards/schemas)
export CONTEXTS_DIR SCHEMAS_DIR

.PHONY: run test test-fast install lint typecheck pytest openapi catalog-validate bench bench-api bench-service clean messages

# What the service needs to run (requirements.lock); the test and lint tools come on top
# (requirements-dev.lock: the same pins plus the dev extra) only for the targets that use them.
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	touch $(DEV_STAMP)

install: $(STAMP)

## make run: install, migrate the SQLite file database, load the catalog and demo data, serve.
run: $(STAMP)
	$(BIN)/osaamispassi db upgrade
	$(BIN)/osaamispassi catalog sync
	$(BIN)/osaamispassi demo
	$(BIN)/osaamispassi serve

## make test: everything CI checks.
test: lint typecheck catalog-validate pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

catalog-validate: $(STAMP)
	$(BIN)/osaamispassi catalog validate

# Three workers on this two-core machine: the live-server and browser tests wait for their
# servers a good part of the time (on a slow day, 2026-12-06: 12:05 with two workers, 10:45
# with three; four were slower, 13:30, and the load made some of the 300 parallel awards of
# tests/test_faults.py time out). Each worker has its own databases and live server, and
# takes whole files in the order of tests/conftest.py (the longest first), not xdist's (the
# most tests first).
pytest: $(DEV_STAMP)
	$(BIN)/pytest -n 3 --dist loadfile --no-loadscope-reorder

## make test-fast: the inner loop: SQLite tests without a browser (about 3 minutes here).
test-fast: $(DEV_STAMP)
	$(BIN)/pytest -q -m "not browser and not postgres"

## make openapi: regenerate openapi.yaml from the app (a test fails when it drifts).
openapi: $(STAMP)
	$(BIN)/python -m app.openapi_export > openapi.yaml

## make messages: extract translatable texts into locales/{fi,sv}; then translate the empty ones.
messages: $(STAMP)
	$(BIN)/python -m app.i18n.messages

bench: $(DEV_STAMP)
	$(BIN)/python bench/run_all.py

## make bench-api: verifications/s and latency of the API under uvicorn on 127.0.0.1.
bench-api: $(DEV_STAMP)
	$(BIN)/python bench/api_throughput.py

## make bench-service: share pages, awards, bursts, a 250,000-credential database and the group
## award, end to end on SQLite and PostgreSQL (uvicorn on 127.0.0.1; about 10 minutes).
bench-service: $(STAMP)
	$(BIN)/python bench/service.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
