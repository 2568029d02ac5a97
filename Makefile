# FoodGrid — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test venv spec fuzz-live lint bench bench-locate bench-checks bench-sync bench-trace bench-recall clean-venv

run: $(STAMP)  ## Serve the API with demo data on http://127.0.0.1:$${PORT:-8000}
	scripts/serve

test: $(STAMP)  ## Run the whole test suite against a separate test database
	scripts/test $(PYTEST_ARGS)

venv: $(STAMP)

# Reinstalled only when requirements.txt changes, so a second `make run` starts quickly.
$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

spec: $(STAMP)  ## Regenerate the committed OpenAPI document
	FLASK_APP=wsgi.py $(BIN)/flask openapi write --format=json api_spec/openapi.json

fuzz-live: $(STAMP)  ## schemathesis against a running `make run` on $${PORT:-8000} (README: Checking the API from outside)
	scripts/fuzz_live

clean-venv:
	rm -rf $(VENV)

lint: $(STAMP)  ## Static checks: ruff, and the floors of .importlinter (lint-imports)
	$(BIN)/ruff check backend grid seeds tests scripts bench wsgi.py
	$(BIN)/lint-imports --no-cache

bench: bench-locate bench-checks bench-sync bench-trace bench-recall  ## All benchmarks (never part of make test)

bench-locate: $(STAMP)  ## Locate throughput vs a bare endpoint, recompute time
	$(BIN)/python bench/run.py

bench-checks: $(STAMP)  ## Check upload throughput vs a one-INSERT floor endpoint
	$(BIN)/python bench/checks_bench.py

bench-sync: $(STAMP)  ## Full and empty incremental sync at 1x and 10x data
	$(BIN)/python bench/sync_bench.py

bench-trace: $(STAMP)  ## Forward trace of a hub lot: API vs raw SQL vs a per-hop ORM walk
	$(BIN)/python bench/trace_bench.py

bench-recall: $(STAMP)  ## A recall of the synthetic hub lot initiated: scope rows and tasks vs the trace alone
	$(BIN)/python bench/recall_bench.py
