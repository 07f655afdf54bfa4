# The two commands of the README: `make demo` and `make test`. Each sets up what it needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
SIZE ?= small
export DO_NOT_TRACK := 1

.PHONY: demo test test-fast lint system-deps bench clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $@

# Debian's Chromium for the browser tests (needs root and apt; skipped elsewhere, and those tests say so).
system-deps:
	@bash scripts/install-system-deps.sh

demo: $(BIN)/.installed
	$(BIN)/incident-lake demo --size $(SIZE)

test: $(BIN)/.installed system-deps
	$(BIN)/python -m pytest -n 2 --dist loadgroup

# The unit layers only (no warehouse build, no dbt, no browser, no Postgres): a quick loop while editing.
test-fast: $(BIN)/.installed
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "not slow and not e2e and not browser and not postgres"

# Python: ruff (lint + format) and mypy (strict on connectors, warehouse, exports: see pyproject.toml).
# dbt: dbt-score on a parsed manifest (naming, descriptions, contracts) and sqlfluff on the SQL.
LINT_TARGET := target/lint
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	cd dbt_project && INCIDENT_LAKE_DB=:memory: ../$(BIN)/dbt parse --quiet --target-path $(LINT_TARGET)
	$(BIN)/dbt-score lint --manifest dbt_project/$(LINT_TARGET)/manifest.json
	cd dbt_project && INCIDENT_LAKE_DB=:memory: ../$(BIN)/sqlfluff lint models tests --processes 2 --disable-progress-bar

# The benchmark (BENCHMARKS.md): installs the `bench` extra (dlt, psutil, py-spy) on demand, writes bench/results.json.
BENCH_SIZES ?= small default large
$(BIN)/.bench-installed: pyproject.toml $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,bench]'
	touch $@

bench: $(BIN)/.bench-installed system-deps
	BENCH_SIZES="$(BENCH_SIZES)" $(BIN)/python -m bench

clean:
	rm -rf data dbt_project/target dbt_project/logs tests/artifacts
